"""The network simplex that starts pure transport parts (:mod:`matcher.solve.netsimplex`).

Checked against networkx's network simplex (an independent implementation, on integer data
where both are exact) and HiGHS on the LP; its final tree must be a basis (a spanning tree of
the supplies, demands and the outside node); and a match that starts from it must reach the
optimum the priced models reach without it.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher
from matcher.engine.candidates import build_candidates
from matcher.engine.formulation import build_lp
from matcher.engine.inputs import prepare
from matcher.solve import netsimplex
from matcher.solve.highs import HighsSolver
from matcher.solve.netsimplex import LOWER, TREE, UPPER, solve_transport
from matcher.solve.pricing import PricedModel
from models import Network
from models.examples import random_network, scenario_for

pytestmark = pytest.mark.skipif(not netsimplex.available(), reason="numba is not installed")


@st.composite
def transport(draw: st.DrawFn) -> dict[str, np.ndarray]:
    """A random transport problem with integer data: zero quantities, capacities of 0, negative slack costs."""
    ns = draw(st.integers(1, 7))
    nd = draw(st.integers(1, 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    chosen = rng.permutation(ns * nd)[: draw(st.integers(0, ns * nd))]
    m = chosen.size
    return {
        "s": chosen // nd,
        "d": chosen % nd,
        "c": rng.integers(0, 30, m).astype(float),
        "upper": np.where(rng.random(m) < 0.3, rng.integers(0, 6, m), np.inf).astype(float),
        "supply": np.where(rng.random(ns) < 0.15, 0, rng.integers(1, 12, ns)).astype(float),
        "demand": np.where(rng.random(nd) < 0.15, 0, rng.integers(1, 12, nd)).astype(float),
        "disposal": rng.integers(-5, 25, ns).astype(float),
        "virgin": rng.integers(-5, 25, nd).astype(float),
    }


def networkx_cost(p: dict[str, np.ndarray]) -> float:
    """The optimum by networkx's network simplex: supplies -> demands, supplies -> outside, outside -> demands."""
    g = nx.DiGraph()
    ns, nd = p["supply"].size, p["demand"].size
    g.add_node("R", demand=int(p["supply"].sum() - p["demand"].sum()))
    for i in range(ns):
        g.add_node(("s", i), demand=-int(p["supply"][i]))
        g.add_edge(("s", i), "R", weight=int(p["disposal"][i]))
    for j in range(nd):
        g.add_node(("d", j), demand=int(p["demand"][j]))
        g.add_edge("R", ("d", j), weight=int(p["virgin"][j]))
    for s, d, c, u in zip(p["s"], p["d"], p["c"], p["upper"], strict=True):
        g.add_edge(("s", int(s)), ("d", int(d)), weight=int(c), **({} if np.isinf(u) else {"capacity": int(u)}))
    return float(nx.network_simplex(g)[0])


def tree_edges(p: dict[str, np.ndarray], tree: netsimplex.TransportTree) -> list[tuple[object, object]]:
    ns, nd = p["supply"].size, p["demand"].size
    edges = [
        (("s", int(s)), ("d", int(d)))
        for s, d in zip(p["s"][tree.pair_state == TREE], p["d"][tree.pair_state == TREE], strict=True)
    ]
    edges += [(("s", i), "R") for i in np.flatnonzero(tree.disposal_state == TREE)]
    edges += [("R", ("d", j)) for j in np.flatnonzero(tree.virgin_state == TREE)]
    assert len(edges) == ns + nd
    return edges


@settings(max_examples=150, deadline=None)
@given(transport(), st.booleans(), st.booleans())
def test_optimum_equals_networkx_and_its_tree_is_a_basis(
    p: dict[str, np.ndarray], compiled: bool, staged: bool
) -> None:
    first = np.flatnonzero(np.arange(p["s"].size) % 2 == 0) if staged else None
    tree = solve_transport(**p, first=first, compiled=compiled)
    assert tree.optimal
    assert tree.objective == pytest.approx(networkx_cost(p), abs=1e-9)
    # a spanning tree of every supply, demand and the outside node: a basis of the LP's rows
    g = nx.Graph(tree_edges(p, tree))
    g.add_nodes_from([("s", i) for i in range(p["supply"].size)] + [("d", j) for j in range(p["demand"].size)] + ["R"])
    assert nx.is_tree(g)
    # arcs at their upper bound have one; nothing else is
    at_upper = tree.pair_state == UPPER
    assert np.isfinite(p["upper"][at_upper]).all()
    assert set(np.unique(tree.pair_state)) <= {LOWER, TREE, UPPER}


