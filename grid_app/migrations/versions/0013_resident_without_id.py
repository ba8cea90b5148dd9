"""Residents without an ID number (young children, foreign residents): ID columns nullable, found by flat + name + birth date.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.alter_column("resident", "id_cipher", existing_type=sa.Text, nullable=True)
    op.alter_column("resident", "id_hash", existing_type=sa.String(64), nullable=True)
    # A ciphertext without its look-up hash (or the reverse) could never be found or de-duplicated.
    op.create_check_constraint(op.f("ck_resident_id_pair"), "resident", "(id_cipher IS NULL) = (id_hash IS NULL)")
    # Without an ID number a resident is one person per flat, name and birth date (what re-import matches).
    op.create_index("uq_resident_without_id", "resident", ["household_id", "name", "birth_date"], unique=True,
                    postgresql_where=sa.text("id_hash IS NULL"))


def downgrade():
    op.drop_index("uq_resident_without_id", table_name="resident")
    op.drop_constraint(op.f("ck_resident_id_pair"), "resident", type_="check")
    op.execute("DELETE FROM resident WHERE id_hash IS NULL")  # the old schema cannot hold them
    op.alter_column("resident", "id_hash", existing_type=sa.String(64), nullable=False)
    op.alter_column("resident", "id_cipher", existing_type=sa.Text, nullable=False)
