"""Residents' care tags: the code lists, reading the register's 标签 cell, and replacing a resident's tags.

A tag (独居老人...) is a sensitive category (PIPL Art. 28): it is set by the resident's grid workers,
their community secretary and admins (scope.CARE_TAG_ROLES), each change audited. Setting a
resident's tags replaces them: a tag kept keeps its `since` date, a new one starts today, a tag left
out is removed. The importer and the API both go through replace_cares().
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from grid_app.access import scope
from grid_app.models import User
from grid_app.models.care import CareLevel, CareTag, ResidentCare
from grid_app.people.queries import get_resident
from grid_app.platform import audit
from grid_app.platform.errors import Forbidden, InvalidInput

ENTRY_SPLIT = re.compile(r"[;；,，、]")  # between tag entries in a spreadsheet cell
PAIR_SPLIT = re.compile(r"[:：]")  # between a tag and its level

Pair = tuple[int, int]  # (care_tag.id, care_level.id)


@dataclass(frozen=True)
class CareCodes:
    """The care tags and levels by every name a spreadsheet may use (code, Chinese, English)."""

    tags: dict[str, int]
    levels: dict[str, int]
    tag_codes: dict[int, str]
    level_codes: dict[int, str]
    tag_names: dict[int, str]
    level_names: dict[int, str]


def load_codes(session: Session) -> CareCodes:
    """The current code lists, keyed by lower-case code, name and English name (红色 also as 红)."""
    tags, levels = session.scalars(select(CareTag)).all(), session.scalars(select(CareLevel)).all()
    by_tag = {n.lower(): t.id for t in tags for n in (t.code, t.name, t.name_en)}
    by_level = {n.lower(): lv.id for lv in levels for n in (lv.code, lv.name, lv.name_en, lv.name.removesuffix("色"))}
    return CareCodes(by_tag, by_level, {t.id: t.code for t in tags}, {lv.id: lv.code for lv in levels},
                     {t.id: t.name for t in tags}, {lv.id: lv.name for lv in levels})


def parse_cell(text: str, codes: CareCodes) -> list[Pair]:
    """The (tag, level) pairs of a cell like `独居老人:红; 低保:黄`; ValueError naming the bad entry.

    The message names the entry's position, never its text: a care tag is sensitive."""
    pairs: list[Pair] = []
    entries = [e.strip() for e in ENTRY_SPLIT.split(text or "") if e.strip()]
    for n, entry in enumerate(entries, start=1):
        parts = [p.strip() for p in PAIR_SPLIT.split(entry)]
        if len(parts) != 2 or not all(parts):
            raise ValueError(f"entry {n} is not TAG:LEVEL (e.g. 独居老人:红; 低保:黄)")
        tag, level = codes.tags.get(parts[0].lower()), codes.levels.get(parts[1].lower())
        if tag is None:
            raise ValueError(f"entry {n}: no care tag by that name or code "
                             f"(known: {', '.join(sorted(codes.tag_names.values()))})")
        if level is None:
            raise ValueError(f"entry {n}: no care level by that name or code "
                             f"(known: {', '.join(codes.level_names.values())})")
        if any(t == tag for t, _ in pairs):
            raise ValueError(f"entry {n}: the same care tag twice")
        pairs.append((tag, level))
    return pairs


def cell_text(pairs: list[Pair], codes: CareCodes) -> str:
    """The cell an export writes for a resident's tags (what parse_cell reads back)."""
    return "; ".join(f"{codes.tag_names[t]}:{codes.level_names[lv]}" for t, lv in pairs)


def code_lists(session: Session) -> dict:
    """Care tags and levels with their names and visit intervals (code lists, no residents)."""
    tags = session.scalars(select(CareTag).order_by(CareTag.id))
    levels = session.scalars(select(CareLevel).order_by(CareLevel.visit_days, CareLevel.id))
    return {"tags": [{"code": t.code, "name": t.name, "name_en": t.name_en, "sensitive": t.sensitive} for t in tags],
            "levels": [{"code": lv.code, "name": lv.name, "name_en": lv.name_en, "visit_days": lv.visit_days,
                        "call_days": lv.call_days} for lv in levels]}


