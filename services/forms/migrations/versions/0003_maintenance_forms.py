"""forms: a maintenance form's (visit, attempt), one form each (issue 18)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 22:40:00

Idempotent: a database made before migrations gets every nullable column of the models when
`make migrate` stamps it (services/common/migrations.py `upgrade`), these too; the unique
constraint is made here when it is missing.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

COLUMNS = (
    ('maintenance_visit_id', sa.Integer()),
    ('maintenance_attempt', sa.Integer()),
)
UNIQUE = 'uq_forms_maintenance'


def upgrade():
    inspector = sa.inspect(op.get_bind())
    present = {c["name"] for c in inspector.get_columns('forms')}
    missing = [(name, kind) for name, kind in COLUMNS if name not in present]
    has_unique = any(u["name"] == UNIQUE for u in inspector.get_unique_constraints('forms'))
    if missing or not has_unique:
        with op.batch_alter_table('forms', schema=None) as batch_op:
            for name, kind in missing:
                batch_op.add_column(sa.Column(name, kind, nullable=True))
            if not has_unique:
                batch_op.create_unique_constraint(
                    UNIQUE, ['maintenance_visit_id', 'maintenance_attempt'])


def downgrade():
    with op.batch_alter_table('forms', schema=None) as batch_op:
        batch_op.drop_constraint(UNIQUE, type_='unique')
        for name, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
