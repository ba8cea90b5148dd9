"""Reference data kept as code lists: facility types, case categories, care levels and tags."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from grid_app.models import FACILITY_TYPES, CareLevel, CareTag, Category, DemandGroup, FacilityType, LifeCircleItem


def seed_reference_data(session: Session) -> None:
    """Insert or refresh the seeded code lists (idempotent)."""
    rows = [{"code": c, "name": n, "name_en": e, "circle_minutes": m} for c, n, e, m in FACILITY_TYPES]
    stmt = insert(FacilityType.__table__).values(rows)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["code"],
        set_={k: stmt.excluded[k] for k in ("name", "name_en", "circle_minutes")}))
    seed_categories(session)
    seed_care(session)
    seed_measures(session)


# (code, name, English name, group, default level, hours per step register/dispatch/handle/verify,
#  keywords). Groups follow the event classes of digital urban management (市容环境, 宣传广告,
# 施工管理, 突发事件, 街面秩序, 其他) and of community governance (矛盾纠纷, 安全隐患, 民生服务, 治安防控).
CATEGORIES = [
    ("0101", "暴露垃圾", "Exposed rubbish", "市容环境", "grid", (1, 2, 24, 24), "垃圾,卫生"),
    ("0102", "积存垃圾渣土", "Accumulated waste and spoil", "市容环境", "grid", (1, 2, 48, 24), "渣土,垃圾"),
    ("0103", "道路不洁", "Dirty road surface", "市容环境", "grid", (1, 2, 24, 24), "保洁"),
    ("0201", "非法小广告", "Illegal small advertisements", "宣传广告", "grid", (2, 4, 48, 24), "小广告,牛皮癣"),
    ("0202", "违规户外广告", "Non-compliant outdoor advertising", "宣传广告", "community", (4, 8, 120, 48), "广告牌"),
    ("0301", "施工扰民", "Construction disturbance", "施工管理", "community", (2, 4, 48, 24), "噪音,施工"),
    ("0302", "违规占道施工", "Unauthorised roadworks", "施工管理", "street", (2, 4, 72, 24), "占道,施工"),
    ("0401", "路面塌陷", "Road collapse", "突发事件", "street", (1, 1, 12, 12), "塌陷,道路"),
    ("0402", "水管爆裂", "Burst water main", "突发事件", "community", (1, 1, 12, 12), "水管,漏水"),
    ("0501", "占道经营", "Street vending on the carriageway", "街面秩序", "grid", (1, 2, 24, 24), "摊贩"),
    ("0502", "乱堆物料", "Materials piled in public space", "街面秩序", "grid", (1, 2, 48, 24), "堆放"),
    ("0503", "违规停车", "Illegal parking", "街面秩序", "grid", (1, 2, 12, 12), "停车"),
    ("0601", "邻里纠纷", "Dispute between neighbours", "矛盾纠纷", "grid", (2, 4, 72, 48), "调解,纠纷"),
    ("0602", "物业纠纷", "Property-management dispute", "矛盾纠纷", "community", (4, 8, 120, 48), "物业"),
    ("0701", "消防通道堵塞", "Blocked fire lane", "安全隐患", "grid", (1, 1, 12, 12), "消防"),
    ("0702", "高空坠物隐患", "Risk of falling objects", "安全隐患", "community", (1, 2, 24, 24), "坠物"),
    ("0703", "电动车楼道充电", "E-bike charging in stairwell", "安全隐患", "grid", (1, 2, 24, 24), "电动车,充电"),
    ("0801", "独居老人帮扶", "Help for an elderly person living alone", "民生服务", "grid", (2, 4, 48, 48), "老人,帮扶"),
    ("0802", "困难救助", "Hardship assistance", "民生服务", "community", (4, 8, 120, 72), "救助,低保"),
    ("0901", "治安隐患", "Public security risk", "治安防控", "community", (1, 2, 24, 24), "治安"),
    ("9901", "其他", "Other", "其他", "grid", (2, 4, 72, 48), None),
]
# When the list above (or open311/attributes.py) last changed: Open311's changeset, which tells clients
# to fetch the service list again. Move it with every change to either table.
CATEGORIES_CHANGED = "2026-11-24T00:00:00+08:00"


def seed_categories(session: Session) -> None:
    """Insert or refresh the case categories (idempotent)."""
    rows = [{"code": c, "name": n, "name_en": e, "group_name": g, "default_level": lvl,
             "deadline_hours": dict(zip(("register", "dispatch", "handle", "verify"), hours)),
             "keywords": kw, "active": True, "sort": i}
            for i, (c, n, e, g, lvl, hours, kw) in enumerate(CATEGORIES)]
    stmt = insert(Category.__table__).values(rows)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["code"], set_={k: stmt.excluded[k] for k in rows[0] if k != "code"}))


def active_categories(session: Session) -> list[Category]:
    """The active case categories in their code-list order."""
    return list(session.scalars(select(Category).where(Category.active).order_by(Category.sort, Category.code)))


def facility_types(session: Session) -> list[FacilityType]:
    """The facility types in their seeded order."""
    return list(session.scalars(select(FacilityType).order_by(FacilityType.id)))


# Care levels (code, name, English name, home visit every N days, phone call every N days): the
# red / yellow / green practice of the field; a district changes the rows, not the code.
CARE_LEVELS = [
    ("red", "红色", "Red", 7, 1),
    ("yellow", "黄色", "Yellow", 14, 7),
    ("green", "绿色", "Green", 30, 14),
]
# Care tags (code, name, English name, sensitive: health, disability, welfare, minors — PIPL Art. 28).
CARE_TAGS = [
    ("elderly_alone", "独居老人", "Elderly person living alone", True),
    ("disabled", "残疾人", "Person with a disability", True),
    ("dibao", "低保", "Minimum living allowance (dibao)", True),
    ("veteran", "退役军人", "Veteran", False),
    ("left_behind_child", "留守儿童", "Left-behind child", True),
    ("empty_nest", "空巢老人", "Empty-nest elderly person", True),
    ("serious_illness", "大病患者", "Person with a serious illness", True),
]


def seed_care(session: Session) -> None:
    """Insert the care levels and tags; rows a district already changed keep their values (idempotent)."""
    session.execute(insert(CareLevel.__table__).values(
        [{"code": c, "name": n, "name_en": e, "visit_days": v, "call_days": p} for c, n, e, v, p in CARE_LEVELS]
    ).on_conflict_do_nothing(index_elements=["code"]))
    session.execute(insert(CareTag.__table__).values(
        [{"code": c, "name": n, "name_en": e, "sensitive": s} for c, n, e, s in CARE_TAGS]
    ).on_conflict_do_nothing(index_elements=["code"]))


# The life-circle checklist (level minutes, facility type, the standard's item, where it is listed): which
# of the app's types GB 50180-2018 (城市居住区规划设计标准, 附录B 配套设施设置规定: 表B.0.1 十五分钟和
# 十分钟生活圈居住区, 表B.0.2 五分钟生活圈居住区, 表B.0.3 居住街坊) and TD/T 1062-2021 (社区生活圈规划
# 技术指南, 附录 服务要素: 15分钟 and 5-10分钟 层级) list for each level. The item is the standard's own
# name of the facility (GB 50180's where both list it); 便利店 is a 居住街坊 item there, the level below
# 5 minutes, so it is checked at 5. At 15 minutes GB 50180 also lists 大型多功能运动场地, 门诊部, 养老院,
# 老年养护院, 街道办事处, 司法所 and more, which have no facility type here: add a type and a row.
# The items and table numbers follow the published standards; no copy of their tables could be read from
# here (the search found secondary accounts only, which do name 初中, 社区卫生服务中心 and 文化活动中心
# for the 15-minute circle), so check the exact wording against the text before quoting it. A district changes rows (or min_share, the share of residents that
# must reach the type for 达标); re-seeding keeps them.
_GB_15 = "GB 50180-2018 附录B 表B.0.1 十五分钟生活圈居住区; TD/T 1062-2021 15分钟层级"
_GB_10 = "GB 50180-2018 附录B 表B.0.1 十分钟生活圈居住区"
_GB_5 = "GB 50180-2018 附录B 表B.0.2 五分钟生活圈居住区"
LIFE_CIRCLE = [
    (5, "kindergarten", "幼儿园", f"{_GB_5}; TD/T 1062-2021 5-10分钟层级"),
    (5, "elderly_care", "老年人日间照料中心（托老所）", f"{_GB_5}; TD/T 1062-2021 5-10分钟层级"),
    (5, "health_station", "社区卫生服务站", f"{_GB_5}; TD/T 1062-2021 5-10分钟层级"),
    (5, "fitness", "室外综合健身场地（含老年户外活动场地）", _GB_5),
    (5, "party_service", "社区服务站（含居委会）", f"{_GB_5}; TD/T 1062-2021 5-10分钟层级"),
    (5, "convenience", "便利店", "GB 50180-2018 附录B 表B.0.3 居住街坊"),
    (10, "primary_school", "小学", _GB_10),
    (10, "market", "菜市场或生鲜超市", _GB_10),
    (15, "middle_school", "初中", _GB_15),
    (15, "health_centre", "卫生服务中心（社区医院）", _GB_15),
    (15, "culture_centre", "文化活动中心（含青少年、老年活动中心）", _GB_15),
    (15, "street_service", "社区服务中心（街道级）", _GB_15),
]
LIFE_CIRCLE_MIN_SHARE = 0.9
# Who a facility type serves, by age in whole years (inclusive; None: no upper bound): the 2SFCA demand.
# Types without a row serve every resident.
DEMAND_GROUPS = [
    ("kindergarten", "3-6岁儿童", 3, 6),
    ("elderly_care", "60岁及以上老年人", 60, None),
]


def seed_measures(session: Session) -> None:
    """Insert the life-circle checklist and the demand groups; rows a district changed keep their values."""
    ids = dict(session.execute(select(FacilityType.code, FacilityType.id)).all())
    items = [{"level_minutes": m, "type_id": ids[t], "standard_item": item, "source": src,
              "min_share": LIFE_CIRCLE_MIN_SHARE} for m, t, item, src in LIFE_CIRCLE if t in ids]
    if items:
        session.execute(insert(LifeCircleItem.__table__).values(items).on_conflict_do_nothing(
            index_elements=["level_minutes", "type_id"]))
    groups = [{"type_id": ids[t], "name": n, "age_min": lo, "age_max": hi} for t, n, lo, hi in DEMAND_GROUPS if t in ids]
    if groups:
        session.execute(insert(DemandGroup.__table__).values(groups).on_conflict_do_nothing(index_elements=["type_id"]))
