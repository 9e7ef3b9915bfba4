"""value ranges: CHECK constraints behind the clinical ranges that matter

The domain refuses these values in words (carecoord.domain.ranges); the constraints make sure
no writer at all can store them. The bounds are the domain's refusal bounds written out here,
since a revision never imports app code: keep them equal (tests/store/test_check_constraints.py
checks each bound on both stores).

Rows stored before this revision are kept as they are (nothing a clinician entered is deleted):
PostgreSQL adds the constraints NOT VALID, SQLite copies the rows with its CHECK constraints
ignored. The domain refuses a save of such a row until its value is corrected.

Revision ID: 0008_value_ranges
Revises: 0007_audit_append_only
Create Date: 2026-12-02 07:00:00
"""

from alembic import op

revision = "0008_value_ranges"
down_revision = "0007_audit_append_only"
branch_labels = None
depends_on = None

# Text columns holding exact decimals are compared as numbers: CAST(... AS NUMERIC) reads them
# on both stores (PostgreSQL refuses text that is not a number at all).
EARLIEST = "'1980-01-01'"  # ranges.EARLIEST_TREATMENT_DATE
LATEST = "'2200-12-31'"  # store.guard.LATEST_STORED_YEAR
MAX_VOLUME = "80"  # ranges.MAX_ANY_RESERVOIR_ML


def _num(column: str) -> str:
    return f"CAST({column} AS NUMERIC)"


def _between(column: str, low: str, high: str, *, nullable: bool = False) -> str:
    condition = f"{column} BETWEEN {low} AND {high}"
    return f"{column} IS NULL OR {condition}" if nullable else condition


CHECKS: dict[str, list[tuple[str, str]]] = {
    "patients": [
        # ranges.WEIGHT_KG (and domain.patients.MIN/MAX_WEIGHT_KG)
        ("weight_kg_range", f"weight_kg IS NULL OR {_between(_num('weight_kg'), '0.5', '650')}"),
        ("date_of_birth_range", _between("date_of_birth", "'1880-01-01'", LATEST)),
    ],
    "patient_alarm_volumes": [
        # ranges.MIN_ALARM_VOLUME_ML up to the largest reservoir
        ("alarm_volume_range", _between(_num("alarm_volume_ml"), "0.5", MAX_VOLUME)),
    ],
    "refill_visits": [
        ("measured_residual_range", _between(_num("measured_residual_ml"), "0", MAX_VOLUME)),
        ("volume_discarded_range", _between(_num("volume_discarded_ml"), "0", MAX_VOLUME)),
        ("volume_added_range", _between(_num("volume_added_ml"), "0", MAX_VOLUME)),
        ("new_volume_range", _between(_num("new_volume_ml"), "0", MAX_VOLUME)),
        # program.MAX_CONCENTRATION_MCG_PER_ML: 2000 mcg/mL is the highest on the market
        (
            "concentration_range",
            f"{_num('concentration_mcg_per_ml')} > 0 AND "
            f"{_num('concentration_mcg_per_ml')} <= 2000",
        ),
        ("lot_expiry_range", _between("lot_expiry", EARLIEST, LATEST)),
    ],
    "pump_programs": [
        (
            "reservoir_range",
            f"reservoir_ml IS NULL OR {_between(_num('reservoir_ml'), '0', MAX_VOLUME)}",
        ),
    ],
    "meetings": [("held_on_range", _between("held_on", EARLIEST, LATEST))],
    "team_decisions": [
        ("decided_on_range", _between("decided_on", EARLIEST, LATEST)),
        ("defer_until_range", _between("defer_until", EARLIEST, LATEST, nullable=True)),
    ],
    "contraindication_screens": [("assessed_on_range", _between("assessed_on", EARLIEST, LATEST))],
    "refill_appointments": [("duration_range", _between("duration_minutes", "5", "480"))],
    "goals": [
        # ranges.GAS_WEIGHT; GAS scores -2..+2 [47]
        ("weight_range", f"{_num('weight')} > 0 AND {_num('weight')} <= 100"),
        ("gas_score_range", _between("gas_score", "-2", "2", nullable=True)),
    ],
}


def _name(table: str, short: str) -> str:
    return f"ck_{table}_{short}"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table, checks in CHECKS.items():
            for short, condition in checks:
                op.execute(
                    f'ALTER TABLE {table} ADD CONSTRAINT "{_name(table, short)}" '
                    f"CHECK ({condition}) NOT VALID"
                )
        return
    op.execute("PRAGMA ignore_check_constraints = ON")
    # Rebuilding a table drops its triggers (the forecast triggers of 0005): they are kept and
    # created again. The legacy rename does not re-check other tables' triggers mid-rebuild.
    op.execute("PRAGMA legacy_alter_table = ON")
    try:
        for table, checks in CHECKS.items():
            triggers = _triggers(bind, table)
            with op.batch_alter_table(table, recreate="always") as batch:
                for short, condition in checks:
                    batch.create_check_constraint(op.f(_name(table, short)), condition)
            for sql in triggers:
                op.execute(sql)
    finally:
        op.execute("PRAGMA legacy_alter_table = OFF")
        op.execute("PRAGMA ignore_check_constraints = OFF")


def _triggers(bind, table: str) -> list[str]:
    from sqlalchemy import text

    rows = bind.execute(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t"),
        {"t": table},
    )
    return [sql for (sql,) in rows if sql]


def downgrade() -> None:
    bind = op.get_bind()
    for table, checks in CHECKS.items():
        if bind.dialect.name == "postgresql":
            for short, _condition in checks:
                op.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{_name(table, short)}"')
            continue
        triggers = _triggers(bind, table)
        with op.batch_alter_table(table, recreate="always") as batch:
            for short, _condition in checks:
                batch.drop_constraint(op.f(_name(table, short)), type_="check")
        for sql in triggers:
            op.execute(sql)
