"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 17:43:09.295046
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import store.types
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    
    op.create_table('accounts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('domain', sa.String(length=255), nullable=True),
    sa.Column('industry', sa.String(length=128), nullable=True),
    sa.Column('crm_owner_id', sa.String(length=64), nullable=True),
    sa.Column('arr', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), server_default='USD', nullable=False),
    sa.Column('contract_start', sa.Date(), nullable=True),
    sa.Column('renewal_date', sa.Date(), nullable=True),
    sa.Column('lifecycle_stage', sa.String(length=32), nullable=True),
    sa.Column('extra', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('crm_id', sa.String(length=64), nullable=False),
    sa.Column('crm_modified_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_deleted', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('synced_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('source', 'crm_id', name=op.f('uq_accounts_source_crm_id'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_crm_owner_id'), ['crm_owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_renewal_date'), ['renewal_date'], unique=False)

    op.create_table('channel_routes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('tier', sa.String(length=16), nullable=True),
    sa.Column('play_id', sa.String(length=64), nullable=True),
    sa.Column('csm_slack_id', sa.String(length=32), nullable=True),
    sa.Column('channel_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_routes'))
    )
    op.create_table('slack_users',
    sa.Column('slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('manager_slack_id', sa.String(length=32), nullable=True),
    sa.Column('crm_owner_id', sa.String(length=64), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('digest_mode', sa.String(length=16), nullable=False),
    sa.Column('active_hours', sa.String(length=16), nullable=True),
    sa.Column('home_channel_id', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('slack_user_id', name=op.f('pk_slack_users'))
    )
    with op.batch_alter_table('slack_users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slack_users_crm_owner_id'), ['crm_owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_slack_users_email'), ['email'], unique=False)

    op.create_table('sync_runs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('records_read', sa.Integer(), nullable=False),
    sa.Column('records_upserted', sa.Integer(), nullable=False),
    sa.Column('records_deleted', sa.Integer(), nullable=False),
    sa.Column('records_rejected', sa.Integer(), nullable=False),
    sa.Column('requests_made', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sync_runs'))
    )
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.create_index('ix_sync_runs_source_started', ['source', 'started_at'], unique=False)

    op.create_table('sync_state',
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('cursor', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('updated_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', 'stream', name=op.f('pk_sync_state'))
    )
    op.create_table('alerts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('fingerprint', sa.String(length=128), nullable=False),
    sa.Column('play_id', sa.String(length=64), nullable=False),
    sa.Column('play_version', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('owner_slack_id', sa.String(length=32), nullable=True),
    sa.Column('channel_id', sa.String(length=32), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('fired_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('snoozed_until', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_alerts_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_account_play', ['account_id', 'play_id'], unique=False)
        batch_op.create_index('ix_alerts_state_due', ['state', 'due_at'], unique=False)
        batch_op.create_index('uq_alerts_open_fingerprint', ['fingerprint'], unique=True, sqlite_where=sa.text("state IN ('firing', 'claimed', 'snoozed')"), postgresql_where=sa.text("state IN ('firing', 'claimed', 'snoozed')"))

    op.create_table('contacts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=True),
    sa.Column('first_name', sa.String(length=128), nullable=True),
    sa.Column('last_name', sa.String(length=128), nullable=True),
    sa.Column('email', sa.String(length=255), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=True),
    sa.Column('left_company_at', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('crm_id', sa.String(length=64), nullable=False),
    sa.Column('crm_modified_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_deleted', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('synced_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_contacts_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    sa.UniqueConstraint('source', 'crm_id', name=op.f('uq_contacts_source_crm_id'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_email'), ['email'], unique=False)

    op.create_table('contracts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('arr', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), server_default='USD', nullable=False),
    sa.Column('status', sa.String(length=16), server_default='active', nullable=False),
    sa.Column('ingested_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_contracts_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
    sa.UniqueConstraint('external_id', name=op.f('uq_contracts_external_id'))
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_account_id'), ['account_id'], unique=False)

    op.create_table('csm_assignments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('slack_user_id', sa.String(length=32), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('assigned_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_csm_assignments_account_id_accounts')),
    sa.ForeignKeyConstraint(['slack_user_id'], ['slack_users.slack_user_id'], name=op.f('fk_csm_assignments_slack_user_id_slack_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_csm_assignments')),
    sa.UniqueConstraint('account_id', 'role', name=op.f('uq_csm_assignments_account_id_role'))
    )
    with op.batch_alter_table('csm_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_csm_assignments_slack_user_id'), ['slack_user_id'], unique=False)

    op.create_table('deals',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('stage', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('close_date', sa.Date(), nullable=True),
    sa.Column('is_closed', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('is_won', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('crm_id', sa.String(length=64), nullable=False),
    sa.Column('crm_modified_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_deleted', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('synced_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_deals_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deals')),
    sa.UniqueConstraint('source', 'crm_id', name=op.f('uq_deals_source_crm_id'))
    )
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deals_account_id'), ['account_id'], unique=False)

    op.create_table('experiment_arms',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('experiment_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('arm', sa.String(length=32), nullable=False),
    sa.Column('assigned_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_experiment_arms_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experiment_arms')),
    sa.UniqueConstraint('experiment_id', 'account_id', name=op.f('uq_experiment_arms_experiment_id_account_id'))
    )
    op.create_table('health_snapshots',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('computed_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('band', sa.String(length=16), nullable=False),
    sa.Column('components', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('drivers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_health_snapshots_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_health_snapshots'))
    )
    with op.batch_alter_table('health_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_health_snapshots_account_at', ['account_id', 'computed_at'], unique=False)

    op.create_table('outbox_items',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=False),
    sa.Column('target', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('crm_record_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_outbox_items_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_items')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_outbox_items_idempotency_key'))
    )
    with op.batch_alter_table('outbox_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_items_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_outbox_items_state_next', ['state', 'next_attempt_at'], unique=False)

    op.create_table('usage_daily',
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('active_users', sa.Integer(), nullable=False),
    sa.Column('weekly_active_users', sa.Integer(), nullable=True),
    sa.Column('key_feature_events', sa.Integer(), nullable=False),
    sa.Column('licensed_seats', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_usage_daily_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'day', name=op.f('pk_usage_daily'))
    )
    op.create_table('alert_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('alert_id', sa.String(length=36), nullable=False),
    sa.Column('at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_state', sa.String(length=16), nullable=True),
    sa.Column('to_state', sa.String(length=16), nullable=True),
    sa.Column('via', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_alert_events_alert_id_alerts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_events')),
    sa.UniqueConstraint('request_id', name=op.f('uq_alert_events_request_id'))
    )
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_events_alert_id'), ['alert_id'], unique=False)

    op.create_table('nps_responses',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('contact_id', sa.String(length=36), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('responded_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_nps_responses_account_id_accounts')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_nps_responses_contact_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nps_responses')),
    sa.UniqueConstraint('external_id', name=op.f('uq_nps_responses_external_id'))
    )
    with op.batch_alter_table('nps_responses', schema=None) as batch_op:
        batch_op.create_index('ix_nps_responses_account_at', ['account_id', 'responded_at'], unique=False)

    op.create_table('play_runs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('play_id', sa.String(length=64), nullable=False),
    sa.Column('play_version', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('alert_id', sa.String(length=36), nullable=True),
    sa.Column('arm', sa.String(length=32), nullable=True),
    sa.Column('started_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_play_runs_account_id_accounts')),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_play_runs_alert_id_alerts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_play_runs'))
    )
    with op.batch_alter_table('play_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_play_runs_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_play_runs_play_id'), ['play_id'], unique=False)

    op.create_table('silences',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('alert_id', sa.String(length=36), nullable=True),
    sa.Column('account_id', sa.String(length=36), nullable=True),
    sa.Column('play_id', sa.String(length=64), nullable=True),
    sa.Column('starts_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_silences_account_id_accounts')),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_silences_alert_id_alerts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_silences'))
    )
    with op.batch_alter_table('silences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_silences_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_silences_alert_id'), ['alert_id'], unique=False)

    op.create_table('stakeholder_roles',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('contact_id', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('crm_id', sa.String(length=64), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_stakeholder_roles_account_id_accounts')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_stakeholder_roles_contact_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stakeholder_roles')),
    sa.UniqueConstraint('account_id', 'contact_id', 'role', 'valid_from', name=op.f('uq_stakeholder_roles_account_id_contact_id_role_valid_from'))
    )
    with op.batch_alter_table('stakeholder_roles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stakeholder_roles_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_stakeholder_roles_current', ['account_id', 'role', 'valid_to'], unique=False)

    op.create_table('tickets',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=True),
    sa.Column('contact_id', sa.String(length=36), nullable=True),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=32), nullable=True),
    sa.Column('opened_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('crm_id', sa.String(length=64), nullable=False),
    sa.Column('crm_modified_at', store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('is_deleted', sa.Boolean(), server_default='0', nullable=False),
    sa.Column('synced_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_tickets_account_id_accounts')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_tickets_contact_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tickets')),
    sa.UniqueConstraint('source', 'crm_id', name=op.f('uq_tickets_source_crm_id'))
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_account_opened', ['account_id', 'opened_at'], unique=False)

    op.create_table('outcomes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('alert_id', sa.String(length=36), nullable=True),
    sa.Column('play_run_id', sa.String(length=36), nullable=True),
    sa.Column('play_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('result', sa.String(length=32), nullable=False),
    sa.Column('what_was_done', sa.Text(), nullable=False),
    sa.Column('next_step', sa.Text(), nullable=True),
    sa.Column('next_step_date', sa.Date(), nullable=True),
    sa.Column('logged_by', sa.String(length=64), nullable=False),
    sa.Column('logged_at', store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_outcomes_account_id_accounts')),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_outcomes_alert_id_alerts')),
    sa.ForeignKeyConstraint(['play_run_id'], ['play_runs.id'], name=op.f('fk_outcomes_play_run_id_play_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcomes'))
    )
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcomes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcomes_alert_id'), ['alert_id'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcomes_alert_id'))
        batch_op.drop_index(batch_op.f('ix_outcomes_account_id'))

    op.drop_table('outcomes')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_account_opened')

    op.drop_table('tickets')
    with op.batch_alter_table('stakeholder_roles', schema=None) as batch_op:
        batch_op.drop_index('ix_stakeholder_roles_current')
        batch_op.drop_index(batch_op.f('ix_stakeholder_roles_contact_id'))

    op.drop_table('stakeholder_roles')
    with op.batch_alter_table('silences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_silences_alert_id'))
        batch_op.drop_index(batch_op.f('ix_silences_account_id'))

    op.drop_table('silences')
    with op.batch_alter_table('play_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_play_runs_play_id'))
        batch_op.drop_index(batch_op.f('ix_play_runs_account_id'))

    op.drop_table('play_runs')
    with op.batch_alter_table('nps_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_nps_responses_account_at')

    op.drop_table('nps_responses')
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_events_alert_id'))

    op.drop_table('alert_events')
    op.drop_table('usage_daily')
    with op.batch_alter_table('outbox_items', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_items_state_next')
        batch_op.drop_index(batch_op.f('ix_outbox_items_account_id'))

    op.drop_table('outbox_items')
    with op.batch_alter_table('health_snapshots', schema=None) as batch_op:
        batch_op.drop_index('ix_health_snapshots_account_at')

    op.drop_table('health_snapshots')
    op.drop_table('experiment_arms')
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deals_account_id'))

    op.drop_table('deals')
    with op.batch_alter_table('csm_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_csm_assignments_slack_user_id'))

    op.drop_table('csm_assignments')
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contracts_account_id'))

    op.drop_table('contracts')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_email'))
        batch_op.drop_index(batch_op.f('ix_contacts_account_id'))

    op.drop_table('contacts')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('uq_alerts_open_fingerprint', sqlite_where=sa.text("state IN ('firing', 'claimed', 'snoozed')"), postgresql_where=sa.text("state IN ('firing', 'claimed', 'snoozed')"))
        batch_op.drop_index('ix_alerts_state_due')
        batch_op.drop_index('ix_alerts_account_play')

    op.drop_table('alerts')
    op.drop_table('sync_state')
    with op.batch_alter_table('sync_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_runs_source_started')

    op.drop_table('sync_runs')
    with op.batch_alter_table('slack_users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slack_users_email'))
        batch_op.drop_index(batch_op.f('ix_slack_users_crm_owner_id'))

    op.drop_table('slack_users')
    op.drop_table('channel_routes')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_renewal_date'))
        batch_op.drop_index(batch_op.f('ix_accounts_crm_owner_id'))

    op.drop_table('accounts')
    
