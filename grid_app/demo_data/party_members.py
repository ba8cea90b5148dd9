"""The demo's 双报到: registered units (单位报到), synthetic party members (个人报到) and the demo-member login.

Nothing here can be a real unit or person, by construction:
- Unit codes are shaped like a 统一社会信用代码 (GB 32100: authority + type, a 6-digit address code, a
  GB 11714 organisation code with its check digit, the final check character) and pass both checks,
  but carry the address code 000000. The code embeds the registering authority's GB/T 2260 division
  code, whose first digit is a province (1-8), so no authority anywhere can have issued it; it reads as
  synthetic at a glance. The unit names are generic offices of a city (市财政局, 区人民医院...).
- Phones start 100, which no carrier issues (see people.py); names come from the demo's name lists.

Deterministic: units are a fixed list; members come from a generator seeded per community, spread over
the community's buildings weighted by residents (twice as likely where the building has a 党小组).
Registration and approval dates count back from the load date. A reload adds no one: members are found
by their phone's keyed hash (under any key) and kept as they are, so a secretary's decision survives it.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from grid_app.access.accounts import create_user
from grid_app.demo_data.names import GIVEN, SURNAMES
from grid_app.demo_data.people import PHONE_PREFIX
from grid_app.models import Building, Community, User
from grid_app.models.party import PartyMember, PartyUnit
from grid_app.party.members import link_account
from grid_app.party.units import save_unit
from grid_app.people.crypto import Keyring

SEED = 16
NO_LOGIN = "!"  # not a password hash: nobody can log in as the other communities' demo secretaries
MEMBER_SHARE = 0.15  # of a community's recorded party members, this share has registered in the demo
SLICE_MEMBERS_PER_GRID = 4  # a test's slice: this many members per sliced grid's worth (per_grid given)
P_PENDING, P_OWN_EMPLOYER = 0.05, 0.12
GROUP_WEIGHT = 2.0  # a building with a 党小组 is this much likelier to be a member's home
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100 alphabet (no I, O, S, V, Z)
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code
REGION = "000000"  # unassigned division code (see the module docstring)
# (name, its party organisation, GB 32100 authority + type: 11 organ, 12 public institution, 91 company, projects)
UNITS = (
    ("市财政局", "市财政局机关第一党支部", "11", "共建文明楼栋；政策宣讲进小区"),
    ("区人民医院", "区人民医院党委", "12", "义诊进社区；慢病随访结对"),
    ("建设银行池州分行", "建设银行池州分行党委", "91", "金融知识进社区；防范电信诈骗宣传"),
    ("区税务局", "区税务局机关党委", "11", "税费政策咨询；结对帮扶困难家庭"),
    ("市自来水公司", "市自来水公司党总支", "91", "老旧管网义务检修"),
    ("区教育局", "区教育局机关党支部", "11", "四点半课堂；假期托管"),
    ("市第二中学", "市第二中学党总支", "12", "青少年课业辅导"),
    ("区市场监督管理局", "区市场监督管理局机关党支部", "11", "食品安全进社区"),
    ("市妇幼保健院", "市妇幼保健院党支部", "12", "母婴健康讲座；儿童免费体检"),
    ("区人力资源和社会保障局", "区人社局机关党支部", "11", "就业岗位推介；社保政策咨询"),
    ("市供电公司", "市供电公司城区供电中心党支部", "91", "老旧小区用电安全检查"),
    ("区城市管理局", "区城市管理局机关党支部", "11", "背街小巷环境整治"),
    ("农商银行城区支行", "农商银行城区支行党支部", "91", "适老金融服务进社区"),
    ("市图书馆", "市图书馆党支部", "12", "社区流动书屋"),
    ("区疾病预防控制中心", "区疾控中心党支部", "12", "健康知识讲座；疫苗接种宣传"),
)
OTHER_EMPLOYERS = ("区人民法院", "市中医院", "市第三中学", "区住房和城乡建设局", "市公共交通公司", "区退役军人事务局")
SKILLS = ("法律咨询", "医疗护理", "家电维修", "水电维修", "理发", "书法", "心理疏导", "财会", "摄影", "驾驶",
          "电脑维修", "课业辅导", "文艺表演", "政策宣讲", "心肺复苏")


@dataclass(frozen=True)
class Home:
    """A demo building a member may live in."""

    id: int
    code: str
    community_id: int
    street_code: str
    residents: int
    has_group: bool


@dataclass(frozen=True)
class DemoMember:
    """A synthetic member as planned (days count back from the load date)."""

    name: str
    phone: str
    unit: str | None  # unit code
    employer_name: str | None
    employer_party_org: str | None
    home: Home
    skills: str | None
    approved: bool
    registered_days_ago: int


@dataclass(frozen=True)
class StoredMember:
    """A planned member with its stored id and current status."""

    plan: DemoMember
    id: int
    status: str


def credit_code(kind: str, seq: int) -> str:
    """A GB 32100-valid 统一社会信用代码 under the unassigned division code 000000."""
    body = f"D{seq:07d}"
    first17 = f"{kind}{REGION}{body}{organisation_check(body)}"
    return first17 + credit_check(first17)


def organisation_check(body: str) -> str:
    """The GB 11714 check digit of an 8-character organisation code."""
    value = 11 - sum(int(c, 36) * w for c, w in zip(body, ORG_WEIGHTS)) % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def credit_check(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    return USCC_CHARS[(31 - sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS)) % 31) % 31]


def plan_members(homes: list[Home], counts: dict[int, int], community_codes: dict[int, str]) -> list[DemoMember]:
    """`counts[community]` members per community over its homes, each community from its own seed."""
    unit_codes = [credit_code(kind, i + 1) for i, (_, _, kind, _) in enumerate(UNITS)]
    orgs = {credit_code(kind, i + 1): org for i, (_, org, kind, _) in enumerate(UNITS)}
    phones: set[str] = set()
    planned = []
    for cid in sorted(counts, key=lambda c: community_codes[c]):
        rng = random.Random(f"{SEED}:members:{community_codes[cid]}")
        mine = [h for h in homes if h.community_id == cid]
        if not mine:
            continue
        weights = [h.residents * (GROUP_WEIGHT if h.has_group else 1.0) for h in mine]
        for i, home in enumerate(rng.choices(mine, weights, k=counts[cid])):
            phone = f"{PHONE_PREFIX}{rng.randrange(10 ** 8):08d}"
            while phone in phones:
                phone = f"{PHONE_PREFIX}{rng.randrange(10 ** 8):08d}"
            phones.add(phone)
            unit = None if rng.random() < P_OWN_EMPLOYER else rng.choice(unit_codes)
            employer = None if unit else rng.choice(OTHER_EMPLOYERS)
            # The last two of each community wait for the secretary, so the approval page always has some.
            approved = i == 0 or (i < counts[cid] - 2 and rng.random() >= P_PENDING)
            skills = "、".join(rng.sample(SKILLS, rng.choice((0, 1, 1, 2)))) or None
            planned.append(DemoMember(rng.choice(SURNAMES) + rng.choice(GIVEN), phone, unit, employer,
                                      orgs[unit] if unit else f"{employer}机关党支部", home, skills, approved,
                                      rng.randint(30, 700) if approved else rng.randint(1, 12)))
    return planned


def load_units(session: Session, community_ids: list[int]) -> dict[str, PartyUnit]:
    """The demo's registered units, paired with the demo's communities in turn (a stored unit is kept)."""
    communities = list(session.scalars(select(Community).where(Community.id.in_(community_ids))
                                       .order_by(Community.code)))
    units = {}
    for i, (name, org, kind, projects) in enumerate(UNITS):
        code = credit_code(kind, i + 1)
        existing = session.scalar(select(PartyUnit).where(PartyUnit.code == code))
        # A stored unit keeps what the desk may have changed since; only a missing one is written.
        units[code] = existing or save_unit(session, code=code, name=name, community=communities[i % len(communities)],
                                            party_org_name=org, projects=projects)
    return units


def community_secretaries(session: Session, community_ids: list[int]) -> dict[int, int]:
    """{community id: the user who approves there}: its secretary, else a no-login demo secretary made for it."""
    found = dict(session.execute(text(
        "SELECT DISTINCT ON (community_id) community_id, id FROM app_user WHERE role = 'secretary' "
        "AND community_id = ANY(:ids) ORDER BY community_id, active DESC, username"), {"ids": community_ids}).all())
    for cid in sorted(set(community_ids) - set(found)):
        community = session.get(Community, cid)
        name = session.scalar(text("SELECT secretary FROM party_organisation WHERE community_id = :c "
                                   "ORDER BY id LIMIT 1"), {"c": cid})
        user = User(username=f"demo-sec-{community.code}", display_name=name or f"{community.name}书记",
                    password_hash=NO_LOGIN, role="secretary", active=True, community_id=cid)
        session.add(user)
        session.flush()
        found[cid] = user.id
    return found


def demo_homes(session: Session, codes: set[str]) -> list[Home]:
    """The demo's buildings with residents, with whether each has a 党小组."""
    rows = session.execute(select(
        Building.id, Building.code, Building.community_id, Building.street_code, Building.residents,
        text("EXISTS (SELECT 1 FROM party_organisation o WHERE o.building_id = building.id)"))
        .where(Building.code.in_(sorted(codes)), Building.residents > 0).order_by(Building.code)).all()
    return [Home(*row) for row in rows]


