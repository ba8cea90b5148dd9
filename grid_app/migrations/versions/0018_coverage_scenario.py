"""Saved coverage scenarios (方案模拟): name, author, community, facility type, the change set.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "coverage_scenario",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("app_user.id", ondelete="SET NULL"), index=True),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("community.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("facility_type_id", sa.Integer, sa.ForeignKey("facility_type.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("changes", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade():
    op.drop_table("coverage_scenario")
