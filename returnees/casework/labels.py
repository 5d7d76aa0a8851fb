from __future__ import annotations

from flask_babel import lazy_gettext as _

OUTCOME_LABELS = {
    "reached": _("Reached"),
    "not_reached": _("Not reached"),
    "wrong_number": _("Wrong number"),
    "met": _("Met"),
    "not_home": _("Not at home"),
    "moved": _("Moved away"),
}
CLOSE_REASON_LABELS = {
    "reintegrated": _("Reintegrated"),
    "moved": _("Moved"),
    "migrated_again": _("Migrated again"),
    "died": _("Died"),
    "contact_lost": _("Contact lost"),
    "declined": _("Declined follow-up"),
    "merged": _("Merged into the case of the same person"),
}
# What staff choose from when they close a case ("merged" is the merge's own).
CHOSEN_CLOSE_REASONS = {
    code: label for code, label in CLOSE_REASON_LABELS.items() if code != "merged"
}
REFERRAL_STATUS_LABELS = {
    "made": _("made"),
    "accepted": _("accepted"),
    "attended": _("attended"),
    "declined": _("declined"),
    "no_show": _("did not go"),
    "withdrawn": _("withdrawn"),
}
