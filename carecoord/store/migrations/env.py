"""Alembic environment: always run on a connection handed over by Database.upgrade()."""

from alembic import context
from sqlalchemy.types import TypeDecorator

from carecoord.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - the app always passes its connection
    raise RuntimeError("Run migrations through `carecoord db upgrade`.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=lambda kind, obj, _ctx: (
        # Revisions name the plain stored type, so they never depend on app code.
        f"sa.{obj.impl!r}" if kind == "type" and isinstance(obj, TypeDecorator) else False
    ),
)
with context.begin_transaction():
    context.run_migrations()
