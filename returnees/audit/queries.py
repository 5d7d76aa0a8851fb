"""Read the audit trail, filtered, within the reader's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from returnees.audit.models import AuditEntry, AuditEntryPerson
from returnees.auth.access import Actor
from returnees.auth.models import Role, User
from returnees.auth.services import UNKNOWN_ACCOUNT, email_digest, normalise_email
from returnees.centres.models import Centre

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    record_type: str = ""
    record_id: str = ""
    since: datetime | None = None
    until: datetime | None = None
    page: int = 1


def search_audit(session: Session, reader: Actor, wanted: AuditFilter) -> list[AuditEntry]:
    """Entries newest first. Supervisors see what staff of their country did; admins see all,
    the refused sign-ins at e-mails no account has among them: such an attempt belongs to no
    country, and its address and time would show one country's supervisors where and when
    another country's staff (mis)typed their e-mail."""
    reader.require_role(Role.SUPERVISOR, Role.ADMIN)
    query = select(AuditEntry)
    if reader.role is Role.SUPERVISOR:
        query = (
            query.join(User, AuditEntry.user_id == User.id)
            .join(Centre, User.centre_id == Centre.id)
            .where(Centre.country == reader.country)
        )
    if wanted.actor:
        query = query.where(by_actor(wanted.actor))
    if wanted.record_type:
        query = query.where(AuditEntry.record_type == wanted.record_type)
    if wanted.record_id:
        query = query.where(AuditEntry.record_id == wanted.record_id.strip())
    if wanted.since:
        query = query.where(AuditEntry.at >= wanted.since)
    if wanted.until:
        query = query.where(AuditEntry.at < wanted.until)
    offset = (max(wanted.page, 1) - 1) * PAGE_SIZE
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    return list(session.scalars(query.offset(offset).limit(PAGE_SIZE)))


def by_actor(email: str) -> ColumnElement[bool]:
    """Entries of the account with this e-mail, and refused sign-ins at it when no account
    has it (kept by its digest)."""
    return or_(
        AuditEntry.actor == normalise_email(email),
        and_(
            AuditEntry.record_type == UNKNOWN_ACCOUNT,
            AuditEntry.record_id == email_digest(email),
        ),
    )


def entries_about_person(
    session: Session, reader: Actor, returnee_id: int, page: int = 1
) -> list[AuditEntry]:
    """Who looked at or changed a person: every entry that names them (a view of their record,
    a list that showed them, a change), newest first, a page of PAGE_SIZE at a time. For
    supervisors; the caller checks that the person is in the reader's scope."""
    reader.require_role(Role.SUPERVISOR)
    about = select(AuditEntryPerson.entry_id).where(AuditEntryPerson.returnee_id == returnee_id)
    query = (
        select(AuditEntry)
        .where(AuditEntry.id.in_(about))
        .order_by(AuditEntry.id.desc())
        .offset((max(page, 1) - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return list(session.scalars(query))
