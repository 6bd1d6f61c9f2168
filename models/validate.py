"""Vectorised checking of submitted tables against the row models.

Each column is parsed and checked as a whole (no Python loop over rows): the
field's type, whether it is required, and its constraints come from the
pydantic model in :mod:`models.records`; every number must moreover be finite
and below :data:`~models.limits.MAX_ABS_NUMBER` in absolute value (the rule of
:mod:`models.numbers`). Every problem becomes an :class:`~models.errors.Issue`;
nothing is raised here, so callers can collect all problems of all tables
before failing.
"""

from __future__ import annotations

import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import numpy as np
import pandas as pd
from pydantic import BaseModel

from .errors import Issue
from .numbers import limit_text, too_large
from .readers import shown as _shown
from .tables import RawTable, is_number_column

__all__ = ["parse_bool", "parse_numbers", "parse_table"]

_TRUE = {"yes", "y", "true", "1", "ja", "j", "x", "sant"}
_FALSE = {"no", "n", "false", "0", "nej", "nei", "falsk", ""}


def parse_numbers(text: pd.Series) -> pd.Series:
    """Parse numbers written with a decimal point or a decimal comma.

    ``"1 234,5"``, ``"1.234,5"``, ``"1,234.5"`` and ``"1234.5"`` all give
    1234.5; a lone comma is a decimal comma. Blank or unreadable cells give NaN.

    Examples
    --------
    >>> parse_numbers(pd.Series(["12,5", "1.234,5", "x", ""])).tolist()
    [12.5, 1234.5, nan, nan]
    """
    # a loop over the cells, then pandas' number parser on them (as on the whole column): pandas' string methods
    # cost more on a few hundred cells
    cells = [_number_text(v) if isinstance(v, str) else v for v in text.astype(str).tolist()]
    values = np.asarray(pd.to_numeric(np.array(cells, dtype=object), errors="coerce"), dtype=float)
    values[~np.isfinite(values)] = np.nan
    return pd.Series(values, index=text.index, name=text.name)


_SPACES = re.compile(r"[\s\u00a0\u202f']")


def _number_text(cell: str) -> str | None:
    """One cell of :func:`parse_numbers` as :func:`pandas.to_numeric` reads it (None when blank): spaces and
    ``'`` dropped; with both marks, the last one is the decimal mark and the other goes; a comma left is decimal."""
    cell = _SPACES.sub("", cell)
    if "," in cell:
        if "." in cell:
            cell = cell.replace(".", "") if cell.rfind(",") > cell.rfind(".") else cell.replace(",", "")
        cell = cell.replace(",", ".")
    return cell or None


def parse_bool(text: pd.Series) -> pd.Series:
    """Parse yes/no cells (also ja/nej/nei, true/false, 1/0, x); others give NA."""
    low = text.astype(str).str.strip().str.lower()
    out = pd.Series(pd.NA, index=text.index, dtype="boolean")
    out[low.isin(_TRUE)] = True
    out[low.isin(_FALSE - {""})] = False
    return out


def _kind(annotation: Any) -> tuple[str, tuple[str, ...]]:
    """Map a field annotation to ('str'|'float'|'bool'|'choice', choices)."""
    args = get_args(annotation)
    if get_origin(annotation) is Annotated:
        return _kind(args[0])
    if get_origin(annotation) in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _kind(inner[0])
    if get_origin(annotation) is Literal:
        return "choice", tuple(str(a) for a in args)
    if annotation in (float, int):
        return "float", ()
    if annotation is bool:
        return "bool", ()
    return "str", ()


_BOUNDS = {
    "ge": (np.less, "at least"),
    "gt": (np.less_equal, "greater than"),
    "le": (np.greater, "at most"),
    "lt": (np.greater_equal, "less than"),
}


