"""The demo's party side: units, members in every community, the demo-member login, service and wishes.

The demo is loaded once for the module (the tests' slice: GRID_APP_DEMO_REGISTER_PER_GRID in
tests/conftest.py, so a few members per community) in a transaction rolled back at the end.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import func, select, text
from sqlalchemy.orm import scoped_session, sessionmaker

from grid_app.access import scope
from grid_app.access.accounts import authenticate, issue_token
from grid_app.cases import clock
from grid_app.demo_data import party_activity, party_members
from grid_app.demo_data.load import load_demo_data
from grid_app.extensions import db
from grid_app.models import Building, Community, User
from grid_app.models.party import PartyMember, PartyUnit
from grid_app.models.party_service import FAR_FROM_PLACE_M, Activity, ActivitySignup, MemberRemark, ServicePost, Wish
from grid_app.party import indicators, report
from grid_app.party.quarters import quarter_of
from grid_app.people.crypto import app_keyring
from grid_app.platform.i18n import display_zone

from .test_demo_register import DEMO, _shipped

TABLES = ("party_unit", "party_member", "service_post", "post_claim", "activity", "activity_signup", "wish",
          "member_remark", "app_user")


@pytest.fixture(scope="module")
def demo(app):
    """A session holding the loaded demo (the tests' slice), rolled back after the module."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
                                    scopefunc=_app_ctx_id)
        try:
            load_demo_data(db.session, str(DEMO), app.config)
            db.session.flush()
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


def _demo_communities(session) -> dict[int, str]:
    codes = [c["code"] for c in _shipped("communities")]
    return dict(session.execute(select(Community.id, Community.code).where(Community.code.in_(codes))).all())


def _counts(session) -> dict[str, int]:
    return {t: session.scalar(text(f"SELECT count(*) FROM {t}")) for t in TABLES}


def test_every_community_has_posts_and_approved_members(demo):
    communities = _demo_communities(demo)
    assert len(communities) == 6
    posts = dict(demo.execute(select(ServicePost.community_id, func.array_agg(ServicePost.name))
                              .where(ServicePost.community_id.in_(list(communities)))
                              .group_by(ServicePost.community_id)).all())
    assert {cid: sorted(names) for cid, names in posts.items()} == {
        cid: sorted(party_activity.POSTS) for cid in communities}
    approved = dict(demo.execute(select(Building.community_id, func.count()).select_from(PartyMember).join(Building)
                                 .where(PartyMember.status == "approved").group_by(Building.community_id)).all())
    assert set(approved) == set(communities) and min(approved.values()) >= 5
    # A few wait for the secretary in every community.
    pending = dict(demo.execute(select(Building.community_id, func.count()).select_from(PartyMember).join(Building)
                                .where(PartyMember.status == "pending").group_by(Building.community_id)).all())
    assert set(pending) == set(communities)
    activities = dict(demo.execute(select(Activity.community_id, func.count()).group_by(Activity.community_id)).all())
    assert set(activities) == set(communities)


def test_units_carry_codes_no_authority_can_have_issued(demo):
    units = list(demo.scalars(select(PartyUnit).order_by(PartyUnit.code)))
    assert len(units) == len(party_members.UNITS) == 15
    for unit in units:
        assert unit.code[2:8] == party_members.REGION == "000000"
        assert party_members.organisation_check(unit.code[8:16]) == unit.code[16]
        assert party_members.credit_check(unit.code[:17]) == unit.code[17]
    assert {u.community_id for u in units} == set(_demo_communities(demo))
    assert "市财政局" in {u.name for u in units}


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_check_characters_agree_with_published_codes(code):
    assert party_members.organisation_check(code[8:16]) == code[16]
    assert party_members.credit_check(code[:17]) == code[17]
    assert party_members.credit_check(code[:16] + "0") != code[17] or code[16] == "0"


def test_demo_member_logs_in_and_sees_its_communitys_activities_only(app, demo):
    user = authenticate(demo, "demo-member", app.config["GRID_APP_DEMO_PASSWORD"])
    assert user.role == "member"
    secretary = demo.scalar(select(User).where(User.username == "demo-secretary"))
    member = demo.scalar(select(PartyMember).where(PartyMember.user_id == user.id))
    assert member.status == "approved" and member.building.community_id == secretary.community_id
    visible = set(demo.scalars(select(Activity.community_id).where(
        scope.party_community_clause(user, Activity.community_id))))
    assert visible == {secretary.community_id}
    assert demo.scalar(select(func.count()).select_from(Activity).where(
        Activity.community_id != secretary.community_id)) > 0
    # Signed up in its community, some ahead of today (the phone has something to show).
    mine = demo.execute(select(Activity.starts_at).join(ActivitySignup)
                        .where(ActivitySignup.member_id == member.id)).all()
    assert any(starts > clock.now() for starts, in mine) and any(starts < clock.now() for starts, in mine)
    token, _ = issue_token(demo, user, "test")
    client, auth = app.test_client(), {"Authorization": f"Bearer {token}"}
    res = client.get("/api/v1/activities", headers=auth)
    assert res.status_code == 200, res.get_data(as_text=True)
    community = demo.get(Community, secretary.community_id)
    assert res.get_json()["total"] == demo.scalar(select(func.count()).select_from(Activity).where(
        Activity.community_id == community.id)) > 0
    assert {a["community"] for a in res.get_json()["activities"]} == {community.code}
    res = client.get("/api/v1/party-members", headers=auth)
    assert res.status_code == 200, res.get_data(as_text=True)
    body = res.get_json()
    listed = body["members"] if isinstance(body, dict) else body
    assert [m["id"] for m in listed] == [member.id]


