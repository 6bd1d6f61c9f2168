"""Which members (and exchanges) the network's saving depends on.

Each member is taken out in turn (its streams' quantities set to zero, so
its supplies and needs vanish from the balance rows) and the model is
re-solved from the basis of the previous solve; likewise each exchange of
the base solution can be forbidden in turn. A member's ``savings_lost`` is
the base saving minus the saving the others still reach without it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import Network, Scenario

from .candidates import build_candidates
from .formulation import build_lp
from .inputs import prepare
from .solvers.highs import HighsSession

__all__ = ["resilience"]


def resilience(
    network: Network, scenario: Scenario, exchanges: bool = False, time_limit: float | None = None
) -> tuple[float, pd.DataFrame, pd.DataFrame | None]:
    """Rank members (and, optionally, exchanges) by the saving that depends on them.

    Returns
    -------
    base_savings : float
    members : DataFrame
        ``member_id, name, savings_without, savings_lost, share_pct, status``,
        ranked by ``savings_lost``.
    exchanges : DataFrame or None
        ``supply_stream, demand_stream, savings_without, savings_lost, status``.
    """
    inputs = prepare(network, scenario)
    cand = build_candidates(inputs)
    lp = build_lp(cand)
    session = HighsSession(lp, time_limit=time_limit)
    cost = lp.components["cost"]
    sup, dem = inputs.supplies, inputs.demands
    streams = pd.concat([sup, dem])
    q = streams["q"].to_numpy(dtype=float)
    row_of_stream = np.arange(len(streams))  # supply rows, then demand rows
    stream_baseline = streams["q"].to_numpy() * streams["unit_cost"].to_numpy()
    baseline = float(stream_baseline.sum())

    base = session.solve()
    if base.x is None:
        raise RuntimeError(f"the base scenario has no solution: {base.message}")
    base_savings = baseline - float(cost @ base.x)

    rows = []
    member_of = streams["member_id"].to_numpy()
    for member in network.members.index:  # one re-solve per member, from the previous basis
        mine = member_of == member
        idx = row_of_stream[mine]
        session.set_row_bounds(idx, np.zeros(idx.size), np.zeros(idx.size))
        sol = session.solve()
        session.set_row_bounds(idx, q[mine], q[mine])
        without = baseline - float(stream_baseline[mine].sum()) - float(cost @ sol.x) if sol.x is not None else np.nan
        rows.append(
            {
                "member_id": member,
                "name": network.members.at[member, "name"],
                "savings_without": without,
                "savings_lost": base_savings - without,
                "status": sol.status.value,
            }
        )
    members = pd.DataFrame(rows)
    members["share_pct"] = 100 * members["savings_lost"] / base_savings if base_savings else np.nan
    members = members.sort_values("savings_lost", ascending=False, kind="stable").reset_index(drop=True)

    ex_table = None
    if exchanges:
        xs = lp.blocks["x"]
        flows = base.x[xs]
        used = np.flatnonzero(flows > 1e-7 * np.maximum(1.0, sup["q"].to_numpy()[cand.edges["s"].to_numpy()]))
        rows = []
        edge_s, edge_d = cand.edges["s"].to_numpy(), cand.edges["d"].to_numpy()
        for e in used:  # forbid one exchange at a time
            col = xs.start + e
            session.set_col_bounds([col], [0.0], [0.0])
            sol = session.solve()
            session.set_col_bounds([col], [lp.col_lower[col]], [lp.col_upper[col]])
            without = baseline - float(cost @ sol.x) if sol.x is not None else np.nan
            rows.append(
                {
                    "supply_stream": sup.index[int(edge_s[e])],
                    "demand_stream": dem.index[int(edge_d[e])],
                    "savings_without": without,
                    "savings_lost": base_savings - without,
                    "status": sol.status.value,
                }
            )
        ex_table = pd.DataFrame(
            rows, columns=["supply_stream", "demand_stream", "savings_without", "savings_lost", "status"]
        )
        ex_table = ex_table.sort_values("savings_lost", ascending=False, kind="stable").reset_index(drop=True)
    return base_savings, members, ex_table
