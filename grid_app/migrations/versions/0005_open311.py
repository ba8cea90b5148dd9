"""Open311 API keys and the Open311 side of public requests (media_url, attributes)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('open311_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('key_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_key')),
    sa.UniqueConstraint('key_sha256', name=op.f('uq_open311_key_key_sha256')),
    sa.UniqueConstraint('name', name=op.f('uq_open311_key_name'))
    )
    op.create_table('open311_request',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('media_url', sa.String(length=500), nullable=True),
    sa.Column('attributes', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_record.id'], name=op.f('fk_open311_request_case_id_case_record'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['key_id'], ['open311_key.id'], name=op.f('fk_open311_request_key_id_open311_key')),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_open311_request'))
    )
    with op.batch_alter_table('open311_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_open311_request_key_id'), ['key_id'], unique=False)


def downgrade():
    with op.batch_alter_table('open311_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_open311_request_key_id'))

    op.drop_table('open311_request')
    op.drop_table('open311_key')
