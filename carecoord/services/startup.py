"""What the app reads before anyone signs in, in plain SQL (``carecoord.store.reader``).

The sign-in dialog needs only two facts: whether the store has any user yet (else the first
administrator is asked for) and the clinic's settings (its name, the idle-lock delay). Reading
them without the ORM lets the dialog appear while SQLAlchemy loads in the background.
``carecoord.services.users.needs_first_admin`` and ``carecoord.services.settings.load_settings``
answer the same questions inside a session; a test checks that they agree.
"""

from __future__ import annotations

from carecoord.domain.settings import ClinicSettings
from carecoord.store.reader import Reader


def needs_first_admin(reader: Reader) -> bool:
    return (reader.rows("SELECT count(*) FROM users")[0][0] or 0) == 0


def clinic_settings(reader: Reader) -> ClinicSettings:
    return ClinicSettings.from_dict(dict(reader.rows("SELECT key, value FROM settings")))
