"""Reading the tables members submit: CSV, XLSX workbooks, JSON and DataFrames.

Every reader returns :class:`RawTable` objects: all cells as text, with the
row number the user sees in their spreadsheet, so that later checks can name
file, row and column. Parsing values and checking them is :mod:`models.validate`'s job.

Files are read through :mod:`models.readers` (regular files only, size-bounded,
UTF-8 or Windows-1252) and every table is bounded by :mod:`models.limits`
(rows, columns; for workbooks also the unpacked size).
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
import zipfile
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import limits
from .errors import DataError, Issue
from .readers import parse_json, read_bytes, read_text

__all__ = [
    "RawTable",
    "is_number_column",
    "normalise_columns",
    "read_csv",
    "read_frame",
    "read_json",
    "read_workbook",
]


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


def _finish(frame: pd.DataFrame, rows: np.ndarray, file: str, comments: bool = True, header: int = 1) -> RawTable:
    """Normalise headers, blank cells and drop empty rows (and ``#`` comment rows of files).

    A column whose header is blank is dropped (it names no field); a header that names a
    column twice, in any spelling that normalises to the same name, is an error.
    """
    frame = frame.copy()
    frame.columns = normalise_columns(frame.columns)
    if frame.shape[1] > limits.MAX_COLUMNS:
        raise DataError(
            [Issue(file, header, "", f"table has {frame.shape[1]} columns; at most {limits.MAX_COLUMNS} are read")]
        )
    named = [i for i, c in enumerate(frame.columns) if c and not c.startswith("unnamed:")]
    frame = frame.iloc[:, named]
    dupes = frame.columns[frame.columns.duplicated()].unique().tolist()
    if dupes:
        raise DataError([Issue(file, header, c, "column appears more than once") for c in dupes])
    dtypes = dict(zip(frame.columns, frame.dtypes))
    numbers = [c for c in frame.columns if _is_number_dtype(dtypes[c])]
    cleaned, blank = _clean_texts(frame, [c for c in frame.columns if c not in numbers], dtypes)
    frame = pd.DataFrame({c: cleaned.get(c, frame[c]) for c in frame.columns}, index=frame.index)
    if numbers:
        blank &= frame[numbers].isna().to_numpy(dtype=bool).all(axis=1)
    if frame.shape[1]:
        first = frame.iloc[:, 0]
        comment = (
            first.str.startswith("#").to_numpy(dtype=bool) if comments and frame.columns[0] not in numbers else False
        )
        mask = ~(blank | comment)
    else:
        mask = np.zeros(len(frame), dtype=bool)
    return RawTable(frame.loc[mask].reset_index(drop=True), np.asarray(rows)[mask], file)


def _clean_texts(
    frame: pd.DataFrame, columns: list[str], dtypes: dict[str, Any]
) -> tuple[dict[str, pd.Series], np.ndarray]:
    """:func:`_clean_text` of each column, and which rows are blank in all of them.

    Columns of one string dtype (all of a CSV file) are cleaned as one series: a string method costs about as
    much on a few cells as on thousands.
    """
    out: dict[str, pd.Series] = {}
    blank = np.ones(len(frame), dtype=bool)
    batch = [c for c in columns if isinstance(dtypes[c], pd.StringDtype) and dtypes[c] == dtypes[columns[0]]]
    if len(batch) > 1:
        n = len(frame)
        stacked = pd.Series(frame[batch].to_numpy(dtype=object).ravel(order="F"), dtype=dtypes[batch[0]])
        done = _clean_text(stacked)
        blank &= done.eq("").to_numpy(dtype=bool).reshape(len(batch), n).all(axis=0)
        cells = done.array
        out = {c: pd.Series(cells[i * n : (i + 1) * n], index=frame.index, name=c) for i, c in enumerate(batch)}
    for c in columns:
        if c not in out:
            out[c] = _clean_text(frame[c])
            blank &= out[c].eq("").to_numpy(dtype=bool)
    return out, blank


def is_number_column(cell: pd.Series) -> bool:
    """A column that arrived typed (numbers from a DataFrame or JSON) rather than as text.

    Bool and complex columns are not numbers: they are read as text (and so refused where
    a number belongs).
    """
    return _is_number_dtype(cell.dtype)


def _is_number_dtype(dtype: Any) -> bool:
    types = pd.api.types
    return types.is_numeric_dtype(dtype) and not types.is_bool_dtype(dtype) and not types.is_complex_dtype(dtype)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean_text(cell: pd.Series) -> pd.Series:
    """Cells as trimmed text; control characters never belong in a cell (and NUL breaks comparison).

    They are looked for once in all cells joined (by a newline, which is not one of them): most
    tables have none, and the replacement costs three times the search.
    """
    text = cell.fillna("").astype(str)
    if _CONTROL.search("\n".join(text.to_numpy(dtype=object))) is not None:
        text = text.str.replace(_CONTROL.pattern, "", regex=True)
    return text.str.strip()


def _too_many_rows(file: str, rows: int) -> DataError:
    return DataError([Issue(file, None, "", f"table has {rows:,} rows or more; at most {limits.MAX_ROWS:,} are read")])


_QUOTED = re.compile(r'"[^"]*"')


def read_csv(path: str | Path) -> RawTable:
    """Read a CSV file: comma, semicolon or tab separated, with or without BOM.

    Leading lines starting with ``#`` are skipped; a row whose first cell
    starts with ``#`` (the templates' explanation row) is ignored. The file is
    read as UTF-8, else Windows-1252 (see :mod:`models.readers`).

    Raises
    ------
    DataError
        If the file cannot be read, is beyond the limits of :mod:`models.limits`,
        its header names a column twice, or rows have more cells than the header.
    """
    path = Path(path)
    file = path.name
    text = read_text(path, limits.MAX_TABLE_BYTES, file, "tables")
    if text.count("\n") > 2 * limits.MAX_ROWS + 1000:  # before splitting: blank lines are rows to pandas
        raise _too_many_rows(file, text.count("\n"))
    lines = text.splitlines()
    lead = 0
    while lead < len(lines) and (not lines[lead].strip() or lines[lead].lstrip().startswith("#")):
        lead += 1
    if lead == len(lines):
        raise DataError([Issue(file, None, "", "file is empty; expected a header row")])
    sep = max([";", ",", "\t"], key=lines[lead].count)
    wide = [
        Issue(file, lead + 1 + i, "", f"row has more than {limits.MAX_COLUMNS} cells")
        for i, line in enumerate(lines[lead:])
        if line.count(sep) >= limits.MAX_COLUMNS and _QUOTED.sub("", line).count(sep) >= limits.MAX_COLUMNS
    ]
    if wide:
        raise DataError(wide[:10])
    body = "\n".join(lines[lead:])
    try:
        # header=None: pandas would rename a second "quantity" column to "quantity.1"
        cells = pd.read_csv(
            io.StringIO(body), sep=sep, dtype=str, header=None, keep_default_na=False, skip_blank_lines=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        raise DataError(_ragged_rows(body, sep, lead, file)) from None
    if len(cells) - 1 > limits.MAX_ROWS:
        raise _too_many_rows(file, len(cells) - 1)
    frame = cells.iloc[1:].reset_index(drop=True)
    frame.columns = cells.iloc[0].fillna("").astype(str).tolist()
    rows = np.arange(len(frame)) + lead + 2
    return _finish(frame, rows, file, header=lead + 1)


def _ragged_rows(body: str, sep: str, lead: int, file: str) -> list[Issue]:
    """Every row with more cells than the header (only called when parsing failed)."""
    try:
        reader = csv.reader(io.StringIO(body), delimiter=sep)
        width = len(next(reader))
        issues = [
            Issue(file, lead + 2 + i, "", f"row has {len(r)} cells, the header has {width}")
            for i, r in enumerate(reader)
            if len(r) > width
        ]
    except (csv.Error, StopIteration):
        issues = []
    return issues or [Issue(file, None, "", "cannot parse the file as CSV (an unclosed quote?)")]


def read_workbook(path: str | Path, only: Collection[str] | None = None) -> dict[str, RawTable]:
    """Read the sheets of an ``.xlsx`` workbook, keyed by lower-case sheet name.

    Parameters
    ----------
    path : str or Path
    only : collection of str, optional
        Lower-case names of the sheets to read; others are skipped unread.

    Each sheet is checked against :data:`~models.limits.MAX_ROWS` and
    :data:`~models.limits.MAX_COLUMNS` from its declared dimension before it is read,
    and again while its rows stream in (a dimension may lie). The header is the
    first row with a value; row numbers are the sheet's own.

    Raises
    ------
    DataError
        If the file is not a readable workbook or a sheet is beyond the limits.
    """
    path = Path(path)
    file = path.name
    data = read_bytes(path, limits.MAX_TABLE_BYTES, file, "tables")
    _check_archive(data, file)
    import openpyxl  # imported when a workbook is read (a match of CSV files never loads it)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise DataError([Issue(file, None, "", f"cannot read workbook: {_reason(exc)}")]) from None
    out: dict[str, RawTable] = {}
    issues: list[Issue] = []
    try:
        for sheet in book.worksheets:
            key = str(sheet.title).strip().lower()
            label = f"{file}[{sheet.title}]"
            if only is not None and key not in only:
                continue
            if key in out:
                issues.append(Issue(label, None, "", f"two sheets are named {key!r}"))
                continue
            try:
                table = _read_sheet(sheet, label)
            except DataError as exc:
                issues += exc.issues
                continue
            except Exception as exc:  # a damaged sheet
                issues.append(Issue(label, None, "", f"cannot read sheet: {_reason(exc)}"))
                continue
            if table is not None:
                out[key] = table
    finally:
        book.close()
    if issues:
        raise DataError(issues)
    return out


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text if len(text) <= 80 else text[:79] + "…"


def _check_archive(data: bytes, file: str) -> None:
    """Refuse what is not a zip archive, and archives that unpack beyond the limit."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise DataError(
            [Issue(file, None, "", "not an .xlsx workbook (an old .xls file, or damaged); save it as .xlsx")]
        ) from None
    if unpacked > limits.MAX_XLSX_UNPACKED_BYTES:
        limit = limits.describe_bytes(limits.MAX_XLSX_UNPACKED_BYTES)
        raise DataError(
            [Issue(file, None, "", f"workbook unpacks to {limits.describe_bytes(unpacked)}; the limit is {limit}")]
        )


