"""Writing tables of dicts as CSV (UTF-8 with BOM, so Excel shows Chinese) or Excel workbooks.

Every CSV and XLSX the app writes goes through here, so every cell leaves the same way: user text
through ``text.cell_text`` (never a formula, nothing XML forbids), numbers and times as themselves.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Iterable, Iterator

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from grid_app.platform.text import cell_text

CHUNK = 1000  # CSV rows per yielded chunk


def headings(columns, lang: str) -> list[str]:
    """Column headings in the UI language."""
    return [zh if lang == "zh" else en for _, zh, en in columns]


def csv_value(value) -> str:
    """A value as the text of a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return cell_text(value)
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def xlsx_cell(ws, value, font: Font | None = None) -> WriteOnlyCell:
    """A write-only cell holding ``value`` as a value: text is never stored as a formula."""
    if isinstance(value, datetime):  # Excel has no time zones: write the local wall-clock time
        value = value.replace(tzinfo=None, microsecond=0)
    elif isinstance(value, str):
        value = cell_text(value)
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would make any '=...' text a formula
    if font is not None:
        cell.font = font
    return cell


def csv_stream(rows: Iterable[dict], columns, lang: str) -> Iterator[bytes]:
    """CSV with a BOM and localised headings, a chunk of rows at a time."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headings(columns, lang))
    yield "\ufeff".encode("utf-8") + _drain(buf)
    for i, row in enumerate(rows, start=1):
        writer.writerow([csv_value(row.get(k)) for k, _, _ in columns])
        if i % CHUNK == 0:
            yield _drain(buf)
    yield _drain(buf)


def _drain(buf: io.StringIO) -> bytes:
    data = buf.getvalue().encode("utf-8")
    buf.seek(0)
    buf.truncate()
    return data


def to_csv(rows: list[dict], columns, lang: str = "zh") -> bytes:
    """CSV bytes with a BOM and localised headings."""
    return b"".join(csv_stream(rows, columns, lang))


def write_xlsx_sheets(sheets: Iterable[tuple[str, Iterable[dict], list]], lang: str, target) -> None:
    """A write-only workbook (rows go out as they come), one sheet per (title, rows, columns), saved to ``target``."""
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, rows, columns in sheets:
        ws = wb.create_sheet(title[:31])
        heads = headings(columns, lang)
        for i, heading in enumerate(heads, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, len(heading) * 2 + 2)
        ws.freeze_panes = "A2"
        ws.append([xlsx_cell(ws, heading, bold) for heading in heads])
        for row in rows:
            ws.append([xlsx_cell(ws, row.get(k)) for k, _, _ in columns])
    wb.save(target)


def to_xlsx(rows: list[dict], columns, lang: str = "zh", title: str = "Sheet1") -> bytes:
    """An .xlsx workbook with one sheet, bold headings and readable column widths."""
    return to_xlsx_sheets([(title, rows, columns)], lang)


def to_xlsx_sheets(sheets: list[tuple[str, list[dict], list]], lang: str = "zh") -> bytes:
    """An .xlsx workbook with one sheet per (title, rows, columns)."""
    buf = io.BytesIO()
    write_xlsx_sheets(sheets, lang, buf)
    return buf.getvalue()
