"""Every ORM model module, imported together so metadata (migrations, tests) sees all tables.

A feature with its own models adds one import line here.
"""

import carecoord.store.models_candidacy  # noqa: F401
from carecoord.store import models  # noqa: F401
from carecoord.store.models import Base

metadata = Base.metadata
