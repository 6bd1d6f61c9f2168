"""Why a stream keeps a quantity: the first filter stage that left it without partners, or what held its pairs back.

Every stream left (partly) unmatched gets one sentence a facilitator can
read out to the member: no compatible partner, none within reach, quality,
permits, not paying, or (for streams whose pairs are in the LP) the
partners' quantities taken by better pairs, a link's capacity, a blended
limit or a minimum quantity.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..engine.candidates import Candidates
from ..engine.compatibility import blend_limited

__all__ = ["TOL", "reasons"]

#: Relative tolerance below which a quantity counts as zero.
TOL = 1e-7


def _edge_limits(cand: Candidates, x: np.ndarray) -> np.ndarray:
    """Per edge, what may hold its flow back besides the partners' quantities."""
    e = cand.edges
    inp = cand.inputs
    label = np.full(len(e), "the exchange does not pay at the optimum", dtype=object)
    m_s = inp.supplies["min_quantity_base"].to_numpy(dtype=float)[e["s"].to_numpy()]
    m_d = inp.demands["min_quantity_base"].to_numpy(dtype=float)[e["d"].to_numpy()]
    label[(np.nan_to_num(m_s) > 0) | (np.nan_to_num(m_d) > 0)] = "a minimum quantity is not reached"
    label[blend_limited(inp.demands, inp.network.catalog)[e["d"].to_numpy()]] = (
        "the quality of the mix the demand receives is at its limit"
    )
    link = e["link"].to_numpy()
    cap = e["capacity"].to_numpy()
    on = (link >= 0) & np.isfinite(cap)
    if on.any():
        flow = pd.Series(x[on]).groupby(link[on]).transform("sum").to_numpy()
        full = np.zeros(len(e), dtype=bool)
        full[on] = flow >= cap[on] * (1 - 1e-6)
        label[full] = "the link's capacity is used up"
    return label


def _lp_reasons(cand: Candidates, x: np.ndarray, y: np.ndarray, z: np.ndarray, is_supply: bool) -> np.ndarray:
    """Reasons for streams that have edges in the LP yet keep a quantity."""
    e = cand.edges
    inp = cand.inputs
    own, other = ("s", "d") if is_supply else ("d", "s")
    other_frame = inp.demands if is_supply else inp.supplies
    other_left = z if is_supply else y
    o = e[other].to_numpy()
    saturated = other_left[o] <= TOL * np.maximum(1.0, other_frame["q"].to_numpy()[o])
    n_own = len(inp.supplies if is_supply else inp.demands)
    out = np.full(n_own, "", dtype=object)
    frame = pd.DataFrame({"own": e[own].to_numpy(), "sat": saturated, "limit": _edge_limits(cand, x)})
    open_edges = frame[~frame["sat"]]
    first_limit = open_edges.groupby("own")["limit"].first()
    out[:] = (
        "partners' needs are fully met (by this or better pairs)"
        if is_supply
        else "compatible surplus in reach is used up (by this or better pairs)"
    )
    out[first_limit.index.to_numpy()] = first_limit.to_numpy()
    return out


def reasons(cand: Candidates, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Why each stream keeps a quantity (empty where nothing is left).

    The stage that left a stream without partners names the reason (the earliest stage wins); a
    stream with pairs in the LP is explained by what held those pairs back (:func:`_lp_reasons`).
    """
    inp = cand.inputs
    sup, dem = inp.supplies, inp.demands
    p = inp.parameters
    out = []
    for frame, kept, left, is_supply in ((sup, cand.kept_supply, y, True), (dem, cand.kept_demand, z, False)):
        nobody = (
            "no member needs this resource or one it can replace"
            if is_supply
            else "no member offers this resource or one that can replace it"
        )
        k = kept.reindex(frame.index)
        none = {stage: k[stage].to_numpy() == 0 for stage in ("pays", "permit", "quality", "context", "reach")}
        r = np.where(k["pays"].to_numpy() > 0, "in_lp", "").astype(object)
        r[none["pays"]] = (
            "cheaper to dispose: no exchange in reach saves more than transport costs"
            if is_supply
            else "cheaper to buy virgin: no exchange in reach saves more than transport costs"
        )
        r[none["permit"]] = (
            "hazardous: no receiver in reach is permitted for its EWC code (accepts_ewc)"
            if is_supply
            else "hazardous supplies in reach need this demand to list their EWC code in accepts_ewc"
        )
        if none["quality"].any():
            failed = cand.quality_failed.reindex(frame.index).fillna("").to_numpy()[none["quality"]]
            r[none["quality"]] = [f"quality: no partner in reach meets the limits on {f}" for f in failed]
        r[none["context"]] = (
            "compatible partners in reach are the same member, in another period or excluded pairs"
            if len(cand.inputs.network.excluded_pairs)
            else "compatible partners in reach are the same member or in another period"
        )
        no_reach = none["reach"]
        route = frame["route"].fillna(False).to_numpy(dtype=bool) if "route" in frame else np.zeros(len(frame), bool)
        on_route = no_reach & route
        if p.candidates == "links":
            r[no_reach] = "no link in links.csv to a compatible partner"
            r[on_route] = "backhaul pairs come from routes, and candidates: links admits only linked pairs"
        else:
            reach = np.minimum(frame["max_distance_km"].to_numpy(), p.max_distance_km)[no_reach]
            r[no_reach] = [f"no compatible partner within reach ({km:g} km)" for km in reach]
            if is_supply:
                detour = frame["max_detour_km"].to_numpy()[on_route]
                r[on_route] = [f"no shipment lies along the route within its detour limit ({km:g} km)" for km in detour]
            else:
                r[on_route] = "no backhaul route passes this shipment within the route's detour limit"
        r[k["resource"].to_numpy() == 0] = f"no compatible partner: {nobody}"
        # in the LP but left over: were the partners' quantities taken by others?
        in_lp = r == "in_lp"
        if in_lp.any():
            r[in_lp] = _lp_reasons(cand, x, y, z, is_supply)[in_lp]
        r[left <= TOL * np.maximum(1.0, frame["q"].to_numpy())] = ""
        if "category" in frame:  # a capacity is left idle or bought on the market, never disposed of
            capacity = frame["category"].eq("capacity").to_numpy()
            r[capacity] = [
                str(v)
                .replace("cheaper to dispose", "cheaper to leave it idle")
                .replace("cheaper to buy virgin", "cheaper to buy it on the market")
                for v in r[capacity]
            ]
        out.append(r)
    return np.concatenate(out)
