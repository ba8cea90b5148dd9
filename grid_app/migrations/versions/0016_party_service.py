"""Party members' service: posts and claims, activities and sign-ups, micro-wishes, case helpers, remarks.

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def _id():
    return sa.Column("id", sa.Integer, primary_key=True)


def _fk(name, target, *, nullable=False, ondelete=None, index=False, unique=False):
    return sa.Column(name, sa.Integer, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index,
                     unique=unique)


def _when(name, *, default=False, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now() if default else None,
                     nullable=nullable)


def upgrade():
    op.create_table(
        "service_post", _id(),
        _fk("community_id", "community.id", index=True),
        sa.Column("street_code", sa.String(9), nullable=False, index=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("active", sa.Boolean, server_default="true", nullable=False),
        _when("created_at", default=True, nullable=False),
        sa.UniqueConstraint("community_id", "name", name=op.f("uq_service_post_name")),
        sa.CheckConstraint("char_length(description) <= 2000", name=op.f("ck_service_post_description_length")),
    )
    op.create_table(
        "post_claim", _id(),
        _fk("post_id", "service_post.id", ondelete="CASCADE", index=True),
        _fk("member_id", "party_member.id", ondelete="CASCADE", index=True),
        _when("claimed_at", default=True, nullable=False),
        _when("released_at"),
        sa.CheckConstraint("released_at IS NULL OR released_at >= claimed_at", name=op.f("ck_post_claim_release_order")),
    )
    op.create_index("uq_post_claim_current", "post_claim", ["post_id", "member_id"], unique=True,
                    postgresql_where=sa.text("released_at IS NULL"))
    op.create_table(
        "activity", _id(),
        _fk("community_id", "community.id", index=True),
        sa.Column("street_code", sa.String(9), nullable=False, index=True),
        _fk("post_id", "service_post.id", nullable=True, ondelete="SET NULL"),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("description", sa.Text),
        _when("starts_at", nullable=False),
        _when("ends_at", nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("geom", Geometry("POINT", srid=4326, spatial_index=False)),
        sa.Column("needed", sa.Integer, nullable=False),
        sa.Column("cancelled", sa.Boolean, server_default="false", nullable=False),
        _fk("created_by", "app_user.id", nullable=True),
        _when("created_at", default=True, nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_activity_time_order")),
        sa.CheckConstraint("needed > 0", name=op.f("ck_activity_needed_positive")),
        sa.CheckConstraint("char_length(description) <= 2000", name=op.f("ck_activity_description_length")),
    )
    op.create_index("ix_activity_community_starts", "activity", ["community_id", "starts_at"])
    op.create_table(
        "activity_signup", _id(),
        _fk("activity_id", "activity.id", ondelete="CASCADE", index=True),
        _fk("member_id", "party_member.id", ondelete="CASCADE", index=True),
        _when("signed_up_at", default=True, nullable=False),
        _when("checked_in_at"),
        sa.Column("checkin_geom", Geometry("POINT", srid=4326, spatial_index=False)),
        sa.Column("far_from_place", sa.Boolean, server_default="false", nullable=False),
        sa.Column("hours", sa.Numeric(4, 1)),
        _fk("confirmed_by", "app_user.id", nullable=True),
        _when("confirmed_at"),
        sa.UniqueConstraint("activity_id", "member_id", name=op.f("uq_activity_signup")),
        sa.CheckConstraint("hours IS NULL OR (hours >= 0 AND hours <= 24)", name=op.f("ck_activity_signup_hours_range")),
        sa.CheckConstraint("hours IS NULL OR confirmed_at IS NOT NULL", name=op.f("ck_activity_signup_hours_confirmed")),
    )
    op.create_table(
        "wish", _id(),
        _fk("community_id", "community.id", index=True),
        sa.Column("street_code", sa.String(9), nullable=False, index=True),
        _fk("grid_id", "grid.id", nullable=True, index=True),
        _fk("resident_id", "resident.id", nullable=True, ondelete="SET NULL"),
        _fk("household_id", "household.id", nullable=True, ondelete="SET NULL"),
        _fk("visit_id", "visit.id", nullable=True, ondelete="SET NULL", unique=True),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.String(10), server_default="open", nullable=False),
        _fk("raised_by", "app_user.id", nullable=True),
        _when("raised_at", default=True, nullable=False),
        _fk("member_id", "party_member.id", nullable=True, ondelete="SET NULL", index=True),
        _when("claimed_at"),
        _when("fulfilled_at"),
        sa.Column("fulfil_note", sa.Text),
        sa.Column("idempotency_key", sa.String(100), unique=True),
        sa.CheckConstraint("status IN ('open', 'claimed', 'fulfilled', 'cancelled')", name=op.f("ck_wish_status")),
        sa.CheckConstraint("status = 'open' OR status = 'cancelled' OR member_id IS NOT NULL",
                           name=op.f("ck_wish_claimed_by")),
        sa.CheckConstraint("fulfilled_at IS NULL OR status = 'fulfilled'", name=op.f("ck_wish_fulfilled_state")),
        sa.CheckConstraint("char_length(description) <= 2000 AND char_length(fulfil_note) <= 2000",
                           name=op.f("ck_wish_text_length")),
    )
    op.create_index("ix_wish_community_status", "wish", ["community_id", "status"])
    op.create_table(
        "case_helper",
        sa.Column("case_id", sa.Integer, sa.ForeignKey("case_record.id", ondelete="CASCADE"), primary_key=True),
        _fk("member_id", "party_member.id", ondelete="CASCADE", index=True),
        _fk("assigned_by", "app_user.id", nullable=True),
        _when("assigned_at", default=True, nullable=False),
    )
    op.create_table(
        "member_remark", _id(),
        _fk("member_id", "party_member.id", ondelete="CASCADE", index=True),
        sa.Column("quarter_start", sa.Date, nullable=False),
        sa.Column("remark", sa.Text, nullable=False),
        _fk("author_id", "app_user.id", nullable=True),
        _when("updated_at", default=True, nullable=False),
        sa.UniqueConstraint("member_id", "quarter_start", name=op.f("uq_member_remark_quarter")),
        sa.CheckConstraint("char_length(remark) <= 2000", name=op.f("ck_member_remark_remark_length")),
        sa.CheckConstraint("extract(day from quarter_start) = 1 AND extract(month from quarter_start) IN (1, 4, 7, 10)",
                           name=op.f("ck_member_remark_quarter_start")),
    )


def downgrade():
    for table in ("member_remark", "case_helper", "wish", "activity_signup", "activity", "post_claim", "service_post"):
        op.drop_table(table)
