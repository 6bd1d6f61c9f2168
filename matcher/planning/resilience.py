"""Which members (and exchanges) the network's saving depends on.

Each member is taken out in turn (its streams' quantities set to zero, so
its supplies and needs vanish from the balance rows) and the model is
re-solved from the basis of the previous solve; likewise each exchange of
the base solution can be forbidden in turn. One model is kept by the backend
throughout (:meth:`~matcher.solve.base.Solver.incremental`). A member's
``savings_lost`` is the base saving minus the saving the others still reach
without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from models import Network, Scenario

from ..engine.candidates import find_candidates
from ..engine.formulation import build_lp
from ..errors import NoSolution
from ..results.numbers import records
from ..results.reasons import TOL
from ..solve import Solver, get_solver

__all__ = ["Resilience", "resilience"]


def _chain_members(network: Network, inputs: Any, lp: Any) -> np.ndarray:
    """Per column of ``lp``, the member whose store or process it belongs to (None for other columns)."""
    out = np.full(lp.shape[1], None, dtype=object)
    ch = inputs.chains
    if ch is None or not ch.has_ports:
        return out
    t, kt = ch.n_periods, ch.n_storage * ch.n_periods
    first = lp.blocks["chain"].start
    store = np.repeat(network.seasons.storage["member_id"].to_numpy(dtype=object), t)
    proc = np.repeat(network.seasons.processes["member_id"].to_numpy(dtype=object), t)
    out[first : first + 3 * kt] = np.tile(store, 3) if kt else out[first : first + 3 * kt]
    out[first + 3 * kt : first + 3 * kt + proc.size] = proc
    return out


@dataclass
class Resilience:
    """How much of a network's saving depends on each member (and exchange).

    Attributes
    ----------
    base_savings : float
    members : DataFrame
        ``member_id, name, savings_without, savings_lost, share_pct, status``, ranked by ``savings_lost``.
    exchanges : DataFrame or None
        ``supply_stream, demand_stream, savings_without, savings_lost, status`` (when asked for).
    title, currency : str
    """

    base_savings: float
    members: pd.DataFrame
    exchanges: pd.DataFrame | None
    title: str = ""
    currency: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The member ranking."""
        return self.members

    def to_dict(self) -> dict[str, Any]:
        """The ``resilience --json`` document."""
        doc: dict[str, Any] = {
            "base_savings": self.base_savings,
            "members": records(self.members[["member_id", "savings_without", "savings_lost", "share_pct", "status"]]),
        }
        if self.exchanges is not None:
            doc["exchanges"] = records(self.exchanges)
        return doc

    def plot(self) -> Any:
        """The saving each member carries, as a plotly bar chart."""
        from ..report.figures import resilience_figure

        return resilience_figure(self.members, self.title, self.currency)


def resilience(
    network: Network,
    scenario: Scenario,
    exchanges: bool = False,
    time_limit: float | None = None,
    solver: str | Solver = "highs",
    progress: Callable[[int, int], None] | None = None,
) -> Resilience:
    """Rank members (and, optionally, exchanges) by the saving that depends on them.

    ``progress`` is called with (re-solves done, re-solves in all) after each one.

    Raises
    ------
    NoSolution
        If the base scenario has no solution.
    InvalidOption
        If the backend cannot keep a model between solves.
    """
    backend = get_solver(solver) if isinstance(solver, str) else solver
    cand = find_candidates(network, scenario)
    inputs = cand.inputs
    lp = build_lp(cand)
    model = backend.incremental(lp, time_limit=time_limit)
    cost = lp.components["cost"]
    sup, dem = inputs.supplies, inputs.demands
    streams = pd.concat([sup, dem])
    q = streams["q"].to_numpy(dtype=float)
    row_of_stream = np.arange(len(streams))  # supply rows, then demand rows
    stream_baseline = streams["q"].to_numpy() * streams["unit_cost"].to_numpy()
    baseline = float(stream_baseline.sum())

    base = model.solve()
    if base.x is None:
        raise NoSolution(base.status.value, f"{scenario.name}: the base scenario has no solution ({base.message})")
    base_savings = baseline - float(cost @ base.x)
    flows = base.x[lp.blocks["x"]]
    used = np.flatnonzero(flows > TOL * np.maximum(1.0, sup["q"].to_numpy()[cand.edges["s"].to_numpy()]))
    total = len(network.members) + (used.size if exchanges else 0)
    done = 0

    def without(set_: Callable[[], None], reset: Callable[[], None], own_baseline: float) -> tuple[float, str]:
        """Savings the others still reach with one change made (undone after the solve), and the status."""
        nonlocal done
        set_()
        sol = model.solve()
        reset()
        done += 1
        if progress is not None:
            progress(done, total)
        value = baseline - own_baseline - float(cost @ sol.x) if sol.x is not None else np.nan
        return value, sol.status.value

    rows = []
    member_of = streams["member_id"].to_numpy()
    chain_member = _chain_members(network, inputs, lp)
    for member in network.members.index:  # one re-solve per member, from the previous basis
        idx = row_of_stream[member_of == member]
        cols = np.flatnonzero(chain_member == member)  # its stores and processes stop too

        def take(idx: np.ndarray = idx, cols: np.ndarray = cols) -> None:
            model.set_row_bounds(idx, np.zeros(idx.size), np.zeros(idx.size))
            if cols.size:
                model.set_col_bounds(cols, np.zeros(cols.size), np.zeros(cols.size))

        def give(idx: np.ndarray = idx, cols: np.ndarray = cols) -> None:
            model.set_row_bounds(idx, q[idx], q[idx])
            if cols.size:
                model.set_col_bounds(cols, lp.col_lower[cols], lp.col_upper[cols])

        value, status = without(take, give, float(stream_baseline[idx].sum()))
        rows.append(
            {
                "member_id": member,
                "name": network.members.at[member, "name"],
                "savings_without": value,
                "savings_lost": base_savings - value,
                "status": status,
            }
        )
    members = pd.DataFrame(rows)
    members["share_pct"] = 100 * members["savings_lost"] / base_savings if base_savings else np.nan
    members = members.sort_values("savings_lost", ascending=False, kind="stable").reset_index(drop=True)

    ex_table = None
    if exchanges:
        cols = lp.blocks["x"].start + used
        value_status = [
            without(
                partial(model.set_col_bounds, [c], [0.0], [0.0]),
                partial(model.set_col_bounds, [c], [lp.col_lower[c]], [lp.col_upper[c]]),
                0.0,
            )
            for c in cols  # forbid one exchange at a time
        ]
        values = np.array([v for v, _ in value_status], dtype=float)
        table = {
            "supply_stream": sup.index[cand.edges["s"].to_numpy()[used]],
            "demand_stream": dem.index[cand.edges["d"].to_numpy()[used]],
            "savings_without": values,
            "savings_lost": base_savings - values,
            "status": [st for _, st in value_status],
        }
        ex_table = pd.DataFrame(table)
        ex_table = ex_table.sort_values("savings_lost", ascending=False, kind="stable").reset_index(drop=True)
    return Resilience(base_savings, members, ex_table, scenario.name, scenario.currency)
