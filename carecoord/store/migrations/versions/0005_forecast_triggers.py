"""forecasts marked stale by the database itself; a generation counter per forecast row

Every write to a forecast input (programs, implants, refills, appointments, a patient's own
alarm volume, a patient's status, a refill setting) marks the patient's forecast (or every
forecast) stale by a trigger, whatever program did the write. ``generation`` counts those
marks, so a recomputation that read the inputs before a concurrent change does not store
its result as current.

Revision ID: 0005_forecast_triggers
Revises: 0004_refills
Create Date: 2026-12-02 06:45:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005_forecast_triggers'
down_revision = '0004_refills'
branch_labels = None
depends_on = None

# Tables whose rows belong to one patient and feed that patient's forecast.
PATIENT_TABLES = (
    'pump_programs',
    'implants',
    'refill_visits',
    'refill_appointments',
    'patient_alarm_volumes',
)
# Settings that move forecast dates (as of this revision).
FORECAST_SETTING_KEYS = (
    'alarm_volume_ml',
    'refill_margin_days',
    'max_refill_interval_days',
    'drug_stability_days',
    'battery_warning_months',
    'device_catalog',
    'clinic_time_zone',
)
_KEYS = ", ".join(f"'{k}'" for k in FORECAST_SETTING_KEYS)


def _sqlite_mark(row: str) -> str:
    return (
        "INSERT OR IGNORE INTO refill_forecasts (patient_id, stale, due_limit, due_reason, "
        f"battery_estimate, generation) VALUES ({row}.patient_id, 1, '', '', 0, 0); "
        "UPDATE refill_forecasts SET stale = 1, generation = generation + 1 "
        f"WHERE patient_id = {row}.patient_id;"
    )


def _sqlite_upgrade() -> None:
    for table in PATIENT_TABLES:
        op.execute(
            f"CREATE TRIGGER trg_{table}_ins_forecast AFTER INSERT ON {table} "
            f"BEGIN {_sqlite_mark('NEW')} END"
        )
        op.execute(
            f"CREATE TRIGGER trg_{table}_del_forecast AFTER DELETE ON {table} "
            f"BEGIN {_sqlite_mark('OLD')} END"
        )
        op.execute(
            f"CREATE TRIGGER trg_{table}_upd_forecast AFTER UPDATE ON {table} "
            f"BEGIN {_sqlite_mark('NEW')} {_sqlite_mark('OLD')} END"
        )
    op.execute(
        "CREATE TRIGGER trg_patients_status_forecast AFTER UPDATE OF status ON patients "
        "WHEN NEW.status IS NOT OLD.status "
        "BEGIN "
        "INSERT OR IGNORE INTO refill_forecasts (patient_id, stale, due_limit, due_reason, "
        "battery_estimate, generation) VALUES (NEW.id, 1, '', '', 0, 0); "
        "UPDATE refill_forecasts SET stale = 1, generation = generation + 1 "
        "WHERE patient_id = NEW.id; "
        "END"
    )
    everyone = "UPDATE refill_forecasts SET stale = 1, generation = generation + 1;"
    op.execute(
        "CREATE TRIGGER trg_settings_ins_forecast AFTER INSERT ON settings "
        f"WHEN NEW.key IN ({_KEYS}) BEGIN {everyone} END"
    )
    op.execute(
        "CREATE TRIGGER trg_settings_upd_forecast AFTER UPDATE ON settings "
        f"WHEN NEW.key IN ({_KEYS}) OR OLD.key IN ({_KEYS}) BEGIN {everyone} END"
    )
    op.execute(
        "CREATE TRIGGER trg_settings_del_forecast AFTER DELETE ON settings "
        f"WHEN OLD.key IN ({_KEYS}) BEGIN {everyone} END"
    )


def _pg_upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION carecoord_mark_forecast(pid integer) RETURNS void AS $$
        BEGIN
            INSERT INTO refill_forecasts
                (patient_id, stale, due_limit, due_reason, battery_estimate, generation)
            VALUES (pid, true, '', '', false, 0)
            ON CONFLICT (patient_id) DO UPDATE
                SET stale = true, generation = refill_forecasts.generation + 1;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        """
        CREATE FUNCTION carecoord_patient_row_changed() RETURNS trigger AS $$
        BEGIN
            IF TG_OP IN ('INSERT', 'UPDATE') THEN
                PERFORM carecoord_mark_forecast(NEW.patient_id);
            END IF;
            IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.patient_id <> NEW.patient_id) THEN
                PERFORM carecoord_mark_forecast(OLD.patient_id);
            END IF;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        """
        CREATE FUNCTION carecoord_patient_status_changed() RETURNS trigger AS $$
        BEGIN
            IF NEW.status IS DISTINCT FROM OLD.status THEN
                PERFORM carecoord_mark_forecast(NEW.id);
            END IF;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION carecoord_setting_changed() RETURNS trigger AS $$
        BEGIN
            IF (TG_OP <> 'DELETE' AND NEW.key IN ({_KEYS}))
               OR (TG_OP <> 'INSERT' AND OLD.key IN ({_KEYS})) THEN
                UPDATE refill_forecasts SET stale = true, generation = generation + 1;
            END IF;
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    for table in PATIENT_TABLES:
        op.execute(
            f"CREATE TRIGGER trg_{table}_forecast AFTER INSERT OR UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION carecoord_patient_row_changed()"
        )
    op.execute(
        "CREATE TRIGGER trg_patients_status_forecast AFTER UPDATE OF status ON patients "
        "FOR EACH ROW EXECUTE FUNCTION carecoord_patient_status_changed()"
    )
    op.execute(
        "CREATE TRIGGER trg_settings_forecast AFTER INSERT OR UPDATE OR DELETE ON settings "
        "FOR EACH ROW EXECUTE FUNCTION carecoord_setting_changed()"
    )


def upgrade() -> None:
    with op.batch_alter_table('refill_forecasts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('generation', sa.Integer(), nullable=False, server_default='0')
        )
    # Forecasts computed before this revision were kept current by the application alone.
    op.execute("UPDATE refill_forecasts SET stale = true")
    if op.get_bind().dialect.name == 'postgresql':
        _pg_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in PATIENT_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_forecast ON {table}")
        op.execute("DROP TRIGGER IF EXISTS trg_patients_status_forecast ON patients")
        op.execute("DROP TRIGGER IF EXISTS trg_settings_forecast ON settings")
        for function in (
            'carecoord_setting_changed()',
            'carecoord_patient_status_changed()',
            'carecoord_patient_row_changed()',
            'carecoord_mark_forecast(integer)',
        ):
            op.execute(f"DROP FUNCTION IF EXISTS {function}")
    else:
        for table in PATIENT_TABLES:
            for kind in ('ins', 'upd', 'del'):
                op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_{kind}_forecast")
        op.execute("DROP TRIGGER IF EXISTS trg_patients_status_forecast")
        for kind in ('ins', 'upd', 'del'):
            op.execute(f"DROP TRIGGER IF EXISTS trg_settings_{kind}_forecast")
    with op.batch_alter_table('refill_forecasts', schema=None) as batch_op:
        batch_op.drop_column('generation')
