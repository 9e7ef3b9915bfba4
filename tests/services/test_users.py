"""Accounts: first administrator, sign-in and lockout, managing users, permissions."""

from __future__ import annotations

import pytest

from carecoord.domain.enums import Discipline
from carecoord.domain.errors import ValidationFailed
from carecoord.domain.users import UserInput
from carecoord.services import users
from carecoord.services.errors import PermissionDenied, SignInFailed
from tests.conftest import PASSWORD


def test_first_administrator_only_on_an_empty_database(db):
    db.upgrade()
    with db.session() as s:
        assert users.needs_first_admin(s)
        admin = users.create_first_admin(
            s, UserInput("boss", "Bo Boss", None, True, "", "long-enough-pw")
        )
        assert admin.is_admin and not users.needs_first_admin(s)
        with pytest.raises(ValidationFailed, match="already exists"):
            users.create_first_admin(
                s, UserInput("two", "Second", None, True, "", "long-enough-pw")
            )
    with db.session() as s:
        assert users.sign_in(s, "BOSS", "long-enough-pw").username == "boss"


def test_five_wrong_passwords_lock_the_account(db, team):
    """The fifth failure locks the account; even the right password is then refused."""
    with db.session() as s:
        for _ in range(4):
            with pytest.raises(SignInFailed, match="not right"):
                users.sign_in(s, "nking", "wrong")
        with pytest.raises(SignInFailed, match="locked for 15 minutes"):
            users.sign_in(s, "nking", "wrong")
        with pytest.raises(SignInFailed, match="locked"):
            users.sign_in(s, "nking", PASSWORD)


def test_unknown_user_and_right_password(db, team):
    with db.session() as s:
        with pytest.raises(SignInFailed, match="not right"):
            users.sign_in(s, "ghost", PASSWORD)
        actor = users.sign_in(s, "mdoe", PASSWORD)
    assert actor.discipline is Discipline.PHYSIATRIST


def test_only_an_administrator_manages_users(db, team):
    new = UserInput("jlee", "Jo Lee", Discipline.NURSE, False, "", "a-new-password")
    with db.session() as s, pytest.raises(PermissionDenied, match="Only an administrator"):
        users.add_user(s, team.physiatrist, new)
    with db.session() as s:
        created = users.add_user(s, team.admin, new)
        with pytest.raises(ValidationFailed, match="already taken"):
            users.add_user(
                s,
                team.admin,
                UserInput("JLEE", "Other", Discipline.NURSE, False, "", "another-pass"),
            )
    with db.session() as s:
        users.set_active(s, team.admin, created.id, False)
        with pytest.raises(SignInFailed, match="deactivated"):
            users.sign_in(s, "jlee", "a-new-password")


def test_user_validation_words(db, team):
    with db.session() as s, pytest.raises(ValidationFailed) as exc:
        users.add_user(s, team.admin, UserInput("9bad name", "", None, False, "", "short"))
    fields = {p.field for p in exc.value.problems}
    assert fields == {"username", "full_name", "discipline", "password"}


def test_last_administrator_cannot_be_deactivated(db, team):
    with db.session() as s, pytest.raises(ValidationFailed, match="own account"):
        users.set_active(s, team.admin, team.admin.user_id, False)
