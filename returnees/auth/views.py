"""Sign in and out, the language switch, and the admin's pages for staff accounts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from returnees.audit.models import AuditAction
from returnees.audit.services import record_event
from returnees.audit.targets import Target, link_for, names_in_audit, number_ids
from returnees.auth.access import Actor, current_actor, requires_role
from returnees.auth.forms import (
    ConfirmForm,
    LanguageForm,
    OnCallForm,
    PasswordForm,
    SignInForm,
    UserForm,
)
from returnees.auth.login import current_session_key, sign_in_user, sign_out_user
from returnees.auth.models import Role, User
from returnees.auth.on_call import move_user, set_on_call
from returnees.auth.passwords import MIN_PASSWORD_LENGTH
from returnees.auth.services import (
    NewUser,
    SignInRefused,
    authenticate,
    change_password,
    create_user,
    disable_user,
    list_users,
    set_language,
    view_user,
)
from returnees.centres.services import list_centres
from returnees.core.db import get_session
from returnees.core.errors import DomainError
from returnees.core.forms import show_errors
from returnees.core.web import safe_next

bp = Blueprint("auth", __name__)


@bp.route("/auth/sign-in", methods=["GET", "POST"])
def sign_in() -> tuple[str, int] | Response:
    """Show the sign-in form and sign a user in."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm(next=request.args.get("next", ""))
    status = 200
    if form.validate_on_submit():
        try:
            user = authenticate(
                get_session(), form.email.data, form.password.data, request.remote_addr
            )
        except SignInRefused as refused:
            get_session().commit()
            form.form_errors.append(_refusal_message(refused))
            status = 429 if refused.locked_until else 401
        else:
            sign_in_user(user)
            return redirect(safe_next(form.next.data))
    return render_template("auth/sign_in.html", form=form), status


def _refusal_message(refused: SignInRefused) -> str:
    if refused.locked_until is None:
        return str(refused.message)
    return _(
        "Too many failed attempts: sign-in is locked until %(time)s. Try again then, or ask "
        "an administrator.",
        time=format_datetime(refused.locked_until, "HH:mm"),
    )


@bp.post("/auth/sign-out")
@requires_role(*Role)
def sign_out() -> Response:
    """Sign out of this browser."""
    record_event(get_session(), current_actor(), AuditAction.SIGN_OUT, "user", current_user.id)
    sign_out_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/account/password", methods=["GET", "POST"])
@requires_role(*Role)
def change_own_password() -> str | tuple[str, int] | Response:
    """Change one's own password; every other browser signed in as the user is signed out."""
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(
                get_session(),
                current_actor(),
                form.current_password.data or "",
                form.new_password.data or "",
                current_session_key(),
            )
        except DomainError as error:
            show_errors(form, error)
            return _password_page(form), error.status
        flash(_("Password changed; any other session of yours has ended."), "success")
        return redirect(url_for("home.index"))
    return _password_page(form), 422 if form.errors else 200


def _password_page(form: PasswordForm) -> str:
    return render_template("auth/password.html", form=form, min_length=MIN_PASSWORD_LENGTH)


@bp.post("/language")
def change_language() -> Response:
    """Switch between Spanish and English; remembered on the account, or in this browser."""
    form = LanguageForm()
    if form.validate_on_submit() and form.locale.data in ("es", "en"):
        if current_user.is_authenticated:
            set_language(get_session(), current_user, form.locale.data)
        session["locale"] = form.locale.data
    return redirect(
        safe_next(form.next.data or (request.referrer and urlsplit(request.referrer).path))
    )


@bp.get("/users")
@requires_role(Role.ADMIN)
def users() -> str:
    """List staff accounts."""
    return render_template(
        "auth/users.html", users=list_users(get_session(), current_actor()), form=ConfirmForm()
    )


@bp.route("/users/new", methods=["GET", "POST"])
@requires_role(Role.ADMIN)
def new_user() -> str | Response:
    """Create a staff account."""
    form = UserForm()
    form.centre.choices = [
        SelectChoice(centre.code, f"{centre.code} · {centre.name}")
        for centre in list_centres(get_session(), current_actor())
    ]
    if request.method == "POST" and form.validate_on_submit():
        new = NewUser(
            form.email.data or "",
            form.role.data,
            form.centre.data or "",
            form.password.data or "",
            form.name.data or "",
        )
        try:
            user = create_user(get_session(), current_actor(), new)
        except DomainError as error:
            show_errors(form, error)
            return render_template("auth/user_new.html", form=form), error.status
        flash(_("Account %(email)s created.", email=user.email), "success")
        return redirect(url_for("auth.user_detail", user_id=user.id))
    return render_template("auth/user_new.html", form=form)


@bp.get("/users/<int:user_id>")
@requires_role(Role.ADMIN)
def user_detail(user_id: int) -> str:
    """One staff account."""
    user = view_user(get_session(), current_actor(), user_id)
    return render_template(
        "auth/user_detail.html",
        user=user,
        form=ConfirmForm(),
        on_call=OnCallForm(obj=user),
        centres=list_centres(get_session(), current_actor()),
    )


@bp.post("/users/<int:user_id>/on-call")
@requires_role(Role.ADMIN)
def change_on_call(user_id: int) -> str | tuple[str, int] | Response:
    """Put a social worker on call, or take them off."""
    session = get_session()
    user = view_user(session, current_actor(), user_id)
    form = OnCallForm()
    if form.validate_on_submit():
        try:
            set_on_call(session, current_actor(), user.email, form.is_on_call.data, form.phone.data)
        except DomainError as error:
            session.rollback()
            show_errors(form, error)
            user = view_user(session, current_actor(), user_id)
            return render_template(
                "auth/user_detail.html", user=user, form=ConfirmForm(), on_call=form
            ), error.status
        flash(_("On-call setting saved."), "success")
    return redirect(url_for("auth.user_detail", user_id=user_id))


@bp.post("/users/<int:user_id>/centre")
@requires_role(Role.ADMIN)
def change_centre(user_id: int) -> Response:
    """Move an account to another centre (a social worker to the office they work for)."""
    session = get_session()
    user = view_user(session, current_actor(), user_id)
    try:
        move_user(session, current_actor(), user.email, request.form.get("centre", ""))
        flash(_("Account moved; its sessions have ended."), "success")
    except DomainError as error:
        session.rollback()
        flash(error.in_words(), "error")
    return redirect(url_for("auth.user_detail", user_id=user_id))


@bp.post("/users/<int:user_id>/disable")
@requires_role(Role.ADMIN)
def disable(user_id: int) -> Response:
    """Disable an account: its sessions and tokens end at once."""
    form = ConfirmForm()
    if form.validate_on_submit():
        user = view_user(get_session(), current_actor(), user_id)
        disable_user(get_session(), current_actor(), user.email)
        flash(
            _("Account %(email)s disabled; its sessions and tokens have ended.", email=user.email),
            "success",
        )
    return redirect(url_for("auth.user_detail", user_id=user_id))


@names_in_audit(bp, "user")
def _users_in_audit(session: Session, reader: Actor, ids: set[str]) -> dict[str, Target]:
    query = select(User.id, User.name, User.email).where(User.id.in_(number_ids(ids).values()))
    return {
        str(user.id): Target(
            user.name or user.email, link_for(reader, "auth.user_detail", user_id=user.id)
        )
        for user in session.execute(query)
    }
