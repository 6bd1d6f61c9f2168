"""The Python API: one call from a scenario to a :class:`~matcher.results.result.MatchResult`, and warm re-solves.

>>> import matcher
>>> result = matcher.run("scenarios/hillerod")          # doctest: +SKIP
>>> result.exchanges[["supply_stream", "demand_stream", "quantity", "saving"]]  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from models import DataError, Issue, Network, Scenario, load
from models.io import apply_changes
from models.scenario import Changes

from .engine.candidates import Candidates, build_candidates, find_candidates, with_stream, without_stream
from .engine.formulation import LinearProgram, build_lp
from .engine.inputs import MatchInputs, appended, prepare
from .engine.pages import ordinary_pages
from .engine.search import PairSearch
from .errors import InvalidOption, UnknownId, Unsupported
from .results.comparison import Comparison
from .results.comparison import compare as compare_results
from .results.result import MatchResult, read_later, read_result
from .solve import Feature, Solver, get_solver
from .solve.basis import Basis
from .solve.bounded import solve_by_search
from .solve.decompose import DecomposedModel, solve_by_components
from .solve.mps import write_mps
from .solve.pricing import PricedModel, has_ports, is_lp, pricing_applies, solve_by_pricing, unit_factors

__all__ = ["WarmMatch", "build", "compare", "match", "run"]

#: How :func:`match` may solve: price pairs into the model, price pairs searched at the duals (never all held),
#: pass them all at once, or choose.
METHODS = ("auto", "pricing", "search", "whole")

#: ``method="auto"`` searches pairs at the duals (:mod:`matcher.solve.bounded`) where more pairs than this lie
#: within reach (a pair table of about 100 bytes a pair would not be small).
SEARCH_ABOVE = 20_000_000


@ordinary_pages()
def build(network: Network, scenario: Scenario) -> tuple[Candidates, LinearProgram, dict[str, float]]:
    """Candidates and the whole LP of a scenario, with the seconds each step took."""
    t0 = time.perf_counter()
    cand = find_candidates(network, scenario)
    t1 = time.perf_counter()
    lp = build_lp(cand)
    return cand, lp, {"candidates": t1 - t0, "build": time.perf_counter() - t1}


@ordinary_pages()
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
    fixed_exchanges: pd.DataFrame | None = None,
    excluded_pairs: pd.DataFrame | None = None,
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
    method : {"auto", "pricing", "search", "whole"}
        ``pricing`` solves from a sparse set of pairs, adding the pairs with a
        negative reduced cost until none is left (:mod:`matcher.solve.pricing`),
        each connected component of the pairs apart (:mod:`matcher.solve.decompose`);
        ``search`` prices the same way but never holds every pair: each round
        searches the pairs that could enter at the duals (:mod:`matcher.solve.bounded`);
        ``whole`` passes every candidate pair to the solver; ``auto`` searches where more than
        :data:`SEARCH_ABOVE` pairs lie within reach, and otherwise prices when
        the model is an LP (no integer columns: no link with a fixed cost, no minimum
        quantity; blended quality limits and link capacities are kept as rows), the backend
        keeps models between solves (:attr:`Feature.INCREMENTAL`) and the pairs are many
        (more than four per stream).
    progress : callable, optional
        Called with a short description as each step starts (for a progress display).
    start : MatchResult or Basis, optional
        A match of a related scenario or network (other parameters, streams added,
        changed or removed): the simplex starts from its basis, matched by stream
        ids (:mod:`matcher.solve.basis`). The optimum is the same; it is usually found in
        far fewer iterations. Ignored by MILPs and by backends without warm starts.
    workers : int, optional
        Threads that solve independent components at once when pricing (default: the machine's cores).
    fixed_exchanges, excluded_pairs : DataFrame, optional
        Exchanges running in reality (``supply_stream, demand_stream, quantity, unit``) and pairs
        never to propose (``supply_stream, demand_stream``), instead of the network's own
        (:mod:`models.commitments`; a scenario names them as files). Each fixed exchange is kept
        at its quantity (``"implemented": true`` in ``exchanges``) and the rest is optimised
        around it; an excluded pair is never a candidate.

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
        If ``pricing`` or ``search`` is asked where it does not apply (a MILP, or a backend that cannot
        keep a model), or ``search`` with ``write_mps_to`` (the whole model is never built).
    DataError
        If ``fixed_exchanges`` or ``excluded_pairs`` name unknown streams, wrong directions or units,
        or take more than a stream has.
    """
    if method not in METHODS:
        raise InvalidOption(f"unknown method {method!r}; choose {', '.join(METHODS)}")
    if fixed_exchanges is not None or excluded_pairs is not None:
        network = network.with_commitments(
            network.fixed_exchanges if fixed_exchanges is None else fixed_exchanges,
            network.excluded_pairs if excluded_pairs is None else excluded_pairs,
        )
    backend = get_solver(solver) if isinstance(solver, str) else solver
    basis = start.basis if isinstance(start, MatchResult) else start
    say = progress or (lambda _: None)
    t0 = time.perf_counter()
    inputs = prepare(network, scenario)
    searched = _search_match(inputs, method, backend, write_mps_to, time_limit, say, t0)
    if searched is not None:
        return searched
    say("finding candidate pairs")
    cand = build_candidates(inputs)
    timings = {"candidates": time.perf_counter() - t0}
    n_streams = len(cand.inputs.supplies) + len(cand.inputs.demands)
    priceable = Feature.INCREMENTAL in backend.features and pricing_applies(cand)
    if method == "pricing" and not priceable:
        raise Unsupported(
            "pricing needs a backend that keeps models (highs) and an LP without integer columns"
            " (no link with a fixed cost, no minimum quantity)"
        )
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
    if use_pricing and has_ports(cand.inputs):
        # stores and processes join their ports across periods through rows and columns that are not pairs:
        # one priced model keeps them all (their rows are side rows of its restricted model)
        cand, lp, sol, stats = solve_by_pricing(cand, time_limit=time_limit, start=basis, backend=backend)
        timings["build"] = stats.pop("build")
        timings.update({f"pricing_{k}": v for k, v in stats.items()})
    elif use_pricing:
        cand, lp, sol, stats = solve_by_components(  # the parts keep their pairs: the whole table goes
            cand, workers=workers, time_limit=time_limit, start=basis, backend=backend, release=True
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


def _search_match(
    inputs: MatchInputs,
    method: str,
    backend: Solver,
    write_mps_to: str | Path | None,
    time_limit: float | None,
    say: Callable[[str], None],
    t0: float,
) -> MatchResult | None:
    """The match by a pair search at the duals, where ``method`` asks for it or ``auto`` chooses it; else None."""
    if method not in ("auto", "search"):
        return None
    if inputs.chains is not None:  # the search's census knows no periods, ports or per-period link rows
        if method == "search":
            raise Unsupported(
                "search does not apply to a network with periods, storage or processes; use pricing or whole"
            )
        return None
    able = Feature.INCREMENTAL in backend.features and is_lp(inputs)
    if method == "search":
        if not able or write_mps_to is not None:
            raise Unsupported(
                "search needs a backend that keeps models (highs), an LP without integer columns (no link with a"
                " fixed cost, no minimum quantity), and no --write-mps (the whole model is never built)"
            )
    elif not able or write_mps_to is not None:
        return None
    elif len(inputs.supplies) * len(inputs.demands) <= SEARCH_ABOVE:  # not even every pair is that many
        return None
    finder = PairSearch.of(inputs)
    if method == "auto" and finder.estimate(enough=SEARCH_ABOVE) <= SEARCH_ABOVE:
        return None
    say("searching candidate pairs at the duals (a census of every pair, then pricing)")
    cand, lp, sol, stats = solve_by_search(inputs, time_limit=time_limit, backend=backend, search=finder)
    timings = {"candidates": stats.pop("census"), "build": stats.pop("build")}
    timings["solve"] = time.perf_counter() - t0 - timings["candidates"]
    timings.update({f"pricing_{k}": v for k, v in stats.items()})
    say("reading the results")
    t = time.perf_counter()
    result = read_result(cand, lp, sol, timings)
    result.timings["results"] = time.perf_counter() - t
    return result


class WarmMatch:
    """A match kept in memory, re-solved from its previous basis as the network changes.

    ``change_stream`` changes one stream's quantity in the model in place (the
    fastest path: only a row bound changes, the tables share every column but the
    stream's quantity, and where the model is priced by components, only that
    stream's part is re-solved). ``add_stream`` and ``remove_stream`` search the
    candidate pairs of that one stream and add or remove its row and columns in the
    kept model of its part (an LP priced by components; a MILP, or a new stream whose
    pairs join two parts, is built again from the basis so far). ``apply`` (any
    variant's changes) finds the candidate pairs of the new network and starts its
    model from the basis so far (:mod:`matcher.solve.basis`).

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

    @ordinary_pages()
    def _solve(self, network: Network, start: Basis | None) -> dict[str, float]:
        t0 = time.perf_counter()
        cand = find_candidates(network, self.scenario)
        t1 = time.perf_counter()
        # a stream keeps the unit factor it was first submitted with (its quantity may be 0 by now)
        self.units = self.units.combine_first(unit_factors(network)).reindex(network.streams.index)
        self.model: DecomposedModel | PricedModel
        if pricing_applies(cand) and not has_ports(cand.inputs):
            self.model = DecomposedModel(cand, time_limit=self.time_limit, start=start, units=self.units)
        else:  # a MILP (every pair at once), or stores and processes (one priced model holds their rows)
            k = 1 if pricing_applies(cand) else None
            self.model = PricedModel(cand, k=k, time_limit=self.time_limit, start=start, units=self.units)
        self.model.solve()
        self._result: MatchResult | None = None
        return {"candidates": t1 - t0, "solve": time.perf_counter() - t1}

    def result(self) -> MatchResult:
        """The current solution as a result: its status and objective at once, its tables (exchanges, members,
        streams, KPIs, factors, basis) read from the solution the first time one is used
        (:func:`~matcher.results.result.read_later`), and never affected by later changes."""
        if self._result is None:
            self._result = read_later(self.model.snapshot(), self.model.cand.inputs)
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
        if self.network.seasons.active:  # a stream has a row per period: the model is built again from the basis
            return self._rebuilt_quantity(stream_id, float(quantity))
        self.model.set_quantity(stream_id, float(quantity) / float(self.units.loc[[stream_id]].to_numpy()[0]))
        t = time.perf_counter()
        self.model.solve()
        self._result = None
        result = self.result()
        result.timings["solve"] = time.perf_counter() - t
        return result

    def _rebuilt_quantity(self, stream_id: str, quantity: float) -> MatchResult:
        """A stream's quantity changed in a network with periods: its rows are built again, from the basis so far."""
        if not 0 <= quantity < float("inf"):
            raise InvalidOption(f"{stream_id}: a quantity must be a finite number >= 0, not {quantity!r}")
        row = self.network.to_frames()["streams"].set_index("stream_id", drop=False).loc[stream_id].dropna().to_dict()
        if quantity == 0:
            self._out[stream_id] = row
            return self.apply(Changes(remove_streams=[stream_id]))
        return self.apply(Changes(remove_streams=[stream_id], add_streams=[{**row, "quantity": quantity}]))

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
        """Add one stream (a row with the columns of the streams table) and re-solve warm.

        The row is checked alone, its candidate pairs are searched against its partners only
        (:func:`~matcher.engine.candidates.with_stream`), and it enters the kept model of the part
        its pairs reach in place (its balance row, its disposal or virgin column, its pairs as
        candidates for pricing; :meth:`~matcher.solve.decompose.DecomposedModel.add_stream`).
        Where its pairs join several parts, or the model is a MILP, the network's model is built
        again from the basis so far (:meth:`apply`).

        Raises
        ------
        DataError
            If the row is invalid or its id is taken; the match is left as it was.
        """
        if not isinstance(self.model, DecomposedModel) or self.network.seasons.active:
            return self.apply(Changes(add_streams=[row]))
        t0 = time.perf_counter()
        net = self.network
        sid = str(row.get("stream_id", ""))
        if sid in net.streams.index or sid in self._out:
            raise DataError([Issue("<added stream>", None, "stream_id", f"{sid!r} is already a stream of the network")])
        members = net.members[net.members.index == row.get("member_id")].reset_index()
        one = Network.from_frames(members, pd.DataFrame([row], dtype=object), None, net.catalog)
        network = Network(
            net.members,
            pd.concat([net.streams, one.streams]),
            net.links,
            net.catalog,
            net.fixed_exchanges,
            net.excluded_pairs,
            net.seasons,
        )
        inputs, supply = appended(self.model.cand.inputs, prepare(one, self.scenario), network)
        cand, pairs = with_stream(self.model.cand, inputs, supply)
        t1 = time.perf_counter()
        units = pd.concat([self.units, unit_factors(one)])
        self.model.units = units
        if not self.model.add_stream(cand, pairs, supply):  # its pairs join parts: the model is built again
            self.model.units = self.units
            return self.apply(Changes(add_streams=[row]))
        self.units = units
        return self._resolved({"candidates": t1 - t0}, t1)

    def remove_stream(self, stream_id: str) -> MatchResult:
        """Take one stream out of the network and re-solve warm.

        Its row in the kept model is held at zero and its pairs leave, in place
        (:meth:`~matcher.solve.decompose.DecomposedModel.remove_stream`); its partners' counts
        and quality failures are updated from a search of its pairs only.

        Raises
        ------
        DataError
            If there is no such stream; the match is left as it was.
        """
        if not isinstance(self.model, DecomposedModel) or self.network.seasons.active:
            return self.apply(Changes(remove_streams=[stream_id]))
        t0 = time.perf_counter()
        net = self.network
        if stream_id not in net.streams.index:
            raise DataError(
                [Issue("scenario.yaml", None, "changes.remove_streams[0]", f"{stream_id!r} is not in the network")]
            )
        inp = self.model.cand.inputs
        supply = stream_id in inp.supplies.index
        frame = inp.supplies if supply else inp.demands
        position = int(frame.index.get_indexer(pd.Index([stream_id]))[0])
        cand = without_stream(self.model.cand, position, supply)
        network = Network(
            net.members,
            net.streams.drop(index=stream_id),
            net.links,
            net.catalog,
            *(
                t[(t["supply_stream"] != stream_id) & (t["demand_stream"] != stream_id)]
                for t in (net.fixed_exchanges, net.excluded_pairs)
            ),
            net.seasons,
        )
        cand = replace(cand, inputs=replace(cand.inputs, network=network))
        t1 = time.perf_counter()
        self.model.remove_stream(cand, position, supply)
        self.units = self.units.drop(index=stream_id)
        self.model.units = self.units
        return self._resolved({"candidates": t1 - t0}, t1)

    def _resolved(self, timings: dict[str, float], began: float) -> MatchResult:
        self.model.solve()
        timings["solve"] = time.perf_counter() - began
        self._result = None
        result = self.result()
        result.timings.update(timings)
        return result


def run(
    path: str | Path,
    solver: str | Solver = "highs",
    time_limit: float | None = None,
    progress: Callable[[str], None] | None = None,
    write_mps_to: str | Path | None = None,
    method: str = "auto",
) -> MatchResult:
    """Load a scenario folder (or file, workbook, JSON, CSV files) and match it (:func:`match`).

    Raises
    ------
    DataError
        Listing every problem in the input; nothing is matched.
    """
    say = progress or (lambda _: None)
    say("reading the tables")
    scenario, network = load(path)
    return match(
        network,
        scenario,
        solver=solver,
        time_limit=time_limit,
        progress=progress,
        write_mps_to=write_mps_to,
        method=method,
    )


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
