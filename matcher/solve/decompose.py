r"""Independent parts of a match, solved apart and in parallel.

Supplies and demands joined by candidate pairs form a bipartite graph. Where
the only rows are balance rows (the models :mod:`matcher.solve.pricing` handles),
its connected components share no row and no column: the LP is block
diagonal and its optimum is the sum of the parts' optima. A large
component (``min_pairs`` pairs or more) is a part of its own: several small
models solve faster than one block-diagonal model of them all. Smaller
components are packed into one part per worker, balanced by their pairs
(largest first, each into the lightest part), so that the fixed cost of a
model (building it, setting HiGHS up, reading back) does not grow with
their number. The parts are priced on ``workers`` threads, the largest
first (HiGHS releases the GIL while it solves). A stream without any pair
is disposed of or bought virgin; its balance row's dual is that column's
cost. The parts' solutions are put back together as one solution of the
whole model, in the column order of the LP of the pairs that entered.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..engine.candidates import Candidates
from ..engine.formulation import LinearProgram, build_lp
from ..engine.graph import components
from ..engine.objective import slack_components, weighted
from ..errors import NotSolved
from .base import BasisStatus, Solution, Solver, Status
from .basis import Basis
from .pricing import PricedModel, unit_factors, with_quantity

__all__ = ["DecomposedModel", "Part", "solve_by_components", "split"]

AT_LOWER, BASIC = int(BasisStatus.AT_LOWER), int(BasisStatus.BASIC)


@dataclass(frozen=True)
class Part:
    """Connected components solved together: positions of their supplies, demands and pairs in the whole set."""

    supplies: np.ndarray
    demands: np.ndarray
    edges: np.ndarray


def split(
    cand: Candidates, workers: int = 1, min_pairs: int = 50_000, found: tuple[np.ndarray, np.ndarray] | None = None
) -> list[Part]:
    """Parts to solve apart: each large component alone, the small ones packed into ``workers`` parts.

    Largest part first. ``found`` is :func:`components` of ``cand`` if already known.
    """
    ns = len(cand.inputs.supplies)
    if len(cand.edges) == 0:
        return []
    label, pairs = found if found is not None else components(cand)
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


class DecomposedModel:
    """Priced models of the parts of a match, kept between solves.

    ``solve`` solves the parts not solved since they changed, in parallel;
    ``set_quantity`` changes one stream, so that only its part is re-solved,
    from its previous basis; ``parts`` joins the solutions into one of the
    whole model. The same interface as :class:`~matcher.solve.pricing.PricedModel`.
    """

    def __init__(
        self,
        cand: Candidates,
        workers: int | None = None,
        k: int = 1,
        time_limit: float | None = None,
        start: Basis | None = None,
        min_pairs: int = 50_000,
        units: pd.Series | None = None,
        backend: Solver | None = None,
    ) -> None:
        self.cand = cand
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.time_limit = time_limit
        found = components(cand) if len(cand.edges) else None
        self.parts = split(cand, self.workers, min_pairs, found)
        ns = len(cand.inputs.supplies)
        self.part_of = np.full(ns + len(cand.inputs.demands), -1)  # per stream (supplies, then demands)
        for j, part in enumerate(self.parts):
            self.part_of[part.supplies] = j
            self.part_of[ns + part.demands] = j
        # built one after another here (building holds the GIL); only the solves run in parallel
        self.models = [PricedModel(_sub(cand, part), k=k, start=start, backend=backend) for part in self.parts]
        self.stale = set(range(len(self.models)))
        n_components = float((found[1] > 0).sum()) if found is not None else 0.0
        self.stats: dict[str, float] = {
            "build": sum(m.stats["build"] for m in self.models),
            "pairs": float(len(cand.edges)),
            "components": n_components,
            "parts": float(len(self.models)),
        }
        self.units = unit_factors(cand.inputs.network) if units is None else units
        self._joined: tuple[Candidates, LinearProgram, Solution] | None = None

    def solve(self) -> Solution:
        """Solve the parts that changed since they were last solved.

        Returns the status and objective of the whole; :meth:`solved` joins the full solution.
        """
        deadline = None if self.time_limit is None else time.perf_counter() + self.time_limit

        def solve(model: PricedModel) -> None:
            model.time_limit = None if deadline is None else max(deadline - time.perf_counter(), 0.0)
            model.solve()

        todo = [self.models[j] for j in sorted(self.stale)]
        if len(todo) > 1 and self.workers > 1:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(todo))) as pool:
                list(pool.map(solve, todo))
        else:
            for model in todo:
                solve(model)
        self.stale.clear()
        self._joined = None
        self.stats.update(
            rounds=max((m.stats["rounds"] for m in self.models), default=0.0),
            columns=sum((m.stats.get("columns", 0.0) for m in self.models), 0.0),
        )
        sols = [m.solution for m in self.models if m.solution is not None]
        sol = _summary(sols)
        if sol.status.has_solution:  # streams in no part are disposed of or bought virgin
            alone = self.part_of < 0
            weights = self.cand.inputs.parameters.objective_weights
            c_slack = np.concatenate([weighted(c, weights) for c in slack_components(self.cand.inputs)])
            q = np.concatenate(
                [self.cand.inputs.supplies["q"].to_numpy(float), self.cand.inputs.demands["q"].to_numpy(float)]
            )
            sol.objective = sum(s.objective for s in sols) + float(c_slack[alone] @ q[alone])
        return sol

    def set_quantity(self, stream_id: str, quantity_base: float) -> None:
        """Change one stream's yearly quantity (base units; 0 removes it); re-solve with :meth:`solve`."""
        self.cand, row = with_quantity(self.cand, stream_id, quantity_base, self.units)
        j = int(self.part_of[row])
        if j >= 0:  # only the bound of its row in its part's model: the joined result reads quantities from here
            part, ns = self.parts[j], len(self.cand.inputs.supplies)
            local = (
                int(np.searchsorted(part.supplies, row))
                if row < ns
                else part.supplies.size + int(np.searchsorted(part.demands, row - ns))
            )
            self.models[j].kept.set_row_bounds([local], [quantity_base], [quantity_base])
            self.stale.add(j)

    def solved(self) -> tuple[Candidates, LinearProgram, Solution]:
        """Candidates of the pairs in the models, their LP, and the joined solution in that LP's column order."""
        if self.stale or any(m.solution is None for m in self.models):
            raise NotSolved("solve the model first (a stream changed since the last solve)")
        if self._joined is None:
            self._joined = _join(self.cand, self.parts, [m.entered() for m in self.models])
        return self._joined


