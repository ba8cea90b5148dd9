"""Reading and checking a register spreadsheet (xlsx or CSV): every row checked before anything is written.

The columns, by their Chinese or English header (any order; other columns are ignored and named):

| 中文 | English | required | content |
| --- | --- | --- | --- |
| 楼栋编码 | building_code | yes | code of a stored building |
| 单元 | unit | no | unit (单元), empty when the building has none |
| 楼层 | floor | no | floor number |
| 房号 | room | yes | room (房号) |
| 姓名 | name | yes | name, at most 50 characters |
| 性别 | sex | no* | 男 / 女; must agree with the ID number |
| 出生日期 | birth_date | no* | date (YYYY-MM-DD, YYYY/M/D, YYYYMMDD or a date cell); must agree with the ID number |
| 身份证号 | id_number | yes | 18-character ID number (GB 11643 check digit), a text cell; empty for someone without one* |
| 手机号 | phone | no | mobile (11 digits) or landline |
| 与户主关系 | relation | no | relation to the head of household (户主, 配偶, 子女...) |
| 人员类别 | residence_type | yes | 户籍 / 常住 / 流动 |
| 迁入日期 | moved_in | no | date moved in |
| 迁出日期 | moved_out | no | date moved out (kept in the register until purged) |
| 标签 | tags | no | care tags with their level, e.g. `独居老人:红; 低保:黄` (syntax below) |

Care tags (标签): `TAG:LEVEL` entries separated by `;` (or `；` `,` `，` `、`), `:` or `：` between tag and
level; a tag by its name or code (独居老人 / elderly_alone), a level by its name or code (红色 / 红 / red),
as GET /api/v1/care-tags lists them. A re-import replaces the resident's tags with the cell's, an empty
cell clears them; a file without the column leaves every resident's tags as they are.

*The column is required, its cell may be empty for someone without an ID number (a young child before
the first card, a foreign resident). Then 性别 and 出生日期 are required, and a re-import finds the
resident by flat (building, unit, room) + name + birth date; an ID number given later is added to
the resident found that way.

Messages never repeat an ID number or a phone: the operator has the file, the terminal log may travel.
"""
from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from datetime import date, datetime

from grid_app.models.people import RESIDENCE_TYPES, SEXES
from grid_app.people.care import CareCodes, Pair, parse_cell
from grid_app.people.identity import BadIdNumber, parse_id

COLUMNS = {  # key: (Chinese header, English header, required)
    "building_code": ("楼栋编码", "building_code", True),
    "unit": ("单元", "unit", False),
    "floor": ("楼层", "floor", False),
    "room": ("房号", "room", True),
    "name": ("姓名", "name", True),
    "sex": ("性别", "sex", False),
    "birth_date": ("出生日期", "birth_date", False),
    "id_number": ("身份证号", "id_number", True),
    "phone": ("手机号", "phone", False),
    "relation": ("与户主关系", "relation", False),
    "residence_type": ("人员类别", "residence_type", True),
    "moved_in": ("迁入日期", "moved_in", False),
    "moved_out": ("迁出日期", "moved_out", False),
    "tags": ("标签", "tags", False),
}
MAY_BE_EMPTY = {"id_number"}  # a required column whose cell may be empty (then birth date and sex are required)
HEADERS = {header.lower(): key for key, (zh, en, _) in COLUMNS.items() for header in (zh, en)}
MAX_LEN = {"unit": 20, "room": 20, "name": 50, "relation": 20, "building_code": 32}
PHONE = re.compile(r"1\d{10}|0\d{2,3}-?\d{7,8}")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d")


@dataclass(frozen=True)
class RowProblem:
    """One bad row: file, spreadsheet row number, column header, reason."""

    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file} row {self.row} column {self.column}: {self.reason}"


class SheetRefused(Exception):
    """The file was refused; nothing was written (problems lists every bad row)."""

    def __init__(self, problems: list[RowProblem]):
        super().__init__(f"{len(problems)} bad row(s)")
        self.problems = problems


