"""Text coming in and going out: what intake refuses, what XML cannot hold, what a spreadsheet cell must not start with.

In: C0/C1 control characters (tab, newline and carriage return aside), DEL, lone surrogates and Unicode
non-characters are refused with a 400 naming the field. Out: data stored before that rule (or written
straight into the database) still leaves as well-formed XML and as spreadsheet cells that are plain text.
"""
from __future__ import annotations

import re

from grid_app.platform.errors import InvalidInput

# Refused at intake: C0 except \t \n \r, DEL and C1, surrogates (never valid alone), and the 66 non-characters.
REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef"
                     + "".join(f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}" for plane in range(0, 0x110000, 0x10000))
                     + "]")
# What XML 1.0's Char production leaves out (openpyxl refuses the C0 part of it with IllegalCharacterError).
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# OWASP's CSV-injection rule: a cell starting with one of these is read as a formula by spreadsheets.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def refused_character(value: str) -> str | None:
    """The first character intake refuses in ``value`` as 'U+000B', or None."""
    found = REFUSED.search(value)
    return None if found is None else f"U+{ord(found.group()):04X}"


def refuse_controls(value: str, field: str) -> None:
    """Raise InvalidInput naming ``field`` when ``value`` holds a refused character."""
    bad = refused_character(value)
    if bad is not None:
        raise InvalidInput(f"{field} must not contain control characters or non-characters (found {bad})",
                           code="bad_input", details={"field": field, "character": bad})


def optional_text(value, field: str, max_length: int, *, code: str | None = None) -> str | None:
    """A stripped text field (None when absent or blank), checked for type, length and characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", code=code or f"bad_{field}")
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters", code=code or f"bad_{field}")
    refuse_controls(value, field)
    return value or None


def xml_safe(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids (for data stored before intake refused them)."""
    return XML_FORBIDDEN.sub("", value)


def cell_text(value: str) -> str:
    """Text leaving in a table cell (CSV or XLSX): XML-safe, and never read as a formula."""
    value = xml_safe(value)
    return "'" + value if value.startswith(FORMULA_START) else value


# A number written as text: ASCII digits only (float() would also take '１２', '١٢' or '𝟙𝟚').
NUMBER_TEXT = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*", re.ASCII)


def number(value, field: str, code: str) -> float:
    """A number given as a JSON number or as ASCII decimal text, or InvalidInput naming the field."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)) or (
            isinstance(value, str) and (len(value) > 50 or not NUMBER_TEXT.fullmatch(value))):
        raise InvalidInput(f"{field} must be a number written with the digits 0-9", code=code)
    try:
        return float(value)
    except OverflowError as exc:  # a JSON integer past float range
        raise InvalidInput(f"{field} is too large", code=code) from exc
