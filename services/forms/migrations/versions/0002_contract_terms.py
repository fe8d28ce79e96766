"""forms: a contract's terms and service-level due times on a form (issue 17)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 19:22:59.071723

Idempotent: a database made before migrations gets every nullable column of the models when
`make migrate` stamps it at 0001 (services/common/migrations.py `upgrade`), these too.
"""
from alembic import op
import sqlalchemy as sa

import services.common.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

COLUMNS = (
    ('coverage_terms', sa.Text()),
    ('response_due_at', services.common.models.UTCDateTime(timezone=True)),
    ('repair_due_at', services.common.models.UTCDateTime(timezone=True)),
)


def upgrade():
    present = {c["name"] for c in sa.inspect(op.get_bind()).get_columns('forms')}
    missing = [(name, kind) for name, kind in COLUMNS if name not in present]
    if missing:
        with op.batch_alter_table('forms', schema=None) as batch_op:
            for name, kind in missing:
                batch_op.add_column(sa.Column(name, kind, nullable=True))


def downgrade():
    with op.batch_alter_table('forms', schema=None) as batch_op:
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
