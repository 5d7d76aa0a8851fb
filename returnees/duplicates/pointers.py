"""A merged record's id answers with a pointer to the record it was merged into, on every
route that names a person: a page is redirected there, an API read answers 301 with Location,
an API write 409 naming the kept id (the client decides whether the write still holds)."""

from __future__ import annotations

from flask import Response, current_app, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _
from flask_login import current_user

from returnees.auth.access import current_actor
from returnees.core.db import get_session
from returnees.core.errors import Conflict
from returnees.core.web import ANSWERS_MERGED_ITSELF
from returnees.people.services import kept_record, require_returnee

READS = ("GET", "HEAD")


class MergedRecord(Conflict):
    """A write to a record merged into another: 409, naming the kept record."""

    code = "merged"

    def __init__(self, merged_id: int, kept_id: int) -> None:
        super().__init__(
            _(
                "Record %(id)s was merged into record %(kept)s: use that record.",
                id=merged_id,
                kept=kept_id,
            )
        )
        self.kept_id = kept_id

    def as_json(self) -> dict[str, object]:
        body = super().as_json()
        body["error"]["merged_into"] = self.kept_id
        return body


def follow_merged_records() -> Response | None:
    """Before a view that names a merged person runs: send the reader to the kept record.
    The reader must reach the kept record; otherwise the refusal is the kept record's."""
    named = request.view_args or {}
    if "returnee_id" not in named or not current_user.is_authenticated:
        return None
    if request.blueprint == "api" and not g.get("authenticated_by_token"):
        return None
    view = current_app.view_functions[request.endpoint]
    if getattr(view, ANSWERS_MERGED_ITSELF, False):
        return None
    session = get_session()
    kept = kept_record(session, named["returnee_id"])
    if kept is None:
        return None
    require_returnee(session, current_actor(), kept)
    return _pointer(named["returnee_id"], kept)


def _pointer(merged_id: int, kept: int) -> Response:
    refusal = MergedRecord(merged_id, kept)
    if request.method not in READS:
        raise refusal
    target = url_for(
        request.endpoint,
        **{**(request.view_args or {}), "returnee_id": kept},
        **request.args.to_dict(flat=False),
    )
    if request.blueprint == "api":
        response = jsonify(refusal.as_json())
        response.status_code, response.headers["Location"] = 301, target
        return response
    flash(gettext("Record %(id)s was merged into this one.", id=merged_id), "info")
    return redirect(target)
