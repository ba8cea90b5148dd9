"""Writing tables of dicts as CSV (UTF-8 with BOM, so Excel shows Chinese) or Excel workbooks."""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


def headings(columns, lang: str) -> list[str]:
    """Column headings in the UI language."""
    return [zh if lang == "zh" else en for _, zh, en in columns]


def to_csv(rows: list[dict], columns, lang: str = "zh") -> bytes:
    """CSV bytes with a BOM and localised headings."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headings(columns, lang))
    for row in rows:
        writer.writerow(["" if row.get(k) is None else row.get(k) for k, _, _ in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(rows: list[dict], columns, lang: str = "zh", title: str = "Sheet1") -> bytes:
    """An .xlsx workbook with one sheet, bold headings and readable column widths."""
    return to_xlsx_sheets([(title, rows, columns)], lang)


def to_xlsx_sheets(sheets: list[tuple[str, list[dict], list]], lang: str = "zh") -> bytes:
    """An .xlsx workbook with one sheet per (title, rows, columns)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows, columns in sheets:
        ws = wb.create_sheet(title[:31])
        ws.append(headings(columns, lang))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([row.get(k) for k, _, _ in columns])
        for i, heading in enumerate(headings(columns, lang), start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(10, len(heading) * 2 + 2)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
