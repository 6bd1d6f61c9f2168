"""Numbers as people read them (terminal, reports) and as JSON carries them."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["format_number", "json_number", "records"]


def format_number(x: float) -> str:
    """Thousands separators; two decimals only below 100 (``37,137,972``, ``24``, ``0.75``)."""
    if not math.isfinite(x):
        return "–"
    if float(x).is_integer() or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.2f}"


def json_number(v: Any) -> Any:
    """A number ready for JSON: numpy scalars as Python numbers, NaN as None."""
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    return v


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table as JSON records (pandas' encoder: NaN as null, 10 significant digits)."""
    return list(json.loads(frame.to_json(orient="records", force_ascii=False)))
