"""双报到: registered units and party members (phone encrypted), and the member role.

Revision ID: 0015
Revises: 0014 (0014_case_from_visit: another engineer's, taken first)
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

OLD_ROLES = "'admin', 'street', 'secretary', 'worker', 'planner', 'api'"


def upgrade():
    op.drop_constraint(op.f("ck_app_user_role"), "app_user", type_="check")
    op.create_check_constraint(op.f("ck_app_user_role"), "app_user", f"role IN ({OLD_ROLES}, 'member')")
    op.create_table(
        "party_unit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.UniqueConstraint("code", name=op.f("uq_party_unit_code")),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("party_org_name", sa.String(200)),
        sa.Column("community_id", sa.Integer, sa.ForeignKey("community.id", name=op.f("fk_party_unit_community_id_community")),
                  nullable=False),
        sa.Column("street_code", sa.String(9), nullable=False),
        sa.Column("projects", sa.Text),
        sa.Column("registered_on", sa.Date, server_default=sa.func.current_date(), nullable=False),
        sa.CheckConstraint("char_length(projects) <= 2000", name=op.f("ck_party_unit_projects_length")),
    )
    op.create_index(op.f("ix_party_unit_community_id"), "party_unit", ["community_id"])
    op.create_index(op.f("ix_party_unit_street_code"), "party_unit", ["street_code"])
    op.create_table(
        "party_member",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("phone_cipher", sa.Text, nullable=False),
        sa.Column("phone_hash", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("party_unit.id", name=op.f("fk_party_member_unit_id_party_unit"))),
        sa.Column("employer_name", sa.String(200)),
        sa.Column("employer_party_org", sa.String(200)),
        sa.Column("building_id", sa.Integer, sa.ForeignKey("building.id", name=op.f("fk_party_member_building_id_building")),
                  nullable=False),
        sa.Column("street_code", sa.String(9), nullable=False),
        sa.Column("skills", sa.String(500)),
        sa.Column("registered_on", sa.Date, server_default=sa.func.current_date(), nullable=False),
        sa.Column("status", sa.String(10), server_default="pending", nullable=False),
        sa.Column("review_note", sa.String(500)),
        sa.Column("approved_by", sa.Integer, sa.ForeignKey("app_user.id", name=op.f("fk_party_member_approved_by_app_user"))),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id", name=op.f("fk_party_member_user_id_app_user"))),
        sa.UniqueConstraint("user_id", name=op.f("uq_party_member_user_id")),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected', 'left')", name=op.f("ck_party_member_status")),
        sa.CheckConstraint("unit_id IS NOT NULL OR employer_name IS NOT NULL", name=op.f("ck_party_member_employer")),
    )
    for column in ("phone_hash", "unit_id", "building_id", "street_code"):
        op.create_index(op.f(f"ix_party_member_{column}"), "party_member", [column])
    op.create_index("uq_party_member_phone_unit", "party_member",
                    ["phone_hash", sa.text("COALESCE(unit_id, 0)"), sa.text("COALESCE(employer_name, '')")],
                    unique=True)


def downgrade():
    op.drop_table("party_member")
    op.drop_table("party_unit")
    op.execute("DELETE FROM app_user WHERE role = 'member'")
    op.drop_constraint(op.f("ck_app_user_role"), "app_user", type_="check")
    op.create_check_constraint(op.f("ck_app_user_role"), "app_user", f"role IN ({OLD_ROLES})")
