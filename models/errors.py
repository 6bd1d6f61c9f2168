"""Exceptions and the issue record shared by every stage of intake.

A :class:`DataError` carries every problem found in the submitted tables at
once, each as an :class:`Issue` naming file, row and column, the way a compiler
lists errors; a :class:`ScenarioError` is the same for scenario files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["DataError", "Issue", "ScenarioError", "SymbioseError", "pydantic_message"]


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
        return _printable(f"{self.file}:{row}:{self.column}: {self.message}")


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


class ScenarioError(DataError):
    """A scenario file is missing, unreadable, not a scenario, or its ``extends`` chain is broken.

    A :class:`DataError` (so callers that catch that see it too, and the CLI lists its
    issues the same way) raised for problems in scenario files rather than in tables:
    a file that is not a scenario, an ``extends`` chain that is circular or too long,
    a key that is unknown or has an invalid value.
    """


def pydantic_message(err: Any) -> str:
    """One pydantic error as a short message: an unknown key says so; "Value error, " is dropped."""
    if err["type"] == "extra_forbidden":
        return "unknown key"
    return str(err["msg"]).removeprefix("Value error, ")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """Control characters escaped, so that a name from a file cannot drive the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _issue_key(issue: Issue) -> tuple[str, int, str, str]:
    return (issue.file, -1 if issue.row is None else issue.row, issue.column, issue.message)
