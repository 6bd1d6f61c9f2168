"""Pseudonyms and rounding for reports that leave the network (one definition for reports and comparisons)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["ROUNDED_COLUMNS", "pseudonym", "pseudonymise_exchanges", "round_sig"]

#: Exchange columns holding quantities or money, rounded to two significant figures when anonymised.
ROUNDED_COLUMNS = (
    "quantity",
    "delivered",
    "saving",
    "transport_cost",
    "co2e_avoided_t",
    "co2e_t",
    "avoided_disposal_cost",
    "avoided_virgin_cost",
    "fixed_cost",
)


def pseudonym(kind: str, key: str) -> str:
    """A stable pseudonym: the same id always gives the same label.

    >>> pseudonym("Member", "M01") == pseudonym("Member", "M01") != pseudonym("Member", "M02")
    True
    """
    return f"{kind} {hashlib.blake2b(str(key).encode(), digest_size=3).hexdigest().upper()}"


def round_sig(values: pd.Series | np.ndarray, digits: int = 2) -> np.ndarray:
    """Values rounded to ``digits`` significant figures (zeros and non-finite values kept)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(v == 0, 0, np.floor(np.log10(np.abs(v))))
    scale = 10.0 ** (digits - 1 - mag)
    return np.where(np.isfinite(v) & (v != 0), np.round(v * scale) / scale, v)


def pseudonymise_exchanges(
    exchanges: pd.DataFrame, members: Mapping[str, str], streams: Mapping[str, str]
) -> pd.DataFrame:
    """A copy of an exchange table with member and stream ids replaced by their pseudonyms."""
    out = exchanges.copy()
    for col in ("from_member", "to_member"):
        out[col] = out[col].map(members)
    for col in ("supply_stream", "demand_stream"):
        out[col] = out[col].map(streams)
    return out
