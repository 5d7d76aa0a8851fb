"""What the pairs and merges store as codes, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _

from returnees.people.matching import REASON_WORDS

# The desk's reasons (the nightly search scores pairs as the desk does), and the codes the
# search stored before it did, which pairs already decided keep.
REASON_LABELS = REASON_WORDS | {
    "same_document": _("same document"),
    "other_document": _("different documents"),
    "one_family_name": _("same given name and one family name"),
    "partly_same_name": _("name partly the same"),
    "other_given_name": _("same family name, other given name"),
    "other_name": _("different names"),
    "same_birth_date": _("same birth date"),
    "other_birth_date": _("different birth dates"),
    "close_age": _("ages within two years"),
    "other_age": _("different ages"),
    "other_sex": _("different sex"),
    "same_phone": _("same phone"),
}
STATUS_LABELS = {
    "pending": _("waiting for a decision"),
    "same": _("same person (merged)"),
    "different": _("different people"),
}
# The tables whose rows a merge moves, as the merge's page names them (every one: a test says
# so, so that a table added later is not shown by its name in the database).
TABLE_LABELS = {
    "arrivals": _("Arrivals"),
    "phones": _("Phones"),
    "consent_changes": _("Changes of consent"),
    "cases": _("Cases"),
    "case_contacts": _("Calls and visits"),
    "transfers": _("Transfers of a case"),
    "tasks": _("Tasks"),
    "check_ins": _("Check-ins"),
    "indicator_readings": _("Answers (indicators)"),
    "referrals": _("Referrals"),
    "outbound_messages": _("Messages sent"),
    "inbound_messages": _("Messages received"),
    "risk_level_changes": _("Changes of risk level"),
    "break_glass_grants": _("Openings outside scope"),
    "erasures": _("Erasure requests"),
    "survey_waves": _("Survey waves"),
}


def reasons_in_words(reasons: list[str]) -> str:
    """A pair's reasons as one line: "same name, same birth date"."""
    return ", ".join(str(REASON_LABELS.get(reason, reason)) for reason in reasons)
