"""forms: the create_form call that opened a form, one form per call (issue 23)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 02:10:00

A create_form delivered again by the broker (the connection it was taken on lost before the
ack, e.g. a RabbitMQ node lost) finds the form its call opened instead of opening a second
one (services/forms/service.py). Idempotent like 0003: a database stamped from before
migrations may have the column already; the unique index is made when it is missing.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

INDEX = 'uq_forms_opening_call'


def upgrade():
    inspector = sa.inspect(op.get_bind())
    if 'opening_call' not in {c["name"] for c in inspector.get_columns('forms')}:
        op.add_column('forms', sa.Column('opening_call', sa.String(length=64), nullable=True))
    if INDEX not in {i["name"] for i in inspector.get_indexes('forms')}:
        op.create_index(INDEX, 'forms', ['opening_call'], unique=True)


def downgrade():
    op.drop_index(INDEX, table_name='forms')
    with op.batch_alter_table('forms', schema=None) as batch_op:
        batch_op.drop_column('opening_call')
