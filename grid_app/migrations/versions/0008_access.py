"""Access: server-side login sessions, cases marked public or hidden.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("sid_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
    )
    # Public: filed through a public channel, or published by a secretary; only these leave via Open311.
    op.add_column("case_record", sa.Column("published", sa.Boolean, nullable=False, server_default=sa.false()))
    # Hidden by an administrator (e.g. unlawful content): out of every listing, kept for the audit trail.
    op.add_column("case_record", sa.Column("hidden_at", sa.DateTime(timezone=True)))


def downgrade():
    op.drop_column("case_record", "hidden_at")
    op.drop_column("case_record", "published")
    op.drop_table("user_session")
