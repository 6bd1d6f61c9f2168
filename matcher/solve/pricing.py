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

A time limit covers all rounds together. If it runs out while pairs with a
negative reduced cost are left, the current solution is feasible for the
whole problem but not proven optimal, and its status says so
(``time_limit_feasible``).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pandas as pd

from models import Network

from ..engine.candidates import Candidates
from ..engine.compatibility import blend_limited
from ..engine.formulation import LinearProgram, build_lp, flow_entries
from ..engine.objective import flow_components, gain, weighted
from ..errors import InvalidOption, NotSolved, UnknownId
from .base import Solution, Solver, Status
from .basis import Basis
from .highs import HighsSolver

__all__ = ["PricedModel", "pricing_applies", "solve_by_pricing", "unit_factors", "with_quantity"]


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
        and not blend_limited(inp.demands, inp.network.catalog).any()
    )


def _initial(cand: Candidates, k: int) -> np.ndarray:
    """Each supply's and each demand's ``k`` best pairs (by gain for the objective; ties may add a few more)."""
    e = cand.edges
    pair_gain = gain(e, cand.inputs.parameters.objective_weights)
    chosen = np.zeros(len(e), dtype=bool)
    for group, n in ((e["s"].to_numpy(), len(cand.inputs.supplies)), (e["d"].to_numpy(), len(cand.inputs.demands))):
        left = pair_gain.copy()
        for _ in range(k):  # k passes over the arrays: each stream's best pair not yet taken
            best = np.full(n, -np.inf)
            np.maximum.at(best, group, left)
            hit = (left == best[group]) & np.isfinite(left)
            chosen |= hit
            left[hit] = -np.inf
    return np.flatnonzero(chosen)


class PricedModel:
    """A model over a growing subset of the candidate pairs, kept between solves by its backend.

    ``solve`` prices until no pair outside the model has a negative reduced
    cost; ``set_quantity`` changes one stream and the next ``solve`` starts from
    the current basis (a warm re-solve). With ``k=None`` every pair enters at
    once (for models where pricing would not be exact). ``start``, the basis
    of a related model, replaces the best ``k`` pairs by the pairs it holds
    and starts the simplex from it. The backend must keep models between solves
    (:attr:`~matcher.solve.base.Feature.INCREMENTAL`; HiGHS by default).
    """

    def __init__(
        self,
        cand: Candidates,
        k: int | None = 1,
        time_limit: float | None = None,
        start: Basis | None = None,
        units: pd.Series | None = None,
        backend: Solver | None = None,
    ) -> None:
        self.cand = cand
        self.time_limit = time_limit
        e = cand.edges
        inp = cand.inputs
        self.ns, self.nd = len(inp.supplies), len(inp.demands)
        self.s_all, self.d_all = e["s"].to_numpy(), e["d"].to_numpy()
        self.ratio_all = e["ratio"].to_numpy()
        self.c_all = weighted(flow_components(e, inp.parameters.carbon_price), inp.parameters.objective_weights)
        self.tol = -1e-9 * np.maximum(1.0, np.abs(self.c_all))  # a reduced cost below this enters
        self.in_model = np.zeros(len(e), dtype=bool)
        if k is None:
            self.in_model[:] = True
        elif start is not None:  # the pairs the related model's basis holds; pricing adds the rest
            self.in_model[start.pairs_in(cand) >= 0] = True
        else:
            self.in_model[_initial(cand, k)] = True
        first = np.flatnonzero(self.in_model)
        self.order: list[int] = first.tolist()
        self.n0 = len(self.order)
        t = time.perf_counter()
        cand0 = replace(cand, edges=e.iloc[first].reset_index(drop=True))
        lp0 = build_lp(cand0)
        self.kept = (backend or HighsSolver()).incremental(
            lp0, start=None if start is None else start.statuses(cand0, lp0)
        )
        self.n_first_columns = lp0.c.size
        self.stats: dict[str, float] = {"build": time.perf_counter() - t, "rounds": 0.0}
        self.solution: Solution | None = None
        self.units = unit_factors(inp.network) if units is None else units

    def solve(self, max_rounds: int = 200) -> Solution:
        """Solve, adding pairs with a negative reduced cost until none is left (or time runs out)."""
        ns, nd = self.ns, self.nd
        rounds = 0
        deadline = None if self.time_limit is None else time.perf_counter() + self.time_limit
        last: Solution | None = None  # the last round solved to optimality: feasible for the whole problem
        while True:
            rounds += 1
            if deadline is not None:
                self.kept.set_time_limit(deadline - time.perf_counter())
            sol = self.kept.solve()
            if sol.status != Status.OPTIMAL or sol.row_duals is None:
                if last is not None and not sol.status.has_solution:
                    sol = _not_proven(last, "the time limit was reached while pricing")
                break
            last = sol
            pi_s, pi_d = sol.row_duals[:ns], sol.row_duals[ns : ns + nd]
            reduced = self.c_all - pi_s[self.s_all]
            reduced -= self.ratio_all * pi_d[self.d_all]
            enter = np.flatnonzero((reduced < self.tol) & ~self.in_model)
            if enter.size == 0:
                break
            if deadline is not None and time.perf_counter() >= deadline:
                sol = _not_proven(sol, f"the time limit was reached while pricing ({enter.size:,} pairs left to add)")
                break
            if rounds >= max_rounds:
                sol = _not_proven(sol, f"pricing stopped after {rounds} rounds ({enter.size:,} pairs left to add)")
                break
            limit = 2 * (ns + nd)
            if enter.size > limit:  # the most promising first
                enter = enter[np.argpartition(reduced[enter], limit)[:limit]]
            rows, cols, values = flow_entries(self.s_all[enter], self.d_all[enter], self.ratio_all[enter], ns)
            self.kept.add_columns(self.c_all[enter], np.full(enter.size, np.inf), rows, cols, values)
            self.in_model[enter] = True
            self.order.extend(enter.tolist())
        self.stats.update(
            rounds=self.stats["rounds"] + rounds, columns=float(len(self.order)), pairs=float(len(self.cand.edges))
        )
        self.solution = sol
        return sol

    def set_quantity(self, stream_id: str, quantity_base: float) -> None:
        """Change one stream's yearly quantity (base units; 0 removes it); re-solve with :meth:`solve`."""
        self.cand, row = with_quantity(self.cand, stream_id, quantity_base, self.units)
        self.kept.set_row_bounds([row], [quantity_base], [quantity_base])

    def entered(self) -> tuple[Candidates, Solution]:
        """Candidates of the pairs in the model and the solution in the column order of their LP.

        That LP's columns are [pairs | disposal | virgin | binaries], the pairs in the order they entered.
        """
        if self.solution is None:
            raise NotSolved("solve the model first")
        n0 = self.n0
        final = replace(self.cand, edges=self.cand.edges.iloc[np.asarray(self.order)].reset_index(drop=True))
        sol = replace(self.solution)
        if sol.x is not None:
            # the kept model's columns are [first pairs | y | z | binaries | pairs added later]
            n_first, n_all = self.n_first_columns, self.kept.n_columns
            perm = np.concatenate([np.arange(n0), np.arange(n_first, n_all), np.arange(n0, n_first)])
            x = np.zeros(n_all)  # columns added after the solution was found carry no flow
            x[: sol.x.size] = sol.x
            sol.x = x[perm]
            basis = self.kept.basis() if sol.status == Status.OPTIMAL else None
            sol.basis = None if basis is None else (basis[0][perm], basis[1])
        return final, sol

    def solved(self) -> tuple[Candidates, LinearProgram, Solution]:
        """Candidates of the pairs in the model, their LP, and the solution in that LP's column order."""
        final, sol = self.entered()
        return final, build_lp(final), sol


