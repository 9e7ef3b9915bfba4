"""Accounts: the first administrator, sign-in with lockout, managing the team's users."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from carecoord.domain.enums import Discipline
from carecoord.domain.errors import Problem, ValidationFailed, raise_if_errors
from carecoord.domain.permissions import Permission
from carecoord.domain.ranges import has_bad_characters
from carecoord.domain.users import (
    LOCKOUT_MINUTES,
    MAX_FAILED_SIGN_INS,
    UserInput,
    password_problems,
    validate_user,
)
from carecoord.services import audit
from carecoord.services.context import SYSTEM, Actor, require
from carecoord.services.errors import ConflictError, NotFound, SignInFailed
from carecoord.store.models import User
from carecoord.store.types import utcnow

_hasher = PasswordHasher()


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    full_name: str
    discipline: Discipline | None
    is_admin: bool
    phone: str
    active: bool
    version: int

    @property
    def role_label(self) -> str:
        role = self.discipline.label if self.discipline else "No clinical role"
        return f"{role}, administrator" if self.is_admin else role


def _view(u: User) -> UserView:
    return UserView(
        id=u.id,
        username=u.username,
        full_name=u.full_name,
        discipline=Discipline(u.discipline) if u.discipline else None,
        is_admin=u.is_admin,
        phone=u.phone,
        active=u.active,
        version=u.version,
    )


def actor_for(u: User | UserView) -> Actor:
    discipline = (
        u.discipline
        if isinstance(u, UserView)
        else (Discipline(u.discipline) if u.discipline else None)
    )
    return Actor(u.id, u.username, u.full_name, discipline, u.is_admin)


def _public(u: User) -> dict[str, object]:
    return {
        "username": u.username,
        "full_name": u.full_name,
        "discipline": u.discipline,
        "is_admin": u.is_admin,
        "phone": u.phone,
        "active": u.active,
    }


def needs_first_admin(session: Session) -> bool:
    return (session.scalar(select(func.count()).select_from(User)) or 0) == 0


def _check_unique(session: Session, username: str, exclude_id: int | None = None) -> None:
    query = select(User.id).where(func.lower(User.username) == username.lower())
    if exclude_id is not None:
        query = query.where(User.id != exclude_id)
    if session.scalar(query) is not None:
        raise ValidationFailed.single("username", f"The username “{username}” is already taken.")


def create_first_admin(session: Session, data: UserInput) -> UserView:
    """Only when the database has no user at all: the person installing the app."""
    if not needs_first_admin(session):
        raise ValidationFailed.single(
            "username", "An administrator already exists; sign in instead."
        )
    data.is_admin = True
    return _create(session, SYSTEM, data)


def add_user(session: Session, actor: Actor, data: UserInput) -> UserView:
    require(actor, Permission.MANAGE_USERS)
    return _create(session, actor, data)


def _create(session: Session, actor: Actor, data: UserInput) -> UserView:
    data.username = data.username.strip().lower()
    data.full_name = data.full_name.strip()
    raise_if_errors(validate_user(data, new=True))
    _check_unique(session, data.username)
    user = User(
        username=data.username,
        full_name=data.full_name,
        discipline=data.discipline.value if data.discipline else None,
        is_admin=data.is_admin,
        phone=data.phone.strip(),
        password_hash=_hasher.hash(data.password or ""),
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError:  # another administrator added the same username a moment ago
        session.rollback()
        raise ValidationFailed.single(
            "username", f"The username “{data.username}” was taken a moment ago by another entry."
        ) from None  # the database's own text would carry the new password's hash
    audit.record(
        session,
        actor,
        action="create",
        entity="user",
        entity_id=user.id,
        summary=f"Added user {user.full_name} ({user.username})",
        after=_public(user),
    )
    session.commit()
    return _view(user)


def update_user(
    session: Session, actor: Actor, user_id: int, expected_version: int, data: UserInput
) -> UserView:
    require(actor, Permission.MANAGE_USERS)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("That user no longer exists.")
    data.username = data.username.strip().lower()
    raise_if_errors(validate_user(data, new=False))
    _check_unique(session, data.username, exclude_id=user_id)
    if user.version != expected_version:
        last = audit.last_change(session, "user", user_id)
        raise ConflictError(
            entity_label=f"the account of {user.full_name}",
            changed_by=last.actor if last else "Someone",
            changed_at=dt.datetime.fromisoformat(last.at) if last else None,
            current_version=user.version,
            current=_public(user),
            fields=[],
        )
    if user.id == actor.user_id and user.is_admin and not data.is_admin:
        raise ValidationFailed.single("is_admin", "You cannot remove your own administrator role.")
    before = _public(user)
    user.username = data.username
    user.full_name = data.full_name.strip()
    user.discipline = data.discipline.value if data.discipline else None
    user.is_admin = data.is_admin
    user.phone = data.phone.strip()
    if data.password:
        user.password_hash = _hasher.hash(data.password)
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        raise ConflictError(
            entity_label="this account",
            changed_by="Someone",
            changed_at=None,
            current_version=expected_version + 1,
            current={},
        ) from None
    audit.record(
        session,
        actor,
        action="update",
        entity="user",
        entity_id=user.id,
        summary=f"Edited user {user.full_name}" + (" (password reset)" if data.password else ""),
        before=before,
        after=_public(user),
    )
    session.commit()
    return _view(user)


def set_active(session: Session, actor: Actor, user_id: int, active: bool) -> UserView:
    """Deactivate (or reactivate) an account; users are never deleted (audit refers to them)."""
    require(actor, Permission.MANAGE_USERS)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("That user no longer exists.")
    if user.id == actor.user_id and not active:
        raise ValidationFailed.single("active", "You cannot deactivate your own account.")
    if not active and user.is_admin:
        admins = session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.is_admin, User.active, User.id != user.id)
        )
        if not admins:
            raise ValidationFailed.single("active", "Keep at least one active administrator.")
    before = _public(user)
    user.active = active
    user.failed_attempts = 0
    user.locked_until = None
    session.flush()
    audit.record(
        session,
        actor,
        action="activate" if active else "deactivate",
        entity="user",
        entity_id=user.id,
        summary=f"{'Reactivated' if active else 'Deactivated'} user {user.full_name}",
        before=before,
        after=_public(user),
    )
    session.commit()
    return _view(user)


def list_users(session: Session, *, include_inactive: bool = True) -> list[UserView]:
    query = select(User).order_by(User.full_name)
    if not include_inactive:
        query = query.where(User.active)
    return [_view(u) for u in session.scalars(query)]


def get_user(session: Session, user_id: int) -> UserView:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("That user no longer exists.")
    return _view(user)


def sign_in(session: Session, username: str, password: str) -> Actor:
    """Check a password; five failures in a row lock the account for a quarter of an hour."""
    generic = "The username or password is not right."
    # A pasted control character or broken surrogate can be in neither a username nor a
    # stored password; the password is checked as bytes so that one cannot raise.
    secret = (password or "").encode("utf-8", "surrogatepass")
    user = None
    if not has_bad_characters(username, multiline=False):
        user = session.scalar(
            select(User)
            .where(func.lower(User.username) == username.strip().lower())
            # Locked until this sign-in is counted: two wrong passwords typed at once on two
            # workstations both count (the failed-sign-in counter never loses one).
            .with_for_update()
        )
    if user is None:
        _hasher.hash(secret or b"x")  # same time as a real check: do not reveal who exists
        raise SignInFailed(generic)
    now = utcnow()
    if not user.active:
        raise SignInFailed("This account has been deactivated. Ask an administrator.")
    if user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise SignInFailed(
            f"Too many wrong passwords: this account is locked for {minutes} more minute(s)."
        )
    try:
        _hasher.verify(user.password_hash, secret)
    except (VerificationError, InvalidHashError):
        user.failed_attempts += 1
        message = generic
        if user.failed_attempts >= MAX_FAILED_SIGN_INS:
            user.locked_until = now + dt.timedelta(minutes=LOCKOUT_MINUTES)
            user.failed_attempts = 0
            message = (
                f"{MAX_FAILED_SIGN_INS} wrong passwords: this account is locked for "
                f"{LOCKOUT_MINUTES} minutes."
            )
            audit.record(
                session,
                SYSTEM,
                action="lockout",
                entity="user",
                entity_id=user.id,
                summary=f"Account {user.username} locked after {MAX_FAILED_SIGN_INS} wrong passwords",
            )
        session.commit()
        raise SignInFailed(message) from None
    if user.failed_attempts or user.locked_until:
        user.failed_attempts = 0
        user.locked_until = None
        session.commit()
    return actor_for(user)


def verify_password(session: Session, actor: Actor, password: str) -> bool:
    """Unlocking an idle screen: the same person's password, same lockout as sign-in."""
    try:
        again = sign_in(session, actor.username, password)
    except SignInFailed:
        return False
    return again.user_id == actor.user_id


def change_password(session: Session, actor: Actor, old: str, new: str) -> None:
    if not verify_password(session, actor, old):
        raise ValidationFailed.single("old_password", "The current password is not right.")
    raise_if_errors(password_problems(new))
    user = session.get(User, actor.user_id)
    assert user is not None
    user.password_hash = _hasher.hash(new)
    audit.record(
        session,
        actor,
        action="password",
        entity="user",
        entity_id=user.id,
        summary="Changed own password",
    )
    session.commit()


__all__ = [
    "Problem",
    "UserInput",
    "UserView",
    "actor_for",
    "add_user",
    "change_password",
    "create_first_admin",
    "get_user",
    "list_users",
    "needs_first_admin",
    "set_active",
    "sign_in",
    "update_user",
    "verify_password",
]
