from __future__ import annotations

from flask_babel import lazy_gettext as _
from wtforms import TextAreaField

from returnees.core.forms import Form


class BreakGlassForm(Form):
    reason = TextAreaField(_("Why do you need to open this record?"), render_kw={"rows": 3})
