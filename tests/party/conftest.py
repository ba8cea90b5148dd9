"""Fixtures for the party side: a registered unit of community A and members made the app's way."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from grid_app.models import Community
from grid_app.party import members
from grid_app.party.registration import check_registration
from grid_app.party.units import save_unit
from grid_app.people.crypto import app_keyring

from .. import district as d

UNIT_CODE = "91341700MA2N000001"  # a 统一社会信用代码-shaped code
UNIT_B_CODE = "11341700MB0000002X"


@pytest.fixture()
def keys(app):
    """The app's personal-data keyring."""
    return app_keyring(app)


@pytest.fixture()
def unit(session):
    """A unit paired with community A (and one with community B)."""
    comm_a = session.scalar(select(Community).where(Community.code == d.COMM_A))
    comm_b = session.scalar(select(Community).where(Community.code == d.COMM_B))
    save_unit(session, code=UNIT_B_CODE, name="市税务局", community=comm_b, party_org_name="市税务局机关党委")
    return save_unit(session, code=UNIT_CODE, name="市财政局", community=comm_a,
                     party_org_name="市财政局机关第一党支部", projects="共建文明楼栋")


@pytest.fixture()
def make_member(session, keys, unit):
    """make_member(name, phone, building=..., approve_as=user) → a member written as the API writes one."""
    def _make(name="张红", phone="13900001111", building=d.COURTYARD, approve_as=None, **extra):
        reg = check_registration(session, {"name": name, "phone": phone, "building": building,
                                           "unit": extra.pop("unit", UNIT_CODE), **extra})
        member = members.register(session, keys, reg)
        if approve_as is not None:
            members.decide(session, approve_as, member.id, "approve")
        return member
    return _make
