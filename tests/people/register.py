"""Writing register files for tests (CSV and xlsx) with the documented headers."""
from __future__ import annotations

import csv

from .. import district as d
from .ids import make_id

HEADER = ["楼栋编码", "单元", "房号", "姓名", "性别", "出生日期", "身份证号", "手机号", "与户主关系", "人员类别"]
WANG = make_id("19500312", 11, male=True)
LI = make_id("19520801", 12, male=False)
ZHAO = make_id("19900101", 13, male=True)
PHONE = "13812345678"


def rows() -> list[list]:
    """Three people in two flats of the courtyard building of grid A1, one in the B community."""
    return [
        [d.COURTYARD, "1", "101", "王建国", "男", "1950-03-12", WANG, PHONE, "户主", "户籍"],
        [d.COURTYARD, "1", "101", "李秀英", "女", "1952/8/1", LI, "", "配偶", "户籍"],
        [d.COURTYARD, "2", "302", "欧阳明辉", "", "", ZHAO, "13987654321", "户主", "流动"],
    ]


def write_csv(path, body, header=HEADER) -> str:
    """A CSV register file; returns its path."""
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(body)
    return str(path)


def write_xlsx(path, body, header=HEADER) -> str:
    """An xlsx register file; returns its path."""
    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in body:
        sheet.append(row)
    book.save(path)
    return str(path)
