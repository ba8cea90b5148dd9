"""Case counts per grid and month kept by triggers (indicators read them), and case indexes for scoped
lists and periods.

Revision ID: 0019
Revises: 0018

A trigger rather than a call in intake and transitions: every writer of case_record (intake, the
workflow, the escalation job, moderation, Open311, plain SQL) keeps the counts without a call to forget;
the update trigger fires only when a case's contribution changes (logged, merged, hidden, closed, place),
so register / dispatch / start / report / escalate of an open case write nothing. Bulk loads that turn
triggers off (COPY under session_replication_role = replica) rebuild after: SELECT case_stats_rebuild().
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

KEY = "grid_id, month, hidden, community_id, street_code"
# One case's contribution, added with s = 1 or taken back with s = -1. Hours to close are computed exactly
# as the raw indicator query does (numeric epoch / float8), so percentiles over them are equal.
ADD = f"""
CREATE FUNCTION case_stats_add(c case_record, s integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE h double precision;
BEGIN
  IF c.grid_id IS NULL OR c.community_id IS NULL OR c.street_code IS NULL THEN
    RETURN;  -- unlocated: in no grid, community or street figure
  END IF;
  IF c.state <> 'merged' THEN
    INSERT INTO case_stats AS t (grid_id, month, hidden, community_id, street_code, logged)
    VALUES (c.grid_id, date_trunc('month', c.created_at, 'UTC'), c.hidden_at IS NOT NULL, c.community_id,
            c.street_code, s)
    ON CONFLICT ({KEY}) DO UPDATE SET logged = t.logged + s;
  END IF;
  IF c.closed_at IS NOT NULL THEN
    h := EXTRACT(epoch FROM c.closed_at - c.created_at) / CAST(3600.0 AS double precision);
    INSERT INTO case_stats AS t (grid_id, month, hidden, community_id, street_code, closed, closed_grid,
                                 closed_community, closed_on_time, reopened, hours)
    VALUES (c.grid_id, date_trunc('month', c.closed_at, 'UTC'), c.hidden_at IS NOT NULL, c.community_id,
            c.street_code, s, s * (c.max_level = 'grid')::int, s * (c.max_level IN ('grid', 'community'))::int,
            s * coalesce(c.closed_at <= c.resolve_by, false)::int, s * (c.reopen_count > 0)::int,
            CASE WHEN s > 0 THEN ARRAY[h] ELSE '{{}}'::double precision[] END)
    ON CONFLICT ({KEY}) DO UPDATE SET
      closed = t.closed + s, closed_grid = t.closed_grid + EXCLUDED.closed_grid,
      closed_community = t.closed_community + EXCLUDED.closed_community,
      closed_on_time = t.closed_on_time + EXCLUDED.closed_on_time, reopened = t.reopened + EXCLUDED.reopened,
      hours = CASE WHEN s > 0 THEN t.hours || h ELSE case_stats_drop(t.hours, h) END;
  END IF;
END $$;
"""
DROP_ONE = """
CREATE FUNCTION case_stats_drop(a double precision[], v double precision) RETURNS double precision[]
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p IS NULL THEN a ELSE a[1 : p - 1] || a[p + 1 :] END FROM array_position(a, v) AS p
$$;
"""
ROW = """
CREATE FUNCTION case_stats_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM case_stats_add(OLD, -1); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM case_stats_add(NEW, 1); END IF;
  RETURN NULL;
END $$;
"""
# The fields a contribution depends on; the closing ones only matter once a case is closed.
CHANGED = """
(OLD.grid_id, OLD.community_id, OLD.street_code, OLD.hidden_at IS NULL, OLD.state = 'merged', OLD.created_at,
 OLD.closed_at) IS DISTINCT FROM
(NEW.grid_id, NEW.community_id, NEW.street_code, NEW.hidden_at IS NULL, NEW.state = 'merged', NEW.created_at,
 NEW.closed_at)
OR (NEW.closed_at IS NOT NULL AND (OLD.max_level, OLD.resolve_by, OLD.reopen_count) IS DISTINCT FROM
    (NEW.max_level, NEW.resolve_by, NEW.reopen_count))
"""
# Recount from case_record (after a bulk load with triggers off, or to check); writers wait meanwhile.
REBUILD = f"""
CREATE FUNCTION case_stats_rebuild() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  LOCK TABLE case_record IN SHARE MODE;
  DELETE FROM case_stats;
  INSERT INTO case_stats ({KEY}, logged, closed, closed_grid, closed_community, closed_on_time, reopened, hours)
  SELECT {KEY}, sum(logged), sum(closed), sum(cg), sum(cc), sum(ot), sum(ro),
         coalesce(array_agg(h) FILTER (WHERE h IS NOT NULL), '{{}}')
  FROM (
    SELECT grid_id, date_trunc('month', created_at, 'UTC') AS month, hidden_at IS NOT NULL AS hidden, community_id,
           street_code, 1 AS logged, 0 AS closed, 0 AS cg, 0 AS cc, 0 AS ot, 0 AS ro, NULL::double precision AS h
    FROM case_record
    WHERE state <> 'merged' AND grid_id IS NOT NULL AND community_id IS NOT NULL AND street_code IS NOT NULL
    UNION ALL
    SELECT grid_id, date_trunc('month', closed_at, 'UTC'), hidden_at IS NOT NULL, community_id, street_code, 0, 1,
           (max_level = 'grid')::int, (max_level IN ('grid', 'community'))::int,
           coalesce(closed_at <= resolve_by, false)::int, (reopen_count > 0)::int,
           EXTRACT(epoch FROM closed_at - created_at) / CAST(3600.0 AS double precision)
    FROM case_record
    WHERE closed_at IS NOT NULL AND grid_id IS NOT NULL AND community_id IS NOT NULL AND street_code IS NOT NULL
  ) f
  GROUP BY {KEY};
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
"""
# Scoped lists newest first and scoped periods: (place, time) instead of the place alone; (created_at, id)
# for the whole list's order; closed_at per place for the indicators' partial months and weekly trends
# (partial on closed_at IS NOT NULL: an intake, whose case is open, writes none of them).
INDEXES = (
    ("ix_case_record_grid_id", "ix_case_record_grid_created", "(grid_id, created_at)", ""),
    ("ix_case_record_community_id", "ix_case_record_community_created", "(community_id, created_at)", ""),
    ("ix_case_record_street_code", "ix_case_record_street_created", "(street_code, created_at)", ""),
    ("ix_case_record_created_at", "ix_case_record_created_id", "(created_at, id)", ""),
    (None, "ix_case_record_community_closed", "(community_id, closed_at)", " WHERE closed_at IS NOT NULL"),
    (None, "ix_case_record_street_closed", "(street_code, closed_at)", " WHERE closed_at IS NOT NULL"),
    (None, "ix_case_record_grid_closed", "(grid_id, closed_at)", " WHERE closed_at IS NOT NULL"),
    (None, "ix_case_record_closed_at", "(closed_at)", " WHERE closed_at IS NOT NULL"),
)
SINGLE = {"ix_case_record_grid_id": "(grid_id)", "ix_case_record_community_id": "(community_id)",
          "ix_case_record_street_code": "(street_code)", "ix_case_record_created_at": "(created_at)"}


def upgrade():
    op.create_table(
        "case_stats",
        sa.Column("grid_id", sa.Integer, nullable=False),
        sa.Column("month", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hidden", sa.Boolean, nullable=False),
        sa.Column("community_id", sa.Integer, nullable=False),
        sa.Column("street_code", sa.String(9), nullable=False),
        *(sa.Column(name, sa.Integer, nullable=False, server_default="0") for name in (
            "logged", "closed", "closed_grid", "closed_community", "closed_on_time", "reopened")),
        sa.Column("hours", ARRAY(sa.Float), nullable=False, server_default="{}"),
        sa.PrimaryKeyConstraint("grid_id", "month", "hidden", "community_id", "street_code", name="pk_case_stats"),
    )
    op.create_index("ix_case_stats_community_month", "case_stats", ["community_id", "month"])
    op.create_index("ix_case_stats_street_month", "case_stats", ["street_code", "month"])
    for sql in (DROP_ONE, ADD, ROW, REBUILD):
        op.execute(sql)
    op.execute("CREATE TRIGGER case_stats_insert_delete AFTER INSERT OR DELETE ON case_record "
               "FOR EACH ROW EXECUTE FUNCTION case_stats_row()")
    op.execute(f"CREATE TRIGGER case_stats_update AFTER UPDATE ON case_record FOR EACH ROW WHEN ({CHANGED}) "
               "EXECUTE FUNCTION case_stats_row()")
    for old, new, columns, where in INDEXES:
        op.execute(f"CREATE INDEX {new} ON case_record {columns}{where}")
        if old:
            op.execute(f"DROP INDEX {old}")
    op.execute("SELECT case_stats_rebuild()")  # the backfill
    op.execute("ANALYZE case_stats")


def downgrade():
    for old, new, _columns, _where in INDEXES:
        if old:
            op.execute(f"CREATE INDEX {old} ON case_record {SINGLE[old]}")
        op.execute(f"DROP INDEX {new}")
    op.execute("DROP TRIGGER case_stats_update ON case_record")
    op.execute("DROP TRIGGER case_stats_insert_delete ON case_record")
    for fn in ("case_stats_rebuild()", "case_stats_row()", "case_stats_add(case_record, integer)",
               "case_stats_drop(double precision[], double precision)"):
        op.execute(f"DROP FUNCTION {fn}")
    op.drop_table("case_stats")
