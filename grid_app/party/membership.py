"""Membership derived, never stored: a member's 党小组, 党支部 and 党委/党总支 come from the home building.

党小组 = the organisation of the home building (if any), 党支部 = the one of the building's residential
area, 党委/党总支 = the community's. Read in SQL at read time, so a building that moves to another
residential area on re-import moves its members with it. Counts per level are of approved members.
"""
from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

from grid_app.models import Community

# One organisation per owner (the importer replaces them); LIMIT 1 keeps a stray duplicate from
# doubling a member.
_ORGS_OF_MEMBERS = text("""
SELECT m.id AS member_id, c.code AS community_code, c.name AS community_name,
       b.code AS building_code, b.name AS building_name, ra.code AS area_code, ra.name AS area_name,
       grp.name AS group_name, branch.name AS branch_name, top.kind AS committee_kind, top.name AS committee_name
FROM party_member m
JOIN building b ON b.id = m.building_id
JOIN community c ON c.id = b.community_id
LEFT JOIN residential_area ra ON ra.id = b.residential_area_id
LEFT JOIN LATERAL (SELECT name FROM party_organisation o WHERE o.building_id = b.id
                   ORDER BY o.id LIMIT 1) grp ON true
LEFT JOIN LATERAL (SELECT name FROM party_organisation o WHERE o.residential_area_id = b.residential_area_id
                   ORDER BY o.id LIMIT 1) branch ON true
LEFT JOIN LATERAL (SELECT kind, name FROM party_organisation o WHERE o.community_id = b.community_id
                   ORDER BY o.id LIMIT 1) top ON true
WHERE m.id = ANY(:ids)
""")

# Approved members per home building of one community, with the building's area and 党小组.
_COUNTS = text("""
SELECT b.id, b.code, b.name, b.residential_area_id, count(m.id) AS members,
       (SELECT o.name FROM party_organisation o WHERE o.building_id = b.id ORDER BY o.id LIMIT 1) AS group_name,
       (SELECT o.secretary FROM party_organisation o WHERE o.building_id = b.id ORDER BY o.id LIMIT 1) AS group_secretary
FROM building b
LEFT JOIN party_member m ON m.building_id = b.id AND m.status = 'approved'
WHERE b.community_id = :community
GROUP BY b.id
HAVING count(m.id) > 0 OR EXISTS (SELECT 1 FROM party_organisation o WHERE o.building_id = b.id)
ORDER BY b.code
""")

_AREAS = text("""
SELECT ra.id, ra.code, ra.name, o.kind, o.name AS org_name, o.secretary
FROM residential_area ra
LEFT JOIN LATERAL (SELECT kind, name, secretary FROM party_organisation o
                   WHERE o.residential_area_id = ra.id ORDER BY o.id LIMIT 1) o ON true
WHERE ra.community_id = :community ORDER BY ra.code
""")

_TOP = text("""SELECT kind, name, secretary FROM party_organisation WHERE community_id = :community
               ORDER BY id LIMIT 1""")


def organisations_of(session: Session, member_ids: list[int]) -> dict[int, dict]:
    """For each member id: community, home building, residential area and the derived 党小组/党支部/党委."""
    if not member_ids:
        return {}
    rows = session.execute(_ORGS_OF_MEMBERS, {"ids": list(member_ids)}).mappings()
    return {r["member_id"]: {
        "community": {"code": r["community_code"], "name": r["community_name"]},
        "building": {"code": r["building_code"], "name": r["building_name"]},
        "residential_area": {"code": r["area_code"], "name": r["area_name"]} if r["area_code"] else None,
        "party_group": r["group_name"], "party_branch": r["branch_name"],
        "party_committee": r["committee_name"], "party_committee_kind": r["committee_kind"],
    } for r in rows}


def _org(kind, name, secretary) -> dict | None:
    return {"kind": kind, "name": name, "secretary": secretary} if name else None


def party_tree(session: Session, community: Community) -> dict:
    """党委 → 党支部 → 党小组 of a community with approved members per level (members of a building
    with no 党小组 count in its 党支部; of a building in no residential area, in the community only)."""
    params = {"community": community.id}
    buildings = session.execute(_COUNTS, params).all()
    branches = []
    for area in session.execute(_AREAS, params).all():
        inside = [b for b in buildings if b.residential_area_id == area.id]
        groups = [{"building": {"code": b.code, "name": b.name},
                   "organisation": _org("党小组", b.group_name, b.group_secretary), "members": b.members}
                  for b in inside if b.group_name]
        total = sum(b.members for b in inside)
        branches.append({"residential_area": {"code": area.code, "name": area.name},
                         "organisation": _org(area.kind, area.org_name, area.secretary),
                         "members": total, "groups": groups,
                         "members_without_group": total - sum(g["members"] for g in groups)})
    top = session.execute(_TOP, params).first()
    total = sum(b.members for b in buildings)
    return {"community": {"code": community.code, "name": community.name},
            "organisation": _org(top.kind, top.name, top.secretary) if top else None,
            "members": total, "branches": branches,
            "members_without_branch": total - sum(b["members"] for b in branches)}
