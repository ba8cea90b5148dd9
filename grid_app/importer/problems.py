"""Problems found in imported files: one line each, naming the file and the feature."""
from __future__ import annotations

from dataclasses import dataclass


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
