"""Problems found in imported files: one line each naming file and feature, grouped by kind in summaries."""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass

from grid_app.platform.text import cell_text


@dataclass(frozen=True)
class Problem:
    """One bad feature (or a whole-file problem when index and code are None)."""

    file: str
    index: int | None
    reason: str
    code: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.index is not None:
            where += f" feature {self.index}"
        if self.code:
            where += f" ({self.code})"
        return f"{where}: {self.reason}"


class ImportFailed(Exception):
    """The import was refused; nothing was written."""

    def __init__(self, problems: list[Problem]):
        shown = "; ".join(str(p) for p in problems[:3]) + ("; ..." if len(problems) > 3 else "")
        super().__init__(f"{len(problems)} problem(s): {shown}")
        self.problems = problems


@dataclass(frozen=True)
class Row:
    """One refused feature or warning, as printed and as written to --report."""

    severity: str        # "problem" (blocks the import) or "warning"
    kind: str
    file: str
    feature: int | None
    code: str | None
    reason: str
    lon: float | None = None
    lat: float | None = None

    def __str__(self) -> str:
        return str(Problem(self.file, self.feature, self.reason, self.code)) if self.file else self.reason


EXAMPLES = 10
_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"|-?\d+(\.\d+)?")


def kind_of(reason: str) -> str:
    """The kind of a reason: its 'kind:' prefix (validation issues), else the text without values."""
    head, sep, _ = reason.partition(": ")
    if sep and head.replace("_", "").isalnum() and head == head.lower():
        return head
    return _VALUE.sub("…", reason)


def problem_rows(problems: list[Problem]) -> list[Row]:
    """Rows of refused features."""
    return [Row("problem", kind_of(p.reason), p.file, p.index, p.code, p.reason) for p in problems]


def issue_rows(issues, where: dict | None = None, severity: str = "warning") -> list[Row]:
    """Rows of validation issues, naming the file and feature where an import carried them."""
    where = where or {}
    rows = []
    for issue in issues:
        file, index = where.get((issue.table, issue.code), ("", None))
        rows.append(Row(severity, issue.kind, file, index, issue.code, str(issue), issue.lon, issue.lat))
    return rows


def summary(rows: list[Row], verbose: bool = False, examples: int = EXAMPLES) -> list[str]:
    """Lines grouped by severity and kind: a count, then every row (verbose) or the first ten."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.severity, row.kind), []).append(row)
    lines = []
    for (severity, kind), members in groups.items():
        lines.append(f"{severity}: {kind}: {len(members)}")
        shown = members if verbose else members[:examples]
        lines.extend(f"  {row}" for row in shown)
        if len(members) > len(shown):
            lines.append(f"  ... and {len(members) - len(shown)} more (--verbose shows all, --report FILE.csv lists them)")
    return lines


REPORT_COLUMNS = ("severity", "kind", "file", "feature", "code", "reason", "lon", "lat")


def write_report(path: str, rows: list[Row]) -> None:
    """Every row as CSV (UTF-8 with BOM so spreadsheet programs read the Chinese names)."""
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        out = csv.writer(fh)
        out.writerow(REPORT_COLUMNS)
        for row in rows:
            out.writerow([cell_text("" if getattr(row, c) is None else str(getattr(row, c)))
                          if c not in ("feature", "lon", "lat") else _number(getattr(row, c))
                          for c in REPORT_COLUMNS])


def _number(value) -> str:
    if value is None:
        return ""
    return f"{value:.7f}" if isinstance(value, float) else str(value)
