"""implant time: the clinic time of day of the implant, optional for back-dated records

A plain ADD COLUMN (no table copy), so the forecast triggers on ``implants`` stay in place.

Revision ID: 0006_implant_time
Revises: 0005_forecast_triggers
Create Date: 2026-12-02 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_implant_time"
down_revision = "0005_forecast_triggers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("implants", sa.Column("implant_time", sa.Time(), nullable=True))


def downgrade() -> None:
    op.drop_column("implants", "implant_time")
