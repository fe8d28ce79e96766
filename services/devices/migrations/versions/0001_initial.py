"""devices: the schema as it was before migrations

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 19:03:31.394840

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
    op.create_table('customers',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_folded', sa.String(length=200), nullable=False),
    sa.Column('name_sort', sa.Text().with_variant(sa.Text(collation='C'), 'postgresql'), nullable=False),
    sa.Column('tax_no', sa.String(length=20), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('district', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('rep_user_id', sa.Integer(), nullable=True),
    sa.Column('rep_name', sa.String(length=200), nullable=True),
    sa.Column('rep_email', sa.String(length=254), nullable=True),
    sa.Column('rep_language', sa.String(length=2), nullable=False),
    sa.Column('report_frequency', sa.String(length=10), server_default=sa.text("'none'"), nullable=False),
    sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False),
    sa.Column('created_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customers_name_folded'), ['name_folded'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_name_sort'), ['name_sort'], unique=False)
        batch_op.create_index(batch_op.f('ix_customers_tax_no'), ['tax_no'], unique=False)

    op.create_table('device_types',
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name_tr', sa.String(length=100), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('import_jobs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=True),
    sa.Column('keys', sa.Text(), nullable=False),
    sa.Column('ignored_columns', sa.Text(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('unchanged', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('by_name', sa.String(length=200), nullable=True),
    sa.Column('created_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('customer_contacts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_contacts_customer_id'), ['customer_id'], unique=False)

    op.create_table('customer_sites',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('customer_sites', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_sites_customer_id'), ['customer_id'], unique=False)

    op.create_table('import_rows',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('row_no', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('values', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('errors', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'], ),
    sa.PrimaryKeyConstraint('job_id', 'row_no')
    )
    op.create_table('devices',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=True),
    sa.Column('brand', sa.String(length=100), nullable=False),
    sa.Column('brand_key', sa.String(length=100).with_variant(sa.String(length=100, collation='C'), 'postgresql'), nullable=False),
    sa.Column('serial', sa.String(length=100), nullable=False),
    sa.Column('serial_key', sa.String(length=100).with_variant(sa.String(length=100, collation='C'), 'postgresql'), nullable=False),
    sa.Column('model', sa.String(length=100), nullable=True),
    sa.Column('model_key', sa.String(length=100).with_variant(sa.String(length=100, collation='C'), 'postgresql'), nullable=True),
    sa.Column('device_type', sa.String(length=40), nullable=True),
    sa.Column('price', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('purchase_date', sa.Date(), nullable=True),
    sa.Column('vendor', sa.String(length=100), nullable=True),
    sa.Column('insured', sa.Boolean(), nullable=False),
    sa.Column('insurer', sa.String(length=100), nullable=True),
    sa.Column('policy_no', sa.String(length=100), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('warranty_end', sa.Date(), nullable=True),
    sa.Column('contract_end', sa.Date(), nullable=True),
    sa.Column('repair_warranty_end', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['customer_sites.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('brand_key', 'serial_key', name='uq_device_brand_serial')
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index('ix_devices_contract_end', ['contract_end', 'id'], unique=False)
        batch_op.create_index('ix_devices_customer', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_devices_model', ['brand_key', 'model_key', 'customer_id'], unique=False)
        batch_op.create_index('ix_devices_repair_warranty_end', ['repair_warranty_end', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_devices_serial_key'), ['serial_key'], unique=False)
        batch_op.create_index('ix_devices_warranty_end', ['warranty_end', 'id'], unique=False)

    op.create_table('coverage_periods',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=True),
    sa.Column('source_ref', sa.String(length=40), nullable=True),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('created_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('coverage_periods', schema=None) as batch_op:
        batch_op.create_index('ix_coverage_device', ['device_id', 'kind'], unique=False)
        batch_op.create_index('ix_coverage_source', ['kind', 'source_id'], unique=False)

    op.create_table('device_history',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('by_name', sa.String(length=200), nullable=True),
    sa.Column('at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('device_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_history_device_id'), ['device_id'], unique=False)



def downgrade():
    with op.batch_alter_table('device_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_history_device_id'))

    op.drop_table('device_history')
    with op.batch_alter_table('coverage_periods', schema=None) as batch_op:
        batch_op.drop_index('ix_coverage_source')
        batch_op.drop_index('ix_coverage_device')

    op.drop_table('coverage_periods')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index('ix_devices_warranty_end')
        batch_op.drop_index(batch_op.f('ix_devices_serial_key'))
        batch_op.drop_index('ix_devices_repair_warranty_end')
        batch_op.drop_index('ix_devices_model')
        batch_op.drop_index('ix_devices_customer')
        batch_op.drop_index('ix_devices_contract_end')

    op.drop_table('devices')
    op.drop_table('import_rows')
    with op.batch_alter_table('customer_sites', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_sites_customer_id'))

    op.drop_table('customer_sites')
    with op.batch_alter_table('customer_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_contacts_customer_id'))

    op.drop_table('customer_contacts')
    op.drop_table('import_jobs')
    op.drop_table('device_types')
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customers_tax_no'))
        batch_op.drop_index(batch_op.f('ix_customers_name_sort'))
        batch_op.drop_index(batch_op.f('ix_customers_name_folded'))

    op.drop_table('customers')
    op.drop_table('processed_events')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))

    op.drop_table('outbox')
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dead_letters_event_id'))

    op.drop_table('dead_letters')