def _read_sheet(sheet: Any, label: str) -> RawTable | None:
    """One sheet as a RawTable (None when it is empty), rows and columns bounded."""
    declared_rows, declared_cols = sheet.max_row or 0, sheet.max_column or 0
    if declared_rows > limits.MAX_ROWS + 1 or declared_cols > limits.MAX_COLUMNS:
        raise DataError(
            [
                Issue(
                    label,
                    None,
                    "",
                    f"sheet spans {declared_rows:,} rows x {declared_cols:,} columns; "
                    f"at most {limits.MAX_ROWS:,} rows x {limits.MAX_COLUMNS} columns are read",
                )
            ]
        )
    sheet.reset_dimensions()  # stream what is there, whatever the dimension record says
    cells: list[list[str | None]] = []
    numbers: list[int] = []
    width = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if number > limits.MAX_ROWS + 1:
                raise _too_many_rows(label, number - 1)
            n = len(values)
            while n and (values[n - 1] is None or values[n - 1] == ""):
                n -= 1
            if n > limits.MAX_COLUMNS:
                raise DataError([Issue(label, number, "", f"row has cells beyond column {limits.MAX_COLUMNS}")])
            if n == 0 and not cells:
                continue  # blank rows above the header
            cells.append([_cell_text(v) for v in values[:n]])
            numbers.append(number)
            width = max(width, n)
    if not cells:
        return None
    header = [h or "" for h in cells[0]] + [""] * (width - len(cells[0]))
    body = [row + [None] * (width - len(row)) for row in cells[1:]]
    frame = pd.DataFrame(body, columns=header, dtype=object) if body else pd.DataFrame(columns=header, dtype=object)
    return _finish(frame, np.asarray(numbers[1:], dtype=int), label, header=numbers[0])


