"""Adversarial checks of the network simplex (:mod:`matcher.solve.netsimplex`) and of the tree start of pricing.

The kernel's final tree is certified exactly (rational arithmetic): the basic flows it implies are
within their bounds and the potentials it implies leave no arc pricing out, independently of any
other solver (HiGHS itself loses digits on the scale-mixed instances below).
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pytest
from test_netsimplex import dense_instance, pure_network

import matcher
from matcher.api import WarmMatch
from matcher.engine.candidates import build_candidates
from matcher.engine.formulation import build_lp
from matcher.engine.inputs import prepare
from matcher.solve import netsimplex
from matcher.solve.base import Status
from matcher.solve.highs import HighsSolver
from matcher.solve.netsimplex import LOWER, TREE, solve_transport
from matcher.solve.pricing import PricedModel
from models.examples import scenario_for

pytestmark = pytest.mark.skipif(not netsimplex.available(), reason="numba is not installed")


def certificate(p: dict[str, np.ndarray], tree: netsimplex.TransportTree) -> list[str]:
    """Problems of ``tree`` as an optimal basis of ``p``, in exact arithmetic (an empty list: none)."""
    q, r = p["supply"], p["demand"]
    ns, nd = q.size, r.size
    root = ns + nd
    arcs = [(i, root, p["disposal"][i], np.inf, tree.disposal_state[i]) for i in range(ns)]
    arcs += [(root, ns + j, p["virgin"][j], np.inf, tree.virgin_state[j]) for j in range(nd)]
    arcs += [
        (int(a), ns + int(b), c, u, st)
        for a, b, c, u, st in zip(p["s"], p["d"], p["c"], p["upper"], tree.pair_state, strict=True)
    ]
    bal = [Fraction(x) for x in q] + [-Fraction(x) for x in r]
    bal.append(-sum(bal, Fraction(0)))
    flow: list[Fraction | None] = [None] * len(arcs)
    in_tree = [k for k, a in enumerate(arcs) if a[4] == TREE]
    if len(in_tree) != root:
        return [f"{len(in_tree)} tree arcs for {root + 1} nodes"]
    for k, (a, b, _, u, st) in enumerate(arcs):
        if st != TREE:
            flow[k] = Fraction(0) if st == LOWER else Fraction(u)
            bal[a] -= flow[k]
            bal[b] += flow[k]
    adj: list[list[int]] = [[] for _ in range(root + 1)]
    for k in in_tree:
        adj[arcs[k][0]].append(k)
        adj[arcs[k][1]].append(k)
    left = [len(x) for x in adj]
    leaves = [v for v in range(root) if left[v] == 1]
    solved = 0
    while leaves:  # peel leaves: each fixes the flow of its one open tree arc
        v = leaves.pop()
        open_ = [k for k in adj[v] if flow[k] is None]
        if len(open_) != 1:
            continue
        k = open_[0]
        a, b = arcs[k][:2]
        flow[k] = bal[v] if a == v else -bal[v]
        bal[a] -= flow[k]
        bal[b] += flow[k]
        other = b if a == v else a
        left[other] -= 1
        solved += 1
        if left[other] == 1 and other != root:
            leaves.append(other)
    if solved != root:
        return ["the tree arcs do not span the nodes"]
    big = Fraction(max(float(q.max(initial=0.0)), float(r.max(initial=0.0)), 1.0))
    problems = [
        f"tree arc {k} carries {float(flow[k])} outside [0, {arcs[k][3]}]"
        for k in in_tree
        if flow[k] < -1e-12 * big or (np.isfinite(arcs[k][3]) and flow[k] > Fraction(arcs[k][3]) + 1e-12 * big)
    ]
    pi: list[Fraction | None] = [None] * (root + 1)
    pi[root] = Fraction(0)
    stack = [root]
    while stack:
        v = stack.pop()
        for k in adj[v]:
            a, b, c = arcs[k][:3]
            if pi[a] is None:
                pi[a] = Fraction(c) + pi[b]
                stack.append(a)
            if pi[b] is None:
                pi[b] = pi[a] - Fraction(c)
                stack.append(b)
    for k, (a, b, c, u, st) in enumerate(arcs):
        if st == TREE or (k >= root and (r[b - ns] <= 0 or u <= 0)):  # pairs that can carry nothing
            continue
        rc = Fraction(c) - pi[a] + pi[b]
        tol = Fraction(1e-9) * (1 + abs(Fraction(c)) + abs(pi[a]) + abs(pi[b]))
        if (st == LOWER and rc < -tol) or (st != LOWER and rc > tol):
            problems.append(f"arc {k} (state {st}) has reduced cost {float(rc)}")
    return problems


def scale_mixed(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """A small transport problem with quantities, capacities and costs from 1e-9 to 1e12, negative costs,
    zero quantities and capacities, duplicate pairs."""
    ns, nd = int(rng.integers(1, 8)), int(rng.integers(1, 8))
    m = int(rng.integers(0, 3 * ns * nd + 1))

    def pick(n: int, values: list[float]) -> np.ndarray:
        return rng.choice(np.array(values, dtype=float), n)

    return {
        "s": rng.integers(0, ns, m),
        "d": rng.integers(0, nd, m),
        "c": pick(m, [-1e9, -1, 0, 1e-9, 1, 1e9]),
        "upper": pick(m, [np.inf, 0, 1e-9, 1, 1e12]),
        "supply": pick(ns, [0, 1e-9, 1, 1e12]),
        "demand": pick(nd, [0, 1e-9, 1, 1e12]),
        "disposal": pick(ns, [-1e9, 0, 1, 1e9]),
        "virgin": pick(nd, [-1e9, 0, 1, 1e9]),
    }


def test_scale_mixed_instances_end_at_an_exactly_certified_optimal_basis() -> None:
    """On 1e-9..1e12 data with duplicate pairs and shuffled `first`, the tree is an optimal basis (exact check)."""
    rng = np.random.default_rng(11)
    for _ in range(400):
        p = scale_mixed(rng)
        first = None
        if p["s"].size and rng.random() < 0.5:
            first = rng.permutation(np.unique(rng.integers(0, p["s"].size, p["s"].size)))
        tree = solve_transport(**p, first=first, max_pivots=10_000)
        assert tree.optimal
        assert certificate(p, tree) == []


def test_heavily_degenerate_instances_terminate_optimal() -> None:
    """All-equal costs, equal and zero quantities, capacities 0 / 1/2 on a complete 60 x 60 graph: no cycling."""
    n = 60
    s, d = np.divmod(np.arange(n * n), n)
    base = {
        "s": s, "d": d, "c": np.ones(n * n), "upper": np.full(n * n, np.inf),
        "supply": np.where(np.arange(n) % 2 == 0, 0.0, 1.0), "demand": np.where(np.arange(n) % 3 == 0, 0.0, 1.0),
        "disposal": np.full(n, 1.0), "virgin": np.full(n, 1.0),
    }  # fmt: skip
    for p in (
        base,
        {**base, "c": np.zeros(n * n), "disposal": np.zeros(n), "virgin": np.zeros(n)},
        {**base, "disposal": np.full(n, 10.0), "virgin": np.full(n, 10.0), "upper": np.where(s == d, 0.0, 0.5)},
    ):
        tree = solve_transport(**p, max_pivots=50 * n * n)
        assert tree.optimal and tree.pivots < 50 * n * n
        assert certificate(p, tree) == []


def test_compiled_and_python_kernels_pivot_identically() -> None:
    """numba's kernel and the same code in Python (bounds-checked) make the same pivots and reach the same tree."""
    rng = np.random.default_rng(5)
    for _ in range(200):
        p = scale_mixed(rng)
        first = rng.permutation(np.unique(rng.integers(0, p["s"].size, p["s"].size))) if p["s"].size else None
        a = solve_transport(**p, first=first, compiled=True)
        b = solve_transport(**p, first=first, compiled=False)
        assert a.pivots == b.pivots and a.optimal == b.optimal and a.objective == b.objective
        assert np.array_equal(a.pair_state, b.pair_state)
        assert np.array_equal(a.disposal_state, b.disposal_state)
        assert np.array_equal(a.virgin_state, b.virgin_state)


