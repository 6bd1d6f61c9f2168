r"""Solving large LPs by pricing: start from a few cheap pairs, add the pairs that would pay.

The full set of candidate pairs within reach grows with the square of the
streams in a region, but few of them carry flow at the optimum. Pricing
(column generation) solves the LP on a sparse subset (each stream's best
``k`` pairs), reads the row duals :math:`\pi`, and computes for every
candidate pair at once the reduced cost

.. math::  \bar c_e = c_e - \pi_{s(e)} - a_e\,\pi_{d(e)}
           - \sum_{b \ni d(e)} a_e (k_{s(e)} - L_b)\,\pi_b - \pi_{l(e)},

over its balance rows, the blended quality limits of its demand (:math:`b`)
and the capacity row of its link (:math:`l`), adds the pairs with
:math:`\bar c_e < 0` to the model (HiGHS keeps its basis, so each round
starts where the last ended) and repeats until none is left. Then no pair
outside the model could improve it: the solution is the proven optimum of the
whole LP. The restricted model has every row of the whole one from the start
(:class:`~matcher.engine.formulation.RowLayout`: a blend row for each demand
with a limit, a capacity row for each capacitated link, whether or not any
of their pairs are in yet), and a pair enters as the same column it has in the
whole model. A demand that virgin purchase alone would take over a blended
limit starts with all its pairs, so that the first model is feasible whenever
the whole one is. It applies to every LP (models with integer columns, from
fixed link costs or minimum quantities, are solved whole: column generation
does not prove a MILP's optimum).

A time limit covers all rounds together. If it runs out while pairs with a
negative reduced cost are left, the current solution is feasible for the
whole problem but not proven optimal, and its status says so
(``time_limit_feasible``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from models import Network

from ..engine.candidates import Candidates, best_pairs
from ..engine.formulation import LinearProgram, RowLayout, build_lp, capacity_links, fixed_flows, row_layout
from ..engine.inputs import MatchInputs
from ..engine.objective import flow_components, gain, slack_components, weighted
from ..errors import InvalidOption, NotSolved, UnknownId, Unsupported
from .base import BasisStatus, Solution, Solver, Status
from .basis import Basis
from .highs import HighsSolver

__all__ = [
    "PricedModel",
    "Snapshot",
    "has_ports",
    "is_lp",
    "money_cost",
    "pricing_applies",
    "solve_by_pricing",
    "unit_factors",
    "with_quantity",
]

_NO_PAIRS = np.zeros(0, dtype=np.int64)
_NO_SIDE = (_NO_PAIRS, _NO_PAIRS, np.zeros(0))  # no entry in a side row


def _has_minimum(inputs: MatchInputs) -> bool:
    """Whether a stream has a minimum quantity (a binary column for each of its pairs)."""
    return bool(
        np.nan_to_num(inputs.supplies["min_quantity_base"].to_numpy(dtype=float)).any()
        or np.nan_to_num(inputs.demands["min_quantity_base"].to_numpy(dtype=float)).any()
    )


def has_ports(inputs: MatchInputs) -> bool:
    """Whether the model has stores or processes: columns and rows beyond pairs, disposal and virgin purchase.

    Their store balance rows are side rows of the restricted model (pricing is exact with them);
    they join the ports of one store or process across periods, so such a model is priced whole
    rather than by components (:mod:`matcher.solve.decompose` splits pairs and streams only).
    """
    return inputs.chains is not None and inputs.chains.has_ports


def pricing_applies(cand: Candidates) -> bool:
    """Whether the model is an LP (no integer columns: no link with a fixed cost, no minimum quantity).

    Pricing over pairs is then exact, side rows (blended limits, link capacities) included.
    """
    e = cand.edges
    fixed = bool(((e["link"].to_numpy() >= 0) & (e["fixed_cost"].to_numpy() > 0)).any())
    return bool(len(e) and not fixed and not _has_minimum(cand.inputs))


def is_lp(inputs: MatchInputs) -> bool:
    """Whether the model of ``inputs`` is an LP whatever its pairs: no minimum quantity, no link with a fixed cost."""
    links = inputs.network.links
    fixed = "fixed_cost" in links.columns and bool((np.nan_to_num(links["fixed_cost"].to_numpy(dtype=float)) > 0).any())
    return not fixed and not _has_minimum(inputs)


def _initial(cand: Candidates, k: int) -> np.ndarray:
    """Each supply's and each demand's ``k`` best pairs (by gain for the objective; ties may add a few more)."""
    e, inp = cand.edges, cand.inputs
    pair_gain = gain(e, inp.parameters.objective_weights)
    s, d = e["s"].to_numpy(), e["d"].to_numpy()
    return np.flatnonzero(best_pairs(s, d, pair_gain, len(inp.supplies), len(inp.demands), k))


@dataclass(frozen=True)
class Snapshot:
    """A solved model as it stood, apart from later changes: its status and objectives at once, the joined
    solution (candidates of the pairs that entered, their LP, the solution) when :meth:`solved` asks for it.

    ``objective`` is the money cost (the ``cost`` component), ``solver_objective`` what the solver
    minimised (the weighted components); both NaN without a solution.
    """

    status: Status
    message: str
    solver: str
    solver_version: str
    objective: float
    solver_objective: float
    join: Callable[[], tuple[Candidates, LinearProgram, Solution]]

    def solved(self) -> tuple[Candidates, LinearProgram, Solution]:
        """Candidates of the pairs in the model, their LP and the solution, as they stood."""
        return self.join()


def money_cost(lp: LinearProgram, sol: Solution) -> float:
    """The money cost of ``sol`` in ``lp`` (as :func:`~matcher.results.result.read_result` counts it; NaN
    without values)."""
    if not sol.status.has_solution or sol.x is None:
        return float("nan")
    return float(lp.components["cost"] @ sol.x) if lp.components else float(sol.objective)


class PricedModel:
    """A model over a growing subset of the candidate pairs, kept between solves by its backend.

    ``solve`` prices until no pair outside the model has a negative reduced
    cost; ``set_quantity`` changes one stream and the next ``solve`` starts from
    the current basis (a warm re-solve). With ``k=None`` every pair enters at
    once (for models where pricing would not be exact). ``start``, the basis
    of a related model, replaces the best ``k`` pairs by the pairs it holds
    and starts the simplex from it. With ``tree`` (the default), a large pure transport
    model starts from the network simplex's tree (:meth:`_start_from_tree`). The backend must keep models between solves
    (:attr:`~matcher.solve.base.Feature.INCREMENTAL`; HiGHS by default).

    Streams are added (:meth:`add_streams`: their balance rows, disposal or virgin
    columns and side rows enter the kept model, their pairs become candidates) and
    removed (:meth:`remove_stream`: its row is held at zero and its pairs leave) in place:
    the kept model's rows and columns are mapped to those of the LP by name and position,
    so nothing else is rebuilt and the next solve starts from the current basis.
    """

    def __init__(
        self,
        cand: Candidates,
        k: int | None = 1,
        time_limit: float | None = None,
        start: Basis | None = None,
        units: pd.Series | None = None,
        backend: Solver | None = None,
        tree: bool = True,
    ) -> None:
        self.cand = cand
        self.time_limit = time_limit
        e = cand.edges
        inp = cand.inputs
        self.ns, self.nd = len(inp.supplies), len(inp.demands)
        self._tables: list[pd.DataFrame] = []  # the candidate pairs, in chunks (pairs of added streams later)
        self._pairs(e, first=True)
        # every row of the whole model, and every pair's entries in its side rows
        self.layout = row_layout(cand)
        self.side = self.layout.side_entries(self.s_all, self.d_all, self.ratio_all, self.link_all)
        self.alive_s = np.ones(self.ns, dtype=bool)  # streams removed in place keep an empty row
        self.alive_d = np.ones(self.nd, dtype=bool)
        self.in_model = np.zeros(len(e), dtype=bool)
        if k is None:
            self.in_model[:] = True
        elif start is not None:  # the pairs the related model's basis holds; pricing adds the rest
            self.in_model[start.pairs_in(cand) >= 0] = True
        else:
            self.in_model[_initial(cand, k)] = True
        # a demand that virgin purchase alone would take over a blended limit needs its pairs from the start
        self.in_model[self.layout.needs_pairs()[self.d_all]] = True
        self.in_model[~np.isnan(fixed_flows(cand))] = True  # fixed exchanges are in the model from the start
        first = np.flatnonzero(self.in_model)
        self.order: list[int] = first.tolist()
        self.n0 = len(self.order)
        self.col_of[first] = np.arange(first.size)
        t = time.perf_counter()
        cand0 = replace(cand, edges=e.iloc[first].reset_index(drop=True))
        lp0 = build_lp(cand0, self.layout)
        self.kept = (backend or HighsSolver()).incremental(
            lp0, start=None if start is None else start.statuses(cand0, lp0)
        )
        self.is_mip = lp0.is_mip
        # where each part of the LP is in the kept model: [first pairs | y | z | binaries | later columns]
        n0, ns, nd = self.n0, self.ns, self.nd
        self.pair_cols: list[int] = list(range(n0))  # kept column of each pair in `order`
        self.col_y = n0 + np.arange(ns)
        self.col_z = n0 + ns + np.arange(nd)
        self.col_bin = np.arange(n0 + ns + nd, lp0.c.size)
        # each kept row's key: its name in the LP with streams named by their local position (a stream removed
        # in place keeps its position and its row, so an id added again never meets its old row)
        extra = np.asarray(lp0.row_names, dtype=object)[self.layout.n_rows :]  # a MILP's minimum-quantity rows
        self.kept_names = np.concatenate([self.layout.row_names(*self._keys()), extra])
        self.kept_row = np.arange(self.layout.n_rows)  # kept row of each row of the layout
        self.n_first_columns = lp0.c.size
        self.stats: dict[str, float] = {"build": time.perf_counter() - t, "rounds": 0.0}
        self.solution: Solution | None = None
        self._solved: tuple[Solution | None, tuple[Candidates, LinearProgram, Solution]] | None = None
        self.units = unit_factors(inp.network) if units is None else units
        # a pure transport part starts from the network simplex's tree (on the first solve: parts run in parallel)
        self._tree_start = tree and start is None and k is not None and self._is_transport()

    def _pairs(self, e: pd.DataFrame, first: bool = False) -> None:
        """Take the pairs of ``e`` in as candidates (after those already known)."""
        inp = self.cand.inputs
        c = weighted(flow_components(e, inp.parameters.carbon_price), inp.parameters.objective_weights)
        dead = np.zeros(len(e), dtype=bool)  # pairs of streams removed in place: never enter
        col_of = np.full(len(e), -1, dtype=np.int32)  # kept column of each pair in the model (HiGHS: int32)

        def more(old: np.ndarray | None, new: np.ndarray) -> np.ndarray:
            return new if first or old is None else np.concatenate([old, new])

        self.s_all = more(getattr(self, "s_all", None), e["s"].to_numpy())
        self.d_all = more(getattr(self, "d_all", None), e["d"].to_numpy())
        self.ratio_all = more(getattr(self, "ratio_all", None), e["ratio"].to_numpy(dtype=float))
        self.link_all = more(getattr(self, "link_all", None), e["link"].to_numpy())
        self.upper_all = more(getattr(self, "upper_all", None), e["capacity"].to_numpy(dtype=float))
        self.c_all = more(getattr(self, "c_all", None), c)
        self.dead = more(getattr(self, "dead", None), dead)
        self.col_of = more(getattr(self, "col_of", None), col_of)
        self._tables.append(e)

    def _keys(self, alive: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Keys of the model's supplies and demands (their local positions), or of those still in it."""
        s, d = np.arange(self.ns), np.arange(self.nd)
        if alive:
            s, d = s[self.alive_s], d[self.alive_d]
        return np.char.add("s", s.astype(str)), np.char.add("d", d.astype(str))

    @property
    def n_pairs(self) -> int:
        """Candidate pairs known to the model (in it or not, removed streams' included)."""
        return int(self.s_all.size)

    #: Pairs from which a pure transport part starts from the network simplex's tree (below, HiGHS from the
    #: best pairs is as fast and a small match needs no numba).
    tree_min_pairs = 50_000
    #: Pairs of the whole match from which its parts may start from trees (:class:`~.decompose.DecomposedModel`):
    #: below, importing numba and loading its kernel cost more than the trees save (measured on ``towns``).
    tree_min_total = 150_000
    #: The network simplex first solves over each stream's ``tree_first_k`` best pairs, then over all.
    tree_first_k = 10

    def _is_transport(self) -> bool:
        """Whether the model is a pure transport problem the network simplex solves (:mod:`.netsimplex`):
        no side row, no period, no integer column, no fixed exchange, every pair at ratio 1, finite costs (pairs,
        disposal, virgin purchase)."""
        if (
            self.n_pairs < self.tree_min_pairs
            or self.layout.n_side
            or self.cand.inputs.chains is not None
            or self.is_mip
            or self.in_model.all()
            or not (self.ratio_all == 1.0).all()
            or not np.isnan(fixed_flows(self.cand)).all()
            or not np.isfinite(self.c_all).all()
            or not all(
                np.isfinite(weighted(c, self.cand.inputs.parameters.objective_weights)).all()
                for c in slack_components(self.cand.inputs)
            )
        ):
            return False
        from . import netsimplex

        return netsimplex.available()

    def _start_from_tree(self, deadline: float | None = None) -> None:
        """Take the pairs of the network simplex's optimal tree into the model and start HiGHS from that basis.

        Only where the solve starts: the pricing rounds that follow prove the optimum over every
        candidate pair at HiGHS's own duals, whatever the tree was (a tree cut short by
        ``deadline`` is feasible, and HiGHS goes on from it).
        """
        from .netsimplex import LOWER, TREE, UPPER, solve_transport

        inp = self.cand.inputs
        disposal, virgin = slack_components(inp)
        weights = inp.parameters.objective_weights
        p, q = weighted(disposal, weights), weighted(virgin, weights)
        pair_gain = p[self.s_all] + q[self.d_all] - self.c_all
        best = np.flatnonzero(best_pairs(self.s_all, self.d_all, pair_gain, self.ns, self.nd, self.tree_first_k))
        del pair_gain
        tree = solve_transport(
            self.s_all, self.d_all, self.c_all, self.upper_all,
            inp.supplies["q"].to_numpy(dtype=float), inp.demands["q"].to_numpy(dtype=float), p, q, first=best,
            deadline=deadline,
        )  # fmt: skip
        self.stats["tree_pivots"] = float(tree.pivots)
        self._enter(np.flatnonzero((tree.pair_state != LOWER) & ~self.in_model))
        code = {TREE: int(BasisStatus.BASIC), LOWER: int(BasisStatus.AT_LOWER), UPPER: int(BasisStatus.AT_UPPER)}

        def codes(states: np.ndarray) -> np.ndarray:
            return np.select([states == TREE, states == UPPER], [code[TREE], code[UPPER]], code[LOWER])

        col = np.full(self.kept.n_columns, int(BasisStatus.AT_LOWER), dtype=np.int8)
        held = np.flatnonzero(self.in_model)
        col[self.col_of[held]] = codes(tree.pair_state[held])
        col[self.col_y] = codes(tree.disposal_state)
        col[self.col_z] = codes(tree.virgin_state)
        row = np.full(self.kept_names.size, int(BasisStatus.AT_LOWER), dtype=np.int8)
        self.kept.set_basis(col, row)

    def solve(self, max_rounds: int = 200) -> Solution:
        """Solve, adding pairs with a negative reduced cost until none is left (or time runs out)."""
        deadline = None if self.time_limit is None else time.perf_counter() + self.time_limit
        if self._tree_start:
            self._tree_start = False
            self._start_from_tree(deadline)
        rounds = 0
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
            enter, reduced = self._negative(sol.row_duals[self.kept_row])
            if enter.size == 0:
                break
            if deadline is not None and time.perf_counter() >= deadline:
                sol = _not_proven(sol, f"the time limit was reached while pricing ({enter.size:,} pairs left to add)")
                break
            if rounds >= max_rounds:
                sol = _not_proven(sol, f"pricing stopped after {rounds} rounds ({enter.size:,} pairs left to add)")
                break
            self._enter(self._choose(enter, reduced))
        self.stats.update(
            rounds=self.stats["rounds"] + rounds,
            columns=float(len(self.order)),
            pairs=float(self.n_pairs - self.dead.sum()),
        )
        self.solution = sol
        return sol

    #: How a round chooses among the pairs with a negative reduced cost: ``"stream"`` takes each stream's
    #: most negative one (at most one per supply and one per demand), ``"global"`` the most negative
    #: ``2 (supplies + demands)`` of them.
    selection = "stream"

    def _choose(self, enter: np.ndarray, reduced: np.ndarray) -> np.ndarray:
        """The pairs to add this round, among ``enter`` (all with a negative reduced cost, ``reduced``)."""
        if self.selection == "global":
            limit = 2 * (self.ns + self.nd)
            return enter if enter.size <= limit else enter[np.argpartition(reduced, limit)[:limit]]
        chosen = np.zeros(enter.size, dtype=bool)
        for group, n in ((self.s_all[enter], self.ns), (self.d_all[enter], self.nd)):
            best = np.full(n, np.inf)
            np.minimum.at(best, group, reduced)
            chosen |= reduced == best[group]
        return enter[chosen]

    def enter_negative(self, sol: Solution, pairs: np.ndarray) -> None:
        """Enter those of candidate pairs ``pairs`` that have a negative reduced cost at the duals of ``sol`` (each
        stream's most negative one), as a round of :meth:`solve` would."""
        self._enter(self._choose(*self._negative(sol.row_duals[self.kept_row], pairs)))

    #: Pairs priced at a time by :meth:`_negative` (its temporaries stay small, whatever the part's size).
    price_block = 1 << 18

    def _negative(self, row_duals: np.ndarray, pairs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The candidate pairs (of ``pairs``, or all) outside the model whose reduced cost at the LP's row duals
        is below ``-1e-9 max(1, |c_e|)``, and those reduced costs.

        Without side rows, the pairs are priced :attr:`price_block` at a time; a side row's entries
        reach across the pairs, and the reduced costs are then found for all pairs at once.
        """
        whole = self.reduced_costs(row_duals) if self.side[0].size else None
        n = self.n_pairs if pairs is None else pairs.size
        found, costs = [_NO_PAIRS], [np.zeros(0)]
        for a in range(0, n, self.price_block):
            b = min(a + self.price_block, n)
            at = slice(a, b) if pairs is None else pairs[a:b]  # a slice: views, no copies
            c = self.c_all[at]
            if whole is not None:
                rc = whole[at]
            else:
                s, d, ratio = self.s_all[at], self.d_all[at], self.ratio_all[at]
                rc = c - self.layout.column_duals(row_duals, s, d, ratio, _NO_SIDE)
            ok = np.flatnonzero((rc < -1e-9 * np.maximum(1.0, np.abs(c))) & ~self.in_model[at] & ~self.dead[at])
            found.append(a + ok if pairs is None else pairs[a:b][ok])
            costs.append(rc[ok])
        return np.concatenate(found), np.concatenate(costs)

    def _enter(self, enter: np.ndarray) -> None:
        """Add the columns of pairs ``enter`` (positions among the candidates) to the kept model."""
        if not enter.size:
            return
        rows, cols, values = self.layout.entries(
            self.s_all[enter], self.d_all[enter], self.ratio_all[enter], self.link_all[enter]
        )
        first = self.kept.n_columns
        self.kept.add_columns(self.c_all[enter], self.upper_all[enter], self.kept_row[rows], cols, values)
        self.in_model[enter] = True
        self.col_of[enter] = first + np.arange(enter.size)
        self.order.extend(enter.tolist())
        self.pair_cols.extend(range(first, first + enter.size))

    def reduced_costs(self, row_duals: np.ndarray) -> np.ndarray:
        """The reduced cost of every candidate pair at the duals of the LP's rows (balance and side rows, in the
        order of :attr:`layout`)."""
        return self.c_all - self.layout.column_duals(row_duals, self.s_all, self.d_all, self.ratio_all, self.side)

    def set_quantity(self, stream_id: str, quantity_base: float) -> None:
        """Change one stream's yearly quantity (base units; 0 removes it); re-solve with :meth:`solve`."""
        self._solved = None
        self.cand, row = with_quantity(self.cand, stream_id, quantity_base, self.units)
        self.kept.set_row_bounds([int(self.kept_row[row])], [quantity_base], [quantity_base])

    def add_pairs(self, pairs: pd.DataFrame) -> None:
        """Take in more candidate pairs of the model's streams (columns of ``Candidates.edges``, on no link of
        a capacity row the model lacks); the next :meth:`solve` prices them with the others."""
        self._solved = None
        self._pairs(pairs)
        self.in_model = np.concatenate([self.in_model, np.zeros(len(pairs), dtype=bool)])
        self.side = self.layout.side_entries(self.s_all, self.d_all, self.ratio_all, self.link_all)

    # ------------------------------------------------------------------ streams added and removed in place
    def add_streams(self, inputs: MatchInputs, pairs: pd.DataFrame) -> None:
        """Take in the streams that ``inputs`` has after those of the model (appended to its supplies and
        demands), and the candidate pairs ``pairs`` (positions in ``inputs``) that touch them.

        Their balance rows, any side row they bring (a blended limit of a new demand, the capacity
        of a link none of the model's pairs used) and their disposal or virgin columns enter the
        kept model; their pairs become candidates for pricing (all at once for a demand that
        virgin purchase alone cannot serve). The next :meth:`solve` starts from the current basis.
        """
        self._solved = None
        if self.is_mip:
            raise Unsupported("streams are added in place to LPs only")
        ns0, nd0 = self.ns, self.nd
        ns, nd = len(inputs.supplies), len(inputs.demands)
        self.cand = replace(self.cand, inputs=inputs)
        self.ns, self.nd = ns, nd
        self.alive_s = np.concatenate([self.alive_s, np.ones(ns - ns0, dtype=bool)])
        self.alive_d = np.concatenate([self.alive_d, np.ones(nd - nd0, dtype=bool)])
        n_before = self.n_pairs
        self._pairs(pairs)
        self.in_model = np.concatenate([self.in_model, np.zeros(len(pairs), dtype=bool)])
        new_links = capacity_links(
            pairs["link"].to_numpy(), pairs["capacity"].to_numpy(), pairs["fixed_cost"].to_numpy()
        )
        links = _union_links((self.layout.links, self.layout.link_capacity, self.layout.link_fixed), new_links)
        self.layout = row_layout(replace(self.cand, edges=pairs.iloc[:0]), links)
        self.side = self.layout.side_entries(self.s_all, self.d_all, self.ratio_all, self.link_all)
        # rows: those the kept model lacks are added (empty; columns bring their entries)
        names = self.layout.row_names(*self._keys())
        where = pd.Index(self.kept_names).get_indexer(pd.Index(names))
        missing = np.flatnonzero(where < 0)
        lower, upper = _row_bounds(self.layout, inputs)
        n_cols = self.kept.n_columns
        for r in missing:
            where[r] = self.kept.add_row(np.zeros(n_cols), float(lower[r]), float(upper[r]))
        self.kept_names = np.concatenate([self.kept_names, names[missing]])
        self.kept_row = where
        # disposal and virgin-purchase columns of the new streams
        new_s, new_d = np.arange(ns0, ns), np.arange(nd0, nd)
        rows, cols, values = self.layout.slack_entries(new_s, new_d)
        disposal, virgin = slack_components(inputs)
        weights = inputs.parameters.objective_weights
        cost = np.concatenate([weighted(disposal, weights)[new_s], weighted(virgin, weights)[new_d]])
        first = self.kept.n_columns
        self.kept.add_columns(cost, np.full(cost.size, np.inf), self.kept_row[rows], cols, values)
        self.col_y = np.concatenate([self.col_y, first + np.arange(new_s.size)])
        self.col_z = np.concatenate([self.col_z, first + new_s.size + np.arange(new_d.size)])
        # pairs into a new demand that virgin purchase alone cannot serve enter at once
        fresh = np.arange(n_before, self.n_pairs)
        self._enter(fresh[self.layout.needs_pairs()[self.d_all[fresh]]])

    def remove_stream(self, supply: bool, position: int) -> None:
        """Take one stream out in place: its row is held at zero, its pairs leave the model and never enter again.

        The results (:meth:`entered`) leave it out; its row and columns stay in the kept model, empty.
        """
        self._solved = None
        if self.is_mip:
            raise Unsupported("streams are removed in place from LPs only")
        (self.alive_s if supply else self.alive_d)[position] = False
        row = position if supply else self.ns + position
        self.kept.set_row_bounds([int(self.kept_row[row])], [0.0], [0.0])
        mine = (self.s_all == position) if supply else (self.d_all == position)
        self.dead |= mine
        cols = self.col_of[mine & self.in_model]
        if cols.size:
            self.kept.set_col_bounds(cols, np.zeros(cols.size), np.zeros(cols.size))

    # ------------------------------------------------------------------ reading back
    def _table_of(self, pairs: np.ndarray) -> pd.DataFrame:
        """The pair-table rows of candidate pairs ``pairs`` (positions across the chunks), in that order."""
        if len(self._tables) == 1:
            return self._tables[0].iloc[pairs].reset_index(drop=True)
        offsets = np.cumsum([0, *(len(t) for t in self._tables)])
        chunk = np.searchsorted(offsets, pairs, side="right") - 1
        by_chunk = np.argsort(chunk, kind="stable")
        taken = pd.concat(
            [t.iloc[pairs[chunk == i] - offsets[i]] for i, t in enumerate(self._tables)], ignore_index=True
        )
        return taken.iloc[np.argsort(by_chunk, kind="stable")].reset_index(drop=True)

    def entered(self) -> tuple[Candidates, Solution]:
        """Candidates of the pairs in the model and the solution in the column order of their LP.

        That LP's columns are [pairs | disposal | virgin | binaries], the pairs in the order they
        entered; its rows those of :meth:`final_layout`. Streams removed in place are left out.
        """
        if self.solution is None:
            raise NotSolved("solve the model first")
        order = np.asarray(self.order, dtype=np.int64)
        keep = ~self.dead[order]
        pairs = order[keep]
        edges = self._table_of(pairs)
        inp = self.cand.inputs
        removed = not (self.alive_s.all() and self.alive_d.all())
        if removed:  # positions among the streams left
            new_s = np.cumsum(self.alive_s) - 1
            new_d = np.cumsum(self.alive_d) - 1
            edges["s"] = new_s[edges["s"].to_numpy()].astype(edges["s"].dtype)
            edges["d"] = new_d[edges["d"].to_numpy()].astype(edges["d"].dtype)
            inp = replace(inp, supplies=inp.supplies[self.alive_s], demands=inp.demands[self.alive_d])
        final = replace(self.cand, inputs=inp, edges=edges)
        sol = replace(self.solution)
        if sol.x is not None:
            perm = np.concatenate(
                [
                    np.asarray(self.pair_cols, dtype=np.int64)[keep],
                    self.col_y[self.alive_s],
                    self.col_z[self.alive_d],
                    self.col_bin,
                ]
            )
            n_all = self.kept.n_columns
            x = np.zeros(n_all)  # columns added after the solution was found carry no flow
            x[: sol.x.size] = sol.x
            sol.x = x[perm]
            rows = self._final_rows()
            if sol.row_duals is not None:
                duals = np.zeros(len(self.kept_names))
                duals[: sol.row_duals.size] = sol.row_duals
                sol.row_duals = duals[rows]
            basis = self.kept.basis() if sol.status == Status.OPTIMAL else None
            sol.basis = None if basis is None else (basis[0][perm], basis[1][rows])
        return final, sol

    def final_layout(self) -> RowLayout:
        """The rows of the LP that :meth:`entered` describes (streams removed in place left out)."""
        if self.alive_s.all() and self.alive_d.all():
            return self.layout
        inp = self.cand.inputs
        alive = replace(inp, supplies=inp.supplies[self.alive_s], demands=inp.demands[self.alive_d])
        links = (self.layout.links, self.layout.link_capacity, self.layout.link_fixed)
        return row_layout(replace(self.cand, inputs=alive, edges=self._tables[0].iloc[:0]), links)

    def _final_rows(self) -> np.ndarray:
        """The kept row of each row of :meth:`final_layout` (and of a MILP's minimum-quantity rows after them)."""
        names = self.final_layout().row_names(*self._keys(alive=True))
        rows = pd.Index(self.kept_names).get_indexer(pd.Index(names))
        extra = np.arange(self.layout.n_rows, len(self.kept_names)) if self.is_mip else np.zeros(0, dtype=np.int64)
        return np.concatenate([rows, extra])

    def solved(self) -> tuple[Candidates, LinearProgram, Solution]:
        """Candidates of the pairs in the model, their LP, and the solution in that LP's column order.

        Read once per solution (until the model changes or is solved again)."""
        if self._solved is None or self._solved[0] is not self.solution:
            final, sol = self.entered()
            self._solved = (self.solution, (final, build_lp(final, self.final_layout()), sol))
        return self._solved[1]

    def snapshot(self) -> Snapshot:
        """The solution as it stands, unaffected by later changes (:class:`Snapshot`)."""
        final, lp, sol = self.solved()
        objective = float(sol.objective) if sol.status.has_solution else float("nan")
        cost = money_cost(lp, sol)
        status = sol.status
        return Snapshot(status, sol.message, sol.solver, sol.solver_version, cost, objective, lambda: (final, lp, sol))


