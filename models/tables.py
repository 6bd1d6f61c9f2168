"""Reading the tables members submit: CSV, XLSX workbooks, JSON and DataFrames.

Every reader returns :class:`RawTable` objects: all cells as text, with the
row number the user sees in their spreadsheet, so that later checks can name
file, row and column. Parsing values and checking them is :mod:`models.validate`'s job.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import DataError, Issue

__all__ = ["RawTable", "normalise_columns", "read_csv", "read_frame", "read_json", "read_workbook"]


@dataclass
class RawTable:
    """A table as submitted: text cells, spreadsheet row numbers, the file it came from.

    Attributes
    ----------
    frame : DataFrame
        Cells as ``str`` (empty string for an empty cell), columns normalised.
    rows : ndarray of int
        Row number of each frame row as the user sees it.
    file : str
        Label used in messages, e.g. ``streams.csv`` or ``network.xlsx[streams]``.
    """

    frame: pd.DataFrame
    rows: np.ndarray
    file: str


def normalise_columns(columns: Any) -> list[str]:
    """Column names as the models spell them: trimmed, lower case, spaces as ``_``."""
    return [str(c).strip().lstrip("\ufeff").strip().lower().replace(" ", "_") for c in columns]


def _finish(frame: pd.DataFrame, rows: np.ndarray, file: str, comments: bool = True) -> RawTable:
    """Normalise headers, blank cells and drop empty rows (and ``#`` comment rows of files)."""
    frame = frame.copy()
    frame.columns = normalise_columns(frame.columns)
    dupes = frame.columns[frame.columns.duplicated()].unique().tolist()
    if dupes:
        raise DataError([Issue(file, 1, c, "column appears more than once") for c in dupes])
    numbers = [c for c in frame.columns if _is_number_column(frame[c])]
    for col in frame.columns:
        if col not in numbers:
            frame[col] = _clean_text(frame[col])
    frame = frame.loc[:, [c for c in frame.columns if c and not c.startswith("unnamed:")]]
    blank = pd.DataFrame({c: frame[c].isna() if c in numbers else frame[c].eq("") for c in frame.columns})
    if frame.shape[1]:
        first = frame.iloc[:, 0]
        comment = first.str.startswith("#") if comments and frame.columns[0] not in numbers else False
        keep = ~(blank.all(axis=1) | comment)
    else:
        keep = pd.Series(False, index=frame.index)
    mask = keep.to_numpy()
    return RawTable(frame.loc[mask].reset_index(drop=True), np.asarray(rows)[mask], file)


def _is_number_column(cell: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(cell) and not pd.api.types.is_bool_dtype(cell)


def _clean_text(cell: pd.Series) -> pd.Series:
    """Cells as trimmed text; control characters never belong in a cell (and NUL breaks comparison)."""
    return cell.fillna("").astype(str).str.replace(r"[\x00-\x08\x0b-\x1f\x7f]", "", regex=True).str.strip()


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Nordic Excel without the UTF-8 option saves Windows-1252.
        return data.decode("cp1252")


def read_csv(path: str | Path) -> RawTable:
    """Read a CSV file: comma, semicolon or tab separated, with or without BOM.

    Leading lines starting with ``#`` are skipped; a row whose first cell
    starts with ``#`` (the templates' explanation row) is ignored.

    Raises
    ------
    DataError
        If the file cannot be read, or rows have more cells than the header.
    """
    path = Path(path)
    file = path.name
    try:
        text = _decode(path)
    except OSError as exc:
        raise DataError([Issue(file, None, "", f"cannot read file: {exc.strerror}")]) from None
    lines = text.splitlines()
    lead = 0
    while lead < len(lines) and (not lines[lead].strip() or lines[lead].lstrip().startswith("#")):
        lead += 1
    if lead == len(lines):
        raise DataError([Issue(file, None, "", "file is empty; expected a header row")])
    body = "\n".join(lines[lead:])
    sep = max([";", ",", "\t"], key=lines[lead].count)
    try:
        frame = pd.read_csv(io.StringIO(body), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except pd.errors.ParserError:
        raise DataError(_ragged_rows(body, sep, lead, file)) from None
    rows = np.arange(len(frame)) + lead + 2
    return _finish(frame, rows, file)


def _ragged_rows(body: str, sep: str, lead: int, file: str) -> list[Issue]:
    """Every row with more cells than the header (only called when parsing failed)."""
    reader = csv.reader(io.StringIO(body), delimiter=sep)
    width = len(next(reader))
    return [
        Issue(file, lead + 2 + i, "", f"row has {len(r)} cells, the header has {width}")
        for i, r in enumerate(reader)
        if len(r) > width
    ] or [Issue(file, None, "", "cannot parse the file as CSV")]


def read_workbook(path: str | Path) -> dict[str, RawTable]:
    """Read the sheets of an ``.xlsx`` workbook, keyed by lower-case sheet name."""
    path = Path(path)
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, header=None, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise DataError([Issue(path.name, None, "", f"cannot read workbook: {exc}")]) from None
    out = {}
    for name, sheet in sheets.items():
        label = f"{path.name}[{name}]"
        if sheet.empty:
            continue
        body = sheet.iloc[1:].reset_index(drop=True)
        body.columns = sheet.iloc[0].fillna("").astype(str).tolist()
        out[str(name).strip().lower()] = _finish(body, np.arange(len(body)) + 2, label)
    return out


def read_json(path: str | Path) -> dict[str, RawTable]:
    """Read ``{"members": [...], "streams": [...], "links": [...]}`` from a JSON file.

    The row of an item is its position in its list, counted from 1.
    """
    path = Path(path)
    try:
        doc = json.loads(_decode(path))
    except OSError as exc:
        raise DataError([Issue(path.name, None, "", f"cannot read file: {exc.strerror}")]) from None
    except json.JSONDecodeError as exc:
        raise DataError([Issue(path.name, exc.lineno, "", f"not valid JSON: {exc.msg}")]) from None
    if not isinstance(doc, dict):
        raise DataError([Issue(path.name, None, "", "expected an object with members and streams lists")])
    out = {}
    for key, items in doc.items():
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise DataError([Issue(path.name, None, str(key), "expected a list of objects")])
        frame = pd.DataFrame(items)
        out[str(key).lower()] = _finish(frame, np.arange(len(frame)) + 1, f"{path.name}[{key}]", comments=False)
    return out


def read_frame(frame: pd.DataFrame, name: str) -> RawTable:
    """Wrap a DataFrame supplied through the API; rows are its positions from 0.

    Number columns stay numbers (no round trip through text); other columns become text.
    """
    return _finish(frame.reset_index(drop=True), np.arange(len(frame)), f"<{name} DataFrame>", comments=False)


def tables_from_mapping(tables: Mapping[str, pd.DataFrame | None]) -> dict[str, RawTable]:
    """Wrap named DataFrames, skipping those that are None."""
    return {k: read_frame(v, k) for k, v in tables.items() if v is not None}
