"""forms: the schema as it was before migrations

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 19:03:31.947704

The first migration is the schema every database had when migrations began (tables were
created at start then); a database made before then is stamped here by `make migrate`.
"""
from alembic import op
import sqlalchemy as sa

import services.common.models


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dead_letters',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('handler', sa.String(length=128), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dead_letters_event_id'), ['event_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=32), nullable=True),
    sa.Column('claimed_until', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_sent_at'), ['sent_at'], unique=False)

    op.create_table('processed_events',
    sa.Column('handler', sa.String(length=128), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('processed_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('handler', 'event_id')
    )
    op.create_table('customer_copies',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('report_frequency', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('next_report_on', sa.Date(), nullable=True),
    sa.Column('claimed_by', sa.String(length=32), nullable=True),
    sa.Column('claimed_until', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_copies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_copies_next_report_on'), ['next_report_on'], unique=False)

    op.create_table('document_templates',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_by_name', sa.String(length=200), nullable=True),
    sa.Column('created_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kind', 'version', name='uq_document_templates_version')
    )
    op.create_table('documents',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('subject', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('occasion', sa.String(length=80), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('data', sa.Text(), nullable=True),
    sa.Column('template_version', sa.String(length=40), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('storage_key', sa.String(length=200), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_name', sa.String(length=200), nullable=True),
    sa.Column('requested_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_at', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('claimed_by', sa.String(length=32), nullable=True),
    sa.Column('claimed_until', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('subject', 'subject_id', 'kind', 'occasion', name='uq_documents_occasion')
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index('ix_documents_status', ['status'], unique=False)
        batch_op.create_index('ix_documents_subject', ['subject', 'subject_id', 'id'], unique=False)

    op.create_table('fault_types',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_tr', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('forms',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('status_rank', sa.Integer(), nullable=False),
    sa.Column('sub_status', sa.String(length=40), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('customer_name', sa.String(length=200), nullable=False),
    sa.Column('customer_name_sort', sa.Text().with_variant(sa.Text(collation='C'), 'postgresql'), nullable=False),
    sa.Column('customer_email', sa.String(length=254), nullable=True),
    sa.Column('customer_language', sa.String(length=2), nullable=False),
    sa.Column('customer_version', sa.Integer(), nullable=True),
    sa.Column('rep_user_id', sa.Integer(), nullable=True),
    sa.Column('rep_name', sa.String(length=200), nullable=True),
    sa.Column('rep_email', sa.String(length=254), nullable=True),
    sa.Column('rep_language', sa.String(length=2), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('device_brand', sa.String(length=100), nullable=False),
    sa.Column('device_model', sa.String(length=100), nullable=True),
    sa.Column('device_type', sa.String(length=100), nullable=True),
    sa.Column('device_type_key', sa.String(length=100).with_variant(sa.String(length=100, collation='C'), 'postgresql'), nullable=False),
    sa.Column('device_serial', sa.String(length=100), nullable=False),
    sa.Column('device_type_names', sa.Text(), nullable=True),
    sa.Column('device_insured', sa.Boolean(), nullable=True),
    sa.Column('device_insurer', sa.String(length=100), nullable=True),
    sa.Column('device_policy_no', sa.String(length=100), nullable=True),
    sa.Column('accessories', sa.Text(), nullable=True),
    sa.Column('condition', sa.Text(), nullable=True),
    sa.Column('promised_delivery_date', sa.Date(), nullable=True),
    sa.Column('coverage_kind', sa.String(length=30), nullable=True),
    sa.Column('coverage_end', sa.Date(), nullable=True),
    sa.Column('coverage_source_id', sa.Integer(), nullable=True),
    sa.Column('coverage_reason', sa.Text(), nullable=True),
    sa.Column('complaint', sa.Text(), nullable=False),
    sa.Column('complaint_folded', sa.Text(), nullable=False),
    sa.Column('complaint_terms', sa.Text(), nullable=True),
    sa.Column('fault_type', sa.String(length=40), nullable=True),
    sa.Column('fault_type_key', sa.String(length=40).with_variant(sa.String(length=40, collation='C'), 'postgresql'), nullable=False),
    sa.Column('diagnosis', sa.Text(), nullable=True),
    sa.Column('work_done', sa.Text(), nullable=True),
    sa.Column('service_fee', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('discount_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('discount_percent', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('labour_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('parts_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('fee_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('gross_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('covered_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('subtotal', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('discount_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('vat_total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('work_minutes', sa.Integer(), nullable=False),
    sa.Column('repair_warranty_months', sa.Integer(), nullable=True),
    sa.Column('unrepaired', sa.Boolean(), nullable=True),
    sa.Column('repair_warranty_start', sa.Date(), nullable=True),
    sa.Column('repair_warranty_end', sa.Date(), nullable=True),
    sa.Column('delivered_at', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_on', sa.Date(), nullable=True),
    sa.Column('delivered_month', sa.String(length=7), nullable=True),
    sa.Column('closed_at', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('survey_status', sa.String(length=20), nullable=True),
    sa.Column('survey_score', sa.Integer(), nullable=True),
    sa.Column('survey_at', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('survey_by_name', sa.String(length=200), nullable=True),
    sa.Column('opened_by_id', sa.Integer(), nullable=True),
    sa.Column('opened_by_name', sa.String(length=200), nullable=True),
    sa.Column('created_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('forms', schema=None) as batch_op:
        batch_op.create_index('ix_forms_closed', ['closed_at', 'id'], unique=False)
        batch_op.create_index('ix_forms_created', ['created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forms_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_forms_customer_sort', ['customer_name_sort', 'id'], unique=False)
        batch_op.create_index('ix_forms_delivered', ['delivered_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forms_device_id'), ['device_id'], unique=False)
        batch_op.create_index('ix_forms_device_type_sort', ['device_type_key', 'id'], unique=False)
        batch_op.create_index('ix_forms_fault_type_sort', ['fault_type_key', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forms_rep_user_id'), ['rep_user_id'], unique=False)
        batch_op.create_index('ix_forms_revenue', ['delivered_on', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_forms_status'), ['status'], unique=False)
        batch_op.create_index('ix_forms_status_sort', ['status_rank', 'id'], unique=False)

    op.create_table('number_sequences',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('sub_statuses',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('name_tr', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('survey_questions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('text_tr', sa.String(length=500), nullable=False),
    sa.Column('text_en', sa.String(length=500), nullable=False),
    sa.Column('weight', sa.Numeric(precision=6, scale=2), nullable=False),
    sa.Column('scale_min', sa.Integer(), nullable=False),
    sa.Column('scale_max', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('assignments',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('role', sa.String(length=30), nullable=True),
    sa.Column('assigned_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['forms.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('form_id', 'user_id', name='uq_assignment')
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_user', ['user_id', 'form_id'], unique=False)

    op.create_table('form_history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=30), nullable=True),
    sa.Column('to_status', sa.String(length=30), nullable=True),
    sa.Column('changes', sa.Text(), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('by_name', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['forms.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('form_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_history_form_id'), ['form_id'], unique=False)

    op.create_table('part_lines',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Numeric(precision=12, scale=3), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['forms.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('part_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_part_lines_form_id'), ['form_id'], unique=False)

    op.create_table('price_approvals',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('estimate', sa.Text(), nullable=False),
    sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('customer_email', sa.String(length=254), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_by_name', sa.String(length=200), nullable=True),
    sa.Column('sent_by_email', sa.String(length=254), nullable=True),
    sa.Column('sent_by_language', sa.String(length=2), nullable=False),
    sa.Column('sent_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('voided_at', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sa.String(length=20), nullable=True),
    sa.Column('decision', sa.String(length=10), nullable=True),
    sa.Column('decided_at', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_via', sa.String(length=10), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.Column('decided_ip', sa.String(length=64), nullable=True),
    sa.Column('decided_user_agent', sa.String(length=500), nullable=True),
    sa.Column('decided_by_name', sa.String(length=200), nullable=True),
    sa.Column('taken_by_name', sa.String(length=200), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_name', sa.String(length=200), nullable=True),
    sa.Column('recorded_at', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['form_id'], ['forms.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('form_id', 'version', name='uq_price_approval_version'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('price_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_approvals_form_id'), ['form_id'], unique=False)

    op.create_table('survey_answers',
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['form_id'], ['forms.id'], ),
    sa.ForeignKeyConstraint(['question_id'], ['survey_questions.id'], ),
    sa.PrimaryKeyConstraint('form_id', 'question_id')
    )
    op.create_table('tracking_tokens',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('created_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['form_id'], ['forms.id'], ),
    sa.PrimaryKeyConstraint('token')
    )
    with op.batch_alter_table('tracking_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracking_tokens_form_id'), ['form_id'], unique=False)

    op.create_table('work_logs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('user_name', sa.String(length=200), nullable=True),
    sa.Column('role', sa.String(length=30), nullable=True),
    sa.Column('started_at', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('running', sa.Boolean(), nullable=False),
    sa.Column('hourly_rate', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['form_id'], ['forms.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('work_logs', schema=None) as batch_op:
        batch_op.create_index('ix_work_logs_form_user', ['form_id', 'user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('work_logs', schema=None) as batch_op:
        batch_op.drop_index('ix_work_logs_form_user')

    op.drop_table('work_logs')
    with op.batch_alter_table('tracking_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracking_tokens_form_id'))

    op.drop_table('tracking_tokens')
    op.drop_table('survey_answers')
    with op.batch_alter_table('price_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_approvals_form_id'))

    op.drop_table('price_approvals')
    with op.batch_alter_table('part_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_part_lines_form_id'))

    op.drop_table('part_lines')
    with op.batch_alter_table('form_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_history_form_id'))

    op.drop_table('form_history')
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_assignments_user')

    op.drop_table('assignments')
    op.drop_table('survey_questions')
    op.drop_table('sub_statuses')
    op.drop_table('number_sequences')
    with op.batch_alter_table('forms', schema=None) as batch_op:
        batch_op.drop_index('ix_forms_status_sort')
        batch_op.drop_index(batch_op.f('ix_forms_status'))
        batch_op.drop_index('ix_forms_revenue')
        batch_op.drop_index(batch_op.f('ix_forms_rep_user_id'))
        batch_op.drop_index('ix_forms_fault_type_sort')
        batch_op.drop_index('ix_forms_device_type_sort')
        batch_op.drop_index(batch_op.f('ix_forms_device_id'))
        batch_op.drop_index('ix_forms_delivered')
        batch_op.drop_index('ix_forms_customer_sort')
        batch_op.drop_index(batch_op.f('ix_forms_customer_id'))
        batch_op.drop_index('ix_forms_created')
        batch_op.drop_index('ix_forms_closed')

    op.drop_table('forms')
    op.drop_table('fault_types')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index('ix_documents_subject')
        batch_op.drop_index('ix_documents_status')

    op.drop_table('documents')
    op.drop_table('document_templates')
    with op.batch_alter_table('customer_copies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_copies_next_report_on'))

    op.drop_table('customer_copies')
    op.drop_table('processed_events')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))

    op.drop_table('outbox')
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dead_letters_event_id'))

    op.drop_table('dead_letters')
