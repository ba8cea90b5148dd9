"""Two members claiming one wish at once, on real committed transactions: one 200, one 409."""
from __future__ import annotations

from sqlalchemy import delete, select

from grid_app.access.accounts import create_user
from grid_app.extensions import db
from grid_app.models import Community, Grid, User
from grid_app.models.party import PartyMember, PartyUnit
from grid_app.models.party_service import Wish
from grid_app.party import members
from grid_app.party.registration import check_registration
from grid_app.party.units import save_unit
from grid_app.people.crypto import app_keyring

from .. import district as d
from ..cases.test_concurrency import run_threads

UNIT = "11341700MB0000099X"
PASSWORD = "race-password-1"


def _setup(app) -> int:
    """A unit of community B, two approved members with accounts, one open wish; returns the wish id."""
    keys = app_keyring(app)
    admin = db.session.scalar(select(User).where(User.username == "t-admin"))
    community = db.session.scalar(select(Community).where(Community.code == d.COMM_B))
    save_unit(db.session, code=UNIT, name="赛跑测试单位", community=community)
    for i, (name, phone) in enumerate((("赵一", "13900007771"), ("钱二", "13900007772"))):
        reg = check_registration(db.session, {"name": name, "phone": phone, "building": d.COMM_B + "B001",
                                              "unit": UNIT})
        member = members.register(db.session, keys, reg)
        members.decide(db.session, admin, member.id, "approve")
        account = create_user(db.session, f"t-race-{i}", PASSWORD, "member")
        members.link_account(db.session, member, account)
    grid = db.session.scalar(select(Grid).where(Grid.code == d.GRID_B1))
    wish = Wish(community_id=community.id, street_code=d.STREET, grid_id=grid.id, title="帮忙搬一台洗衣机",
                status="open", raised_by=admin.id, idempotency_key="race-wish-key-1")
    db.session.add(wish)
    db.session.commit()
    return wish.id


def _cleanup(app) -> None:
    with app.app_context():
        ids = list(db.session.scalars(select(PartyMember.id).join(PartyUnit).where(PartyUnit.code == UNIT)))
        db.session.execute(delete(Wish).where(Wish.idempotency_key == "race-wish-key-1"))
        db.session.execute(delete(PartyMember).where(PartyMember.id.in_(ids)))
        db.session.execute(delete(User).where(User.username.like("t-race-%")))
        db.session.execute(delete(PartyUnit).where(PartyUnit.code == UNIT))
        # The two approval lines stay: the audit log is append-only (a trigger refuses deletes).
        db.session.commit()


def test_concurrent_claims_one_wins(app):
    try:
        with app.app_context():
            wish_id = _setup(app)
        clients = []
        for i in range(2):
            c = app.test_client()
            assert c.post("/login", data={"username": f"t-race-{i}", "password": PASSWORD}).status_code == 302
            clients.append(c)
        responses = run_threads(2, lambda i: clients[i].post(f"/api/v1/wishes/{wish_id}/claim"))
        assert sorted(r.status_code for r in responses) == [200, 409], [r.get_json() for r in responses]
        loser = next(r for r in responses if r.status_code == 409)
        assert loser.get_json()["error"] == "wish_not_open"
        with app.app_context():
            wish = db.session.get(Wish, wish_id)
            winner = next(i for i, r in enumerate(responses) if r.status_code == 200)
            owner = db.session.scalar(select(PartyMember.user_id).where(PartyMember.id == wish.member_id))
            assert wish.status == "claimed"
            assert owner == db.session.scalar(select(User.id).where(User.username == f"t-race-{winner}"))
    finally:
        _cleanup(app)
