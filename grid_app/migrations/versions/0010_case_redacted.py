"""When an administrator redacted a case's text (its event notes are then shown redacted too).

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("case_record", sa.Column("redacted_at", sa.DateTime(timezone=True)))


def downgrade():
    op.drop_column("case_record", "redacted_at")