def _cell_text(value: Any) -> str | None:
    """A workbook cell as text: whole numbers without ``.0``, dates as ``2024-01-31 00:00:00``."""
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def read_json(path: str | Path) -> dict[str, RawTable]:
    """Read ``{"members": [...], "streams": [...], "links": [...]}`` from a JSON file.

    The row of an item is its position in its list, counted from 1. A key given
    twice in an item is an error naming the item and the key.
    """
    path = Path(path)
    file = path.name

    def locate(where: tuple[str | int, ...], key: str) -> Issue:
        if len(where) == 2 and isinstance(where[1], int):
            return Issue(f"{file}[{where[0]}]", where[1] + 1, key, "column appears more than once")
        return Issue(file, None, ".".join(map(str, (*where, key))), "key is given twice in one object")

    doc = parse_json(read_text(path, limits.MAX_TABLE_BYTES, file, "tables"), file, locate)
    if not isinstance(doc, dict):
        raise DataError([Issue(file, None, "", "expected an object with members and streams lists")])
    out = {}
    for key, items in doc.items():
        label = f"{file}[{key}]"
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise DataError([Issue(file, None, str(key), "expected a list of objects")])
        if len(items) > limits.MAX_ROWS:
            raise _too_many_rows(label, len(items))
        columns: set[str] = set()
        for item in items:
            columns.update(item)
            if len(columns) > limits.MAX_COLUMNS:
                raise DataError([Issue(label, None, "", f"items have more than {limits.MAX_COLUMNS} different keys")])
        frame = pd.DataFrame(items)
        out[str(key).lower()] = _finish(frame, np.arange(len(frame)) + 1, label, comments=False)
    return out


def read_frame(frame: pd.DataFrame, name: str) -> RawTable:
    """Wrap a DataFrame supplied through the API; rows are its positions from 0.

    Number columns stay numbers (no round trip through text); other columns become text.
    """
    return _finish(frame.reset_index(drop=True), np.arange(len(frame)), f"<{name} DataFrame>", comments=False)


def tables_from_mapping(tables: Mapping[str, pd.DataFrame | None]) -> dict[str, RawTable]:
    """Wrap named DataFrames, skipping those that are None."""
    return {k: read_frame(v, k) for k, v in tables.items() if v is not None}
