"""Care plans and visits: care tags and levels (code lists), residents' care, and visits.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "care_tag",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(20), nullable=False),
        sa.UniqueConstraint("code", name=op.f("uq_care_tag_code")),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
        sa.Column("sensitive", sa.Boolean, nullable=False),
    )
    op.create_table(
        "care_level",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(20), nullable=False),
        sa.UniqueConstraint("code", name=op.f("uq_care_level_code")),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
        sa.Column("visit_days", sa.Integer, nullable=False),
        sa.Column("call_days", sa.Integer),
        sa.CheckConstraint("visit_days > 0", name=op.f("ck_care_level_visit_days")),
        sa.CheckConstraint("call_days IS NULL OR call_days > 0", name=op.f("ck_care_level_call_days")),
    )
    op.create_table(
        "resident_care",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("resident_id", sa.Integer, sa.ForeignKey("resident.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("tag_id", sa.Integer, sa.ForeignKey("care_tag.id"), nullable=False),
        sa.Column("level_id", sa.Integer, sa.ForeignKey("care_level.id"), nullable=False),
        sa.Column("since", sa.Date, server_default=sa.func.current_date(), nullable=False),
        sa.UniqueConstraint("resident_id", "tag_id", name=op.f("uq_resident_care_tag")),
    )
    op.create_table(
        "visit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("resident_id", sa.Integer, sa.ForeignKey("resident.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("worker_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False, index=True),
        sa.Column("street_code", sa.String(9), nullable=False, index=True),
        sa.Column("kind", sa.String(5), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finding", sa.Text),
        sa.Column("follow_up", sa.Boolean, nullable=False),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False)),
        sa.Column("far_from_home", sa.Boolean, nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_visit_idempotency_key")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("kind IN ('home', 'phone', 'video')", name=op.f("ck_visit_kind")),
        sa.CheckConstraint("char_length(finding) <= 2000", name=op.f("ck_visit_finding_length")),
    )
    # The due list reads each resident's last visit.
    op.create_index("ix_visit_resident_at", "visit", ["resident_id", "at"])


def downgrade():
    op.drop_table("visit")
    op.drop_table("resident_care")
    op.drop_table("care_level")
    op.drop_table("care_tag")
