r"""Pricing over pairs that are searched, not held: regions too large for a pair table.

:func:`solve_by_search` walks every candidate pair once
(:meth:`~matcher.engine.search.PairSearch.census`: the stage counts, and each
stream's best few pairs), prices a :class:`~matcher.solve.pricing.PricedModel`
over those, then asks the search for the pairs that could enter at the model's
duals (:meth:`~matcher.engine.search.PairSearch.below`, a spatial search bounded
by them) and prices again, until the search finds none:

.. math::  \bar c_e \ge 0 \quad \text{for every candidate pair } e \text{ outside the model},

which proves the model's optimum the optimum over every candidate pair. Only the
pairs the model was offered are ever held. It applies where pricing does (an LP);
a time limit covers every round.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from ..engine.candidates import Candidates
from ..engine.formulation import LinearProgram
from ..engine.inputs import MatchInputs
from ..engine.search import BLOCK_PAIRS, PairSearch, pair_keys
from .base import Solution, Solver, Status
from .pricing import PricedModel, _not_proven

__all__ = ["solve_by_search"]


def solve_by_search(
    inputs: MatchInputs,
    keep: int = 3,
    time_limit: float | None = None,
    max_rounds: int = 100,
    backend: Solver | None = None,
    block_pairs: int = BLOCK_PAIRS,
    search: PairSearch | None = None,
) -> tuple[Candidates, LinearProgram, Solution, dict[str, float]]:
    """Solve the LP of ``inputs`` by pricing over pairs searched at the duals of each round.

    Parameters
    ----------
    inputs : MatchInputs
    keep : int
        Each stream's best pairs (by gain) the first model is offered.
    time_limit : float, optional
        Seconds for the census, every solve and every search together.
    max_rounds : int
        Searches at most; the result is then feasible, not proven optimal.
    backend : Solver, optional
        One that keeps models between solves (HiGHS by default).
    block_pairs : int
        Pairs searched and filtered at once.
    search : PairSearch, optional
        The resolved search of ``inputs`` (built here if not given).

    Returns
    -------
    cand : Candidates
        The pairs that entered the model, with the stage counts of every candidate pair.
    lp : LinearProgram
    solution : Solution
    stats : dict
        ``pairs`` (every candidate pair), ``census`` and ``search`` (seconds), ``searches``,
        ``offered`` (pairs the model was offered), ``build``, and the priced model's ``rounds``,
        ``columns``.
    """
    t0 = time.perf_counter()
    deadline = None if time_limit is None else t0 + time_limit
    finder = search or PairSearch.of(inputs, block_pairs=block_pairs)
    cand = finder.census(keep)
    nd = len(inputs.demands)
    t1 = time.perf_counter()
    model = PricedModel(cand, k=1, backend=backend)
    known = np.sort(pair_keys(cand.edges["s"].to_numpy(), cand.edges["d"].to_numpy(), nd))
    searched, searches = 0.0, 0
    while True:
        model.time_limit = None if deadline is None else max(deadline - time.perf_counter(), 0.0)
        sol = model.solve()
        if sol.status != Status.OPTIMAL or sol.row_duals is None:
            break
        if searches >= max_rounds:
            model.solution = _not_proven(sol, f"the pair search stopped after {searches} rounds")
            break
        if deadline is not None and time.perf_counter() >= deadline:
            model.solution = _not_proven(sol, "the time limit was reached while searching pairs")
            break
        t = time.perf_counter()
        found = finder.below(sol.row_duals[model.kept_row], model.layout, known)
        searched += time.perf_counter() - t
        searches += 1
        if found.empty:  # no candidate pair outside the model could improve it: proven
            break
        n = model.n_pairs
        model.add_pairs(found)
        known = np.union1d(known, pair_keys(found["s"].to_numpy(), found["d"].to_numpy(), nd))
        model.enter_negative(sol, np.arange(n, model.n_pairs))  # no solve of the unchanged model first
    final, lp, sol = model.solved()
    stats = {
        **model.stats,
        "pairs": float(cand.kept_supply["pays"].sum()),
        "census": t1 - t0,
        "search": searched,
        "searches": float(searches),
        "offered": float(model.n_pairs),
    }
    return replace(final), lp, sol, stats
