"""Numbers as people read them (terminal, reports) and as JSON carries them."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["format_number", "json_number", "json_text", "plain", "records"]


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


def plain(doc: Any) -> Any:
    """A document of dicts, lists and scalars with every number as :func:`json_number` gives it."""
    if isinstance(doc, dict):
        return {k: plain(v) for k, v in doc.items()}
    if isinstance(doc, (list, tuple)):
        return [plain(v) for v in doc]
    return json_number(doc)


def json_text(doc: Any, indent: int | None = 1) -> str:
    """Strict JSON (no NaN or Infinity tokens), non-ASCII text kept as is.

    >>> json_text({"a": float("nan"), "b": [float("inf"), 1.5]}, indent=None)
    '{"a": null, "b": [null, 1.5]}'
    """
    return json.dumps(plain(doc), ensure_ascii=False, indent=indent, allow_nan=False)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON records (pandas' encoder: NaN as null, 10 significant digits)."""
    return list(json.loads(frame.to_json(orient="records", force_ascii=False)))
