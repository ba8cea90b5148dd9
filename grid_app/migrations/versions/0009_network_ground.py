"""Network edges know whether they lie at ground level (homes attach only there).

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # False on bridges, in tunnels and on other layers: a home does not attach to the deck above it.
    op.add_column("network_edge", sa.Column("ground", sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade():
    op.drop_column("network_edge", "ground")
