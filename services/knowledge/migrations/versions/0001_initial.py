"""knowledge: the schema as it was before migrations

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 19:03:32.220539

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
    op.create_table('articles',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('family', sa.String(length=6), nullable=False),
    sa.Column('area', sa.String(length=6), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('title_sort', sa.Text(), nullable=False),
    sa.Column('symptoms', sa.Text(), nullable=True),
    sa.Column('cause', sa.Text(), nullable=True),
    sa.Column('solution_steps', sa.JSON(), nullable=False),
    sa.Column('device_types', sa.JSON(), nullable=False),
    sa.Column('models', sa.JSON(), nullable=False),
    sa.Column('fault_codes', sa.JSON(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('author_name', sa.String(length=200), nullable=True),
    sa.Column('solved_count', sa.Integer(), nullable=False),
    sa.Column('created_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', services.common.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_articles_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_articles_title_sort'), ['title_sort'], unique=False)
        batch_op.create_index(batch_op.f('ix_articles_updated_at'), ['updated_at'], unique=False)

    op.create_table('code_sequences',
    sa.Column('family', sa.String(length=6), nullable=False),
    sa.Column('area', sa.String(length=6), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('family', 'area')
    )
    op.create_table('index_queue',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('article_revisions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('by_name', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('article_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_article_revisions_article_id'), ['article_id'], unique=False)

    op.create_table('solution_links',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('form_number', sa.String(length=20), nullable=True),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('by_name', sa.String(length=200), nullable=True),
    sa.Column('at', services.common.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('article_id', 'form_id', name='uq_solution_link')
    )
    with op.batch_alter_table('solution_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_solution_links_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_solution_links_form_id'), ['form_id'], unique=False)



def downgrade():
    with op.batch_alter_table('solution_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_solution_links_form_id'))
        batch_op.drop_index(batch_op.f('ix_solution_links_article_id'))

    op.drop_table('solution_links')
    with op.batch_alter_table('article_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_article_revisions_article_id'))

    op.drop_table('article_revisions')
    op.drop_table('index_queue')
    op.drop_table('code_sequences')
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_articles_updated_at'))
        batch_op.drop_index(batch_op.f('ix_articles_title_sort'))
        batch_op.drop_index(batch_op.f('ix_articles_status'))

    op.drop_table('articles')
    op.drop_table('processed_events')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_sent_at'))

    op.drop_table('outbox')
    with op.batch_alter_table('dead_letters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dead_letters_event_id'))

    op.drop_table('dead_letters')
