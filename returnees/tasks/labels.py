from __future__ import annotations

from flask_babel import lazy_gettext as _

TASK_LABELS = {
    "find_new_number": _("Find a new phone number"),
    "urgent_safety": _("Urgent: safety"),
    "review_reply": _("Read a reply"),
    "call": _("Call: no answer"),
    "visit": _("Visit: no answer three times"),
    "high_risk": _("High risk of leaving again"),
    "referral_follow_up": _("Follow up a referral"),
    "approve_closing": _("Approve closing a child's case"),
    "survey": _("Reintegration survey by phone"),
}

RISK_LABELS = {"low": _("low"), "medium": _("medium"), "high": _("high")}
