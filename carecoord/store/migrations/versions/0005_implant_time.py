"""implant time: the clinic time of day of the implant, optional for back-dated records

Revision ID: 0005_implant_time
Revises: 0004_refills
Create Date: 2026-12-02 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_implant_time"
down_revision = "0004_refills"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("implants") as batch:
        batch.add_column(sa.Column("implant_time", sa.Time(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("implants") as batch:
        batch.drop_column("implant_time")
