"""foundation: users, patients, team, settings, audit

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-24 17:13:04.760960
"""

from alembic import op
import sqlalchemy as sa


revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', sa.String(length=40), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('entity', sa.String(length=64), nullable=False),
    sa.Column('entity_id', sa.String(length=64), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_events_seq'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_patient_id'), ['patient_id'], unique=False)

    audit_head = op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    # The chain head exists from the start, so concurrent first writers never race to create it.
    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "hash": "0" * 64}])
    op.create_table('settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_settings'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('full_name', sa.String(length=120), nullable=False),
    sa.Column('discipline', sa.String(length=32), nullable=True),
    sa.Column('is_admin', sa.Boolean(), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('phone', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('patients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mrn', sa.String(length=32), nullable=False),
    sa.Column('family_name', sa.String(length=120), nullable=False),
    sa.Column('given_names', sa.String(length=120), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=16), nullable=False),
    sa.Column('weight_kg', sa.String(length=40), nullable=True),
    sa.Column('diagnosis', sa.Text(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=True),
    sa.Column('injury_level', sa.String(length=2000), nullable=False),
    sa.Column('injury_date', sa.Date(), nullable=True),
    sa.Column('phone', sa.String(length=2000), nullable=False),
    sa.Column('email', sa.String(length=2000), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('caregiver_name', sa.String(length=2000), nullable=False),
    sa.Column('caregiver_phone', sa.String(length=2000), nullable=False),
    sa.Column('preferred_language', sa.String(length=16), nullable=False),
    sa.Column('allergies', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('retired_reason', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_patients_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patients')),
    sa.UniqueConstraint('mrn', name=op.f('uq_patients_mrn'))
    )
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.create_index('ix_patients_dob', ['date_of_birth'], unique=False)
        batch_op.create_index('ix_patients_family_given', ['family_name', 'given_names'], unique=False)
        batch_op.create_index(batch_op.f('ix_patients_status'), ['status'], unique=False)

    op.create_table('patient_search_tokens',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64).with_variant(sa.String(length=64, collation='C'), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_search_tokens_patient_id_patients')),
    sa.PrimaryKeyConstraint('patient_id', 'token', name=op.f('pk_patient_search_tokens'))
    )
    op.create_index('ix_patient_search_tokens_token', 'patient_search_tokens', ['token', 'patient_id'], unique=False)
    op.create_table('team_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('discipline', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_team_assignments_patient_id_patients')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_assignments_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_assignments')),
    sa.UniqueConstraint('patient_id', 'discipline', name='uq_team_patient_discipline')
    )
    with op.batch_alter_table('team_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_assignments_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_assignments_user_id'), ['user_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('team_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_assignments_user_id'))
        batch_op.drop_index(batch_op.f('ix_team_assignments_patient_id'))

    op.drop_table('team_assignments')
    op.drop_index('ix_patient_search_tokens_token', table_name='patient_search_tokens')
    op.drop_table('patient_search_tokens')
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patients_status'))
        batch_op.drop_index('ix_patients_family_given')
        batch_op.drop_index('ix_patients_dob')

    op.drop_table('patients')
    op.drop_table('users')
    op.drop_table('settings')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_patient_id'))

    op.drop_table('audit_events')

