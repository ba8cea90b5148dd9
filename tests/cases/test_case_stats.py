"""case_stats, kept by triggers, equals a recount and gives the indicators the cases themselves give."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from grid_app.cases import case_stats, clock, indicators, moderation
from grid_app.cases.transitions import escalate_overdue, transition

from .helpers import log_case
from .raw_indicators import assert_same, assert_stats_current, raw_compute
from .test_indicators import fixed_set  # noqa: F401  (the hand-checked cases)

ROLES = ("admin", "street", "secretary", "worker", "planner")


def periods(now: datetime) -> list[indicators.Period]:
    """Whole months with partial edges, a month-aligned start, a period inside one month, a long one."""
    m = case_stats.month_start(now)
    return [indicators.Period(now - timedelta(days=91), now + timedelta(hours=1)),
            indicators.Period(m - timedelta(days=40), case_stats.next_month(m)),
            indicators.Period(m, now + timedelta(minutes=5)),
            indicators.Period(now - timedelta(days=800), now + timedelta(days=40))]


def assert_indicators_equal(session, users, now=None) -> None:
    for period in periods(now or clock.now()):
        for role in ROLES:
            for group in indicators.GROUPS:
                assert_same(indicators.compute(session, users[role], group, period),
                            raw_compute(session, users[role], group, period))


def test_split_by_month():
    utc = timezone.utc
    cut = case_stats.split(datetime(2026, 1, 15, 3, tzinfo=utc), datetime(2026, 4, 2, tzinfo=utc))
    assert cut.whole == (datetime(2026, 2, 1, tzinfo=utc), datetime(2026, 4, 1, tzinfo=utc))
    assert cut.edges == ((datetime(2026, 1, 15, 3, tzinfo=utc), datetime(2026, 2, 1, tzinfo=utc)),
                         (datetime(2026, 4, 1, tzinfo=utc), datetime(2026, 4, 2, tzinfo=utc)))
    aligned = case_stats.split(datetime(2025, 12, 1, tzinfo=utc), datetime(2026, 1, 1, tzinfo=utc))
    assert aligned.whole == (datetime(2025, 12, 1, tzinfo=utc), datetime(2026, 1, 1, tzinfo=utc)) and not aligned.edges
    inside = case_stats.split(datetime(2026, 3, 2, tzinfo=utc), datetime(2026, 3, 9, tzinfo=utc))
    assert inside.whole is None and len(inside.edges) == 1


def test_fixed_set_equals_raw(session, users, fixed_set):  # noqa: F811
    for role in ROLES:
        for group in indicators.GROUPS:
            assert_same(indicators.compute(session, users[role], group, fixed_set),
                        raw_compute(session, users[role], group, fixed_set))
    assert_stats_current(session)


def test_every_write_keeps_the_counts(session, users, monkeypatch):
    """Intake, each transition, a reopen, a merge, the escalation job, hiding and showing again."""
    t0 = clock.now().replace(microsecond=0) - timedelta(days=3)
    now = {"t": t0}
    monkeypatch.setattr(clock, "now", lambda: now["t"])
    w, s, st, admin = users["worker"], users["secretary"], users["street"], users["admin"]
    a, _ = log_case(session, w, 100, 300)
    b, _ = log_case(session, w, 120, 300, category="0503")
    c, _ = log_case(session, users["secretary_b"], 900, 900)
    d, _ = log_case(session, w, 140, 300)
    e, _ = log_case(session, w, 160, 300)
    assert_stats_current(session)
    steps = [(w, a, "register"), (w, a, "dispatch"), (w, a, "start"), (w, a, "report"), (s, a, "reopen"),
             (w, a, "report"), (w, a, "close"), (s, a, "evaluate"),
             (w, b, "escalate"), (s, b, "register"), (s, b, "dispatch"), (s, b, "start"), (s, b, "report"),
             (s, b, "close"), (admin, c, "reject"), (s, d, "deescalate")]
    for i, (user, case, action) in enumerate(steps):
        now["t"] = t0 + timedelta(hours=i + 1)
        if action == "deescalate":
            transition(session, s, d.id, "escalate")
        transition(session, user, case.id, action, **({"rating": 4} if action == "evaluate" else {}))
        assert_stats_current(session)
    transition(session, s, e.id, "merge", into=d.id)
    assert_stats_current(session)
    escalate_overdue(session, now=t0 + timedelta(days=2))
    for case in (a, b):
        moderation.set_hidden(session, admin, case.id, True, "test")
        assert_stats_current(session)
    now["t"] = t0 + timedelta(days=2)
    assert_indicators_equal(session, users)
    moderation.set_hidden(session, admin, a.id, False, "test")
    assert_stats_current(session)
    assert_indicators_equal(session, users)
    # a row rewritten in plain SQL (a repair, another tool) is counted too: a closing moved to another month
    session.execute(text("UPDATE case_record SET closed_at = closed_at - interval '40 days' WHERE id = :i"), {"i": b.id})
    assert_stats_current(session)
    assert_indicators_equal(session, users)


def test_hidden_case_only_for_admins(session, users):
    case, _ = log_case(session, users["worker"], 100, 300)
    period = indicators.Period(clock.now() - timedelta(hours=1), clock.now() + timedelta(hours=1))
    before = {r["code"]: r["logged"] for r in indicators.compute(session, users["secretary"], "grid", period)}
    moderation.set_hidden(session, users["admin"], case.id, True, "test")
    after = {r["code"]: r["logged"] for r in indicators.compute(session, users["secretary"], "grid", period)}
    assert sum(after.values()) == sum(before.values()) - 1
    assert_same(indicators.compute(session, users["admin"], "grid", period),
                raw_compute(session, users["admin"], "grid", period))


@pytest.mark.parametrize("group", indicators.GROUPS)
def test_rebuild_from_nothing(session, users, group, fixed_set):  # noqa: F811
    """After a bulk load with triggers off: the rebuild alone gives the same figures."""
    session.execute(text("DELETE FROM case_stats"))
    wide = indicators.Period(fixed_set.since - timedelta(days=60), fixed_set.until + timedelta(days=60))
    assert indicators.compute(session, users["admin"], group, wide) != raw_compute(session, users["admin"], group, wide)
    assert case_stats.rebuild(session) > 0
    assert_indicators_equal(session, users)


def test_total_is_capped(session, users):
    """A list's total stops counting at the cap and says so ("2+"); below it the exact number."""
    from grid_app.cases import queries
    for x in (100, 120, 140):
        log_case(session, users["worker"], x, 300)
    f = queries.CaseFilter(grid=None)
    exact = queries.count_matching(session, users["worker"], f, cap=10_000)
    assert exact >= 3 and str(exact) == str(int(exact))
    capped = queries.count_matching(session, users["worker"], f, cap=2)
    assert capped == 2 and str(capped) == "2+" and capped.exact is False