def unit_factors(network: Network) -> pd.Series:
    """Per stream id, the units it was submitted in per base unit (to restate a base quantity)."""
    streams = network.streams
    return streams["quantity"].astype(float) / streams["quantity_base"].astype(float)


def with_quantity(cand: Candidates, stream_id: str, quantity_base: float, units: pd.Series) -> tuple[Candidates, int]:
    """``cand`` with one stream's quantity changed (base units), and that stream's balance row.

    ``units`` (from :func:`unit_factors` of the network as first submitted) restates
    the new quantity in the unit the stream was submitted in.
    """
    inp = cand.inputs
    is_supply = stream_id in inp.supplies.index
    if is_supply:
        frame, row = inp.supplies.copy(), int(inp.supplies.index.get_indexer(pd.Index([stream_id]))[0])
    elif stream_id in inp.demands.index:
        frame = inp.demands.copy()
        row = len(inp.supplies) + int(inp.demands.index.get_indexer(pd.Index([stream_id]))[0])
    else:
        raise UnknownId(f"no stream {stream_id!r}")
    if not 0 <= quantity_base < np.inf:
        raise InvalidOption(f"{stream_id}: a quantity must be a finite number >= 0, not {quantity_base!r}")
    frame.loc[stream_id, "q"] = float(quantity_base)
    net = inp.network
    streams = net.streams.copy()
    per_base = float(units.loc[[stream_id]].to_numpy(dtype=float)[0])
    streams.loc[stream_id, ["quantity", "quantity_base"]] = [quantity_base * per_base, quantity_base]
    network = Network(net.members, streams, net.links, net.catalog)
    inputs = (
        replace(inp, network=network, supplies=frame) if is_supply else replace(inp, network=network, demands=frame)
    )
    return replace(cand, inputs=inputs), row


def solve_by_pricing(
    cand: Candidates,
    k: int = 1,
    time_limit: float | None = None,
    max_rounds: int = 200,
    start: Basis | None = None,
    backend: Solver | None = None,
) -> tuple[Candidates, LinearProgram, Solution, dict[str, float]]:
    """Solve the LP of ``cand`` by pricing over its pairs (from the basis ``start`` of a related model, if given).

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
    model = PricedModel(cand, k=k, time_limit=time_limit, start=start, backend=backend)
    model.solve(max_rounds)
    final, lp, sol = model.solved()
    return final, lp, sol, model.stats


def _not_proven(sol: Solution, why: str) -> Solution:
    """A restricted model's optimum, reported as feasible for the whole problem but not proven optimal."""
    return replace(
        sol, status=Status.TIME_LIMIT_FEASIBLE, row_duals=None, message=f"{why}: feasible, not proven optimal"
    )
