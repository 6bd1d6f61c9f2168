r"""Independent parts of a match, solved apart and in parallel.

Supplies and demands joined by candidate pairs form a bipartite graph. Its
connected components (:func:`~matcher.engine.graph.components`, where the
pairs of one capacitated link are joined too: their capacity row holds them
all; a blended limit's row holds the pairs of one demand) share no row and no
column: the LP is block diagonal and its optimum is the sum of the parts'
optima. A large
component (``min_pairs`` pairs or more) is a part of its own: several small
models solve faster than one block-diagonal model of them all. Smaller
components are packed into one part per worker, balanced by their pairs
(largest first, each into the lightest part), so that the fixed cost of a
model (building it, setting HiGHS up, reading back) does not grow with
their number. The parts are priced on ``workers`` threads, the largest
first (HiGHS releases the GIL while it solves). A stream without any pair
is disposed of or bought virgin; its balance row's dual is that column's
cost (a demand that virgin purchase alone would take over a blended limit
is a part of its own all the same, so that the model says it is infeasible).
The parts' solutions are put back together as one solution of the whole
model, in the column order of the LP of the pairs that entered.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..engine.candidates import Candidates
from ..engine.formulation import LinearProgram, RowLayout, build_lp, row_layout
from ..engine.graph import components
from ..engine.objective import slack_components, weighted
from ..errors import NotSolved
from .base import BasisStatus, Solution, Solver, Status
from .basis import Basis
from .pricing import _NO_PAIRS, PricedModel, Snapshot, money_cost, unit_factors, with_quantity

__all__ = ["DecomposedModel", "Part", "solve_by_components", "split"]

AT_LOWER, BASIC = int(BasisStatus.AT_LOWER), int(BasisStatus.BASIC)


@dataclass(frozen=True)
class Part:
    """Connected components solved together: positions of their supplies, demands and pairs in the whole set
    (the pairs' positions only until the part's model holds them: :class:`DecomposedModel` lets them go)."""

    supplies: np.ndarray
    demands: np.ndarray
    edges: np.ndarray


def split(
    cand: Candidates,
    workers: int = 1,
    min_pairs: int = 50_000,
    found: tuple[np.ndarray, np.ndarray] | None = None,
    needed: np.ndarray | None = None,
) -> list[Part]:
    """Parts to solve apart: each large component alone, the small ones packed into ``workers`` parts.

    Largest part first. ``found`` is :func:`components` of ``cand`` if already known;
    ``needed`` (per stream, supplies then demands) marks streams that need a model even
    without any pair.
    """
    ns = len(cand.inputs.supplies)
    wanted = None if needed is None or not needed.any() else needed
    if len(cand.edges) == 0 and wanted is None:
        return []
    label, pairs = found if found is not None else components(cand)
    keep = pairs > 0
    if wanted is not None:
        keep[label[wanted]] = True
    order = np.argsort(-pairs, kind="stable")
    order = order[keep[order]]
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
    """The candidates of one part, with ``s``/``d`` renumbered within it.

    Where the part's pairs are one run of the table (the candidate stage writes each connected
    component's pairs together: :data:`~matcher.engine.candidates.GROUPED_MIN`), the part's table
    is a slice of it and shares its columns; otherwise its rows are copied."""
    inp = cand.inputs
    local_s = np.full(len(inp.supplies), -1, dtype=np.int32)
    local_s[part.supplies] = np.arange(part.supplies.size)
    local_d = np.full(len(inp.demands), -1, dtype=np.int32)
    local_d[part.demands] = np.arange(part.demands.size)
    rows = part.edges
    run = rows.size > 0 and int(rows[-1]) - int(rows[0]) + 1 == rows.size  # sorted (flatnonzero): a run
    edges = cand.edges.iloc[int(rows[0]) : int(rows[-1]) + 1] if run else cand.edges.iloc[rows]
    edges = edges.reset_index(drop=True)
    edges["s"] = local_s[edges["s"].to_numpy()]
    edges["d"] = local_d[edges["d"].to_numpy()]
    inputs = replace(inp, supplies=inp.supplies.iloc[part.supplies], demands=inp.demands.iloc[part.demands])
    return replace(cand, inputs=inputs, edges=edges)


class DecomposedModel:
    """Priced models of the parts of a match, kept between solves.

    ``solve`` solves the parts not solved since they changed, in parallel;
    ``set_quantity`` changes one stream, so that only its part is re-solved,
    from its previous basis; ``add_stream`` and ``remove_stream`` change the
    streams of one part in place; ``solved`` joins the solutions into one of the
    whole model. The same interface as :class:`~matcher.solve.pricing.PricedModel`.
    With ``release``, ``cand.edges`` is emptied once the parts hold their pairs
    (``cand`` then describes the inputs and stage counts only). With ``eager``, each
    part's first solve starts on a worker thread as soon as the part is built, so that
    building the next parts (which holds the GIL) overlaps the solves (which do not);
    :meth:`solve` then waits for them.
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
        release: bool = False,
        eager: bool = False,
    ) -> None:
        self.cand = cand
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.time_limit = time_limit
        found = components(cand)
        self.layout: RowLayout = row_layout(cand)  # the rows of the whole model, for the joined solution
        ns = len(cand.inputs.supplies)
        needed = np.concatenate([np.zeros(ns, dtype=bool), self.layout.needs_pairs()])
        self.parts = split(cand, self.workers, min_pairs, found, needed)
        self.part_of = np.full(ns + len(cand.inputs.demands), -1)  # per stream (supplies, then demands)
        for j, part in enumerate(self.parts):
            self.part_of[part.supplies] = j
            self.part_of[ns + part.demands] = j
        # built one after another here (building holds the GIL); with `eager`, each part's first solve starts on
        # a worker thread as soon as it is built (the solvers release the GIL), while the next part is built
        self.backend = backend
        self.deadline = None if time_limit is None else time.perf_counter() + time_limit
        eager = eager and self.workers > 1 and len(self.parts) > 1
        pool = ThreadPoolExecutor(max_workers=self.workers) if eager else None
        self._started: dict[int, Future[None]] = {}
        self.models = []
        tree = len(cand.edges) >= PricedModel.tree_min_total
        for j, part in enumerate(self.parts):
            self.models.append(PricedModel(_sub(cand, part), k=k, start=start, backend=backend, tree=tree))
            self.parts[j] = replace(part, edges=_NO_PAIRS)  # its pairs are its model's now
            if pool is not None:
                self._started[j] = pool.submit(self._solve_one, self.models[-1])
        if pool is not None:
            pool.shutdown(wait=False)  # the threads end when their solves do
        if release:  # the caller gave the table up: only the parts hold their pairs (slices of it, or copies)
            cand.edges, cand.blocks = cand.edges.iloc[:0], None
        self.link_part: dict[int, int] = {}  # the part that holds each capacity row
        for j, model in enumerate(self.models):
            self.link_part.update(dict.fromkeys(model.layout.links.tolist(), j))
        self.stale = set(range(len(self.models)))
        n_components = float((found[1] > 0).sum())
        self.stats: dict[str, float] = {
            "build": sum(m.stats["build"] for m in self.models),
            "pairs": float(sum(m.n_pairs for m in self.models)),
            "components": n_components,
            "parts": float(len(self.models)),
        }
        self.units = unit_factors(cand.inputs.network) if units is None else units
        self._joined: tuple[Candidates, LinearProgram, Solution] | None = None

    def solve(self) -> Solution:
        """Solve the parts that changed since they were last solved.

        Returns the status and objective of the whole; :meth:`solved` joins the full solution.
        """
        if not self._settle():
            self.deadline = None if self.time_limit is None else time.perf_counter() + self.time_limit
        todo = [self.models[j] for j in sorted(self.stale)]
        if len(todo) > 1 and self.workers > 1:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(todo))) as pool:
                list(pool.map(self._solve_one, todo))
        else:
            for model in todo:
                self._solve_one(model)
        self.stale.clear()
        self._joined = None
        self.stats.update(
            rounds=max((m.stats["rounds"] for m in self.models), default=0.0),
            columns=sum((m.stats.get("columns", 0.0) for m in self.models), 0.0),
        )
        trees = [m.stats["tree_pivots"] for m in self.models if "tree_pivots" in m.stats]
        if trees:  # parts started from the network simplex's tree (pure transport parts)
            self.stats.update(tree_parts=float(len(trees)), tree_pivots=float(sum(trees)))
        sols = [m.solution for m in self.models if m.solution is not None]
        sol = _summary(sols)
        if sol.status.has_solution:
            sol.objective = sum(s.objective for s in sols) + self._alone()[1]
        return sol

    def _alone(self) -> tuple[float, float]:
        """The money cost and the weighted objective of the streams in no part (disposed of or bought virgin)."""
        alone = self.part_of < 0
        inp = self.cand.inputs
        q = np.concatenate([inp.supplies["q"].to_numpy(float), inp.demands["q"].to_numpy(float)])[alone]
        disposal, virgin = slack_components(inp)
        weights = inp.parameters.objective_weights
        cost = np.concatenate([disposal["cost"], virgin["cost"]])[alone]
        objective = np.concatenate([weighted(disposal, weights), weighted(virgin, weights)])[alone]
        return float(cost @ q), float(objective @ q)

    def _settle(self) -> bool:
        """Wait for the first solves started while the parts were built (``eager``); whether there were any.

        Called before anything reads or changes the parts' models."""
        if not self._started:
            return False
        started, self._started = self._started, {}
        for future in started.values():
            future.result()  # raises what the solve raised
        self.stale -= set(started)
        return True

    def _solve_one(self, model: PricedModel) -> None:
        """Solve one part within what is left of the time limit."""
        model.time_limit = None if self.deadline is None else max(self.deadline - time.perf_counter(), 0.0)
        model.solve()

    def set_quantity(self, stream_id: str, quantity_base: float) -> None:
        """Change one stream's yearly quantity (base units; 0 removes it); re-solve with :meth:`solve`."""
        self._settle()
        self.cand, row = with_quantity(self.cand, stream_id, quantity_base, self.units)
        j = int(self.part_of[row])
        if j >= 0:  # only the bound of its row in its part's model: the joined result reads quantities from here
            part, ns = self.parts[j], len(self.cand.inputs.supplies)
            model = self.models[j]
            local = (
                int(np.flatnonzero(part.supplies == row)[0])
                if row < ns
                else model.ns + int(np.flatnonzero(part.demands == row - ns)[0])
            )
            model.kept.set_row_bounds([int(model.kept_row[local])], [quantity_base], [quantity_base])
            self.stale.add(j)

    # ------------------------------------------------------------------ streams added and removed in place
    def add_stream(self, cand: Candidates, pairs: pd.DataFrame, supply: bool) -> bool:
        """Take in one stream, the last of ``cand.inputs.supplies`` (``supply``) or ``.demands``, with its pairs.

        ``cand`` holds the whole network's inputs and counts with the stream
        (:func:`~matcher.engine.candidates.with_stream`), ``pairs`` its candidate pairs (positions
        in those inputs). Where its pairs stay within one part (with partners that had no pair
        before), the stream enters that part's kept model in place
        (:meth:`~matcher.solve.pricing.PricedModel.add_streams`); where it has no part to join, it
        makes a part of its own. Returns False, changing nothing, where its pairs would join
        several parts: the caller rebuilds the model then.
        """
        self._settle()
        inp = cand.inputs
        ns, nd = len(inp.supplies), len(inp.demands)
        ns0 = ns - 1 if supply else ns
        part_s, part_d = self.part_of[:ns0], self.part_of[ns0:]
        partners = np.unique((pairs["d"] if supply else pairs["s"]).to_numpy())
        partner_part = (part_d if supply else part_s)[partners]
        touched = set(partner_part[partner_part >= 0].tolist())
        link = pairs["link"].to_numpy()
        capacitated = link[(link >= 0) & np.isfinite(pairs["capacity"].to_numpy(dtype=float))]
        touched |= {self.link_part[int(x)] for x in np.unique(capacitated) if int(x) in self.link_part}
        if len(touched) > 1:
            return False
        fresh = partners[partner_part < 0]  # partners without a pair before: they come along
        new_s = np.array([ns - 1]) if supply else fresh
        new_d = fresh if supply else np.array([nd - 1])
        part_of = np.concatenate([part_s, [-1], part_d]) if supply else np.concatenate([part_s, part_d, [-1]])
        needed = not supply and bool(row_layout(replace(cand, edges=pairs.iloc[:0])).needs_pairs()[nd - 1])
        if not touched and not len(pairs) and not needed:  # a stream alone: disposed of or bought virgin
            self.part_of, self.cand = part_of, cand
            self._joined = None
            return True
        if touched:
            j = touched.pop()
            part = self.parts[j]
            self.parts[j] = part = Part(
                np.concatenate([part.supplies, new_s]), np.concatenate([part.demands, new_d]), part.edges
            )
            model = self.models[j]
            local_s, local_d = self._local(part, ns, nd)
            sub = model.cand.inputs
            sub = replace(
                sub,
                supplies=pd.concat([sub.supplies, inp.supplies.iloc[new_s]]),
                demands=pd.concat([sub.demands, inp.demands.iloc[new_d]]),
            )
            local = pairs.assign(s=local_s[pairs["s"].to_numpy()], d=local_d[pairs["d"].to_numpy()])
            model.add_streams(sub, local)
        else:  # a part of its own
            j = len(self.parts)
            part = Part(new_s, new_d, np.zeros(0, dtype=np.int64))
            local_s, local_d = self._local(part, ns, nd)
            sub = replace(
                cand,
                inputs=replace(inp, supplies=inp.supplies.iloc[new_s], demands=inp.demands.iloc[new_d]),
                edges=pairs.assign(s=local_s[pairs["s"].to_numpy()], d=local_d[pairs["d"].to_numpy()]),
            )
            self.parts.append(part)
            self.models.append(PricedModel(sub, backend=self.backend))
        part_of[new_s] = j
        part_of[ns + new_d] = j
        for x in np.unique(capacitated):
            self.link_part[int(x)] = j
        self.part_of, self.cand = part_of, cand
        self.stats["pairs"] += len(pairs)
        self.stale.add(j)
        self._joined = None
        return True

    def remove_stream(self, cand: Candidates, position: int, supply: bool) -> None:
        """Take one stream out (``cand``: the whole network's inputs and counts without it, from
        :func:`~matcher.engine.candidates.without_stream`): its row in its part's kept model is held at
        zero and its pairs leave (:meth:`~matcher.solve.pricing.PricedModel.remove_stream`)."""
        self._settle()
        ns = len(self.cand.inputs.supplies)
        at = position if supply else ns + position
        j = int(self.part_of[at])
        if j >= 0:
            part = self.parts[j]
            where = part.supplies if supply else part.demands
            local = int(np.flatnonzero(where == position)[0])
            self.models[j].remove_stream(supply, local)
            where[local] = -1
            self.stale.add(j)
        for part in self.parts:  # positions after it move up by one
            where = part.supplies if supply else part.demands
            where[where > position] -= 1
        self.part_of = np.delete(self.part_of, at)
        self.cand = cand
        self._joined = None

    @staticmethod
    def _local(part: Part, ns: int, nd: int) -> tuple[np.ndarray, np.ndarray]:
        """Per stream of the whole network, its position in the part (-1 where not in it)."""
        local_s = np.full(ns, -1, dtype=np.int64)
        local_d = np.full(nd, -1, dtype=np.int64)
        on_s, on_d = part.supplies >= 0, part.demands >= 0
        local_s[part.supplies[on_s]] = np.flatnonzero(on_s)
        local_d[part.demands[on_d]] = np.flatnonzero(on_d)
        return local_s, local_d

    def solved(self) -> tuple[Candidates, LinearProgram, Solution]:
        """Candidates of the pairs in the models, their LP, and the joined solution in that LP's column order."""
        if self._joined is None:
            self._joined = self.snapshot().solved()
        return self._joined

    def snapshot(self) -> Snapshot:
        """The solution as it stands, unaffected by later changes (:class:`~.pricing.Snapshot`).

        Its status and objectives are the parts' (the worst status; the sums of their objectives and
        of the costs of the streams in no part); the parts' solutions are joined into one of the
        whole model only when :meth:`~.pricing.Snapshot.solved` asks. Each part's solution is read
        once per solve, so after a change only the changed part's is read again.
        """
        self._settle()
        if self.stale or any(m.solution is None for m in self.models):
            raise NotSolved("solve the model first (a stream changed since the last solve)")
        solved = [m.solved() for m in self.models]
        layouts = [m.final_layout() for m in self.models]
        # the whole model's rows: every stream's, and the capacity rows of every part (parts share no link)
        link, cap, fixed = (
            np.concatenate([getattr(m.layout, a) for m in self.models] or [np.zeros(0)])
            for a in ("links", "link_capacity", "link_fixed")
        )
        order = np.argsort(link, kind="stable")
        links = (link[order].astype(np.int64), cap[order].astype(float), fixed[order].astype(bool))
        cand = self.cand
        parts = [Part(p.supplies.copy(), p.demands.copy(), p.edges) for p in self.parts]  # changed in place later
        sol = _summary([s for _, _, s in solved])
        cost = objective = float("nan")
        if sol.status.has_solution:
            alone = self._alone()
            cost = sum(money_cost(lp, s) for _, lp, s in solved) + alone[0]
            objective = sum(float(s.objective) for _, _, s in solved) + alone[1]
        joined: list[tuple[Candidates, LinearProgram, Solution]] = []

        def join() -> tuple[Candidates, LinearProgram, Solution]:
            if not joined:
                layout = row_layout(replace(cand, edges=cand.edges.iloc[:0]), links)
                joined.append(_join(cand, parts, [(f, s) for f, _, s in solved], layout, layouts))
            return joined[0]

        return Snapshot(sol.status, sol.message, sol.solver, sol.solver_version, cost, objective, join)