def parse_table(raw: RawTable, model: type[BaseModel]) -> tuple[pd.DataFrame, list[Issue]]:
    """Parse the text cells of ``raw`` into typed columns and list every problem.

    Parameters
    ----------
    raw : RawTable
    model : pydantic model class
        Row model from :mod:`models.records`.

    Returns
    -------
    frame : DataFrame
        One column per model field (NaN/None/NA where empty or invalid), then
        the extra columns: ``q_*`` as floats, others as text. Column ``_row``
        holds the spreadsheet row number.
    issues : list of Issue
    """
    src, file = raw.frame, raw.file
    rows = pd.Series(raw.rows, index=src.index)
    issues: list[Issue] = []
    out: dict[str, pd.Series] = {}

    def flag(mask: pd.Series, column: str, message: str, shown: pd.Series | None = None, suffix: str = "") -> None:
        """One issue per masked row; ``shown`` cells are quoted after ``message`` (built for those rows only)."""
        if not mask.any():
            return
        texts = [message] * int(mask.sum()) if shown is None else (message + shown[mask].map(_shown) + suffix).tolist()
        issues.extend(Issue(file, int(r), column, m) for r, m in zip(rows[mask], texts))

    def numbers(cell: pd.Series, name: str, given: pd.Series) -> pd.Series:
        """A column parsed as numbers; unreadable, non-finite and too large values flagged and left NaN."""
        typed = is_number_column(cell)
        if not typed and not given.any():  # an empty column (most optional ones): nothing to read or flag
            return pd.Series(np.nan, index=cell.index, dtype=float)
        values = cell.astype(float).where(lambda v: np.isfinite(v)) if typed else parse_numbers(cell)
        flag(values.isna() & given, name, "expected a number, got ", _text(cell))
        big = too_large(values)
        if not big.any():
            return values
        flag(big, name, f"must be below {limit_text()} in absolute value, got ", values)
        return values.mask(big)

    for name, field in model.model_fields.items():
        kind, choices = _kind(field.annotation)
        if name not in src.columns:
            if field.is_required():
                issues.append(Issue(file, 1 if raw.rows.size else None, name, "required column is missing"))
            out[name] = pd.Series(
                np.nan if kind == "float" else None, index=src.index, dtype=float if kind == "float" else object
            )
            continue
        cell = src[name]
        typed = is_number_column(cell)
        empty = cell.isna() if typed else cell.eq("")
        if field.is_required():
            flag(empty, name, "value is required")
        if kind == "float":
            values = numbers(cell, name, ~empty)
            for meta in field.metadata:
                for attr, (op, words) in _BOUNDS.items():
                    bound = getattr(meta, attr, None)
                    if bound is not None:
                        bad = pd.Series(op(values.to_numpy(), bound), index=src.index) & values.notna()
                        flag(bad, name, f"must be {words} {bound:g}, got ", values)
            out[name] = values
            continue
        text = _text(cell)
        if kind == "bool":
            values = parse_bool(text)
            flag(values.isna() & ~empty, name, "expected yes or no, got ", text)
            out[name] = values
        elif kind == "choice":
            low = text.str.lower()
            flag(~low.isin(choices) & ~empty, name, f"expected one of {', '.join(choices)}, got ", text)
            out[name] = low.where(low.isin(choices), None)
        else:
            for meta in field.metadata:
                pattern = getattr(meta, "pattern", None)
                if pattern:
                    bad = ~text.str.fullmatch(pattern).fillna(False).astype(bool) & ~empty
                    flag(bad, name, "value ", text, " is not of the expected form")
            out[name] = text.where(~empty, None).astype(object)

    for name in src.columns:
        if name in model.model_fields:
            continue
        cell = src[name]
        typed = is_number_column(cell)
        if re.fullmatch(r"q_[a-z0-9_]+", name):
            out[name] = numbers(cell, name, cell.notna() if typed else cell.ne(""))
        else:
            out[name] = cell if typed else cell.where(cell.ne(""), None).astype(object)
    frame = pd.DataFrame(out, index=src.index)
    frame["_row"] = raw.rows
    return frame, issues


def _text(cell: pd.Series) -> pd.Series:
    """Cells as text; whole numbers of a typed column without a trailing ``.0``."""
    if not is_number_column(cell):
        return cell
    values = cell.astype(float)
    whole = np.isfinite(values) & (values == np.round(values)) & (values.abs() < 1e15)
    text = values.astype(str)
    text[whole] = values[whole].astype(np.int64).astype(str)
    return text.where(values.notna(), "")
