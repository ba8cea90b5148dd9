"""The street code on every large table, as the distribution key for a later move to Citus.

Hierarchy tables get it as a generated column (their codes start with the street's 9 digits);
case events and photos get a column filled from their case by a trigger.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

HIERARCHY = ("community", "grid", "residential_area", "building")
CASE_CHILDREN = ("case_event", "case_photo")


def upgrade():
    for table in HIERARCHY:
        op.execute(f"ALTER TABLE {table} ADD COLUMN street_code varchar(9) "
                   f"GENERATED ALWAYS AS (left(code, 9)) STORED")
        op.execute(f"CREATE INDEX ix_{table}_street_code ON {table} (street_code)")
    op.execute("""
        CREATE FUNCTION fill_street_code_from_case() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.street_code IS NULL THEN
                SELECT street_code INTO NEW.street_code FROM case_record WHERE id = NEW.case_id;
            END IF;
            RETURN NEW;
        END $$;
    """)
    for table in CASE_CHILDREN:
        op.execute(f"ALTER TABLE {table} ADD COLUMN street_code varchar(9)")
        op.execute(f"CREATE TRIGGER {table}_street_code BEFORE INSERT ON {table} "
                   f"FOR EACH ROW EXECUTE FUNCTION fill_street_code_from_case()")
    # Existing events and photos: the append-only trigger is lifted for this one backfill.
    op.execute("ALTER TABLE case_event DISABLE TRIGGER case_event_no_change")
    for table in CASE_CHILDREN:
        op.execute(f"UPDATE {table} t SET street_code = c.street_code FROM case_record c WHERE c.id = t.case_id")
    op.execute("ALTER TABLE case_event ENABLE TRIGGER case_event_no_change")


def downgrade():
    for table in CASE_CHILDREN:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_street_code ON {table}")
        op.execute(f"ALTER TABLE {table} DROP COLUMN street_code")
    op.execute("DROP FUNCTION IF EXISTS fill_street_code_from_case()")
    for table in HIERARCHY:
        op.execute(f"ALTER TABLE {table} DROP COLUMN street_code")