def test_no_streams_one_node_and_no_pairs() -> None:
    """The one-node tree (no supply, no demand) and parts without pairs solve at once."""
    none = np.zeros(0)
    empty = solve_transport(none.astype(int), none.astype(int), none, none, none, none, none, none)
    assert empty.optimal and empty.objective == 0.0 and empty.pivots == 0
    alone = solve_transport(
        none.astype(int), none.astype(int), none, none, np.array([2.0, 0.0]), np.array([3.0]),
        np.array([1.0, 5.0]), np.array([4.0]), first=np.zeros(0, dtype=np.int32),
    )  # fmt: skip
    assert alone.optimal and alone.objective == pytest.approx(14.0)


def test_duplicate_first_entries_solve_as_without_them() -> None:
    """`first` naming a pair twice must not make two copies of its arc (it overruns the flow/state arrays;
    compiled, it writes out of bounds and the process aborts with a heap corruption)."""
    p = {
        "s": np.array([0]), "d": np.array([0]), "c": np.array([-100.0]), "upper": np.array([1.0]),
        "supply": np.array([10.0]), "demand": np.array([10.0]), "disposal": np.zeros(1), "virgin": np.zeros(1),
    }  # fmt: skip
    once = solve_transport(**p, first=np.array([0]), compiled=False)
    twice = solve_transport(**p, first=np.array([0, 0]), compiled=False)  # IndexError in the kernel today
    assert twice.optimal and twice.objective == pytest.approx(once.objective) == pytest.approx(-100.0)


