"""A case made from a visit's finding (转为事件) records the visit: at most one case per visit.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # SET NULL: purging a moved-out resident deletes their visits, never the cases the grid worked on.
    op.add_column("case_record", sa.Column(
        "visit_id", sa.Integer, sa.ForeignKey("visit.id", ondelete="SET NULL",
                                              name=op.f("fk_case_record_visit_id_visit"))))
    op.create_unique_constraint(op.f("uq_case_record_visit_id"), "case_record", ["visit_id"])


def downgrade():
    op.drop_constraint(op.f("uq_case_record_visit_id"), "case_record", type_="unique")
    op.drop_column("case_record", "visit_id")
