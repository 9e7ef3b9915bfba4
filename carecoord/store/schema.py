"""Every ORM model module, imported together so metadata (migrations, tests) sees all tables.

A feature with its own models adds one import line here.
"""

from carecoord.store import (
    models,  # noqa: F401
    models_candidacy,  # noqa: F401
    models_pump,  # noqa: F401
    models_refills,  # noqa: F401
)
from carecoord.store.models import Base

metadata = Base.metadata