def test_a_pair_of_a_supply_out_of_range_is_refused() -> None:
    """A pair's supply position >= the supplies is an error, not silently the outside node (the compiled kernel
    has no bounds checks: larger positions write out of bounds)."""
    p = {
        "s": np.array([1]), "d": np.array([0]), "c": np.array([-100.0]), "upper": np.array([np.inf]),
        "supply": np.array([10.0]), "demand": np.array([10.0]), "disposal": np.zeros(1), "virgin": np.zeros(1),
    }  # fmt: skip
    with pytest.raises((ValueError, IndexError)):
        solve_transport(**p, compiled=False)


def test_no_run_of_pivots_starts_after_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deadline already passed stops after the first run of pivots: the second stage must not start a new run."""
    monkeypatch.setattr(netsimplex, "CHUNK", 50)
    p = dense_instance()
    first = np.array([0])  # one pair: the first stage is optimal after at most one pivot
    assert solve_transport(**p, first=first).pivots > 60
    late = solve_transport(**p, first=first, deadline=time.perf_counter() - 1.0)
    assert not late.optimal
    assert late.pivots <= 1  # today 1 + CHUNK: the first stage's pivot, then a whole run of the second stage


def _whole(net, scenario) -> float:  # type: ignore[no-untyped-def]
    return HighsSolver().solve(build_lp(build_candidates(prepare(net, scenario)))).objective


@pytest.mark.parametrize("objective", ["co2e", {"cost": 1.0, "co2e": 50.0}, {"co2e": 1.0, "waste": 0.3}])
def test_tree_start_under_other_objective_weights(objective: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts started from the tree reach the whole LP's optimum for CO2e and mixed objectives too."""
    monkeypatch.setattr(PricedModel, "tree_min_pairs", 0)
    monkeypatch.setattr(PricedModel, "tree_min_total", 0)
    _, net = pure_network(3, n_members=150)
    scenario = scenario_for("pure", max_distance_km=30.0, objective=objective)
    started = matcher.match(net, scenario)
    assert started.timings.get("pricing_tree_parts", 0) >= 1
    assert started.solver_objective == pytest.approx(_whole(net, scenario), rel=1e-9, abs=1e-6)


