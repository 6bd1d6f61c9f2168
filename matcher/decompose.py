r"""Independent parts of a match, solved apart and in parallel.

Supplies and demands joined by candidate pairs form a bipartite graph. Where
the only rows are balance rows (the models :mod:`matcher.pricing` handles),
its connected components share no row and no column: the LP is block
diagonal and its optimum is the sum of the parts' optima. A large
component (``min_pairs`` pairs or more) is a part of its own: several small
models solve faster than one block-diagonal model of them all. Smaller
components are packed into one part per worker, balanced by their pairs
(largest first, each into the lightest part), so that the fixed cost of a
model (building it, setting HiGHS up, reading back) does not grow with
their number. The parts are priced on ``workers`` threads, the largest
first (HiGHS releases the GIL while it solves). A stream without any pair is disposed of or bought virgin; its balance
row's dual is that column's cost. The parts' solutions are put back
together as one solution of the whole model, in the column order of the LP
of the pairs that entered.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .candidates import Candidates
from .formulation import LinearProgram, build_lp
from .pricing import solve_by_pricing
from .solvers import Solution, Status
from .warm import Basis

__all__ = ["Part", "components", "solve_by_components", "split"]

_AT_LOWER, _BASIC = 0, 1


@dataclass(frozen=True)
class Part:
    """Connected components solved together: positions of their supplies, demands and pairs in the whole set."""

    supplies: np.ndarray
    demands: np.ndarray
    edges: np.ndarray


def components(cand: Candidates) -> tuple[np.ndarray, np.ndarray]:
    """Component labels of the streams (supplies, then demands) and the pairs in each component."""
    ns, nd = len(cand.inputs.supplies), len(cand.inputs.demands)
    s, d = cand.edges["s"].to_numpy(), cand.edges["d"].to_numpy()
    graph = sp.coo_matrix((np.ones(s.size), (s, ns + d)), shape=(ns + nd, ns + nd))
    n, label = connected_components(graph, directed=False)
    return label, np.bincount(label[s], minlength=n)


def split(cand: Candidates, workers: int = 1, min_pairs: int = 50_000) -> list[Part]:
    """Parts to solve apart: each large component alone, the small ones packed into ``workers`` parts.

    Largest part first.
    """
    ns = len(cand.inputs.supplies)
    if len(cand.edges) == 0:
        return []
    label, pairs = components(cand)
    order = np.argsort(-pairs, kind="stable")[: int((pairs > 0).sum())]
    big = order[pairs[order] >= min_pairs]
    small = order[pairs[order] < min_pairs]
    part_of = np.full(pairs.size, -1)
    part_of[big] = np.arange(big.size)
    load = np.zeros(min(max(workers, 1), small.size))
    for c in small:  # largest first, each into the lightest part
        j = int(np.argmin(load))
        part_of[c] = big.size + j
        load[j] += pairs[c]
    n_parts = big.size + load.size
    stream_part = part_of[label]
    edge_part = stream_part[cand.edges["s"].to_numpy()]
    size = np.bincount(edge_part, minlength=n_parts)
    return [
        Part(
            np.flatnonzero(stream_part[:ns] == p),
            np.flatnonzero(stream_part[ns:] == p),
            np.flatnonzero(edge_part == p),
        )
        for p in np.argsort(-size, kind="stable")
    ]


def _sub(cand: Candidates, part: Part) -> Candidates:
    """The candidates of one part, with ``s``/``d`` renumbered within it."""
    inp = cand.inputs
    local_s = np.full(len(inp.supplies), -1)
    local_s[part.supplies] = np.arange(part.supplies.size)
    local_d = np.full(len(inp.demands), -1)
    local_d[part.demands] = np.arange(part.demands.size)
    edges = cand.edges.iloc[part.edges].reset_index(drop=True)
    edges["s"] = local_s[edges["s"].to_numpy()]
    edges["d"] = local_d[edges["d"].to_numpy()]
    inputs = replace(inp, supplies=inp.supplies.iloc[part.supplies], demands=inp.demands.iloc[part.demands])
    return replace(cand, inputs=inputs, edges=edges)


def solve_by_components(
    cand: Candidates,
    workers: int | None = None,
    k: int = 3,
    time_limit: float | None = None,
    start: Basis | None = None,
) -> tuple[Candidates, LinearProgram, Solution, dict[str, float]]:
    """Price each connected component apart (in parallel) and join the solutions.

    Same contract as :func:`~matcher.pricing.solve_by_pricing`; ``stats`` also
    holds ``components`` (connected components with pairs) and ``parts``
    (models solved).
    """
    n_workers = max(1, workers or os.cpu_count() or 1)
    n_components = float((components(cand)[1] > 0).sum()) if len(cand.edges) else 0.0
    parts = split(cand, n_workers)
    if len(parts) <= 1:
        final, lp, sol, stats = solve_by_pricing(cand, k=k, time_limit=time_limit, start=start)
        return final, lp, sol, {**stats, "components": n_components, "parts": 1.0}
    deadline = None if time_limit is None else time.perf_counter() + time_limit

    def solve(part: Part) -> tuple[Candidates, LinearProgram, Solution, dict[str, float]]:
        left = None if deadline is None else max(deadline - time.perf_counter(), 0.0)
        return solve_by_pricing(_sub(cand, part), k=k, time_limit=left, start=start)

    with ThreadPoolExecutor(max_workers=min(n_workers, len(parts))) as pool:
        solved = list(pool.map(solve, parts))
    final, lp, sol = _join(cand, parts, solved)
    stats = {
        "build": sum(st["build"] for *_, st in solved),
        "rounds": max(st["rounds"] for *_, st in solved),
        "columns": sum(st["columns"] for *_, st in solved),
        "pairs": float(len(cand.edges)),
        "components": n_components,
        "parts": float(len(parts)),
    }
    return final, lp, sol, stats


def _join(
    cand: Candidates,
    parts: list[Part],
    solved: list[tuple[Candidates, LinearProgram, Solution, dict[str, float]]],
) -> tuple[Candidates, LinearProgram, Solution]:
    """One solution of the whole model (pairs that entered any part) from the parts' solutions."""
    inp = cand.inputs
    ns, nd = len(inp.supplies), len(inp.demands)
    edges = []
    for part, (sub, *_rest) in zip(parts, solved):
        e = sub.edges.copy()
        e["s"] = part.supplies[e["s"].to_numpy()]
        e["d"] = part.demands[e["d"].to_numpy()]
        edges.append(e)
    final = replace(cand, edges=pd.concat(edges, ignore_index=True))
    lp = build_lp(final)
    sols = [s for _, _, s, _ in solved]
    statuses = {s.status for s in sols}
    worst = next(
        (st for st in (Status.ERROR, Status.TIME_LIMIT_NO_SOLUTION, Status.TIME_LIMIT_FEASIBLE) if st in statuses),
        Status.OPTIMAL,
    )
    messages = sorted({s.message for s in sols if s.status != Status.OPTIMAL and s.message})
    first = sols[0]
    sol = Solution(
        worst,
        message="; ".join(messages) or first.message,
        solver=first.solver,
        solver_version=first.solver_version,
        seconds=max(s.seconds for s in sols),
    )
    if not worst.has_solution:
        return final, lp, sol
    ys, zs = lp.blocks["y"], lp.blocks["z"]
    # streams in no part: all disposed of / bought virgin
    y = inp.supplies["q"].to_numpy(dtype=float).copy()
    z = inp.demands["q"].to_numpy(dtype=float).copy()
    x, duals_s, duals_d = [], lp.c[ys].copy(), lp.c[zs].copy()
    col_x, col_y, col_z = [], np.full(ns, _BASIC, np.int8), np.full(nd, _BASIC, np.int8)
    row_s, row_d = np.full(ns, _AT_LOWER, np.int8), np.full(nd, _AT_LOWER, np.int8)
    with_duals = all(s.row_duals is not None for s in sols)
    with_basis = all(s.basis is not None for s in sols)
    for part, (_, plp, psol, _) in zip(parts, solved):
        assert psol.x is not None
        x.append(psol.x[plp.blocks["x"]])
        y[part.supplies] = psol.x[plp.blocks["y"]]
        z[part.demands] = psol.x[plp.blocks["z"]]
        n_s = part.supplies.size
        if with_duals and psol.row_duals is not None:
            duals_s[part.supplies] = psol.row_duals[:n_s]
            duals_d[part.demands] = psol.row_duals[n_s : n_s + part.demands.size]
        if with_basis and psol.basis is not None:
            pcol, prow = psol.basis
            col_x.append(pcol[plp.blocks["x"]])
            col_y[part.supplies] = pcol[plp.blocks["y"]]
            col_z[part.demands] = pcol[plp.blocks["z"]]
            row_s[part.supplies] = prow[:n_s]
            row_d[part.demands] = prow[n_s:]
    sol.x = np.concatenate([*x, y, z])
    sol.objective = float(lp.c @ sol.x)
    if with_duals:
        sol.row_duals = np.concatenate([duals_s, duals_d])
    if with_basis:
        sol.basis = (np.concatenate([*col_x, col_y, col_z]), np.concatenate([row_s, row_d]))
    return final, lp, sol
