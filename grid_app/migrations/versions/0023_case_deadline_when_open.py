"""Exactly the open cases have a deadline (CHECK), and open cases by place in deadline order for overdue lists.

Revision ID: 0023
Revises: 0022

The overdue rule in SQL was "open AND deadline IS NOT NULL AND deadline < now". Only open cases have a
deadline, so PostgreSQL multiplied three conditions that always hold together: at 5 M cases it expected
1 overdue case of 24k and, for one street's overdue list, walked the whole city's overdue cases by
deadline (27 ms, growing with the city). The CHECK makes the workflow's rule (every step change sets
or clears the deadline, cases/transitions.py) a guarantee, so the rule is `deadline < now` alone, which
PostgreSQL estimates right, and (street, deadline) / (community, deadline) over the cases with a deadline
find a place's overdue cases directly. The deadline-only index of open cases is covered by the deadline
index and goes.
"""
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

OPEN = "state IN ('collected', 'registered', 'dispatched', 'handling', 'reported')"


def upgrade():
    # Rows written by hand that break the rule are mended first, as the workflow would have left them:
    # a finished case has no running deadline; an open one without a deadline is due now.
    op.execute(f"UPDATE case_record SET deadline = NULL WHERE deadline IS NOT NULL AND NOT ({OPEN})")
    op.execute(f"UPDATE case_record SET deadline = updated_at WHERE deadline IS NULL AND {OPEN}")
    op.create_check_constraint(op.f("ck_case_record_deadline_when_open"), "case_record",
                               f"(deadline IS NOT NULL) = ({OPEN})")
    op.create_index("ix_case_record_community_deadline", "case_record", ["community_id", "deadline"],
                    postgresql_where="deadline IS NOT NULL")
    op.create_index("ix_case_record_street_deadline", "case_record", ["street_code", "deadline"],
                    postgresql_where="deadline IS NOT NULL")
    op.drop_index("ix_case_record_open_deadline", table_name="case_record")


def downgrade():
    op.create_index("ix_case_record_open_deadline", "case_record", ["deadline"], postgresql_where=OPEN)
    op.drop_index("ix_case_record_street_deadline", table_name="case_record")
    op.drop_index("ix_case_record_community_deadline", table_name="case_record")
    op.drop_constraint(op.f("ck_case_record_deadline_when_open"), "case_record", type_="check")