@dataclass
class Person:
    """A checked row, ready to write."""

    row: int
    building_code: str
    unit: str
    floor: int | None
    room: str
    name: str
    sex: str
    birth_date: date
    id_number: str | None  # None: found by flat + name + birth date
    phone: str | None
    relation: str | None
    residence_type: str
    moved_in: date | None
    moved_out: date | None
    tags: list[Pair] | None = None  # None: the file has no tags column, the resident's tags stay

    def flat_key(self) -> tuple:
        """Who the person is without an ID number: flat, name and birth date."""
        return (self.building_code, self.unit, self.room, self.name, self.birth_date)


@dataclass
class Sheet:
    """What a file held: checked people and the columns it ignored."""

    people: list[Person]
    ignored_columns: list[str]


def read_rows(path: str, encoding: str = "utf-8-sig") -> tuple[list[str], list[tuple[int, list]]]:
    """The header and the (row number, cells) of a .xlsx or .csv file; blank rows skipped."""
    if path.lower().endswith(".xlsx"):
        from openpyxl import load_workbook
        book = load_workbook(path, read_only=True, data_only=True)
        rows = list(book.active.iter_rows(values_only=True))
        book.close()
    elif path.lower().endswith(".csv"):
        try:
            with open(path, newline="", encoding=encoding) as f:
                rows = list(csv.reader(f))
        except UnicodeDecodeError as exc:
            raise SheetRefused([RowProblem(_name(path), 0, "-", f"not {encoding} text (try --encoding GBK)")]) from exc
    else:
        raise SheetRefused([RowProblem(_name(path), 0, "-", "the file must be .xlsx or .csv")])
    if not rows:
        raise SheetRefused([RowProblem(_name(path), 1, "-", "the file is empty")])
    header = ["" if h is None else str(h).strip() for h in rows[0]]
    body = [(n, list(r)) for n, r in enumerate(rows[1:], start=2) if any(c not in (None, "") for c in r)]
    return header, body


def check_file(path: str, buildings_of, *, encoding: str = "utf-8-sig", today: date | None = None,
               care_codes: CareCodes | None = None) -> Sheet:
    """Every row of the file checked; SheetRefused listing every bad row when any is bad.

    buildings_of(codes) -> set of the codes that exist (one query for the whole file); care_codes
    (people.care.load_codes) reads the tags column."""
    file = _name(path)
    header, body = read_rows(path, encoding)
    columns = {i: HEADERS[h.lower()] for i, h in enumerate(header) if h.lower() in HEADERS}
    missing = [COLUMNS[k][0] + "/" + COLUMNS[k][1] for k, (_, _, req) in COLUMNS.items()
               if req and k not in columns.values()]
    if missing:
        raise SheetRefused([RowProblem(file, 1, ", ".join(missing), "required column missing")])
    ignored = [h for i, h in enumerate(header) if i not in columns and h]
    if "tags" in columns.values() and care_codes is None:
        raise TypeError("check_file needs care_codes to read the tags column")
    records = [(n, {key: cells[i] if i < len(cells) else None for i, key in columns.items()}) for n, cells in body]
    known_buildings = buildings_of({read_text(r.get("building_code")) for _, r in records})
    problems: list[RowProblem] = []
    people: list[Person] = []
    first_row: dict[str, int] = {}
    first_flat: dict[tuple, int] = {}
    for number, record in records:
        row_problems: list[RowProblem] = []
        person = _check_row(file, number, record, known_buildings, today or date.today(), row_problems, care_codes)
        if person is not None and not row_problems:
            if person.id_number is not None and person.id_number in first_row:
                row_problems.append(RowProblem(file, number, _header("id_number"),
                                               f"the same ID number as row {first_row[person.id_number]}"))
            elif person.flat_key() in first_flat:
                row_problems.append(RowProblem(file, number, _header("name"), "the same flat, name and birth date "
                                               f"as row {first_flat[person.flat_key()]}"))
            else:
                if person.id_number is not None:
                    first_row[person.id_number] = number
                first_flat[person.flat_key()] = number
                people.append(person)
        problems.extend(row_problems)
    if problems:
        raise SheetRefused(problems)
    return Sheet(people, ignored)