def solve_by_components(
    cand: Candidates,
    workers: int | None = None,
    k: int = 1,
    time_limit: float | None = None,
    start: Basis | None = None,
    backend: Solver | None = None,
) -> tuple[Candidates, LinearProgram, Solution, dict[str, float]]:
    """Price each part apart (in parallel) and join the solutions.

    Same contract as :func:`~matcher.solve.pricing.solve_by_pricing`; ``stats`` also
    holds ``components`` (connected components with pairs) and ``parts``
    (models solved).
    """
    model = DecomposedModel(cand, workers=workers, k=k, time_limit=time_limit, start=start, backend=backend)
    model.solve()
    final, lp, sol = model.solved()
    return final, lp, sol, model.stats


def _summary(sols: list[Solution]) -> Solution:
    """The status of the whole: the worst of the parts' (with their messages); no values yet."""
    statuses = {s.status for s in sols}
    worst = next(
        (st for st in (Status.ERROR, Status.TIME_LIMIT_NO_SOLUTION, Status.TIME_LIMIT_FEASIBLE) if st in statuses),
        Status.OPTIMAL,
    )
    messages = sorted({s.message for s in sols if s.status != Status.OPTIMAL and s.message})
    return Solution(
        worst,
        message="; ".join(messages) or (sols[0].message if sols else "Optimal"),
        solver="highs",
        solver_version=sols[0].solver_version if sols else "",
        seconds=max((s.seconds for s in sols), default=0.0),
    )


def _join(
    cand: Candidates, parts: list[Part], solved: list[tuple[Candidates, Solution]]
) -> tuple[Candidates, LinearProgram, Solution]:
    """One solution of the whole model (pairs that entered any part) from the parts' solutions.

    Each part's solution is in the column order [pairs | disposal | virgin] of its own LP.
    """
    inp = cand.inputs
    ns, nd = len(inp.supplies), len(inp.demands)
    edges = []
    for part, (sub, _) in zip(parts, solved):
        e = sub.edges.copy()
        e["s"] = part.supplies[e["s"].to_numpy()]
        e["d"] = part.demands[e["d"].to_numpy()]
        edges.append(e)
    final = replace(cand, edges=pd.concat(edges, ignore_index=True) if edges else cand.edges.iloc[:0])
    lp = build_lp(final)
    sols = [s for _, s in solved]
    sol = _summary(sols)
    if not sol.status.has_solution:
        return final, lp, sol
    ys, zs = lp.blocks["y"], lp.blocks["z"]
    # streams in no part: all disposed of / bought virgin; their rows' duals are those columns' costs
    y = inp.supplies["q"].to_numpy(dtype=float).copy()
    z = inp.demands["q"].to_numpy(dtype=float).copy()
    x, duals_s, duals_d = [], lp.c[ys].copy(), lp.c[zs].copy()
    col_x, col_y, col_z = [], np.full(ns, BASIC, np.int8), np.full(nd, BASIC, np.int8)
    row_s, row_d = np.full(ns, AT_LOWER, np.int8), np.full(nd, AT_LOWER, np.int8)
    with_duals = all(s.row_duals is not None for s in sols)
    with_basis = all(s.basis is not None for s in sols)
    for part, (sub, psol) in zip(parts, solved):
        assert psol.x is not None
        n_e, n_s, n_d = len(sub.edges), part.supplies.size, part.demands.size
        x.append(psol.x[:n_e])
        y[part.supplies] = psol.x[n_e : n_e + n_s]
        z[part.demands] = psol.x[n_e + n_s : n_e + n_s + n_d]
        if with_duals and psol.row_duals is not None:
            duals_s[part.supplies] = psol.row_duals[:n_s]
            duals_d[part.demands] = psol.row_duals[n_s : n_s + n_d]
        if with_basis and psol.basis is not None:
            pcol, prow = psol.basis
            col_x.append(pcol[:n_e])
            col_y[part.supplies] = pcol[n_e : n_e + n_s]
            col_z[part.demands] = pcol[n_e + n_s : n_e + n_s + n_d]
            row_s[part.supplies] = prow[:n_s]
            row_d[part.demands] = prow[n_s : n_s + n_d]
    sol.x = np.concatenate([*x, y, z])
    sol.objective = float(lp.c @ sol.x)
    if with_duals:
        sol.row_duals = np.concatenate([duals_s, duals_d])
    if with_basis:
        sol.basis = (np.concatenate([*col_x, col_y, col_z]), np.concatenate([row_s, row_d]))
    return final, lp, sol
