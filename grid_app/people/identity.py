"""Resident identity number (居民身份证号码, GB 11643-1999): check digit, birth date and sex."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # indexed by the weighted sum mod 11
SHAPE = re.compile(r"\d{17}[\dX]")
SEXES = ("男", "女")


class BadIdNumber(ValueError):
    """An ID number that is not a valid 18-character GB 11643 number (the message says why)."""


@dataclass(frozen=True)
class IdNumber:
    """A checked ID number with what it encodes."""

    number: str
    birth_date: date
    sex: str  # 男 / 女 (the 17th digit: odd is male)


def check_digit(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def normalise(text: str) -> str:
    """Spaces removed, a lower-case x made upper-case."""
    return re.sub(r"\s+", "", text or "").upper()


def parse_id(text: str, today: date | None = None) -> IdNumber:
    """The checked ID number; BadIdNumber with the reason otherwise."""
    number = normalise(text)
    if not SHAPE.fullmatch(number):
        raise BadIdNumber("an ID number is 17 digits and a digit or X (the old 15-digit form is not taken)")
    if check_digit(number[:17]) != number[17]:
        raise BadIdNumber(f"check digit is wrong (expected {check_digit(number[:17])})")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise BadIdNumber(f"birth date {number[6:14]} in the ID number is not a date") from exc
    if born.year < 1880 or born > (today or date.today()):
        raise BadIdNumber(f"birth date {born.isoformat()} in the ID number is out of range")
    return IdNumber(number, born, SEXES[(int(number[16]) + 1) % 2])
