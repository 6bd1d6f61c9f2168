r"""Solving large LPs by pricing: start from a few cheap pairs, add the pairs that would pay.

The full set of candidate pairs within reach grows with the square of the
streams in a region, but few of them carry flow at the optimum. Pricing
(column generation) solves the LP on a sparse subset (each stream's best
``k`` pairs), reads the duals :math:`\pi` of the balance rows, and computes
for every candidate pair at once the reduced cost

.. math::  \bar c_e = c_e - \pi_{s(e)} - a_e\,\pi_{d(e)},

adds the pairs with :math:`\bar c_e < 0` to the model (HiGHS keeps its basis,
so each round starts where the last ended) and repeats until none is left.
Then no pair outside the model could improve it: the solution is the proven
optimum of the whole LP. It applies to models whose only rows are the
balance rows (no blended quality limits, link capacities, fixed costs or
minimum quantities); others are solved whole.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from models import Network

from .candidates import GAIN_COLUMNS, Candidates, has_blend_limit
from .formulation import LinearProgram, build_lp, flow_components, weighted
from .solvers import Solution
from .solvers.highs import HighsSession

__all__ = ["PricedModel", "pricing_applies", "solve_by_pricing"]


def pricing_applies(cand: Candidates) -> bool:
    """Whether the model has only balance rows, so pricing over pairs is exact."""
    e = cand.edges
    inp = cand.inputs
    minimum = (
        np.nan_to_num(inp.supplies["min_quantity_base"].to_numpy(dtype=float)).any()
        or np.nan_to_num(inp.demands["min_quantity_base"].to_numpy(dtype=float)).any()
    )
    return bool(
        len(e)
        and np.isinf(e["capacity"].to_numpy()).all()
        and not (e["fixed_cost"].to_numpy() > 0).any()
        and not minimum
        and not has_blend_limit(inp).any()
    )


def _initial(cand: Candidates, k: int) -> np.ndarray:
    """Each supply's and each demand's ``k`` best pairs (by gain for the objective)."""
    e = cand.edges
    w = cand.inputs.parameters.objective_weights
    gain = sum((wk * e[GAIN_COLUMNS[key]].to_numpy() for key, wk in w.items()), np.zeros(len(e)))
    frame = e[["s", "d"]].assign(g=-gain)
    best_s = frame.groupby("s")["g"].rank(method="first") <= k
    best_d = frame.groupby("d")["g"].rank(method="first") <= k
    return np.flatnonzero((best_s | best_d).to_numpy())


class PricedModel:
    """A HiGHS model over a growing subset of the candidate pairs, kept between solves.

    ``solve`` prices until no pair outside the model has a negative reduced
    cost; ``set_quantity`` changes one stream and the next ``solve`` starts from
    the current basis (a warm re-solve). With ``k=None`` every pair enters at
    once (for models where pricing would not be exact).
    """

    def __init__(self, cand: Candidates, k: int | None = 3, time_limit: float | None = None) -> None:
        self.cand = cand
        e = cand.edges
        inp = cand.inputs
        self.ns, self.nd = len(inp.supplies), len(inp.demands)
        self.s_all, self.d_all = e["s"].to_numpy(), e["d"].to_numpy()
        self.ratio_all = e["ratio"].to_numpy()
        self.c_all = weighted(flow_components(cand), cand.inputs.parameters.objective_weights)
        first = np.arange(len(e)) if k is None else _initial(cand, k)
        self.order = list(first)
        self.n0 = len(self.order)
        self.in_model = np.zeros(len(e), dtype=bool)
        self.in_model[first] = True
        t = time.perf_counter()
        lp0 = build_lp(replace(cand, edges=e.iloc[first].reset_index(drop=True)))
        self.session = HighsSession(lp0, time_limit=time_limit)
        self.n_first_columns = lp0.c.size
        self.stats: dict[str, float] = {"build": time.perf_counter() - t, "rounds": 0.0}
        self.solution: Solution | None = None
        self._first_streams = inp.network.streams[["quantity", "quantity_base"]]

    def solve(self, max_rounds: int = 200) -> Solution:
        """Solve, adding pairs with a negative reduced cost until none is left."""
        ns, nd = self.ns, self.nd
        rounds = 0
        while True:
            rounds += 1
            sol = self.session.solve()
            if not sol.status.has_solution or sol.row_duals is None or rounds >= max_rounds:
                break
            pi_s, pi_d = sol.row_duals[:ns], sol.row_duals[ns : ns + nd]
            reduced = self.c_all - pi_s[self.s_all] - self.ratio_all * pi_d[self.d_all]
            tol = 1e-9 * np.maximum(1.0, np.abs(self.c_all))
            enter = np.flatnonzero((reduced < -tol) & ~self.in_model)
            if enter.size == 0:
                break
            limit = 2 * (ns + nd)
            if enter.size > limit:  # the most promising first
                enter = enter[np.argpartition(reduced[enter], limit)[:limit]]
            _add_columns(
                self.session, self.c_all[enter], self.s_all[enter], ns + self.d_all[enter], self.ratio_all[enter]
            )
            self.in_model[enter] = True
            self.order.extend(enter.tolist())
            self.session.lp = replace(self.session.lp, c=np.concatenate([self.session.lp.c, self.c_all[enter]]))
        self.stats.update(
            rounds=self.stats["rounds"] + rounds, columns=float(len(self.order)), pairs=float(len(self.cand.edges))
        )
        self.solution = sol
        return sol

    def set_quantity(self, stream_id: str, quantity_base: float) -> None:
        """Change one stream's yearly quantity (base units; 0 removes it); re-solve with :meth:`solve`."""
        inp = self.cand.inputs
        if stream_id in inp.supplies.index:
            frame, row, key = inp.supplies.copy(), int(inp.supplies.index.get_loc(stream_id)), "supplies"
        elif stream_id in inp.demands.index:
            frame, row, key = inp.demands.copy(), self.ns + int(inp.demands.index.get_loc(stream_id)), "demands"
        else:
            raise KeyError(f"no stream {stream_id!r}")
        if not quantity_base >= 0:
            raise ValueError("a quantity cannot be negative")
        frame.loc[stream_id, "q"] = float(quantity_base)
        net = inp.network
        streams = net.streams.copy()
        first = self._first_streams
        per_base = first.at[stream_id, "quantity"] / first.at[stream_id, "quantity_base"]
        streams.loc[stream_id, ["quantity", "quantity_base"]] = [quantity_base * per_base, quantity_base]
        network = Network(net.members, streams, net.links, net.catalog)
        self.cand = replace(self.cand, inputs=replace(inp, network=network, **{key: frame}))
        self.session.set_row_bounds([row], [quantity_base], [quantity_base])

    def parts(self) -> tuple[Candidates, LinearProgram, Solution]:
        """Candidates of the pairs in the model, their LP, and the solution in that LP's column order."""
        if self.solution is None:
            raise RuntimeError("solve first")
        n0 = self.n0
        final = replace(self.cand, edges=self.cand.edges.iloc[self.order].reset_index(drop=True))
        lp = build_lp(final)
        sol = replace(self.solution)
        if sol.x is not None:
            # the session's columns are [first pairs | y | z | binaries | pairs added later];
            # the final LP's are [pairs | y | z | binaries]
            full = np.asarray(self.session.h.getSolution().col_value, dtype=float)
            n_first = self.n_first_columns
            sol.x = np.concatenate([full[:n0], full[n_first:], full[n0:n_first]])
        return final, lp, sol


