"""Planners' measures: facility capacity, the life-circle checklist, the population group per facility type.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("facility", sa.Column("capacity", sa.Integer, nullable=True))
    op.create_check_constraint(op.f("ck_facility_capacity_not_negative"), "facility", "capacity >= 0")
    op.create_table(
        "life_circle_item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("level_minutes", sa.Integer, nullable=False),
        sa.Column("type_id", sa.Integer, sa.ForeignKey("facility_type.id", ondelete="CASCADE",
                                                        name=op.f("fk_life_circle_item_type_id_facility_type")),
                  nullable=False, index=True),
        sa.Column("standard_item", sa.String(100), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("min_share", sa.Numeric(4, 3), nullable=False, server_default="0.9"),
        sa.UniqueConstraint("level_minutes", "type_id", name=op.f("uq_life_circle_item_level_minutes")),
        sa.CheckConstraint("level_minutes IN (5, 10, 15)", name=op.f("ck_life_circle_item_level")),
        sa.CheckConstraint("min_share > 0 AND min_share <= 1", name=op.f("ck_life_circle_item_min_share_range")),
    )
    op.create_table(
        "demand_group",
        sa.Column("type_id", sa.Integer, sa.ForeignKey("facility_type.id", ondelete="CASCADE",
                                                        name=op.f("fk_demand_group_type_id_facility_type")),
                  primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("age_min", sa.Integer, nullable=False),
        sa.Column("age_max", sa.Integer, nullable=True),
        sa.CheckConstraint("age_min >= 0 AND (age_max IS NULL OR age_max >= age_min)",
                           name=op.f("ck_demand_group_age_order")),
    )


def downgrade():
    op.drop_table("demand_group")
    op.drop_table("life_circle_item")
    op.drop_constraint(op.f("ck_facility_capacity_not_negative"), "facility")
    op.drop_column("facility", "capacity")