def member_counts(session: Session, homes: list[Home], per_grid: int | None) -> dict[int, int]:
    """Members per community: a share of its recorded party members, or a few for a test's slice."""
    ids = sorted({h.community_id for h in homes})
    if per_grid is not None:
        return {cid: SLICE_MEMBERS_PER_GRID * per_grid for cid in ids}
    recorded = dict(session.execute(text(
        "SELECT community_id, max(members) FROM party_organisation WHERE community_id = ANY(:ids) "
        "GROUP BY community_id"), {"ids": ids}).all())
    return {cid: max(10, round((recorded.get(cid) or 100) * MEMBER_SHARE)) for cid in ids}


def load_members(session: Session, keys: Keyring, planned: list[DemoMember], units: dict[str, PartyUnit],
                 secretaries: dict[int, int], today: date, zone: tzinfo) -> list[StoredMember]:
    """Write the planned members not stored yet (found by phone hash under any key); all of them, with ids."""
    stored = _stored(session, keys, planned)
    fresh = [m for m in planned if m.phone not in stored]
    rows = []
    for m in fresh:
        registered = today - timedelta(days=m.registered_days_ago)
        approved_at = datetime.combine(registered + timedelta(days=1 + m.registered_days_ago % 5), time(10), zone)
        rows.append({"name": m.name, "phone_cipher": keys.encrypt("phone", m.phone),
                     "phone_hash": keys.digest("phone", m.phone), "unit_id": units[m.unit].id if m.unit else None,
                     "employer_name": m.employer_name, "employer_party_org": m.employer_party_org,
                     "building_id": m.home.id, "street_code": m.home.street_code, "skills": m.skills,
                     "registered_on": registered, "status": "approved" if m.approved else "pending",
                     "approved_by": secretaries.get(m.home.community_id) if m.approved else None,
                     "approved_at": approved_at if m.approved else None})
    if rows:
        session.execute(insert(PartyMember.__table__), rows)
    stored = _stored(session, keys, planned)
    return [StoredMember(m, *stored[m.phone]) for m in planned]


def _stored(session: Session, keys: Keyring, planned: list[DemoMember]) -> dict[str, tuple[int, str]]:
    by_hash = {h: m.phone for m in planned for h in keys.digests("phone", m.phone)}
    rows = session.execute(select(PartyMember.phone_hash, PartyMember.id, PartyMember.status)
                           .where(PartyMember.phone_hash.in_(list(by_hash)))).all()
    return {by_hash[digest]: (mid, status) for digest, mid, status in rows}


def demo_member_account(session: Session, members: list[StoredMember], community_id: int | None,
                        password: str) -> tuple[str, int | None]:
    """The `demo-member` login, linked to the community's first approved member (kept once linked), and its id."""
    account = create_user(session, "demo-member", password, "member")
    linked = session.scalar(select(PartyMember).where(PartyMember.user_id == account.id))
    if linked is None:
        pick = next((m for m in members if m.status == "approved" and m.plan.home.community_id == community_id
                     and m.plan.unit), None)
        if pick is None:
            return "demo-member: no approved member in demo-secretary's community to link", None
        linked = session.get(PartyMember, pick.id)
        link_account(session, linked, account)
    account.display_name = linked.name
    return f"demo-member (member role): linked to party member {linked.id}", linked.id
