"""Rules for user accounts: usernames, passwords, sign-in lockout."""

from __future__ import annotations

import re
from dataclasses import dataclass

from carecoord.domain.enums import Discipline
from carecoord.domain.errors import Problem

MIN_PASSWORD_LENGTH = 8
MAX_FAILED_SIGN_INS = 5  # the fifth wrong password locks the account for a while
LOCKOUT_MINUTES = 15
USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,31}$")


@dataclass
class UserInput:
    username: str = ""
    full_name: str = ""
    discipline: Discipline | None = None
    is_admin: bool = False
    phone: str = ""
    password: str | None = None  # None when editing without changing it


def validate_user(data: UserInput, *, new: bool) -> list[Problem]:
    problems: list[Problem] = []
    if not USERNAME.match(data.username.strip()):
        problems.append(
            Problem(
                "username",
                "A username is 2-32 lower-case letters, digits, '.', '_' or '-', starting with a letter.",
            )
        )
    name = data.full_name.strip()
    if not name:
        problems.append(Problem("full_name", "Enter the person's full name."))
    elif len(name) > 120:
        problems.append(Problem("full_name", "The name is too long (at most 120 characters)."))
    if data.discipline is None and not data.is_admin:
        problems.append(
            Problem("discipline", "Choose a discipline (only an administrator may have none).")
        )
    if len(data.phone) > 64:
        problems.append(Problem("phone", "The phone number is too long."))
    if new or data.password is not None:
        problems.extend(password_problems(data.password or ""))
    return problems


def password_problems(password: str) -> list[Problem]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [Problem("password", f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")]
    if password.strip() != password:
        return [Problem("password", "A password may not start or end with a space.")]
    return []
