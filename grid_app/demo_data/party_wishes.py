"""The demo's micro-wishes (微心愿): raised from the demo visits' concerns and by grid workers, open,
claimed by members and fulfilled.

A wish's title and description are what members read: they name no one (the resident, household and
visit links are kept apart, for the register roles). Wishes are upserted by their idempotency keys
(`demo-wish:...`, made of places and numbers, never personal data), so a reload resets the demo's
wishes to their plan, re-dated from the load date, and adds none.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from grid_app.demo_data.party_members import SEED, StoredMember
from grid_app.demo_data.register import grid_workers
from grid_app.demo_data.visit_plan import KEY_PREFIX
from grid_app.models.party_service import Wish

KEY = "demo-wish:"
VISIT_WISHES, WORKER_WISHES = 4, 8  # per community (a test's slice: half)
# A concern found on a visit, as the wish a member can take on (the visit's wording names no one either).
FROM_CONCERN = {
    "反映腿脚不便，需协助预约社区医生上门": ("协助预约社区医生上门", "老人腿脚不便，希望有人帮忙预约社区医生上门问诊。"),
    "家中燃气灶老化，建议更换": ("更换老化的燃气灶", "家中燃气灶用了多年已经老化，希望有人帮忙联系更换。"),
    "反映低保年审材料不清楚，需跟进": ("帮忙准备低保年审材料", "不清楚低保年审要交哪些材料，希望有人帮忙整理。"),
    "楼道堆放杂物影响出行，需协调物业清理": ("清理楼道堆放的杂物", "楼道里堆了杂物，老人上下楼不方便。"),
    "近期血压偏高，已联系家庭医生": ("一台电子血压计", "近期血压偏高，希望家里有一台血压计每天自测。"),
    "卫生间漏水，需联系维修": ("修理卫生间漏水", "卫生间漏水，自己修不了，希望有人帮忙维修。"),
}
FROM_WORKER = (
    ("一副老花镜", "老人视力下降，看报纸吃力，希望有一副合适的老花镜。"),
    ("学用智能手机视频通话", "子女在外地工作，老人想学会用手机和家人视频。"),
    ("孩子的新书包和学习用品", "家里孩子开学，需要书包和文具。"),
    ("更换楼道里坏了的灯泡", "家门口的楼道灯坏了，晚上出行不便。"),
    ("陪同去医院复查", "老人行动不便，下个月要去医院复查，希望有人陪同。"),
    ("借用一台轮椅", "家人术后康复期间需要轮椅出行。"),
    ("每周上门陪伴聊天", "独自在家，希望每周有人上门聊聊天。"),
    ("修理漏水的水龙头", "厨房水龙头漏水，自己无法修理。"),
    ("一台电风扇", "家里的电风扇坏了，夏天需要一台。"),
    ("帮忙在网上预约挂号", "不会用手机挂号，希望有人帮忙预约。"),
)
WANT = {0: "fulfilled", 1: "open"}  # a community's first worker wishes: each community shows both
NOTES = ("已上门完成，居民表示感谢", "已购买并送到家中", "已联系师傅上门修好", "已陪同办理完成")

_CONCERN_VISITS = text("""
SELECT b.community_id, v.id, v.idempotency_key, v.resident_id, r.household_id, v.worker_id, v.at, v.finding, b.grid_id
FROM visit v JOIN resident r ON r.id = v.resident_id JOIN household h ON h.id = r.household_id
JOIN building b ON b.id = h.building_id
WHERE b.code = ANY(:codes) AND v.idempotency_key LIKE :prefix AND v.finding = ANY(:concerns)
  AND NOT EXISTS (SELECT 1 FROM wish w WHERE w.visit_id = v.id
                  AND w.idempotency_key IS DISTINCT FROM :key || v.idempotency_key)
