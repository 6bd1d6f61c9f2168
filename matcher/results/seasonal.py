"""Results of a match with periods, storage or processes: per period, per store, per process.

The model's supplies and demands are streams per period and ports of stores and processes
(:mod:`matcher.engine.periods`). Here they are read back into what people look at: each
stream's row per period (``stream_periods``) and its year (``streams``, the reasons naming the
periods where something is left), each store's level, charge and discharge per period, each
process's throughput per period, and the costs a store or process adds (charged to its member,
so that member savings still add up to the network's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .reasons import TOL

if TYPE_CHECKING:
    from ..engine.candidates import Candidates
    from ..engine.formulation import LinearProgram

__all__ = ["chain_tables", "is_stream", "stream_years"]


def is_stream(frame: pd.DataFrame) -> np.ndarray:
    """Per row of the model's supplies or demands, whether it is a member's stream (not a port)."""
    if "origin" not in frame.columns:
        return np.ones(len(frame), dtype=bool)
    return frame["origin"].eq("stream").to_numpy()


def chain_tables(cand: Candidates, lp: LinearProgram, x_all: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per store and period: level (after the period), charge, discharge, cost; per process and period:
    throughput and cost (operation, disposal of outputs and virgin purchase of inputs that were left).

    ``cost`` (carbon price included) and ``co2e_t`` (of the disposal and purchase) are what a store or
    process adds beyond its exchanges: the network's saving is its exchanges' savings less these costs,
    its CO2e avoided theirs less these emissions."""
    inp = cand.inputs
    ch = inp.chains
    assert ch is not None
    t = ch.n_periods
    x = x_all[lp.blocks["chain"]]
    k, kt = ch.n_storage, ch.n_storage * t
    labels = np.asarray(ch.labels if ch.named else ("year",), dtype=object)
    store = inp.network.seasons.storage
    level, charge, discharge = x[:kt], x[kt : 2 * kt], x[2 * kt : 3 * kt]
    storage = pd.DataFrame(
        {
            "storage_id": np.repeat(ch.storage_ids, t),
            "member_id": np.repeat(store["member_id"].to_numpy(), t) if k else np.zeros(0, dtype=object),
            "resource": np.repeat(store["resource"].to_numpy(), t) if k else np.zeros(0, dtype=object),
            "period": np.tile(labels, k),
            "level": np.clip(level, 0.0, None),
            "charge": np.clip(charge, 0.0, None),
            "discharge": np.clip(discharge, 0.0, None),
            "unit": np.repeat(store["base_unit"].to_numpy(), t) if k else np.zeros(0, dtype=object),
            "cost": np.repeat(ch.storage_cost, t) * np.clip(discharge, 0.0, None),
            "co2e_t": np.zeros(kt),
        }
    )
    n_p = ch.n_processes
    proc = inp.network.seasons.processes
    throughput = np.clip(x[3 * kt : 3 * kt + n_p * t], 0.0, None)
    cost = np.repeat(ch.process_cost, t) * throughput
    co2e = np.zeros(cost.size)
    if ch.port_process.size:  # what the process's ports left to disposal or virgin purchase, at their cost
        y, z = x_all[lp.blocks["y"]], x_all[lp.blocks["z"]]
        sup, dem = inp.supplies, inp.demands
        left = np.where(
            ch.port_supply,
            y[np.where(ch.port_supply, ch.port_position, 0)],
            z[np.where(ch.port_supply, 0, ch.port_position)],
        )
        unit = np.where(
            ch.port_supply,
            sup["unit_cost"].to_numpy(dtype=float)[np.where(ch.port_supply, ch.port_position, 0)],
            dem["unit_cost"].to_numpy(dtype=float)[np.where(ch.port_supply, 0, ch.port_position)],
        )
        np.add.at(cost, ch.port_process * t + ch.port_t, np.clip(left, 0.0, None) * unit)
        co2 = np.where(
            ch.port_supply,
            sup["unit_co2e_t"].to_numpy(dtype=float)[np.where(ch.port_supply, ch.port_position, 0)],
            dem["unit_co2e_t"].to_numpy(dtype=float)[np.where(ch.port_supply, 0, ch.port_position)],
        )
        np.add.at(co2e, ch.port_process * t + ch.port_t, np.clip(left, 0.0, None) * co2)
    processes = pd.DataFrame(
        {
            "process_id": np.repeat(ch.process_ids, t),
            "member_id": np.repeat(proc["member_id"].to_numpy(), t) if n_p else np.zeros(0, dtype=object),
            "reference": np.repeat(proc["reference"].to_numpy(), t) if n_p else np.zeros(0, dtype=object),
            "period": np.tile(labels, n_p),
            "throughput": throughput,
            "unit": np.repeat(proc["base_unit"].to_numpy(), t) if n_p else np.zeros(0, dtype=object),
            "cost": cost,
            "co2e_t": co2e,
        }
    )
    return storage, processes


def stream_years(rows: pd.DataFrame, named: bool) -> pd.DataFrame:
    """The streams table of the year from its rows per period (``stream_periods``).

    Quantities add up over the periods; a stream's marginal value differs by period (see
    ``stream_periods``), so ``dual`` and ``marginal_saving`` are those of the period where the
    stream has the most left, and the reason names each period where something is left.
    """
    st = rows.copy()
    left = st["left"] > TOL * np.maximum(1.0, st["quantity"])
    why = st["reason"].fillna("").astype(str)
    if named:
        why = ("in " + st["period"].astype(str) + ": " + why).where(left & why.ne(""), "")
    key = st["stream_id"].to_numpy()
    first = st.groupby("stream_id", sort=False).first()
    sums = st.groupby("stream_id", sort=False)[["quantity", "exchanged", "left"]].sum()
    most = st.assign(_left=st["left"]).sort_values("_left", ascending=False, kind="stable")
    worst = most.groupby("stream_id", sort=False).first()
    reasons = (
        pd.Series(why.to_numpy(), index=key).groupby(level=0, sort=False).agg(lambda r: "; ".join(v for v in r if v))
    )
    out = pd.DataFrame(
        {
            "member_id": first["member_id"],
            "direction": first["direction"],
            "resource": first["resource"],
            "quantity": sums["quantity"],
            "unit": first["unit"],
            "unit_cost": first["unit_cost"],
            "exchanged": sums["exchanged"],
            "left": sums["left"],
        }
    )
    if "dual" in st.columns:
        out["dual"] = worst["dual"].reindex(out.index)
        out["marginal_saving"] = worst["marginal_saving"].reindex(out.index)
    out["reason"] = reasons.reindex(out.index).fillna("")
    out.index.name = "stream_id"
    return out
