"""Open cases by position: intake's possible-duplicates look-up reads only them, nearest first.

Revision ID: 0022
Revises: 0021

The look-up went through the GiST index of every case ever logged and tested each one in the 50 m box
(closed, other kinds, years old). At a spot where the same case had piled up it grew without bound:
8 ms for 300 candidates, most of a new case's time. Only open cases are candidates, and intake now
looks at the nearest 50 of them (cases/intake.py).
"""
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

OPEN = "state IN ('collected', 'registered', 'dispatched', 'handling', 'reported')"


def upgrade():
    op.create_index("ix_case_record_open_geom", "case_record", ["geom"], postgresql_using="gist",
                    postgresql_where=OPEN)


def downgrade():
    op.drop_index("ix_case_record_open_geom", table_name="case_record")
