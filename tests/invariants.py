"""One invariant checker, run on every result in the suite."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher import MatchResult
from matcher.engine.compatibility import limit_columns

REL = 1e-6


def _close(a: np.ndarray | float, b: np.ndarray | float, scale: np.ndarray | float = 1.0) -> np.ndarray:
    return np.abs(np.asarray(a) - np.asarray(b)) <= REL * np.maximum(1.0, np.abs(np.asarray(scale)))


def check_result(result: MatchResult) -> None:
    """Assert balance, bounds, quality limits, permits, no self-exchange and consistent totals."""
    assert result.status.has_solution, result.message
    net = result.network
    streams = net.streams
    ex = result.exchanges
    cat = net.catalog

    # non-negativity and bounds
    assert (ex["quantity"] > 0).all()
    st = result.streams
    assert (st["left"] >= -REL).all()
    assert (st["left"] <= st["quantity"] * (1 + REL) + REL).all()

    # balance at every supply: exchanged + disposed = quantity
    out = ex.groupby("supply_stream")["quantity"].sum().reindex(st.index).fillna(0.0)
    inn = ex.groupby("demand_stream")["delivered"].sum().reindex(st.index).fillna(0.0)
    flow = np.where(st["direction"].eq("supply"), out, inn)
    assert _close(flow + st["left"], st["quantity"], st["quantity"]).all()

    # no self-exchange unless allowed; same period only
    if not result.scenario.parameters.allow_internal:
        assert (ex["from_member"] != ex["to_member"]).all()
    period = streams["period"].fillna("")
    assert (period.reindex(ex["supply_stream"]).to_numpy() == period.reindex(ex["demand_stream"]).to_numpy()).all()

    # resources: same or a declared substitute with its ratio
    allowed = {(k, k): 1.0 for k in cat.resources}
    allowed.update({(k, s.key): s.ratio for k, r in cat.resources.items() for s in r.substitutes})
    for (sr, dr), q, dlv in zip(zip(ex["resource"], ex["demand_resource"]), ex["quantity"], ex["delivered"]):
        assert (sr, dr) in allowed
        assert _close(dlv, q * allowed[(sr, dr)], q)

    # hazardous supplies only to permitted receivers
    haz = streams["hazardous"].reindex(ex["supply_stream"]).to_numpy(dtype=bool)
    codes = streams["ewc_code"].reindex(ex["supply_stream"]).to_numpy()
    permits = streams["accepts_ewc"].fillna("").reindex(ex["demand_stream"]).to_numpy()
    for h, c, p in zip(haz, codes, permits):
        assert not h or c in p.split()

    # quality: per-edge limits, or the mix for blended attributes
    demands = streams[streams["direction"] == "demand"]
    for attr, side, col in limit_columns(demands):
        vcol = f"q_{attr}"
        value = streams[vcol] if vcol in streams.columns else pd.Series(np.nan, index=streams.index)
        for d, limit in demands[col].dropna().items():
            rows = ex[ex["demand_stream"] == d]
            if rows.empty:
                continue
            resource = cat[demands.at[d, "resource"]]
            vals = value.reindex(rows["supply_stream"]).to_numpy(dtype=float)
            if attr in resource.blend:
                virgin_q = resource.virgin_quality.get(attr, limit)
                z = st.at[d, "left"]
                mix = (np.sum(vals * rows["delivered"].to_numpy()) + virgin_q * z) / demands.at[d, "quantity_base"]
                ok = mix <= limit * (1 + REL) + REL if side == "max" else mix >= limit * (1 - REL) - REL
            else:
                ok = bool(np.all(vals <= limit) if side == "max" else np.all(vals >= limit))
            assert ok, (d, attr, side, limit, vals)

    # distances within reach unless a link made the pair
    p = result.scenario.parameters
    assert (ex["distance_km"] >= 0).all()
    if p.candidates == "distance" and net.links.empty:
        assert (ex["distance_km"] <= p.max_distance_km * (1 + REL)).all()

    # savings are counted once: exchanges add up to the network's saving, and so do members
    assert _close(ex["saving"].sum(), result.savings, result.baseline_cost)
    assert _close(result.members["saving"].sum(), result.savings, result.baseline_cost)
    assert _close(result.objective, result.baseline_cost - result.savings, result.baseline_cost)
    if result.scenario.parameters.objective_weights == {"cost": 1.0}:
        # minimising cost never costs more than the baseline (another objective may)
        assert result.savings >= -REL * max(1.0, result.baseline_cost)
