"""The Python API: one call from a scenario to a :class:`~matcher.result.MatchResult`.

>>> import matcher
>>> result = matcher.run("scenarios/hillerod")          # doctest: +SKIP
>>> result.exchanges[["supply_stream", "demand_stream", "quantity", "saving"]]  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from models import Network, Scenario, load
from models.io import apply_changes
from models.scenario import Changes

from .candidates import Candidates, build_candidates
from .decompose import DecomposedModel, solve_by_components
from .formulation import LinearProgram, build_lp, write_mps
from .inputs import prepare
from .pricing import PricedModel, pricing_applies, unit_factors
from .result import MatchResult, read_result
from .solvers import Feature, Solver, get_solver, with_fixed_integers
from .solvers.highs import HighsSolver
from .warm import Basis

__all__ = ["WarmMatch", "build", "match", "run"]


def build(network: Network, scenario: Scenario) -> tuple[Candidates, LinearProgram, dict[str, float]]:
    """Candidates and the LP of a scenario, with the seconds each step took."""
    t0 = time.perf_counter()
    cand = build_candidates(prepare(network, scenario))
    t1 = time.perf_counter()
    lp = build_lp(cand)
    t2 = time.perf_counter()
    return cand, lp, {"candidates": t1 - t0, "build": t2 - t1}


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
        ``pricing`` solves with HiGHS from a sparse set of pairs, adding the pairs
        with a negative reduced cost until none is left (:mod:`matcher.pricing`),
        each connected component of the pairs apart (:mod:`matcher.decompose`);
        ``whole`` passes every candidate pair to the solver; ``auto`` prices when
        the model allows it (only balance rows), HiGHS is the solver and the
        pairs are many (more than four per stream).
    progress : callable, optional
        Called with a short description as each step starts (for a progress display).
    start : MatchResult or Basis, optional
        A match of a related scenario or network (other parameters, streams added,
        changed or removed): the simplex starts from its basis, matched by stream
        ids (:mod:`matcher.warm`). The optimum is the same; it is usually found in
        far fewer iterations. Ignored by MILPs and by backends without warm starts.
    workers : int, optional
        Threads that solve independent components at once when pricing (default: the machine's cores).

    Returns
    -------
    MatchResult
        Also when the problem is infeasible or the solver fails: check ``status``.

    Raises
    ------
    KeyError
        If the solver name is unknown.
    ValueError
        If ``method`` is unknown, or ``pricing`` is asked where it does not apply.
    """
    if method not in ("auto", "pricing", "whole"):
        raise ValueError(f"unknown method {method!r}; choose auto, pricing or whole")
    backend = get_solver(solver) if isinstance(solver, str) else solver
    basis = start.basis if isinstance(start, MatchResult) else start
    say = progress or (lambda _: None)
    say("finding candidate pairs")
    t0 = time.perf_counter()
    cand = build_candidates(prepare(network, scenario))
    timings = {"candidates": time.perf_counter() - t0}
    n_streams = len(cand.inputs.supplies) + len(cand.inputs.demands)
    priceable = isinstance(backend, HighsSolver) and pricing_applies(cand)
    if method == "pricing" and not priceable:
        raise ValueError("pricing needs HiGHS and a model with only balance rows")
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
        cand, lp, sol, stats = solve_by_components(cand, workers=workers, time_limit=time_limit, start=basis)
        timings["build"] = stats.pop("build")
        timings.update({f"pricing_{k}": v for k, v in stats.items()})
    else:
        warm = None
        if basis is not None and not lp.is_mip and Feature.WARM_START in backend.features:
            warm = basis.statuses(cand, lp)
        sol = backend.solve(lp, time_limit=time_limit, start=warm)
        if lp.is_mip and sol.status.has_solution and sol.x is not None and Feature.DUALS in backend.features:
            # marginal values of a MILP: the duals of its LP with the binaries fixed at the optimum
            sol.row_duals = backend.solve(with_fixed_integers(lp, sol.x)).row_duals
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
    network and start its model from the basis so far (:mod:`matcher.warm`).

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
        cand = build_candidates(prepare(network, self.scenario))
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
            cand, lp, sol = self.model.parts()
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
            raise KeyError(f"no stream {stream_id!r}")
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


def run(path: str | Path, solver: str | Solver = "highs", time_limit: float | None = None) -> MatchResult:
    """Load a scenario folder (or file) and match it."""
    scenario, network = load(path)
    return match(network, scenario, solver=solver, time_limit=time_limit)
