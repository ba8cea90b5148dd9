"""Open cases by community and by street in deadline order; no index on a case's category alone.

Revision ID: 0021
Revises: 0020

At 5 M cases a secretary's overdue list walked the city's open cases by deadline (19k rows filtered,
25 ms, growing with the city): (community_id, deadline) and (street_code, deadline) over open cases
find them by place. A category filter ANDed a bitmap of the category's 700k cases with the community's
10k (47 ms warm, seconds cold): without the category index the community's cases are filtered instead.
Categories are never deleted (they are deactivated), so the foreign key needs no index either.
"""
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

OPEN = "state IN ('collected', 'registered', 'dispatched', 'handling', 'reported')"


def upgrade():
    op.create_index("ix_case_record_community_open_deadline", "case_record", ["community_id", "deadline"],
                    postgresql_where=OPEN)
    op.create_index("ix_case_record_street_open_deadline", "case_record", ["street_code", "deadline"],
                    postgresql_where=OPEN)
    op.drop_index("ix_case_record_category_id", table_name="case_record")


def downgrade():
    op.create_index("ix_case_record_category_id", "case_record", ["category_id"])
    op.drop_index("ix_case_record_street_open_deadline", table_name="case_record")
    op.drop_index("ix_case_record_community_open_deadline", table_name="case_record")
