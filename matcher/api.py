"""The Python API: one call from a scenario to a :class:`~matcher.results.result.MatchResult`, and warm re-solves.

>>> import matcher
>>> result = matcher.run("scenarios/hillerod")          # doctest: +SKIP
>>> result.exchanges[["supply_stream", "demand_stream", "quantity", "saving"]]  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from models import Network, Scenario, load
from models.io import apply_changes
from models.scenario import Changes

from .engine.candidates import Candidates, find_candidates
from .engine.formulation import LinearProgram, build_lp
from .errors import InvalidOption, UnknownId, Unsupported
from .results.comparison import Comparison
from .results.comparison import compare as compare_results
from .results.result import MatchResult, read_result
from .solve import Feature, Solver, get_solver
from .solve.basis import Basis
from .solve.decompose import DecomposedModel, solve_by_components
from .solve.mps import write_mps
from .solve.pricing import PricedModel, pricing_applies, unit_factors

__all__ = ["WarmMatch", "build", "compare", "match", "run"]

#: How :func:`match` may solve: price pairs into the model, pass them all at once, or choose.
METHODS = ("auto", "pricing", "whole")


def build(network: Network, scenario: Scenario) -> tuple[Candidates, LinearProgram, dict[str, float]]:
    """Candidates and the whole LP of a scenario, with the seconds each step took."""
    t0 = time.perf_counter()
    cand = find_candidates(network, scenario)
    t1 = time.perf_counter()
    lp = build_lp(cand)
    return cand, lp, {"candidates": t1 - t0, "build": time.perf_counter() - t1}


def match(
    network: Network,
    scenario: Scenario,
    solver: str | Solver = "highs",
    time_limit: float | None = None,
    write_mps_to: str | Path | None = None,
    method: str = "auto",
    progress: Callable[[str], None] | None = None,
    start: MatchResult | Basis | None = None,
    workers: int | None = None,
) -> MatchResult:
    """Find the exchanges that minimise total cost.

    Parameters
    ----------
    network : Network
    scenario : Scenario
    solver : str or Solver
        ``"highs"`` (default), ``"cbc"``, ``"pulp:<PuLP solver name>"`` or an instance.
    time_limit : float, optional
        Seconds; the result's status says whether the optimum was proven.
    write_mps_to : path, optional
        Also write the whole model as MPS.
    method : {"auto", "pricing", "whole"}
        ``pricing`` solves from a sparse set of pairs, adding the pairs with a
        negative reduced cost until none is left (:mod:`matcher.solve.pricing`),
        each connected component of the pairs apart (:mod:`matcher.solve.decompose`);
        ``whole`` passes every candidate pair to the solver; ``auto`` prices when
        the model allows it (only balance rows), the backend keeps models between
        solves (:attr:`Feature.INCREMENTAL`) and the pairs are many (more than four per stream).
    progress : callable, optional
        Called with a short description as each step starts (for a progress display).
    start : MatchResult or Basis, optional
        A match of a related scenario or network (other parameters, streams added,
        changed or removed): the simplex starts from its basis, matched by stream
        ids (:mod:`matcher.solve.basis`). The optimum is the same; it is usually found in
        far fewer iterations. Ignored by MILPs and by backends without warm starts.
    workers : int, optional
        Threads that solve independent components at once when pricing (default: the machine's cores).

    Returns
    -------
    MatchResult
        Also when the problem is infeasible or the solver fails: check ``status``.

    Raises
    ------
    UnknownSolver
        If the solver name is unknown.
    InvalidOption
        If ``method`` is unknown.
    Unsupported
        If ``pricing`` is asked where it does not apply.
    """
    if method not in METHODS:
        raise InvalidOption(f"unknown method {method!r}; choose {', '.join(METHODS)}")
    backend = get_solver(solver) if isinstance(solver, str) else solver
    basis = start.basis if isinstance(start, MatchResult) else start
    say = progress or (lambda _: None)
    say("finding candidate pairs")
    t0 = time.perf_counter()
    cand = find_candidates(network, scenario)
    timings = {"candidates": time.perf_counter() - t0}
    n_streams = len(cand.inputs.supplies) + len(cand.inputs.demands)
    priceable = Feature.INCREMENTAL in backend.features and pricing_applies(cand)
    if method == "pricing" and not priceable:
        raise Unsupported("pricing needs a backend that keeps models (highs) and a model with only balance rows")
    use_pricing = priceable and (method == "pricing" or (method == "auto" and len(cand.edges) > 4 * n_streams))
    if write_mps_to is not None or not use_pricing:
        say(f"building the model ({len(cand.edges):,} pairs)")
        t = time.perf_counter()
        lp = build_lp(cand)
        timings["build"] = time.perf_counter() - t
        if write_mps_to is not None:
            write_mps(lp, write_mps_to)
    t = time.perf_counter()
    say(f"solving ({len(cand.edges):,} candidate pairs" + (", by pricing)" if use_pricing else ")"))
    if use_pricing:
        cand, lp, sol, stats = solve_by_components(
            cand, workers=workers, time_limit=time_limit, start=basis, backend=backend
        )
        timings["build"] = stats.pop("build")
        timings.update({f"pricing_{k}": v for k, v in stats.items()})
    else:
        warm = None
        if basis is not None and not lp.is_mip and Feature.WARM_START in backend.features:
            warm = basis.statuses(cand, lp)
        sol = backend.solve_milp_duals(lp, backend.solve(lp, time_limit=time_limit, start=warm))
    timings["solve"] = time.perf_counter() - t
    say("reading the results")
    t = time.perf_counter()
    result = read_result(cand, lp, sol, timings)
    result.timings["results"] = time.perf_counter() - t
    return result


class WarmMatch:
    """A match kept in memory, re-solved from its previous basis as the network changes.

    ``change_stream`` changes one stream's quantity in the model in place (the
    fastest path: only a row bound changes, and where the model is priced by
    components, only that stream's part is re-solved); ``add_stream``, ``remove_stream``
    and ``apply`` (any variant's changes) find the candidate pairs of the new
    network and start its model from the basis so far (:mod:`matcher.solve.basis`).

    >>> import models, scenarios
    >>> scenario, network = models.load(scenarios.path("hillerod"))
    >>> warm = WarmMatch(network, scenario)
    >>> before = warm.result().savings
    >>> warm.change_stream("S11", 0.0).savings < before     # the sawmill's wood waste is gone
    True
    """

    def __init__(self, network: Network, scenario: Scenario, time_limit: float | None = None) -> None:
        self.scenario = scenario
        self.time_limit = time_limit
        self.units = unit_factors(network)
        self._out: dict[str, dict[str, Any]] = {}  # streams taken to zero and out of the network by `apply`
        self._solve(network, None)

    def _solve(self, network: Network, start: Basis | None) -> dict[str, float]:
        t0 = time.perf_counter()
        cand = find_candidates(network, self.scenario)
        t1 = time.perf_counter()
        # a stream keeps the unit factor it was first submitted with (its quantity may be 0 by now)
        self.units = self.units.combine_first(unit_factors(network)).reindex(network.streams.index)
        self.model: DecomposedModel | PricedModel = (
            DecomposedModel(cand, time_limit=self.time_limit, start=start, units=self.units)
            if pricing_applies(cand)
            else PricedModel(cand, k=None, time_limit=self.time_limit, start=start, units=self.units)
        )
        self.model.solve()
        self._result: MatchResult | None = None
        return {"candidates": t1 - t0, "solve": time.perf_counter() - t1}

    def result(self) -> MatchResult:
        """The current solution as a result."""
        if self._result is None:
            t = time.perf_counter()
            cand, lp, sol = self.model.solved()
            self._result = read_result(cand, lp, sol, {"results": time.perf_counter() - t})
        return self._result

    @property
    def network(self) -> Network:
        """The network as it stands after the changes so far."""
        return self.model.cand.inputs.network

    def change_stream(self, stream_id: str, quantity: float) -> MatchResult:
        """Set a stream's quantity (in the unit it was submitted in; 0 takes it out) and re-solve warm."""
        if stream_id not in self.units.index and stream_id in self._out:  # taken out at zero: back in
            if not quantity > 0:
                return self.result()
            return self.apply(Changes(add_streams=[{**self._out.pop(stream_id), "quantity": float(quantity)}]))
        if stream_id not in self.units.index:
            raise UnknownId(f"no stream {stream_id!r}")
        self.model.set_quantity(stream_id, float(quantity) / float(self.units.loc[[stream_id]].to_numpy()[0]))
        t = time.perf_counter()
        self.model.solve()
        self._result = None
        result = self.result()
        result.timings["solve"] = time.perf_counter() - t
        return result

    def apply(self, changes: Changes) -> MatchResult:
        """Apply a variant's changes (members or streams added, removed or scaled; links added) and re-solve warm.

        Raises
        ------
        DataError
            If a change refers to nothing or an added row is invalid; the match is left as it was.
        """
        # a network is valid only with positive quantities: streams changed to 0 leave it, kept aside for
        # `change_stream` to bring back
        streams = self.network.to_frames()["streams"].set_index("stream_id", drop=False)
        zero = streams.index[streams["quantity"].astype(float).eq(0)]
        changes = changes.model_copy(update={"remove_streams": [*changes.remove_streams, *zero]})
        network = apply_changes(self.network, changes)
        self._out.update({sid: streams.loc[sid].dropna().to_dict() for sid in zero})
        start = self.result().basis
        timings = self._solve(network, start)
        result = self.result()
        result.timings.update(timings)
        return result

    def add_stream(self, row: dict[str, Any]) -> MatchResult:
        """Add one stream (a row with the columns of the streams table) and re-solve warm."""
        return self.apply(Changes(add_streams=[row]))

    def remove_stream(self, stream_id: str) -> MatchResult:
        """Take one stream out of the network and re-solve warm."""
        return self.apply(Changes(remove_streams=[stream_id]))


def run(
    path: str | Path,
    solver: str | Solver = "highs",
    time_limit: float | None = None,
    progress: Callable[[str], None] | None = None,
    write_mps_to: str | Path | None = None,
) -> MatchResult:
    """Load a scenario folder (or file, workbook, JSON, CSV files) and match it.

    Raises
    ------
    DataError
        Listing every problem in the input; nothing is matched.
    """
    say = progress or (lambda _: None)
    say("reading the tables")
    scenario, network = load(path)
    return match(network, scenario, solver=solver, time_limit=time_limit, progress=progress, write_mps_to=write_mps_to)


def compare(
    items: Sequence[MatchResult | str | Path],
    names: Sequence[str] | None = None,
    solver: str | Solver = "highs",
    time_limit: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> Comparison:
    """Compare match results (or scenario folders, matched first) with the first.

    ``progress`` is told each step of each match (for a progress display).

    Raises
    ------
    InvalidOption
        With fewer than two items, or results in different currencies.
    NoSolution
        If a scenario has no solution.
    """
    results = [
        i if isinstance(i, MatchResult) else run(i, solver=solver, time_limit=time_limit, progress=progress)
        for i in items
    ]
    return compare_results(results, names)