def replace_cares(session: Session, wanted: dict[int, list[Pair]]) -> int:
    """Make each resident's tags exactly the given pairs (flush only); the number of rows changed."""
    if not wanted:
        return 0
    current: dict[int, dict[int, ResidentCare]] = {}
    for care in session.scalars(select(ResidentCare).where(ResidentCare.resident_id.in_(list(wanted)))):
        current.setdefault(care.resident_id, {})[care.tag_id] = care
    changed, stale = 0, []
    for resident_id, pairs in wanted.items():
        have = current.get(resident_id, {})
        keep = dict(pairs)
        stale.extend(c.id for tag, c in have.items() if tag not in keep)
        for tag, level in keep.items():
            if tag not in have:
                session.add(ResidentCare(resident_id=resident_id, tag_id=tag, level_id=level))
            elif have[tag].level_id != level:
                have[tag].level_id = level
            else:
                continue
            changed += 1
    if stale:
        session.execute(delete(ResidentCare).where(ResidentCare.id.in_(stale)))
    session.flush()
    return changed + len(stale)


def resident_pairs(session: Session, resident_ids: list[int]) -> dict[int, list[Pair]]:
    """Each resident's (tag, level) pairs in the order they were given."""
    found: dict[int, list[Pair]] = {}
    for care in session.scalars(select(ResidentCare).where(ResidentCare.resident_id.in_(resident_ids))
                                .order_by(ResidentCare.id)):
        found.setdefault(care.resident_id, []).append((care.tag_id, care.level_id))
    return found


def parse_body(body, codes: CareCodes) -> list[Pair]:
    """The pairs of a `{"tags": [{"tag": code, "level": code}, ...]}` body; InvalidInput naming the problem."""
    if not isinstance(body, dict) or not isinstance(body.get("tags"), list):
        raise InvalidInput('body must be JSON {"tags": [{"tag": CODE, "level": CODE}, ...]} (an empty list clears)',
                           code="bad_body")
    by_code = {code: i for i, code in codes.tag_codes.items()}
    level_by_code = {code: i for i, code in codes.level_codes.items()}
    pairs: list[Pair] = []
    for n, item in enumerate(body["tags"], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("tag"), str) or not isinstance(item.get("level"), str):
            raise InvalidInput(f"tags[{n}] must be {{\"tag\": CODE, \"level\": CODE}}", code="bad_tags")
        tag, level = by_code.get(item["tag"]), level_by_code.get(item["level"])
        if tag is None:
            raise InvalidInput(f"tags[{n}]: tag must be one of {', '.join(sorted(by_code))}", code="bad_tag")
        if level is None:
            raise InvalidInput(f"tags[{n}]: level must be one of {', '.join(level_by_code)}", code="bad_level")
        if any(t == tag for t, _ in pairs):
            raise InvalidInput(f"tags[{n}]: the tag {item['tag']!r} is given twice", code="bad_tags")
        pairs.append((tag, level))
    return pairs


def set_resident_care(session: Session, user: User, resident_id: int, body) -> dict:
    """Replace one resident's care tags (their grid workers, secretary, admins), audited; commit."""
    if not scope.may_see_care_tags(user):
        raise Forbidden(f"role {user.role!r} may not set care tags", code="forbidden")
    resident = get_resident(session, user, resident_id)  # out of scope: 404
    codes = load_codes(session)
    pairs = parse_body(body, codes)
    changed = replace_cares(session, {resident.id: pairs})
    tags = [{"tag": codes.tag_codes[t], "level": codes.level_codes[lv]} for t, lv in pairs]
    audit.record(session, "resident-care", {"resident": resident.id, "tags": tags, "changed": changed}, actor=user)
    session.commit()
    return {"resident_id": resident.id, "tags": tags}
