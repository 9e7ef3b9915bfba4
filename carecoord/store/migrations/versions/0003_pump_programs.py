"""pump programs: implants and program versions

Revision ID: 0003_pump_programs
Revises: 0002_candidacy
Create Date: 2026-11-24 19:20:12.681355
"""

from alembic import op
import sqlalchemy as sa


revision = '0003_pump_programs'
down_revision = '0002_candidacy'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('implants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('device_key', sa.String(length=64), nullable=False),
    sa.Column('serial_number', sa.String(length=64), nullable=False),
    sa.Column('implant_date', sa.Date(), nullable=False),
    sa.Column('catheter_tip_level', sa.String(length=32), nullable=False),
    sa.Column('catheter_length_cm', sa.String(length=40), nullable=True),
    sa.Column('pocket_side', sa.String(length=16), nullable=False),
    sa.Column('surgeon', sa.String(length=120), nullable=False),
    sa.Column('revisions', sa.Text(), nullable=False),
    sa.Column('explant_date', sa.Date(), nullable=True),
    sa.Column('explant_reason', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_implants_patient_id_patients')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_implants_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_implants'))
    )
    with op.batch_alter_table('implants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_implants_patient_id'), ['patient_id'], unique=False)

    op.create_table('pump_programs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('implant_id', sa.Integer(), nullable=True),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('program_json', sa.Text(), nullable=False),
    sa.Column('based_on_id', sa.Integer(), nullable=True),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('acknowledged_json', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('programmed_by_id', sa.Integer(), nullable=True),
    sa.Column('programmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reservoir_ml', sa.String(length=40), nullable=True),
    sa.Column('vendor_alarm_date', sa.Date(), nullable=True),
    sa.Column('our_alarm_date', sa.Date(), nullable=True),
    sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_reason', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_pump_programs_approved_by_id_users')),
    sa.ForeignKeyConstraint(['based_on_id'], ['pump_programs.id'], name=op.f('fk_pump_programs_based_on_id_pump_programs')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_pump_programs_created_by_id_users')),
    sa.ForeignKeyConstraint(['implant_id'], ['implants.id'], name=op.f('fk_pump_programs_implant_id_implants')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_pump_programs_patient_id_patients')),
    sa.ForeignKeyConstraint(['programmed_by_id'], ['users.id'], name=op.f('fk_pump_programs_programmed_by_id_users')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_pump_programs_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pump_programs')),
    sa.UniqueConstraint('patient_id', 'number', name='uq_pump_programs_patient_number')
    )
    with op.batch_alter_table('pump_programs', schema=None) as batch_op:
        batch_op.create_index('ix_pump_programs_patient_status', ['patient_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_pump_programs_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('pump_programs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pump_programs_status'))
        batch_op.drop_index('ix_pump_programs_patient_status')

    op.drop_table('pump_programs')
    with op.batch_alter_table('implants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_implants_patient_id'))

    op.drop_table('implants')
