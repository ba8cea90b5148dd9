"""The household register: households (flats) and residents, ID number and phone only encrypted.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "household",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("building_id", sa.Integer, sa.ForeignKey("building.id"), nullable=False, index=True),
        sa.Column("street_code", sa.String(9), nullable=False, index=True),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("floor", sa.Integer),
        sa.Column("room", sa.String(20), nullable=False),
        sa.UniqueConstraint("building_id", "unit", "room", name=op.f("uq_household_flat")),
    )
    op.create_table(
        "resident",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("household_id", sa.Integer, sa.ForeignKey("household.id"), nullable=False, index=True),
        sa.Column("street_code", sa.String(9), nullable=False, index=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("id_cipher", sa.Text, nullable=False),
        sa.Column("id_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("id_hash", name=op.f("uq_resident_id_hash")),
        sa.Column("phone_cipher", sa.Text),
        sa.Column("phone_hash", sa.String(64), index=True),
        sa.Column("relation", sa.String(20)),
        sa.Column("residence_type", sa.String(2), nullable=False),
        sa.Column("moved_in", sa.Date),
        sa.Column("moved_out", sa.Date),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("sex IN ('男', '女')", name=op.f("ck_resident_sex")),
        sa.CheckConstraint("residence_type IN ('户籍', '常住', '流动')", name=op.f("ck_resident_residence_type")),
        sa.CheckConstraint("moved_out IS NULL OR moved_in IS NULL OR moved_out >= moved_in", name=op.f("ck_resident_moved_order")),
    )


def downgrade():
    op.drop_table("resident")
    op.drop_table("household")
