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

from .candidates import GAIN_COLUMNS, Candidates, has_blend_limit
from .formulation import LinearProgram, build_lp
from .solvers import Solution
from .solvers.highs import HighsSession

__all__ = ["pricing_applies", "solve_by_pricing"]


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


def _edge_costs(cand: Candidates) -> np.ndarray:
    """Objective coefficient of every candidate pair's flow, for the scenario's objective."""
    p = cand.inputs.parameters
    e = cand.edges
    parts = {
        "cost": e["transport_cost"].to_numpy() + p.carbon_price * e["transport_co2e_t"].to_numpy(),
        "co2e": e["transport_co2e_t"].to_numpy(dtype=float),
        "waste": np.zeros(len(e)),
    }
    return sum((w * parts[k] for k, w in p.objective_weights.items()), np.zeros(len(e)))


def _initial(cand: Candidates, k: int) -> np.ndarray:
    """Each supply's and each demand's ``k`` best pairs (by gain for the objective)."""
    e = cand.edges
    w = cand.inputs.parameters.objective_weights
    gain = sum((wk * e[GAIN_COLUMNS[key]].to_numpy() for key, wk in w.items()), np.zeros(len(e)))
    frame = e[["s", "d"]].assign(g=-gain)
    best_s = frame.groupby("s")["g"].rank(method="first") <= k
    best_d = frame.groupby("d")["g"].rank(method="first") <= k
    return np.flatnonzero((best_s | best_d).to_numpy())


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
        ``rounds``, ``columns`` (pairs in the final model), ``pairs`` (all candidates).
    """
    e = cand.edges
    inp = cand.inputs
    ns, nd = len(inp.supplies), len(inp.demands)
    s_all, d_all = e["s"].to_numpy(), e["d"].to_numpy()
    ratio_all = e["ratio"].to_numpy()
    c_all = _edge_costs(cand)
    order = list(_initial(cand, k))
    in_model = np.zeros(len(e), dtype=bool)
    in_model[order] = True
    start = time.perf_counter()
    lp0 = build_lp(replace(cand, edges=e.iloc[order].reset_index(drop=True)))
    session = HighsSession(lp0, time_limit=time_limit)
    n0 = len(order)
    rounds = 0
    while True:
        rounds += 1
        sol = session.solve()
        if not sol.status.has_solution or sol.row_duals is None or rounds >= max_rounds:
            break
        pi_s, pi_d = sol.row_duals[:ns], sol.row_duals[ns : ns + nd]
        reduced = c_all - pi_s[s_all] - ratio_all * pi_d[d_all]
        tol = 1e-9 * np.maximum(1.0, np.abs(c_all))
        enter = np.flatnonzero((reduced < -tol) & ~in_model)
        if enter.size == 0:
            break
        limit = 2 * (ns + nd)
        if enter.size > limit:  # the most promising first
            enter = enter[np.argpartition(reduced[enter], limit)[:limit]]
        _add_columns(session, c_all[enter], s_all[enter], ns + d_all[enter], ratio_all[enter])
        in_model[enter] = True
        order.extend(enter.tolist())
        session.lp = replace(session.lp, c=np.concatenate([session.lp.c, c_all[enter]]))
    final = replace(cand, edges=e.iloc[order].reset_index(drop=True))
    lp = build_lp(final)
    if sol.x is not None:
        # the session's columns are [first pairs | y | z | pairs added later]; the LP's are [pairs | y | z]
        full = np.asarray(session.h.getSolution().col_value, dtype=float)
        sol.x = np.concatenate([full[:n0], full[n0 + ns + nd :], full[n0 : n0 + ns + nd]])
    stats = {
        "rounds": float(rounds),
        "columns": float(len(order)),
        "pairs": float(len(e)),
        "pricing_seconds": time.perf_counter() - start,
    }
    return final, lp, sol, stats


def _add_columns(
    session: HighsSession, cost: np.ndarray, rows_s: np.ndarray, rows_d: np.ndarray, ratio: np.ndarray
) -> None:
    """Append flow columns: coefficient 1 in the supply row, ``a`` in the demand row."""
    n = cost.size
    starts = (2 * np.arange(n)).astype(np.int32)
    index = np.column_stack([rows_s, rows_d]).ravel().astype(np.int32)
    value = np.column_stack([np.ones(n), ratio]).ravel()
    session.h.addCols(n, cost.astype(float), np.zeros(n), np.full(n, np.inf), 2 * n, starts, index, value)
