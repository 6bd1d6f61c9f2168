"""One invariant checker, run on every result in the suite."""

from __future__ import annotations

import numpy as np
import pandas as pd

from matcher import MatchResult
from matcher.engine.compatibility import limit_columns

REL = 1e-6


def _close(a: np.ndarray | float, b: np.ndarray | float, scale: np.ndarray | float = 1.0) -> np.ndarray:
    return np.abs(np.asarray(a) - np.asarray(b)) <= REL * np.maximum(1.0, np.abs(np.asarray(scale)))


def check_seasonal(result: MatchResult) -> None:
    """Assert, for a match with periods, storage or processes: balance per stream row and period, store
    dynamics and bounds over the cyclic year, process ratios and capacities, and consistent totals."""
    assert result.status.has_solution, result.message
    rows, keys, ex = result.model_rows, result.exchange_keys, result.exchanges
    assert rows is not None and keys is not None
    net = result.network
    sea = net.seasons
    hours = sea.hours
    labels = sea.labels or ["year"]
    assert (ex["quantity"] > 0).all()
    # balance of every model row: exchanged + left = amount (a port's amount is its charge, discharge or flow)
    out = pd.Series(ex["quantity"].to_numpy(), index=keys["supply_key"].to_numpy()).groupby(level=0).sum()
    inn = pd.Series(ex["delivered"].to_numpy(), index=keys["demand_key"].to_numpy()).groupby(level=0).sum()
    flow = pd.concat([out, inn]).reindex(rows.index).fillna(0.0)
    per = result.stream_periods
    assert per is not None
    amount = pd.Series(0.0, index=rows.index)
    real = pd.concat([("s:" if d == "supply" else "d:") + pd.Series([k]) for k, d in zip(per.index, per["direction"])])
    amount[real.to_numpy()] = per["quantity"].to_numpy()
    st_store = result.storage
    if st_store is not None:
        for sid, g in st_store.groupby("storage_id", sort=False):
            g = g.set_index("period").reindex(labels)
            r = sea.storage.loc[sid]
            cap = float(r["capacity_base"])
            assert (g["level"] <= cap * (1 + REL) + REL).all() and (g["level"] >= -REL).all()
            assert (g["charge"] <= r["max_charge_base"] * hours * (1 + REL) + REL).all()
            assert (g["discharge"] <= r["max_discharge_base"] * hours * (1 + REL) + REL).all()
            before = np.roll(g["level"].to_numpy(), 1)  # cyclic: the last period's level before the first
            decay = (1.0 - float(r["loss"])) ** hours
            expect = (
                decay * before
                + float(r["eta_in"]) * g["charge"].to_numpy()
                - g["discharge"].to_numpy() / float(r["eta_out"])
            )
            assert _close(g["level"].to_numpy(), expect, cap).all(), (sid, g, expect)
            suffix = [f"@{p}" if sea.periods is not None else "" for p in labels]
            amount[[f"d:{sid}{x}" for x in suffix]] = g["charge"].to_numpy()
            amount[[f"s:{sid}{x}" for x in suffix]] = g["discharge"].to_numpy()
            # conservation over the year: what went in is what came out plus what was lost
            lost = float(((1.0 - decay) * before).sum())
            gone_in = float(r["eta_in"]) * g["charge"].sum()
            assert _close(gone_in, g["discharge"].sum() / float(r["eta_out"]) + lost, max(cap, gone_in))
    procs = result.processes
    if procs is not None:
        flows = sea.process_flows
        for pid, g in procs.groupby("process_id", sort=False):
            g = g.set_index("period").reindex(labels)
            cap = float(sea.processes.at[pid, "capacity_base"])
            assert (g["throughput"] <= cap * hours * (1 + REL) + REL).all()
            for f in flows[flows["process_id"] == pid].itertuples():
                side = "s" if f.direction == "output" else "d"
                suffix = [f"@{p}" if sea.periods is not None else "" for p in labels]
                amount[[f"{side}:{pid}:{f.resource}{x}" for x in suffix]] = f.ratio * g["throughput"].to_numpy()
    assert _close(flow + rows["left"], amount, amount).all(), pd.DataFrame(
        {"flow": flow, "left": rows["left"], "amount": amount}
    )[~_close(flow + rows["left"], amount, amount)]
    assert (rows["left"] >= -REL * np.maximum(1.0, amount)).all()
    # the year's streams add up their periods
    year = per.groupby("stream_id")[["quantity", "left"]].sum()
    assert _close(year["left"], result.streams["left"].reindex(year.index), year["quantity"]).all()
    assert _close(year["quantity"], net.streams["quantity_base"].reindex(year.index), year["quantity"]).all()
    # savings: exchanges' savings less what stores and processes cost, members' savings, the objective
    chain = sum(float(t["cost"].sum()) for t in (st_store, procs) if t is not None)
    assert _close(ex["saving"].sum() - chain, result.savings, result.baseline_cost)
    assert _close(result.members["saving"].sum(), result.savings, result.baseline_cost)
    if result.scenario.parameters.objective_weights == {"cost": 1.0}:
        assert result.savings >= -REL * max(1.0, result.baseline_cost)


