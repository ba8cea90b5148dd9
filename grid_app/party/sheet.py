"""Reading and checking a unit's member list (xlsx or CSV): every row checked before anything is written.

The columns, by their Chinese or English header (any order; other columns are ignored and named):

| 中文 | English | required | content |
| --- | --- | --- | --- |
| 姓名 | name | yes | name, at most 50 characters |
| 手机号 | phone | yes | mobile (11 digits) or landline; stored encrypted, shown masked |
| 单位编码 | unit_code | yes | code of a registered unit (单位报到), e.g. its 统一社会信用代码 |
| 楼栋编码 | building_code | yes | code of the stored building the member lives in |
| 单位党组织 | employer_party_org | no | the member's party organisation at work (default: the unit's) |
| 特长 | skills | no | skills, at most 500 characters |
| 报到日期 | registered_on | no | date (YYYY-MM-DD, YYYY/M/D, YYYYMMDD or a date cell), not in the future |

A re-import finds a member by the keyed hash of the phone and the unit, and updates them.
Messages never repeat a phone: the operator has the file, the terminal log may travel.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from grid_app.party.registration import MAX_LEN, normalise_phone
from grid_app.people.sheet import PHONE, RowProblem, SheetRefused, read_date, read_rows, read_text
from grid_app.platform.text import refused_character

COLUMNS = {  # key: (Chinese header, English header, required)
    "name": ("姓名", "name", True),
    "phone": ("手机号", "phone", True),
    "unit_code": ("单位编码", "unit_code", True),
    "building_code": ("楼栋编码", "building_code", True),
    "employer_party_org": ("单位党组织", "employer_party_org", False),
    "skills": ("特长", "skills", False),
    "registered_on": ("报到日期", "registered_on", False),
}
HEADERS = {header.lower(): key for key, (zh, en, _) in COLUMNS.items() for header in (zh, en)}
LIMITS = {"name": MAX_LEN["name"], "unit_code": 32, "building_code": 32,
          "employer_party_org": MAX_LEN["employer_party_org"], "skills": MAX_LEN["skills"]}


@dataclass
class MemberRow:
    """A checked row, ready to write."""

    row: int
    name: str
    phone: str
    unit_code: str
    building_code: str
    employer_party_org: str | None
    skills: str | None
    registered_on: date | None


@dataclass
class MemberSheet:
    """What a file held: checked rows and the columns it ignored."""

    rows: list[MemberRow]
    ignored_columns: list[str]


def check_file(path: str, known_units, known_buildings, *, encoding: str = "utf-8-sig",
               today: date | None = None) -> MemberSheet:
    """Every row checked; SheetRefused listing every bad row when any is bad.

    known_units(codes) / known_buildings(codes) -> the set of those codes that exist (one query each)."""
    file = path.replace("\\", "/").rsplit("/", 1)[-1]
    header, body = read_rows(path, encoding)
    columns = {i: HEADERS[h.lower()] for i, h in enumerate(header) if h.lower() in HEADERS}
    missing = [f"{zh}/{en}" for key, (zh, en, req) in COLUMNS.items() if req and key not in columns.values()]
    if missing:
        raise SheetRefused([RowProblem(file, 1, ", ".join(missing), "required column missing")])
    ignored = [h for i, h in enumerate(header) if i not in columns and h]
    records = [(n, {key: cells[i] if i < len(cells) else None for i, key in columns.items()}) for n, cells in body]
    units = known_units({read_text(r.get("unit_code")) for _, r in records})
    buildings = known_buildings({read_text(r.get("building_code")) for _, r in records})
    problems: list[RowProblem] = []
    rows: list[MemberRow] = []
    first: dict[tuple[str, str], int] = {}
    for number, record in records:
        found: list[RowProblem] = []
        row = _check_row(file, number, record, units, buildings, today or date.today(), found)
        if row is not None and not found:
            key = (row.phone, row.unit_code)
            if key in first:
                found.append(RowProblem(file, number, _header("phone"),
                                        f"the same phone and unit as row {first[key]}"))
            else:
                first[key] = number
                rows.append(row)
        problems.extend(found)
    if problems:
        raise SheetRefused(problems)
    return MemberSheet(rows, ignored)


def _check_row(file, number, record, units, buildings, today, problems) -> MemberRow | None:
    def bad(key: str, reason: str) -> None:
        problems.append(RowProblem(file, number, _header(key), reason))

    values = {}
    for key, (_, _, required) in COLUMNS.items():
        value = read_text(record.get(key))
        if required and not value:
            bad(key, "is empty")
        elif key in LIMITS and len(value) > LIMITS[key]:
            bad(key, f"longer than {LIMITS[key]} characters")
        elif value and refused_character(value):
            bad(key, f"holds a control character ({refused_character(value)})")
        values[key] = value
    if values["unit_code"] and values["unit_code"] not in units:
        bad("unit_code", f"no registered unit with code {values['unit_code']!r}")
    if values["building_code"] and values["building_code"] not in buildings:
        bad("building_code", f"no building with code {values['building_code']!r}")
    phone = normalise_phone(values["phone"])
    if phone and not PHONE.fullmatch(phone):
        bad("phone", "is not a mobile (11 digits) or landline number")
    registered = read_date(record.get("registered_on"), values["registered_on"])
    if registered is False:
        bad("registered_on", f"{values['registered_on']!r} is not a date (YYYY-MM-DD)")
    elif registered is not None and registered > today:
        bad("registered_on", f"{registered.isoformat()} is in the future")
    if problems:
        return None
    return MemberRow(number, values["name"], phone, values["unit_code"], values["building_code"],
                     values["employer_party_org"] or None, values["skills"] or None, registered or None)


def _header(key: str) -> str:
    zh, en, _ = COLUMNS[key]
    return f"{zh}/{en}"