def solve_by_components(
    cand: Candidates,
    workers: int | None = None,
    k: int = 1,
    time_limit: float | None = None,
    start: Basis | None = None,
    backend: Solver | None = None,
    release: bool = False,
) -> tuple[Candidates, LinearProgram, Solution, dict[str, float]]:
    """Price each part apart (in parallel) and join the solutions.

    Same contract as :func:`~matcher.solve.pricing.solve_by_pricing`; ``stats`` also
    holds ``components`` (connected components with pairs) and ``parts``
    (models solved). With ``release`` the caller gives ``cand.edges`` up: it is emptied
    once the parts hold their pairs, so the whole table is not kept through the solve.
    """
    model = DecomposedModel(
        cand, workers=workers, k=k, time_limit=time_limit, start=start, backend=backend, release=release, eager=True
    )
    model.solve()
    final, lp, sol = model.solved()
    return final, lp, sol, model.stats


def _summary(sols: list[Solution]) -> Solution:
    """The status of the whole: the worst of the parts' (with their messages); no values yet."""
    statuses = {s.status for s in sols}
    worst = next(
        (
            st
            for st in (
                Status.ERROR,
                Status.INFEASIBLE,  # one part infeasible: the whole is
                Status.UNBOUNDED,
                Status.TIME_LIMIT_NO_SOLUTION,
                Status.TIME_LIMIT_FEASIBLE,
            )
            if st in statuses
        ),
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
    cand: Candidates,
    parts: list[Part],
    solved: list[tuple[Candidates, Solution]],
    layout: RowLayout,
    part_layouts: list[RowLayout],
) -> tuple[Candidates, LinearProgram, Solution]:
    """One solution of the whole model (pairs that entered any part) from the parts' solutions.

    Each part's solution is in the column order [pairs | disposal | virgin] of its own LP, its
    rows [supply | demand | side rows of ``part_layouts``]; ``layout`` gives the rows of the
    whole model. Side rows are matched by name; one in no part is slack (dual 0, basic).
    """
    inp = cand.inputs
    ns, nd = len(inp.supplies), len(inp.demands)
    parts = [Part(p.supplies[p.supplies >= 0], p.demands[p.demands >= 0], p.edges) for p in parts]  # streams left
    edges = []
    for part, (sub, _) in zip(parts, solved):
        e = sub.edges.copy()
        e["s"] = part.supplies[e["s"].to_numpy()]
        e["d"] = part.demands[e["d"].to_numpy()]
        edges.append(e)
    final = replace(cand, edges=pd.concat(edges, ignore_index=True) if edges else cand.edges.iloc[:0])
    lp = build_lp(final, layout)
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
    n_side = layout.n_side
    duals_side, row_side = np.zeros(n_side), np.full(n_side, BASIC, np.int8)
    side_index = pd.Index(layout.side_names(inp.demands.index.to_numpy())) if n_side else None
    with_duals = all(s.row_duals is not None for s in sols)
    with_basis = all(s.basis is not None for s in sols)
    for part, (sub, psol), sub_layout in zip(parts, solved, part_layouts):
        assert psol.x is not None
        n_e, n_s, n_d = len(sub.edges), part.supplies.size, part.demands.size
        x.append(psol.x[:n_e])
        y[part.supplies] = psol.x[n_e : n_e + n_s]
        z[part.demands] = psol.x[n_e + n_s : n_e + n_s + n_d]
        side = slice(n_s + n_d, None)
        where = None
        if side_index is not None:  # the part's side rows among the whole model's, by name
            where = side_index.get_indexer(pd.Index(sub_layout.side_names(sub.inputs.demands.index.to_numpy())))
        if with_duals and psol.row_duals is not None:
            duals_s[part.supplies] = psol.row_duals[:n_s]
            duals_d[part.demands] = psol.row_duals[n_s : n_s + n_d]
            if where is not None:
                duals_side[where] = psol.row_duals[side]
        if with_basis and psol.basis is not None:
            pcol, prow = psol.basis
            col_x.append(pcol[:n_e])
            col_y[part.supplies] = pcol[n_e : n_e + n_s]
            col_z[part.demands] = pcol[n_e + n_s : n_e + n_s + n_d]
            row_s[part.supplies] = prow[:n_s]
            row_d[part.demands] = prow[n_s : n_s + n_d]
            if where is not None:
                row_side[where] = prow[side]
    sol.x = np.concatenate([*x, y, z])
    sol.objective = float(lp.c @ sol.x)
    if with_duals:
        sol.row_duals = np.concatenate([duals_s, duals_d, duals_side])
    if with_basis:
        sol.basis = (np.concatenate([*col_x, col_y, col_z]), np.concatenate([row_s, row_d, row_side]))
    return final, lp, sol
