"""The supervisors' review of possible duplicates, merges and their undoing."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from returnees.audit.targets import Target, names_in_audit, number_ids
from returnees.auth.access import Actor, current_actor, requires_role
from returnees.auth.models import Role
from returnees.core.db import get_session
from returnees.core.errors import DomainError
from returnees.duplicates.labels import (
    REASON_LABELS,
    STATUS_LABELS,
    TABLE_LABELS,
    reasons_in_words,
)
from returnees.duplicates.merging import undo_merge, view_merge
from returnees.duplicates.models import DuplicatePair, Merge
from returnees.duplicates.services import (
    decide_different,
    decide_same,
    pairs_to_review,
    recent_merges,
    review_pair,
)
from returnees.people.targets import people_in_audit

bp = Blueprint("duplicates", __name__, url_prefix="/people/duplicates")


@bp.get("/")
@requires_role(Role.SUPERVISOR)
def index() -> str:
    """The pairs of records that may be one person, strongest first, and recent merges."""
    session, actor = get_session(), current_actor()
    return render_template(
        "duplicates/index.html",
        pairs=pairs_to_review(session, actor),
        merges=recent_merges(session, actor),
        reasons_in_words=reasons_in_words,
    )


@bp.get("/<int:pair_id>")
@requires_role(Role.SUPERVISOR)
def pair(pair_id: int) -> str:
    """Two records side by side, their differences marked, and the decision."""
    review = review_pair(get_session(), current_actor(), pair_id)
    return render_template(
        "duplicates/pair.html", review=review, reasons=REASON_LABELS, status_labels=STATUS_LABELS
    )


@bp.post("/<int:pair_id>/same")
@requires_role(Role.SUPERVISOR)
def same(pair_id: int) -> Response:
    """The same person: merge the other record into the one chosen."""
    merge = _decide(lambda s, a: decide_same(s, a, pair_id, request.form.get("keep", "")))
    if merge is None:
        return redirect(url_for("duplicates.pair", pair_id=pair_id))
    flash(str(_("Merged: everything about the person is on one record now.")), "success")
    return redirect(url_for("duplicates.merge", merge_id=merge.id))


@bp.post("/<int:pair_id>/different")
@requires_role(Role.SUPERVISOR)
def different(pair_id: int) -> Response:
    """Different people: the pair is not proposed again."""
    if _decide(lambda s, a: decide_different(s, a, pair_id)) is None:
        return redirect(url_for("duplicates.pair", pair_id=pair_id))
    flash(str(_("Noted: different people. This pair will not be proposed again.")), "success")
    return redirect(url_for("duplicates.index"))


@bp.get("/merges/<int:merge_id>")
@requires_role(Role.SUPERVISOR)
def merge(merge_id: int) -> str:
    """A merge: what moved, and its undoing while it may be undone (or what stayed after)."""
    shown = view_merge(get_session(), current_actor(), merge_id)
    return render_template("duplicates/merge.html", shown=shown, tables=TABLE_LABELS)


@bp.post("/merges/<int:merge_id>/undo")
@requires_role(Role.SUPERVISOR)
def undo(merge_id: int) -> Response:
    """Undo a merge: what moved goes back; what was added since stays, and is listed."""
    if _decide(lambda s, a: undo_merge(s, a, merge_id)) is not None:
        flash(str(_("The merge is undone: the two records are apart again.")), "success")
    return redirect(url_for("duplicates.merge", merge_id=merge_id))


def _decide(act: Callable[[Session, Actor], object]) -> object | None:
    """Run one decision; a refusal is flashed, nothing changes, and None is returned."""
    session = get_session()
    try:
        return act(session, current_actor())
    except DomainError as error:
        session.rollback()
        flash(error.in_words(), "error")
        return None


@names_in_audit(bp, "duplicate_pair")
def _pairs_in_audit(session: Session, reader: Actor, ids: set[str]) -> dict[str, Target]:
    """A pair is named as its first person."""
    query = select(DuplicatePair.id, DuplicatePair.first_id).where(
        DuplicatePair.id.in_(number_ids(ids).values())
    )
    return people_in_audit(session, reader, {str(i): p for i, p in session.execute(query)})


@names_in_audit(bp, "merge")
def _merges_in_audit(session: Session, reader: Actor, ids: set[str]) -> dict[str, Target]:
    """A merge is named as the person kept."""
    query = select(Merge.id, Merge.kept_id).where(Merge.id.in_(number_ids(ids).values()))
    return people_in_audit(session, reader, {str(i): p for i, p in session.execute(query)})