def dense_instance(n: int = 30, seed: int = 3) -> dict[str, np.ndarray]:
    """A transport problem with every pair of ``n`` supplies and ``n`` demands, all worth exchanging."""
    rng = np.random.default_rng(seed)
    s, d = np.divmod(np.arange(n * n), n)
    return {
        "s": s, "d": d, "c": rng.uniform(0, 10, s.size), "upper": np.full(s.size, np.inf),
        "supply": rng.uniform(1, 9, n), "demand": rng.uniform(1, 9, n),
        "disposal": np.full(n, 20.0), "virgin": np.full(n, 20.0),
    }  # fmt: skip


def test_the_iteration_limit_leaves_a_feasible_tree_not_called_optimal() -> None:
    p = dense_instance()
    stopped = solve_transport(**p, max_pivots=3)
    full = solve_transport(**p)
    assert not stopped.optimal and stopped.pivots <= 3
    assert full.optimal and full.objective < stopped.objective


def pure_network(seed: int, n_members: int = 400):  # type: ignore[no-untyped-def]
    """Members scattered over 60 x 60 km, streams of two resources without substitutes, each with its own
    disposal and virgin cost: a pure transport problem (one part per resource)."""
    rng = np.random.default_rng(seed)
    resources = ["glass_cullet", "metal_scrap_ferrous"]
    members = pd.DataFrame(
        {
            "member_id": [f"M{i}" for i in range(n_members)],
            "name": [f"Member {i}" for i in range(n_members)],
            "lat": 56.0 + rng.uniform(0, 0.55, n_members),
            "lon": 10.0 + rng.uniform(0, 1.0, n_members),
        }
    )
    n = 2 * n_members
    supply = rng.random(n) < 0.5
    streams = pd.DataFrame(
        {
            "stream_id": [f"X{k}" for k in range(n)],
            "member_id": [f"M{k % n_members}" for k in range(n)],
            "direction": np.where(supply, "supply", "demand"),
            "resource": [resources[k // n_members] for k in range(n)],
            "quantity": np.round(rng.lognormal(5, 0.8, n), 1),
            "unit": "t",
            "disposal_cost": np.where(supply, np.round(rng.lognormal(4, 0.4, n), 2), np.nan),
            "virgin_cost": np.where(supply, np.nan, np.round(rng.lognormal(4, 0.4, n), 2)),
        }
    )
    net = Network.from_frames(members, streams)
    return scenario_for("pure", max_distance_km=30.0), net


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_match_started_from_the_tree_reaches_the_whole_lps_optimum(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenario, net = pure_network(seed)
    cand = build_candidates(prepare(net, scenario))
    whole = HighsSolver().solve(build_lp(cand))
    monkeypatch.setattr(PricedModel, "tree_min_pairs", 0)
    monkeypatch.setattr(PricedModel, "tree_min_total", 0)
    started = matcher.match(net, scenario)
    assert started.timings["pricing_tree_parts"] == 2  # one part per resource, each started from its tree
    assert started.timings["pricing_rounds"] == 1  # the tree was optimal: the first prices prove it
    monkeypatch.setattr(netsimplex, "available", lambda: False)
    plain = matcher.match(net, scenario)
    assert "pricing_tree_parts" not in plain.timings
    assert started.objective == pytest.approx(whole.objective, rel=1e-9)
    assert plain.objective == pytest.approx(whole.objective, rel=1e-9)


def test_only_pure_large_parts_start_from_the_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario, net = pure_network(4, n_members=120)
    cand = build_candidates(prepare(net, scenario))
    assert not PricedModel(cand)._tree_start  # below the threshold
    monkeypatch.setattr(PricedModel, "tree_min_pairs", 0)
    monkeypatch.setattr(PricedModel, "tree_min_total", 0)
    assert PricedModel(cand)._tree_start
    assert not PricedModel(cand, k=None)._tree_start  # every pair at once: nothing to start
    # a demand with a blended limit, or a substitute at another ratio, makes the part a general LP
    scenario_g, general = random_network(5, n_members=25, n_streams=160, spread_deg=0.2)
    assert not PricedModel(build_candidates(prepare(general, scenario_g)))._tree_start


def test_without_a_writable_cache_the_kernel_is_compiled_in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """A read-only install (numba finds nowhere to cache) still solves: the kernel is compiled without a cache."""
    import numba

    njit = numba.njit

    def no_cache(*args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("cache"):
            raise RuntimeError("cannot cache function '_kernel': no locator available")
        return njit(*args, **kwargs)

    monkeypatch.setattr(numba, "njit", no_cache)
    netsimplex._compiled.cache_clear()
    try:
        p = {
            "s": np.array([0, 0, 1]), "d": np.array([0, 1, 1]), "c": np.array([1.0, 2.0, 1.0]),
            "upper": np.full(3, np.inf), "supply": np.array([5.0, 5.0]), "demand": np.array([4.0, 4.0]),
            "disposal": np.array([10.0, 10.0]), "virgin": np.array([10.0, 10.0]),
        }  # fmt: skip
        tree = solve_transport(**p)
        assert tree.optimal and tree.objective == pytest.approx(networkx_cost(p))
    finally:
        netsimplex._compiled.cache_clear()


@pytest.mark.parametrize("change_first", [False, True])
def test_parts_solved_while_built_give_the_optimum(change_first: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """``eager``: each part's first solve starts while the next is built; a change made before ``solve`` waits
    for them, and the optimum equals the one of parts solved after building."""
    from matcher.solve.decompose import DecomposedModel

    monkeypatch.setattr(PricedModel, "tree_min_pairs", 0)

    monkeypatch.setattr(PricedModel, "tree_min_total", 0)
    scenario, net = pure_network(6)
    sid = net.streams.index[0]
    new_q = float(net.streams.loc[sid, "quantity_base"]) * 0.5
    objectives = []
    for eager in (False, True):
        model = DecomposedModel(build_candidates(prepare(net, scenario)), workers=2, min_pairs=0, eager=eager)
        assert len(model.parts) >= 2
        if change_first:
            model.set_quantity(sid, new_q)
        objectives.append(model.solve().objective)
        model.solved()
    assert objectives[0] == pytest.approx(objectives[1], rel=1e-12)
    if change_first:
        streams = net.to_frames()["streams"]
        streams.loc[streams["stream_id"] == sid, "quantity"] *= 0.5
        changed = Network.from_frames(net.to_frames()["members"], streams)
        assert matcher.match(changed, scenario).solver_objective == pytest.approx(objectives[1], rel=1e-9)


def test_a_small_match_starts_no_tree_and_imports_no_numba(monkeypatch: pytest.MonkeyPatch) -> None:
    """Below ``tree_min_total`` pairs in all, numba's import and kernel would cost more than trees save."""
    monkeypatch.setattr(PricedModel, "tree_min_pairs", 0)
    scenario, net = pure_network(1)
    assert len(build_candidates(prepare(net, scenario)).edges) < PricedModel.tree_min_total
    assert "pricing_tree_parts" not in matcher.match(net, scenario).timings


def test_a_part_with_a_cost_that_is_not_finite_starts_no_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    """Potentials of a tree through an infinite or undefined disposal cost mean nothing: such a part is priced
    from its best pairs."""
    from dataclasses import replace

    monkeypatch.setattr(PricedModel, "tree_min_pairs", 0)
    scenario, net = pure_network(2)
    cand = build_candidates(prepare(net, scenario))
    assert PricedModel(cand)._tree_start
    for bad in (np.inf, np.nan):
        supplies = cand.inputs.supplies.copy()
        supplies.iloc[0, supplies.columns.get_loc("unit_cost")] = bad
        spoiled = replace(cand, inputs=replace(cand.inputs, supplies=supplies))
        assert not PricedModel(spoiled)._tree_start