def test_warm_changes_after_a_tree_start_equal_cold_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    """After a tree start, warm quantity changes (to 0, x100, tiny, back), an added and a removed stream
    reach the objective of a cold match of the changed network."""
    monkeypatch.setattr(PricedModel, "tree_min_pairs", 0)
    monkeypatch.setattr(PricedModel, "tree_min_total", 0)
    scenario, net = pure_network(5, n_members=150)
    warm = WarmMatch(net, scenario)
    assert warm.model.stats.get("tree_parts") == 2
    streams = net.streams
    sup = streams.index[streams["direction"] == "supply"].tolist()
    dem = streams.index[streams["direction"] == "demand"].tolist()
    new = {
        "stream_id": "NEW1", "member_id": "M3", "direction": "demand", "resource": "glass_cullet",
        "quantity": 500.0, "unit": "t", "virgin_cost": 200.0,
    }  # fmt: skip
    steps = [
        lambda: warm.change_stream(sup[0], 0.0),
        lambda: warm.change_stream(dem[0], 0.0),
        lambda: warm.change_stream(sup[1], 1e5),
        lambda: warm.change_stream(dem[1], 1e-9),
        lambda: warm.change_stream(sup[0], 50.0),
        lambda: warm.add_stream(new),
        lambda: warm.remove_stream(sup[2]),
    ]
    for step in steps:
        result = step()
        cold = matcher.match(warm.network, scenario)
        assert result.solver_objective == pytest.approx(cold.solver_objective, rel=1e-9)


def test_a_tree_cut_short_still_leads_to_the_optimum(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tree stopped after a few pivots (feasible, not optimal) is only a worse start: HiGHS and pricing go on
    to the whole LP's optimum."""
    monkeypatch.setattr(PricedModel, "tree_min_pairs", 0)
    monkeypatch.setattr(PricedModel, "tree_min_total", 0)
    short = netsimplex.solve_transport
    trees: list[netsimplex.TransportTree] = []

    def cut(*args, **kwargs):  # type: ignore[no-untyped-def]
        trees.append(short(*args, **{**kwargs, "max_pivots": 3}))
        return trees[-1]

    monkeypatch.setattr(netsimplex, "solve_transport", cut)
    scenario, net = pure_network(1, n_members=150)
    result = matcher.match(net, scenario)
    assert trees and not any(t.optimal for t in trees)
    assert result.status == Status.OPTIMAL
    assert result.solver_objective == pytest.approx(_whole(net, scenario), rel=1e-9)


def test_under_a_time_limit_a_tree_start_never_claims_more_than_it_has(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the tree stopped by the time limit (short runs of pivots), a result is optimal at the optimum, or
    feasible and not below it, or says it has no solution (how far a tiny limit gets depends on the machine)."""
    monkeypatch.setattr(PricedModel, "tree_min_pairs", 0)
    monkeypatch.setattr(PricedModel, "tree_min_total", 0)
    monkeypatch.setattr(netsimplex, "CHUNK", 50)
    scenario, net = pure_network(1, n_members=150)
    best = _whole(net, scenario)
    for limit in (1e-4, 1e-2, 60.0):
        result = matcher.match(net, scenario, time_limit=limit)
        assert result.status in (Status.OPTIMAL, Status.TIME_LIMIT_FEASIBLE, Status.TIME_LIMIT_NO_SOLUTION)
        if result.status == Status.OPTIMAL:
            assert result.solver_objective == pytest.approx(best, rel=1e-9)
        elif result.status == Status.TIME_LIMIT_FEASIBLE:
            assert result.solver_objective >= best - 1e-6 * abs(best)
    assert result.status == Status.OPTIMAL  # a minute is plenty
