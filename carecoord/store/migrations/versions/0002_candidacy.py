"""candidacy: evaluations, oral trials, screens, goals, screening, meetings, decisions

Revision ID: 0002_candidacy
Revises: 0001_foundation
Create Date: 2026-11-24 19:20:49.387944
"""

from alembic import op
import sqlalchemy as sa


revision = '0002_candidacy'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('starts_at', sa.String(length=5), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_meetings_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_held_on'), ['held_on'], unique=False)

    op.create_table('contraindication_screens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('young_age_reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_contraindication_screens_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_contraindication_screens_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contraindication_screens'))
    )
    with op.batch_alter_table('contraindication_screens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contraindication_screens_patient_id'), ['patient_id'], unique=False)

    op.create_table('evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('discipline', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('amends_id', sa.Integer(), nullable=True),
    sa.Column('amendment_reason', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('signed_by_id', sa.Integer(), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['amends_id'], ['evaluations.id'], name=op.f('fk_evaluations_amends_id_evaluations')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_evaluations_author_id_users')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_evaluations_patient_id_patients')),
    sa.ForeignKeyConstraint(['signed_by_id'], ['users.id'], name=op.f('fk_evaluations_signed_by_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_evaluations_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluations'))
    )
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluations_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_evaluations_status_discipline', ['status', 'discipline'], unique=False)

    op.create_table('goals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('weight', sa.String(length=40), nullable=False),
    sa.Column('gas_score', sa.Integer(), nullable=True),
    sa.Column('scored_on', sa.Date(), nullable=True),
    sa.Column('scored_by_id', sa.Integer(), nullable=True),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('retired_reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_goals_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_goals_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['scored_by_id'], ['users.id'], name=op.f('fk_goals_scored_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goals'))
    )
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goals_patient_id'), ['patient_id'], unique=False)

    op.create_table('meeting_attendance',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('discipline', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_attendance_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_meeting_attendance_user_id_users')),
    sa.PrimaryKeyConstraint('meeting_id', 'user_id', name=op.f('pk_meeting_attendance'))
    )
    op.create_table('oral_trials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('agent', sa.String(length=32), nullable=False),
    sa.Column('other_agent_name', sa.String(length=200), nullable=False),
    sa.Column('highest_daily_dose_mg', sa.String(length=40), nullable=False),
    sa.Column('duration_days', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('side_effects', sa.Text(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('retired_reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_oral_trials_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_oral_trials_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oral_trials'))
    )
    with op.batch_alter_table('oral_trials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oral_trials_patient_id'), ['patient_id'], unique=False)

    op.create_table('screening_trials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('route', sa.String(length=32), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dose_mcg', sa.String(length=40), nullable=True),
    sa.Column('dose_mcg_per_day', sa.String(length=40), nullable=True),
    sa.Column('duration_hours', sa.String(length=40), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('retired', sa.Boolean(), nullable=False),
    sa.Column('retired_reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_screening_trials_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_screening_trials_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_trials'))
    )
    with op.batch_alter_table('screening_trials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_trials_patient_id'), ['patient_id'], unique=False)

    op.create_table('team_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('defer_until', sa.Date(), nullable=True),
    sa.Column('present', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_team_decisions_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_team_decisions_patient_id_patients')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_team_decisions_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_decisions'))
    )
    with op.batch_alter_table('team_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_decisions_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_team_decisions_patient_id'), ['patient_id'], unique=False)

    op.create_table('meeting_agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['decision_id'], ['team_decisions.id'], name=op.f('fk_meeting_agenda_items_decision_id_team_decisions')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_agenda_items_meeting_id_meetings')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_meeting_agenda_items_patient_id_patients')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_agenda_items')),
    sa.UniqueConstraint('meeting_id', 'patient_id', name='uq_agenda_meeting_patient')
    )
    with op.batch_alter_table('meeting_agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meeting_agenda_items_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meeting_agenda_items_patient_id'), ['patient_id'], unique=False)

    op.create_table('screening_adverse_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_screening_adverse_events_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['trial_id'], ['screening_trials.id'], name=op.f('fk_screening_adverse_events_trial_id_screening_trials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_adverse_events'))
    )
    with op.batch_alter_table('screening_adverse_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_adverse_events_trial_id'), ['trial_id'], unique=False)

    op.create_table('screening_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trial_id', sa.Integer(), nullable=False),
    sa.Column('is_baseline', sa.Boolean(), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('mas', sa.Text(), nullable=True),
    sa.Column('vitals', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_screening_assessments_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['trial_id'], ['screening_trials.id'], name=op.f('fk_screening_assessments_trial_id_screening_trials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screening_assessments'))
    )
    with op.batch_alter_table('screening_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screening_assessments_trial_id'), ['trial_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('screening_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_assessments_trial_id'))

    op.drop_table('screening_assessments')
    with op.batch_alter_table('screening_adverse_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_adverse_events_trial_id'))

    op.drop_table('screening_adverse_events')
    with op.batch_alter_table('meeting_agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meeting_agenda_items_patient_id'))
        batch_op.drop_index(batch_op.f('ix_meeting_agenda_items_meeting_id'))

    op.drop_table('meeting_agenda_items')
    with op.batch_alter_table('team_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_decisions_patient_id'))
        batch_op.drop_index(batch_op.f('ix_team_decisions_meeting_id'))

    op.drop_table('team_decisions')
    with op.batch_alter_table('screening_trials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screening_trials_patient_id'))

    op.drop_table('screening_trials')
    with op.batch_alter_table('oral_trials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oral_trials_patient_id'))

    op.drop_table('oral_trials')
    op.drop_table('meeting_attendance')
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goals_patient_id'))

    op.drop_table('goals')
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.drop_index('ix_evaluations_status_discipline')
        batch_op.drop_index(batch_op.f('ix_evaluations_patient_id'))

    op.drop_table('evaluations')
    with op.batch_alter_table('contraindication_screens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contraindication_screens_patient_id'))

    op.drop_table('contraindication_screens')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_held_on'))

    op.drop_table('meetings')