def check_result(result: MatchResult) -> None:
    """Assert balance, bounds, quality limits, permits, no self-exchange and consistent totals."""
    if result.seasonal:
        check_seasonal(result)
        return
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

    # the rules hold for every exchange proposed; an exchange running in reality (implemented) is kept as it is
    fixed = ex["implemented"].to_numpy(dtype=bool) if "implemented" in ex.columns else np.zeros(len(ex), dtype=bool)
    all_ex, ex = ex, ex[~fixed]

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
            resource = cat[demands.at[d, "resource"]]
            rows = (all_ex if attr in resource.blend else ex)[lambda f, d=d: f["demand_stream"] == d]
            if rows.empty:
                continue
            vals = value.reindex(rows["supply_stream"]).to_numpy(dtype=float)
            if attr in resource.blend:
                virgin_q = resource.virgin_quality.get(attr, limit)
                z = st.at[d, "left"]
                mix = (np.sum(vals * rows["delivered"].to_numpy()) + virgin_q * z) / demands.at[d, "quantity_base"]
                ok = mix <= limit * (1 + REL) + REL if side == "max" else mix >= limit * (1 - REL) - REL
            else:
                ok = bool(np.all(vals <= limit) if side == "max" else np.all(vals >= limit))
            assert ok, (d, attr, side, limit, vals)

    # distances within reach unless a link made the pair; a backhaul pair's distance is its detour, within the
    # supply's limit (recomputed here from the coordinates, by the haversine formula)
    p = result.scenario.parameters
    assert (ex["distance_km"] >= 0).all()
    kinds = {k: r.kind for k, r in cat.resources.items()}
    on_route = ex["resource"].map(lambda k: cat[k].transport == "route").to_numpy(dtype=bool)
    if p.candidates == "distance" and net.links.empty:
        assert (ex["distance_km"][~on_route] <= p.max_distance_km * (1 + REL)).all()
    for row in ex[on_route].itertuples():
        detour = _detour(net, row.supply_stream, row.demand_stream, p.circuity)
        assert abs(detour - row.distance_km) <= 1e-6 * max(1.0, detour), (row.supply_stream, row.demand_stream)
        limit = streams.at[row.supply_stream, "max_detour_km"]
        limit = cat[row.resource].max_detour_km.value if pd.isna(limit) else limit  # type: ignore[union-attr]
        assert detour <= limit + 1e-6, (row.supply_stream, row.demand_stream, detour, limit)

    # capacities are never waste, virgin material or transport work; each kind counts in its own KPI
    ex = all_ex  # the figures count every exchange, running ones included
    k = result.kpis
    s_cat = streams["category"].reindex(ex["supply_stream"]).to_numpy()
    s_unit = streams["base_unit"].reindex(ex["supply_stream"]).to_numpy()
    assert _close(
        k["waste_diverted_t"], ex["quantity"][(s_cat == "waste") & (s_unit == "t")].sum(), 1.0 + k["waste_diverted_t"]
    )
    capacity = s_cat == "capacity"
    assert not (capacity & (s_unit == "t")).any()
    kind = ex["resource"].map(kinds).to_numpy()
    for key, name in (
        ("storage_space", "storage_space_shared_m2"),
        ("equipment_time", "equipment_time_shared_h"),
        ("training_places", "training_places_shared"),
        ("expertise", "expertise_shared_h"),
    ):
        assert _close(k[name], ex["delivered"][kind == key].sum(), 1.0 + k[name]), name
    assert _close(k["backhaul_tkm"], ex["quantity"][kind == "backhaul"].sum(), 1.0 + k["backhaul_tkm"])
    assert _close(k["backhaul_co2e_avoided_t"], ex["co2e_avoided_t"][kind == "backhaul"].sum(), 1.0)

    # savings are counted once: exchanges add up to the network's saving, and so do members
    ex = all_ex
    assert _close(ex["saving"].sum(), result.savings, result.baseline_cost)
    assert _close(result.members["saving"].sum(), result.savings, result.baseline_cost)
    assert _close(result.objective, result.baseline_cost - result.savings, result.baseline_cost)
    if result.scenario.parameters.objective_weights == {"cost": 1.0} and not fixed.any():
        # minimising cost never costs more than the baseline (another objective, or a fixed exchange, may)
        assert result.savings >= -REL * max(1.0, result.baseline_cost)


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle km by the haversine formula (an implementation apart from the engine's chords)."""
    from math import asin, cos, radians, sin, sqrt

    from models.units import EARTH_RADIUS_KM

    p1, p2, dl = radians(lat1), radians(lat2), radians(lon2 - lon1)
    h = sin((p2 - p1) / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h)))


def _detour(net: object, supply: str, demand: str, circuity: float) -> float:
    """The extra road km of a supply's route A -> B to carry a demand's shipment C -> D (A -> C -> D -> B)."""
    st, mb = net.streams, net.members  # type: ignore[attr-defined]
    a = mb.loc[st.at[supply, "member_id"], ["lat", "lon"]].to_numpy(dtype=float)
    c = mb.loc[st.at[demand, "member_id"], ["lat", "lon"]].to_numpy(dtype=float)
    b = st.loc[supply, ["route_lat", "route_lon"]].to_numpy(dtype=float)
    d = st.loc[demand, ["route_lat", "route_lon"]].to_numpy(dtype=float)

    def km(x: object, y: object) -> float:
        return _haversine_km(*x, *y) * circuity  # type: ignore[misc]

    return max(0.0, km(a, c) + km(c, d) + km(d, b) - km(a, b))