def _union_links(
    a: tuple[np.ndarray, np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two sets of capacity links (:func:`~matcher.engine.formulation.capacity_links`) as one."""
    links = np.concatenate([a[0], b[0]])
    if not b[0].size:
        return a
    order = np.argsort(links, kind="stable")
    links, first = np.unique(links[order], return_index=True)
    return links, np.concatenate([a[1], b[1]])[order][first], np.concatenate([a[2], b[2]])[order][first]


def _row_bounds(layout: RowLayout, inputs: MatchInputs) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds of the rows of ``layout`` (an LP's: balance, blend and capacity rows)."""
    q = inputs.supplies["q"].to_numpy(dtype=float)
    r = inputs.demands["q"].to_numpy(dtype=float)
    lo, hi = [q, r], [q, r]
    for b in layout.blends:
        n = b.demands.size
        lo.append(np.full(n, -np.inf) if b.side == "max" else np.zeros(n))
        hi.append(np.zeros(n) if b.side == "max" else np.full(n, np.inf))
    lo.append(np.full(layout.links.size, -np.inf))
    hi.append(np.where(layout.link_fixed, 0.0, layout.link_capacity))
    lo.append(np.zeros(layout.n_chain))  # store balances
    hi.append(np.zeros(layout.n_chain))
    return np.concatenate(lo), np.concatenate(hi)


def unit_factors(network: Network) -> pd.Series:
    """Per stream id, the units it was submitted in per base unit (to restate a base quantity)."""
    streams = network.streams
    return streams["quantity"].astype(float) / streams["quantity_base"].astype(float)


def _with_value(frame: pd.DataFrame, position: int, values: dict[str, float]) -> pd.DataFrame:
    """``frame`` with new values in one row: the changed columns are new arrays, every other column is
    shared with ``frame`` (no copy of the frame)."""
    changed = {}
    for col, value in values.items():
        a = frame[col].to_numpy(copy=True)
        a[position] = value
        changed[col] = a
    return frame.assign(**changed)


def with_quantity(cand: Candidates, stream_id: str, quantity_base: float, units: pd.Series) -> tuple[Candidates, int]:
    """``cand`` with one stream's quantity changed (base units), and that stream's balance row.

    ``units`` (from :func:`unit_factors` of the network as first submitted) restates
    the new quantity in the unit the stream was submitted in. Only the columns that change
    are new (the stream's ``q``, and ``quantity``, ``quantity_base`` of the network's streams);
    the frames share every other column with ``cand`` (no copy of the tables).
    """
    inp = cand.inputs
    pos = int(inp.supplies.index.get_indexer(pd.Index([stream_id]))[0])
    is_supply = pos >= 0
    if is_supply:
        row = pos
    else:
        pos = int(inp.demands.index.get_indexer(pd.Index([stream_id]))[0])
        if pos < 0:
            raise UnknownId(f"no stream {stream_id!r}")
        row = len(inp.supplies) + pos
    if not 0 <= quantity_base < np.inf:
        raise InvalidOption(f"{stream_id}: a quantity must be a finite number >= 0, not {quantity_base!r}")
    frame = _with_value(inp.supplies if is_supply else inp.demands, pos, {"q": float(quantity_base)})
    net = inp.network
    per_base = float(units.loc[[stream_id]].to_numpy(dtype=float)[0])
    at = int(net.streams.index.get_indexer(pd.Index([stream_id]))[0])
    streams = _with_value(net.streams, at, {"quantity": quantity_base * per_base, "quantity_base": quantity_base})
    network = Network(
        net.members, streams, net.links, net.catalog, net.fixed_exchanges, net.excluded_pairs, net.seasons
    )
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