def _check_row(file, number, record, known, today, problems, care_codes) -> Person | None:
    def bad(key: str, reason: str) -> None:
        problems.append(RowProblem(file, number, _header(key), reason))

    values = {}
    for key, (_, _, required) in COLUMNS.items():
        raw = record.get(key)
        if key == "id_number" and isinstance(raw, (int, float)):  # spreadsheets keep 15 digits of a number
            bad(key, "stored as a number, which loses digits: format the column as text")
            continue
        text = read_text(raw)
        if required and not text and key not in MAY_BE_EMPTY:
            bad(key, "is empty")
        elif key in MAX_LEN and len(text) > MAX_LEN[key]:
            bad(key, f"longer than {MAX_LEN[key]} characters")
        values[key] = text
    if values.get("building_code") and values["building_code"] not in known:
        bad("building_code", f"no building with code {values['building_code']!r}")
    ident = None
    if values.get("id_number"):
        try:
            ident = parse_id(values["id_number"], today)
        except BadIdNumber as exc:
            bad("id_number", str(exc))
    dates = {}
    for key in ("birth_date", "moved_in", "moved_out"):
        dates[key] = read_date(record.get(key), values.get(key))
        if dates[key] is False:
            bad(key, f"{values[key]!r} is not a date (YYYY-MM-DD)")
            dates[key] = None
        elif dates[key] is not None and dates[key] > today:
            bad(key, f"{dates[key].isoformat()} is in the future")
    if dates["moved_in"] and dates["moved_out"] and dates["moved_out"] < dates["moved_in"]:
        bad("moved_out", "is before the moved-in date")
    sex = values.get("sex") or None
    if sex is not None and sex not in SEXES:
        bad("sex", "must be 男 or 女")
    if ident is not None:
        if sex in SEXES and sex != ident.sex:
            bad("sex", "does not match the ID number")
        if dates["birth_date"] and dates["birth_date"] != ident.birth_date:
            bad("birth_date", "does not match the ID number")
    elif not values.get("id_number"):  # no ID number: birth date and sex come from their own columns
        if sex is None:
            bad("sex", "is empty (required without an ID number)")
        if dates["birth_date"] is None and not values.get("birth_date"):
            bad("birth_date", "is empty (required without an ID number)")
    if values.get("residence_type") and values["residence_type"] not in RESIDENCE_TYPES:
        bad("residence_type", f"must be one of {' / '.join(RESIDENCE_TYPES)}")
    phone = re.sub(r"[\s()]", "", values.get("phone") or "").removeprefix("+86") or None
    if phone is not None and not PHONE.fullmatch(phone):
        bad("phone", "is not a mobile (11 digits) or landline number")
    floor = None
    if values.get("floor"):
        try:
            floor = int(float(values["floor"]))
        except ValueError:
            bad("floor", f"{values['floor']!r} is not a whole number")
    tags = None
    if "tags" in record:
        try:
            tags = parse_cell(values.get("tags") or "", care_codes)
        except ValueError as exc:
            bad("tags", str(exc))
    if problems:
        return None
    sex, born = (ident.sex, ident.birth_date) if ident is not None else (sex, dates["birth_date"])
    return Person(number, values["building_code"], values.get("unit") or "", floor, values["room"], values["name"],
                  sex, born, ident.number if ident is not None else None, phone, values.get("relation") or None,
                  values["residence_type"], dates["moved_in"], dates["moved_out"], tags)


def read_text(value) -> str:
    """A cell as stripped text; a whole number typed as a number (13812345678.0) without its .0."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def read_date(raw, text: str | None):
    """A date, None when empty, False when unreadable."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.split(" ")[0], fmt).date()
        except ValueError:
            continue
    return False


def _header(key: str) -> str:
    zh, en, _ = COLUMNS[key]
    return f"{zh}/{en}"


def _name(path: str) -> str:
    return os.path.basename(path)
