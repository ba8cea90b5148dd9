"""Low-zoom vector tiles rendered ahead of the first request, under the digest of what shaped them.

Revision ID: 0024
Revises: 0023

A city's z12 tile holds 16k buildings and takes 30-60 ms to render however it is written; a tile server
renders such overviews ahead. The coverage job renders the crowded unscoped ones (maps/tile_seed.py)
after each pass; a key holds the data's version, so a tile of older data is never served.
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tile_seed",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_tile_seed")),
    )


def downgrade():
    op.drop_table("tile_seed")
