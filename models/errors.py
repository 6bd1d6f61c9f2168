"""Exceptions and the issue record shared by every stage of intake.

A :class:`DataError` carries every problem found in the submitted tables at
once, each as an :class:`Issue` naming file, row and column, the way a compiler
lists errors.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DataError", "Issue", "ScenarioError", "SymbioseError"]


class SymbioseError(Exception):
    """Base class of every error symbiose raises on purpose."""


@dataclass(frozen=True, order=True)
class Issue:
    """One problem in the input, located as the user sees it.

    Parameters
    ----------
    file : str
        File name (with ``[sheet]`` for a workbook sheet).
    row : int or None
        Row number as shown by a spreadsheet program (header is row 1), or
        ``None`` when the problem concerns the whole file.
    column : str
        Column name, or ``""`` when the problem concerns the whole row.
    message : str
        What is wrong and what was expected.
    """

    file: str
    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        row = "" if self.row is None else str(self.row)
        return f"{self.file}:{row}:{self.column}: {self.message}"


class DataError(SymbioseError, ValueError):
    """The submitted data has one or more problems; nothing was loaded.

    Attributes
    ----------
    issues : list of Issue
        Every problem found, sorted by file, row and column.
    """

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = sorted(set(issues), key=_issue_key)
        lines = "\n".join(str(i) for i in self.issues)
        super().__init__(f"{len(self.issues)} problem(s) in the input:\n{lines}")


class ScenarioError(SymbioseError, ValueError):
    """A scenario file is missing, unreadable or inconsistent."""


def _issue_key(issue: Issue) -> tuple[str, int, str, str]:
    return (issue.file, -1 if issue.row is None else issue.row, issue.column, issue.message)