def test_phones_are_not_plaintext(app, demo):
    keys = app_keyring(app)
    sample = list(demo.scalars(select(PartyMember).order_by(PartyMember.id).limit(20)))
    assert sample
    for m in sample:
        phone = keys.decrypt("phone", m.phone_cipher)
        assert phone.startswith("100") and len(phone) == 11
        assert m.phone_hash == keys.digest("phone", phone)
        found = demo.execute(text("SELECT 1 FROM party_member p WHERE strpos(p::text, :p) > 0"), {"p": phone})
        assert found.all() == []


def test_check_ins_and_confirmed_hours_in_the_previous_quarter(app, demo):
    today = clock.now().astimezone(display_zone(app.config)).date()
    first, last = quarter_of(today).previous().first_day, quarter_of(today).first_day
    hours = demo.scalar(select(func.sum(ActivitySignup.hours)).join(Activity).where(
        Activity.starts_at >= first, Activity.starts_at < last, ActivitySignup.confirmed_at.is_not(None)))
    assert hours and hours > Decimal(0)
    distance = func.ST_Distance(func.geography(ActivitySignup.checkin_geom), func.geography(Activity.geom))
    by_flag = {far: (low, high, n) for far, low, high, n in demo.execute(
        select(ActivitySignup.far_from_place, func.min(distance), func.max(distance), func.count()).join(Activity)
        .where(ActivitySignup.checked_in_at.is_not(None)).group_by(ActivitySignup.far_from_place))}
    assert by_flag[False][1] <= FAR_FROM_PLACE_M < by_flag[True][0]
    assert 0 < by_flag[True][2] < by_flag[False][2] / 5  # a few far from the place
    # Nothing is checked in before it happens, and nothing ahead carries hours.
    assert demo.scalar(select(func.count()).select_from(ActivitySignup).join(Activity).where(
        Activity.starts_at > clock.now(), ActivitySignup.checked_in_at.is_not(None))) == 0
    assert demo.scalar(select(func.count()).select_from(MemberRemark).where(MemberRemark.quarter_start == first)) > 0


def test_wishes_open_claimed_fulfilled_some_from_visits(demo):
    communities = _demo_communities(demo)
    by_status = dict(demo.execute(select(Wish.status, func.count()).group_by(Wish.status)).all())
    assert by_status.get("open") and by_status.get("fulfilled")
    fulfilled = dict(demo.execute(select(Wish.community_id, func.count()).where(Wish.status == "fulfilled")
                                  .group_by(Wish.community_id)).all())
    assert set(fulfilled) == set(communities)
    assert demo.scalar(select(func.count()).select_from(Wish).where(Wish.visit_id.is_not(None))) > 0
    assert demo.scalar(select(func.count()).select_from(Wish).where(
        Wish.status != "open", Wish.member_id.is_(None))) == 0
    assert demo.scalar(select(func.max(Wish.fulfilled_at))) < clock.now()


def test_loading_again_adds_nothing_and_moves_the_dates(app, demo, monkeypatch):
    counts = _counts(demo)
    last = demo.scalar(select(func.max(Activity.starts_at)))
    zone = display_zone(app.config)
    later = clock.now() + timedelta(days=1)
    nested = demo.connection().begin_nested()  # this test's reload is undone for the others
    try:
        monkeypatch.setattr("grid_app.cases.clock.now", lambda: later)
        load_demo_data(demo, str(DEMO), app.config)
        demo.flush()
        again = _counts(demo)
        if quarter_of(later.astimezone(zone).date()) != quarter_of((later - timedelta(days=1)).astimezone(zone).date()):
            again["member_remark"] = counts["member_remark"]  # a new quarter began: its previous one gets remarks
        assert again == counts
        assert demo.scalar(select(func.max(Activity.starts_at))) > last
    finally:
        nested.rollback()
        demo.expire_all()


def test_the_previous_quarters_report_and_indicators_show_the_demo(app, demo):
    zone = display_zone(app.config)
    quarter = quarter_of(clock.now().astimezone(zone).date()).previous()
    community = demo.get(Community, demo.scalar(select(User.community_id).where(User.username == "demo-secretary")))
    start, end = quarter.bounds(zone)
    confirmed = demo.scalar(select(func.sum(ActivitySignup.hours)).join(Activity).where(
        Activity.community_id == community.id, Activity.starts_at >= start, Activity.starts_at < end))
    built = report.build(demo, app_keyring(app), quarter, zone, communities=[community])
    assert len(built.sections) >= 2
    assert sum((s.total("hours") for s in built.sections), Decimal(0)) == confirmed > 0
    assert any(m.remark for s in built.sections for m in s.members)
    row, = indicators.compute(demo, [community], quarter, zone)
    assert row["hours"] == round(float(confirmed), 1) and row["activities"] > 0