def solve_by_pricing(
    cand: Candidates, k: int = 3, time_limit: float | None = None, max_rounds: int = 200
) -> tuple[Candidates, LinearProgram, Solution, dict[str, float]]:
    """Solve the LP of ``cand`` by pricing over its pairs.

    Returns
    -------
    cand : Candidates
        The candidates restricted to the pairs that entered the model (stage counts unchanged).
    lp : LinearProgram
        The LP of those pairs, in the column order of the solution.
    solution : Solution
    stats : dict
        ``rounds``, ``columns`` (pairs in the final model), ``pairs`` (all candidates), ``build`` (seconds).
    """
    model = PricedModel(cand, k=k, time_limit=time_limit)
    model.solve(max_rounds)
    final, lp, sol = model.parts()
    return final, lp, sol, model.stats


def _add_columns(
    session: HighsSession, cost: np.ndarray, rows_s: np.ndarray, rows_d: np.ndarray, ratio: np.ndarray
) -> None:
    """Append flow columns: coefficient 1 in the supply row, ``a`` in the demand row."""
    n = cost.size
    starts = (2 * np.arange(n)).astype(np.int32)
    index = np.column_stack([rows_s, rows_d]).ravel().astype(np.int32)
    value = np.column_stack([np.ones(n), ratio]).ravel()
    session.h.addCols(n, cost.astype(float), np.zeros(n), np.full(n, np.inf), 2 * n, starts, index, value)
