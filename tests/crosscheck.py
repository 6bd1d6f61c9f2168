"""The same seasonal network built with PyPSA's own components (a test-only dependency), to check the optimum.

One bus per row of symbiose's model that is not a period copy: a bus per stream, per store port
(charge, discharge) and per process port. Snapshots are the periods, weighted by their hours, so
that powers (MW, t/h) times weightings are the amounts of symbiose's periods.

* a supply: a fixed generator (its amount per period / hours) and a disposal sink (a generator of
  negative power at minus the disposal cost); a demand: a fixed load and a virgin generator;
* a candidate pair: a link from the supply's bus to the demand's, efficiency its ratio, marginal
  cost its transport cost (carbon price included) per unit of supply;
* a store: a ``Store`` (standing loss per hour, cyclic) between a charge link (efficiency
  ``efficiency_in``, power limit ``max_charge``) and a discharge link (efficiency ``efficiency_out``,
  power limit ``max_discharge / efficiency_out``, marginal cost ``cost_per_unit * efficiency_out``);
* a process: one multi-port link from its reference's input bus (power limit its capacity) to
  each output (``efficiency<i>`` the ratio) and from each further input (negative efficiency).

Only processes whose reference is an input are built (what the tests generate).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from matcher.engine.candidates import Candidates
from matcher.engine.objective import flow_components


def build_pypsa(cand: Candidates) -> Any:
    """A PyPSA network of the model of ``cand`` (streams per period, ports, pairs)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        import pypsa

    inp = cand.inputs
    ch = inp.chains
    assert ch is not None
    n = pypsa.Network()
    n.set_snapshots(list(range(ch.n_periods)))
    for col in n.snapshot_weightings.columns:  # objective, stores and generators weigh each period by its hours
        n.snapshot_weightings[col] = ch.hours
    sup, dem = inp.supplies, inp.demands
    hours = ch.hours

    def bus_of(frame: Any, side: str) -> np.ndarray:
        kind = frame["origin"].to_numpy()
        sid = frame["stream_id"].astype(str).to_numpy()
        res = frame["resource"].astype(str).to_numpy()
        tag = np.where(kind == "stream", "stream", np.where(kind == "storage", f"store-{side}", f"proc-{side}"))
        return np.char.add(np.char.add(np.char.add(tag.astype(str), ":"), sid), np.char.add(":", res))

    bus_s, bus_d = bus_of(sup, "out"), bus_of(dem, "in")
    buses = sorted(set(bus_s) | set(bus_d))
    n.add("Bus", buses)
    t_s, t_d = sup["t"].to_numpy(), dem["t"].to_numpy()

    def series(bus: np.ndarray, t: np.ndarray, values: np.ndarray, keep: np.ndarray) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for b, tt, v in zip(bus[keep], t[keep], values[keep]):
            out.setdefault(b, np.zeros(ch.n_periods))[tt] += v
        return out

    real_s, real_d = sup["origin"].eq("stream").to_numpy(), dem["origin"].eq("stream").to_numpy()
    amount = series(bus_s, t_s, sup["q"].to_numpy(dtype=float), real_s)
    need = series(bus_d, t_d, dem["q"].to_numpy(dtype=float), real_d)
    snapshots = n.snapshots
    if amount:  # supplies: fixed power (every component of a kind added at once), the rest to disposal
        names = sorted(amount)
        power = pd.DataFrame({f"gen {b}": amount[b] / hours for b in names}, index=snapshots)
        peak = np.maximum(power.max().to_numpy(), 1e-9)
        n.add("Generator", list(power.columns), bus=names, p_nom=peak, p_min_pu=power / peak, p_max_pu=power / peak)
    if need:
        names = sorted(need)
        n.add(
            "Load",
            [f"load {b}" for b in names],
            bus=names,
            p_set=pd.DataFrame({f"load {b}": need[b] / hours for b in names}, index=snapshots),
        )
    cost_s = dict(zip(bus_s, sup["unit_cost"].to_numpy(dtype=float)))
    cost_d = dict(zip(bus_d, dem["unit_cost"].to_numpy(dtype=float)))
    open_s = dict(zip(bus_s, sup["slack_open"].to_numpy(dtype=bool)))
    open_d = dict(zip(bus_d, dem["slack_open"].to_numpy(dtype=bool)))
    sinks = [b for b in sorted(set(bus_s)) if open_s[b]]
    if sinks:
        n.add(
            "Generator",
            [f"disposal {b}" for b in sinks],
            bus=sinks,
            p_nom=1e7,
            p_min_pu=-1.0,
            p_max_pu=0.0,
            marginal_cost=[-cost_s[b] for b in sinks],
        )
    sources = [b for b in sorted(set(bus_d)) if open_d[b]]
    if sources:
        n.add(
            "Generator",
            [f"virgin {b}" for b in sources],
            bus=sources,
            p_nom=1e7,
            marginal_cost=[cost_d[b] for b in sources],
        )
    e = cand.edges
    c = flow_components(e, inp.parameters.carbon_price)["cost"]
    pairs = pd.DataFrame(
        {"a": bus_s[e["s"].to_numpy()], "b": bus_d[e["d"].to_numpy()], "ratio": e["ratio"].to_numpy(), "cost": c}
    ).drop_duplicates(["a", "b"])  # the same pair in every period
    if len(pairs):
        n.add(
            "Link",
            [f"pair {i}" for i in range(len(pairs))],
            bus0=pairs["a"].to_numpy(),
            bus1=pairs["b"].to_numpy(),
            efficiency=pairs["ratio"].to_numpy(),
            marginal_cost=pairs["cost"].to_numpy(),
            p_nom=1e7,
        )
    store = inp.network.seasons.storage
    for k, sid in enumerate(ch.storage_ids):
        res = store.at[sid, "resource"]
        inner = f"store:{sid}"
        n.add("Bus", inner)
        n.add("Store", f"store {sid}", bus=inner, e_nom=ch.capacity[k], e_cyclic=True, standing_loss=ch.loss[k])
        n.add(
            "Link",
            f"charge {sid}",
            bus0=f"store-in:{sid}:{res}",
            bus1=inner,
            efficiency=ch.eta_in[k],
            p_nom=min(ch.max_charge[k], 1e7),
        )
        n.add(
            "Link",
            f"discharge {sid}",
            bus0=inner,
            bus1=f"store-out:{sid}:{res}",
            efficiency=ch.eta_out[k],
            p_nom=min(ch.max_discharge[k] / ch.eta_out[k], 1e7),
            marginal_cost=ch.storage_cost[k] * ch.eta_out[k],
        )
    proc = inp.network.seasons.processes
    flows = inp.network.seasons.process_flows
    for p, pid in enumerate(ch.process_ids):
        ref = proc.at[pid, "reference"]
        mine = flows[flows["process_id"] == pid]
        ports: dict[str, Any] = {"bus0": f"proc-in:{pid}:{ref}"}
        i = 1
        for _, f in mine.iterrows():
            if f["resource"] == ref and f["direction"] == "input":
                continue
            side = "out" if f["direction"] == "output" else "in"
            sign = 1.0 if side == "out" else -1.0
            suffix = "" if i == 1 else str(i)
            ports[f"bus{i}"] = f"proc-{side}:{pid}:{f['resource']}"
            ports[f"efficiency{suffix}"] = sign * float(f["ratio"])
            i += 1
        n.add("Link", f"process {pid}", p_nom=ch.process_capacity[p], marginal_cost=ch.process_cost[p], **ports)
    return n


def pypsa_objective(cand: Candidates) -> float:
    """PyPSA's optimum (HiGHS through linopy) of the network of ``cand``."""
    import logging
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pandas' string dtype notes of PyPSA 1.x
        warnings.simplefilter("ignore", DeprecationWarning)
        n = build_pypsa(cand)
        logging.getLogger("linopy").setLevel(logging.ERROR)
        logging.getLogger("pypsa").setLevel(logging.ERROR)
        status, condition = n.optimize(
            solver_name="highs", solver_options={"output_flag": False}, include_objective_constant=False
        )
    assert status == "ok", (status, condition)
    return float(n.objective + getattr(n, "objective_constant", 0.0))
