"""Tables as CSV and XLSX files that execute nothing when a spreadsheet opens them.

Text in results comes from members' data (ids, names, resources, notes,
reasons). A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return (or their full-width forms) is a formula to a spreadsheet
program: such text gets a leading apostrophe (OWASP's guidance on CSV
injection), in cells, index and column labels alike. In workbooks every text
cell is also stored as text, never as a formula, and characters XML cannot
hold are replaced. Numbers stay numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from models.files import atomic_write, atomic_write_text

__all__ = ["FORMULA_START", "csv_text", "neutralise", "safe_cell", "write_csv", "write_workbook"]

#: First characters that make a spreadsheet read a cell as a formula (with their full-width forms).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value: Any) -> Any:
    """Text that a spreadsheet shows as text (apostrophe before a formula start); a list as ``"a; b"``; else as is.

    >>> safe_cell("=HYPERLINK(\\"http://x\\")"), safe_cell("M01"), safe_cell(-3.5)
    ('\\'=HYPERLINK("http://x")', 'M01', -3.5)
    """
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _xml_cell(value: Any) -> Any:
    """A neutralised cell with the characters a workbook cannot hold replaced by U+FFFD."""
    value = safe_cell(value)
    return _ILLEGAL_XML.sub("\ufffd", value) if isinstance(value, str) else value


def _labels(index: pd.Index, cell: Callable[[Any], Any]) -> pd.Index:
    names = [cell(n) for n in index.names]
    if isinstance(index, pd.MultiIndex):
        levels: list[Any] = [list(_labels(level, cell)) for level in index.levels]
        return index.set_levels(levels).set_names(names)
    if index.dtype == object or pd.api.types.is_string_dtype(index.dtype):
        index = index.map(cell)
    return index.set_names(names)


def neutralise(frame: pd.DataFrame, workbook: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, index and column labels start with no formula character.

    With ``workbook``, characters an XLSX file cannot hold are replaced by U+FFFD as well.
    """
    cell = _xml_cell if workbook else safe_cell
    out = frame.copy()
    for i in range(frame.shape[1]):
        values = frame.iloc[:, i]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            out.isetitem(i, values.map(cell).to_numpy())
    out.columns = _labels(frame.columns, cell)
    out.index = _labels(frame.index, cell)
    return out


def csv_text(frame: pd.DataFrame, index: bool = False) -> str:
    """The table as CSV text, neutralised."""
    return str(neutralise(frame).to_csv(index=index))


def write_csv(path: str | Path, frame: pd.DataFrame, index: bool = False) -> Path:
    """Write the table as CSV, neutralised, completely or not at all."""
    return atomic_write_text(path, csv_text(frame, index=index))


def write_workbook(path: str | Path, sheets: Sequence[tuple[str, pd.DataFrame, bool]]) -> Path:
    """Write ``(sheet name, table, with index)`` sheets as one XLSX workbook, completely or not at all.

    Text cells are neutralised like CSV cells, stored as text (never formulas),
    and characters a workbook cannot hold become U+FFFD.
    """

    def write(tmp: Path) -> None:
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            for name, frame, index in sheets:
                neutralise(frame, workbook=True).to_excel(xl, sheet_name=name, index=index)
            for sheet in xl.book.worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        if isinstance(cell.value, str):
                            cell.data_type = "s"  # text, even where openpyxl saw a formula

    return atomic_write(path, write)
