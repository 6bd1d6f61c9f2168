"""Numbers as people read them (terminal, reports) and as JSON carries them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
import pandas as pd

__all__ = ["format_number", "json_number", "json_text", "records"]


def format_number(x: float) -> str:
    """Thousands separators; two decimals only below 100 (``37,137,972``, ``24``, ``0.75``)."""
    if not math.isfinite(x):
        return "–"
    if abs(x) < 0.005:  # never "-0.00"
        x = 0.0
    if float(x).is_integer() or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.2f}"


def json_number(v: Any) -> Any:
    """A number ready for strict JSON: numpy scalars as Python numbers, NaN and infinities as None."""
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    return v


def json_text(doc: Any, indent: bool = False) -> str:
    """Strict JSON (no NaN or Infinity tokens: null), compact (``indent``: two spaces), non-ASCII text kept as is.

    numpy scalars and arrays are written as numbers and lists (orjson's encoder, in C).

    >>> json_text({"a": float("nan"), "b": [float("inf"), 1.5], "n": np.int64(3)})
    '{"a":null,"b":[null,1.5],"n":3}'
    """
    option = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    return orjson.dumps(doc, option=option).decode("utf-8")


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON records (pandas' encoder: NaN as null, 15 significant digits, so figures recompute exactly)."""
    return list(orjson.loads(frame.to_json(orient="records", force_ascii=False, double_precision=15)))