ORDER BY v.idempotency_key
""")
_HOUSEHOLDS = text("""
SELECT b.community_id, h.id, b.grid_id, g.code FROM household h JOIN building b ON b.id = h.building_id
JOIN grid g ON g.id = b.grid_id WHERE b.code = ANY(:codes) ORDER BY b.code, h.unit, h.room
""")


def load_wishes(session: Session, members: list[StoredMember], communities: dict[int, tuple[str, str]],
                codes: set[str], featured: int | None, now: datetime, *, slice_: bool) -> list[str]:
    """Wishes for each community {id: (code, street code)} in the demo's buildings; flush only."""
    share = 2 if slice_ else 1
    # One pass over the demo's visits and flats for all communities (both ordered, so each community's list is too).
    visits_of, homes_of = {}, {}
    for v in session.execute(_CONCERN_VISITS, {"codes": sorted(codes), "prefix": KEY_PREFIX + "%",
                                               "concerns": list(FROM_CONCERN), "key": KEY}):
        visits_of.setdefault(v.community_id, []).append(v)
    for cid, household, grid_id, grid_code in session.execute(_HOUSEHOLDS, {"codes": sorted(codes)}):
        homes_of.setdefault(cid, []).append((household, grid_id, grid_code))
    workers = grid_workers(session, {g: c for homes in homes_of.values() for _, g, c in homes})
    rows = []
    for cid, (code, street) in sorted(communities.items(), key=lambda c: c[1][0]):
        serving = [m.id for m in members if m.plan.approved and m.status == "approved"
                   and m.plan.home.community_id == cid]
        visits = visits_of.get(cid, [])
        rng = random.Random(f"{SEED}:wishes:{code}")
        for v in rng.sample(visits, min(len(visits), VISIT_WISHES // share)):
            title, description = FROM_CONCERN[v.finding]
            rows.append(_fate(rng, {"idempotency_key": KEY + v.idempotency_key, "community_id": cid,
                                    "street_code": street, "grid_id": v.grid_id, "resident_id": v.resident_id,
                                    "household_id": v.household_id, "visit_id": v.id, "title": title,
                                    "description": description, "raised_by": v.worker_id,
                                    "raised_at": v.at + timedelta(hours=2)}, serving, None, now))
        homes = homes_of.get(cid, [])
        for i in range(min(len(homes), WORKER_WISHES // share)):
            household, grid_id, _ = rng.choice(homes)
            title, description = FROM_WORKER[rng.randrange(len(FROM_WORKER))]
            days = {0: rng.randint(20, 80), 1: rng.randint(0, 10)}.get(i, rng.randint(0, 80))
            rows.append(_fate(rng, {"idempotency_key": f"{KEY}{code}:{i}", "community_id": cid, "street_code": street,
                                    "grid_id": grid_id, "resident_id": None, "household_id": household,
                                    "visit_id": None, "title": title, "description": description,
                                    "raised_by": workers[grid_id],
                                    "raised_at": now - timedelta(days=days, hours=rng.randint(2, 10))},
                              serving, featured if i in (0, 2) else None, now, want=WANT.get(i)))
    if rows:
        stmt = insert(Wish.__table__)
        session.execute(stmt.on_conflict_do_update(index_elements=["idempotency_key"], set_={
            c: getattr(stmt.excluded, c) for c in rows[0] if c != "idempotency_key"}), rows)
    count = {s: sum(r["status"] == s for r in rows) for s in ("open", "claimed", "fulfilled")}
    return [f"micro-wishes: {len(rows)} ({sum(r['visit_id'] is not None for r in rows)} from visits; "
            f"{count['open']} open, {count['claimed']} claimed, {count['fulfilled']} fulfilled)"]


def _fate(rng: random.Random, row: dict, serving: list[int], featured: int | None, now: datetime, *,
          want: str | None = None) -> dict:
    """Open, claimed or fulfilled, by the wish's age: a member claims within days and fulfils within a week."""
    age = now - row["raised_at"]
    roll = rng.random()
    row.update(status="open", member_id=None, claimed_at=None, fulfilled_at=None, fulfil_note=None)
    if want == "open" or not serving or age < timedelta(days=3) or (want is None and roll < 0.25):
        return row
    member = featured if featured in serving else rng.choice(serving)
    claimed = row["raised_at"] + timedelta(hours=rng.randint(12, 60))
    row.update(status="claimed", member_id=member, claimed_at=claimed)
    if age > timedelta(days=15) and (want == "fulfilled" or roll >= 0.45):
        row.update(status="fulfilled", fulfilled_at=claimed + timedelta(days=rng.randint(1, 8)),
                   fulfil_note=rng.choice(NOTES))
    return row
