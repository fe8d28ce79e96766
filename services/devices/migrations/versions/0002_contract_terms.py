"""devices: a contract's terms on its coverage period (issue 17)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 19:22:58.909499

Idempotent: a database made before migrations gets every nullable column of the models when
`make migrate` stamps it at 0001 (services/common/migrations.py `upgrade`), this one too.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _has(table, column):
    return column in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade():
    if not _has("coverage_periods", "terms"):
        with op.batch_alter_table('coverage_periods', schema=None) as batch_op:
            batch_op.add_column(sa.Column('terms', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('coverage_periods', schema=None) as batch_op:
        batch_op.drop_column('terms')
