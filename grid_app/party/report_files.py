"""The 双报告 report as files: an XLSX workbook (one sheet per unit) and a printable HTML page (one section per unit).

Cells go through the project's one guarded writer (platform/tables.py): never a formula, nothing XML forbids.
"""
from __future__ import annotations

import re
from datetime import tzinfo

from jinja2 import Environment

from grid_app.party.report import MemberLine, Report, UnitSection, status_name
from grid_app.platform import tables

COLUMNS = [  # key, Chinese heading, English heading
    ("name", "姓名", "Name"), ("phone", "联系电话", "Phone"), ("community", "居住社区", "Community"),
    ("party_group", "所在党小组", "Party group"), ("registered_on", "报到日期", "Registered on"),
    ("status", "报到状态", "Status"), ("posts", "认领岗位", "Posts held"),
    ("signed_up", "报名活动", "Activities signed up"), ("checked_in", "签到次数", "Checked in"),
    ("far", "偏离地点签到", "Check-ins far from the place"), ("activities", "活动明细", "Activities"),
    ("hours", "服务时长(小时)", "Hours"), ("wishes", "完成微心愿", "Wishes fulfilled"),
    ("wish_titles", "微心愿明细", "Wishes"), ("remark", "社区评价", "Community's remark"),
]
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")  # characters Excel refuses in a sheet title


def activity_text(line, zone: tzinfo, lang: str = "zh") -> str:
    """One activity as the detail cell lists it: date, title, check-in, far flag, hours."""
    day = line.starts_at.astimezone(zone).strftime("%m-%d")
    if lang == "zh":
        state = ("已签到" + ("，偏离地点" if line.far else "")) if line.checked_in else "未签到"
        hours = f"，{line.hours}小时" if line.hours is not None else ""
    else:
        state = ("checked in" + (", far from the place" if line.far else "")) if line.checked_in else "not checked in"
        hours = f", {line.hours} h" if line.hours is not None else ""
    return f"{day} {line.title}（{state}{hours}）" if lang == "zh" else f"{day} {line.title} ({state}{hours})"


def member_row(m: MemberLine, zone: tzinfo, lang: str = "zh") -> dict:
    """One member as a table row."""
    joiner = "；" if lang == "zh" else "; "
    return {"name": m.name, "phone": m.phone, "community": m.community, "party_group": m.party_group,
            "registered_on": m.registered_on, "status": status_name(m.status, lang),
            "posts": joiner.join(m.posts), "signed_up": len(m.activities), "checked_in": m.checked_in,
            "far": m.far, "activities": joiner.join(activity_text(a, zone, lang) for a in m.activities),
            "hours": float(m.hours), "wishes": len(m.wishes), "wish_titles": joiner.join(m.wishes),
            "remark": m.remark}


def total_row(section: UnitSection, lang: str = "zh") -> dict:
    """The section's sums, as the last row."""
    count = len(section.members)
    return {"name": f"合计（{count}人）" if lang == "zh" else f"Total ({count})",
            "signed_up": section.total("signed_up_count"), "checked_in": section.total("checked_in"),
            "far": section.total("far"), "hours": float(section.total("hours")), "wishes": section.total("wish_count")}


def sheet_titles(sections: list[UnitSection]) -> list[str]:
    """A distinct, Excel-safe sheet title per section (at most 31 characters)."""
    titles, seen = [], set()
    for section in sections:
        base = SHEET_FORBIDDEN.sub("_", section.name).strip("' ") or "单位"
        title, n = base[:31], 1
        while title.lower() in seen:
            n += 1
            title = f"{base[:31 - len(str(n)) - 1]}_{n}"
        seen.add(title.lower())
        titles.append(title)
    return titles


def write_xlsx(report: Report, zone: tzinfo, target, lang: str = "zh") -> None:
    """The workbook, one sheet per unit: its members' rows and a total row, saved to ``target``."""
    sheets = []
    for title, section in zip(sheet_titles(report.sections), report.sections):
        rows = [member_row(m, zone, lang) for m in section.members] + [total_row(section, lang)]
        sheets.append((title, rows, COLUMNS))
    if not sheets:  # a workbook needs a sheet: say that nobody is reported rather than fail
        sheets.append(("无报到党员" if lang == "zh" else "No members", [], COLUMNS))
    tables.write_xlsx_sheets(sheets, lang, target)


def render_html(report: Report, zone: tzinfo, generated: str, env: Environment) -> str:
    """The printable page (Chinese), one section per unit with a page break between units, in `env`."""
    # the app's template environment is passed in, without request context processors: the CLI renders it too
    return env.get_template("party/report_print.html").render(report=report, zone=zone, generated=generated,
                           rows=lambda section: [member_row(m, zone) for m in section.members],
                           total=total_row, activity_text=activity_text)
