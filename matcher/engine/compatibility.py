"""Which supply may feed which demand: resource, quality, legal status.

All checks take whole edge arrays (supply positions ``s``, demand positions
``d``) and return boolean masks; nothing loops over edges.

Rules
-----
* Resource: the same resource, or one the supply's resource ``substitutes``
  (one unit of supply then meets ``ratio`` units of demand).
* Quality: for each ``q_<x>_min``/``q_<x>_max`` limit of the demand, the
  supply's ``q_<x>`` must be known and within it, except for attributes the
  demand's resource lists in ``blend``: those limits hold for the mix the
  demand receives and become LP rows (:mod:`matcher.engine.formulation`).
* Legal status: a hazardous supply goes only to a demand whose
  ``accepts_ewc`` lists the supply's EWC code.
* A member never exchanges with itself unless ``allow_internal``; streams
  exchange only within the same ``period`` label.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from models import Catalog

__all__ = [
    "blend_limited",
    "blend_mask",
    "limit_columns",
    "permit_mask",
    "quality_mask",
    "resource_pairs",
    "same_context_mask",
]


def resource_pairs(catalog: Catalog) -> pd.DataFrame:
    """Resource pairs that may exchange: ``supply_resource, demand_resource, ratio``."""
    keys = list(catalog.resources)
    same = pd.DataFrame({"supply_resource": keys, "demand_resource": keys, "ratio": 1.0})
    subs = pd.DataFrame(
        [(r.key, s.key, s.ratio) for r in catalog.resources.values() for s in r.substitutes],
        columns=["supply_resource", "demand_resource", "ratio"],
    )
    pairs = pd.concat([same, subs], ignore_index=True)
    return pairs.groupby(["supply_resource", "demand_resource"], as_index=False).agg(ratio=("ratio", "max"))


def limit_columns(demands: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Quality limits present: ``(attribute, "min"|"max", column)``."""
    out = []
    for col in demands.columns:
        m = re.fullmatch(r"q_(.+)_(min|max)", col)
        if m and demands[col].notna().any():
            out.append((m.group(1), m.group(2), col))
    return out


def blend_mask(demands: pd.DataFrame, catalog: Catalog, attribute: str) -> np.ndarray:
    """Demands whose resource blends ``attribute`` (limit holds for the mix)."""
    blended = {k for k, r in catalog.resources.items() if attribute in r.blend}
    return demands["resource"].isin(blended).to_numpy()


def blend_limited(demands: pd.DataFrame, catalog: Catalog) -> np.ndarray:
    """Demands with a limit on an attribute their resource blends (a quality row in the LP)."""
    out = np.zeros(len(demands), dtype=bool)
    for attr, _side, col in limit_columns(demands):
        out |= blend_mask(demands, catalog, attr) & demands[col].notna().to_numpy()
    return out


def quality_mask(
    s: np.ndarray, d: np.ndarray, supplies: pd.DataFrame, demands: pd.DataFrame, catalog: Catalog
) -> tuple[np.ndarray, np.ndarray]:
    """Edges whose supply meets every per-edge quality limit of the demand.

    Returns
    -------
    ok : ndarray of bool
    failed : ndarray of object
        Per edge, the first attribute that failed (``""`` where ok).
    """
    ok = np.ones(len(s), dtype=bool)
    failed = np.full(len(s), "", dtype=object)
    for attr, side, col in limit_columns(demands):
        limit = demands[col].to_numpy(dtype=float)[d]
        value_col = f"q_{attr}"
        value = (
            supplies[value_col].to_numpy(dtype=float)[s] if value_col in supplies.columns else np.full(len(s), np.nan)
        )
        blended = blend_mask(demands, catalog, attr)[d]
        has_limit = ~np.isnan(limit)
        with np.errstate(invalid="ignore"):
            within = value >= limit if side == "min" else value <= limit
        # unknown quality never meets a limit; blended limits are checked in the LP
        bad = has_limit & ~blended & ~within
        bad |= has_limit & blended & np.isnan(value)
        failed[bad & ok] = attr
        ok &= ~bad
    return ok, failed


def permit_mask(s: np.ndarray, d: np.ndarray, supplies: pd.DataFrame, demands: pd.DataFrame) -> np.ndarray:
    """Edges that respect hazardous-waste permits."""
    hazardous = supplies["hazardous"].to_numpy(dtype=bool)[s]
    if not hazardous.any():
        return np.ones(len(s), dtype=bool)
    permits = demands["accepts_ewc"].fillna("").str.split().explode()
    permits = permits[permits.ne("") & permits.notna()]
    allowed = pd.MultiIndex.from_arrays(
        [demands.index.get_indexer(permits.index), permits.to_numpy()], names=["d", "code"]
    )
    codes = supplies["ewc_code"].fillna("").to_numpy(dtype=object)[s]
    wanted = pd.MultiIndex.from_arrays([d, codes], names=["d", "code"])
    return ~hazardous | wanted.isin(allowed)


def same_context_mask(
    s: np.ndarray, d: np.ndarray, supplies: pd.DataFrame, demands: pd.DataFrame, allow_internal: bool
) -> np.ndarray:
    """Edges between different members (unless allowed) within the same period."""
    ok = supplies["period"].to_numpy(dtype=object)[s] == demands["period"].to_numpy(dtype=object)[d]
    if not allow_internal:
        ok &= supplies["member_id"].to_numpy(dtype=object)[s] != demands["member_id"].to_numpy(dtype=object)[d]
    return ok
