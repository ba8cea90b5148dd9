"""Membership is derived from the home building: 党小组 / 党支部 / 党委 follow the hierarchy, even on re-import."""
from __future__ import annotations

from sqlalchemy import select

from grid_app.models import Community
from grid_app.party.membership import organisations_of, party_tree
from grid_app.places.importer import import_files

from .. import district as d
from ..geo import box, feature, write_layer

NEW_AREA = d.COMM_A + "R002"


def _tree(session):
    return party_tree(session, session.scalar(select(Community).where(Community.code == d.COMM_A)))


def test_member_lands_in_group_branch_and_committee(session, users, make_member):
    courtyard = make_member("张红", "13900001111", approve_as=users["secretary"])
    tower = make_member("李明", "13900002222", building=d.TOWER, approve_as=users["secretary"])
    orgs = organisations_of(session, [courtyard.id, tower.id])
    assert orgs[courtyard.id]["party_group"] == "1栋党小组"
    assert orgs[courtyard.id]["party_branch"] == "翠微苑党支部"
    assert orgs[courtyard.id]["party_committee"] == "甲社区党委"
    assert orgs[tower.id]["party_group"] is None  # 2栋 has no 党小组: the branch is the nearest level
    assert orgs[tower.id]["party_branch"] == "翠微苑党支部"


def test_tree_counts_approved_members_per_level(session, users, make_member):
    make_member("张红", "13900001111", approve_as=users["secretary"])
    make_member("王芳", "13900003333", approve_as=users["secretary"])
    make_member("李明", "13900002222", building=d.TOWER, approve_as=users["secretary"])
    make_member("赵强", "13900004444")  # pending: not counted
    tree = _tree(session)
    assert tree["organisation"]["name"] == "甲社区党委" and tree["members"] == 3
    [branch] = tree["branches"]
    assert branch["organisation"]["name"] == "翠微苑党支部" and branch["members"] == 3
    assert [(g["organisation"]["name"], g["members"]) for g in branch["groups"]] == [("1栋党小组", 2)]
    assert branch["members_without_group"] == 1


def test_building_moving_to_another_area_on_reimport_moves_its_members(session, users, make_member, tmp_path):
    member = make_member("张红", "13900001111", approve_as=users["secretary"])
    layers = d.layers()
    layers["residential_areas"] = [
        feature(box(250, 250, 450, 450), code=d.AREA, name="翠微苑", community_code=d.COMM_A,
                party_org_kind="党支部", party_org_name="翠微苑党支部", party_secretary="陈支书"),
        feature(box(50, 50, 240, 240), code=NEW_AREA, name="新苑", community_code=d.COMM_A,
                party_org_kind="党支部", party_org_name="新苑党支部", party_secretary="周支书"),
    ]
    for b in layers["buildings"]:
        if b["properties"]["code"] == d.COURTYARD:
            b["properties"]["residential_area_code"] = NEW_AREA
    paths = [write_layer(tmp_path / f"{name}.geojson", layers[name]) for name in ("residential_areas", "buildings")]
    import_files(session, paths, progress=False)

    orgs = organisations_of(session, [member.id])[member.id]
    assert orgs["party_branch"] == "新苑党支部"
    assert orgs["residential_area"]["code"] == NEW_AREA
    assert orgs["party_group"] == "1栋党小组"  # the group travels with its building
    branches = {b["residential_area"]["code"]: b["members"] for b in _tree(session)["branches"]}
    assert branches == {d.AREA: 0, NEW_AREA: 1}


def test_party_tree_api_in_scope(login, users, make_member):
    make_member("张红", "13900001111", approve_as=users["secretary"])
    body = login("secretary").get(f"/api/v1/communities/{d.COMM_A}/party-tree").get_json()
    assert body["members"] == 1 and body["branches"][0]["groups"][0]["members"] == 1
    assert login("secretary_b").get(f"/api/v1/communities/{d.COMM_A}/party-tree").status_code == 404


def test_community_page_shows_the_tree(login, users, make_member):
    make_member("张红", "13900001111", approve_as=users["secretary"])
    html = login("secretary").get(f"/communities/{d.COMM_A}?lang=en").get_data(as_text=True)
    assert 'id="party-tree"' in html and "1栋党小组" in html and "1 members" in html
