"""Pricing over pairs searched at the duals (``method="search"``): the pair table is never built.

The census walks every pair in blocks and must count exactly what the candidate stage
counts; the search must find every pair that could enter, so the optimum is the whole
LP's, proven over every candidate pair (checked here from the whole LP's own matrix).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import check_result
from solve.test_general_pricing import general_network, reduced_costs

import matcher
import models
import scenarios
from matcher import Status, Unsupported, match
from matcher.engine import candidates as candidates_module
from matcher.engine import search as search_module
from matcher.engine.candidates import build_candidates
from matcher.engine.formulation import build_lp
from matcher.engine.inputs import prepare
from matcher.engine.search import PairSearch, pair_keys
from matcher.solve.bounded import solve_by_search
from models import Network
from models.examples import pair, random_network, scenario_for


@pytest.fixture
def trees(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every group searched with k-d trees, in blocks and bands of a few pairs (the paths of large regions)."""
    monkeypatch.setattr(candidates_module, "BRUTE_FORCE_MAX", 0)
    monkeypatch.setattr(search_module, "BRUTE_FORCE_MAX", 0)
    monkeypatch.setattr(search_module, "BAND_MIN", 8)


def _network(seed: int, kind: str) -> Network:
    if kind == "pure":
        return random_network(seed, n_members=30, n_streams=200, spread_deg=0.3)[1]
    return general_network(seed, chloride=kind == "chloride")


def _proof(net: Network, scenario, final, lp, sol) -> None:  # type: ignore[no-untyped-def]
    """At the final duals no candidate pair of the whole set has a negative reduced cost at zero flow."""
    cand = build_candidates(prepare(net, scenario))
    reduced, flow = reduced_costs(cand, final, lp, sol)
    tol = 1e-7 * np.maximum(1.0, np.abs(build_lp(cand).c[: len(cand.edges)]))
    at_zero = flow <= 1e-9
    assert (reduced[at_zero] >= -tol[at_zero]).all()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["pure", "general", "chloride"]), st.sampled_from(["cost", "co2e"]))
def test_search_reaches_the_whole_optimum_and_proves_it_over_every_pair(seed: int, kind: str, objective: str) -> None:
    net = _network(seed, kind)
    scenario = scenario_for(max_distance_km=60.0, objective=objective, carbon_price=float(seed % 3) * 100)
    whole = match(net, scenario, method="whole")
    final, lp, sol, stats = solve_by_search(prepare(net, scenario), keep=1, block_pairs=300)
    if whole.status is Status.INFEASIBLE:  # a limit no mix can meet: infeasible both ways
        assert sol.status is Status.INFEASIBLE
        return
    assert sol.status is Status.OPTIMAL
    result = matcher.results.result.read_result(final, lp, sol)
    check_result(result)
    assert result.solver_objective == pytest.approx(whole.solver_objective, rel=1e-9, abs=1e-6)
    assert stats["offered"] <= stats["pairs"]
    _proof(net, scenario, final, lp, sol)


@pytest.mark.parametrize("kind", ["pure", "general"])
def test_search_on_trees_blocks_and_bands_is_the_same(trees: None, kind: str) -> None:
    for seed in range(4):
        net = _network(seed, kind)
        scenario = scenario_for(max_distance_km=60.0)
        whole = match(net, scenario, method="whole")
        final, lp, sol, stats = solve_by_search(prepare(net, scenario), keep=1, block_pairs=200)
        assert sol.status is whole.status
        if sol.status is Status.OPTIMAL:
            assert sol.objective == pytest.approx(whole.solver_objective, rel=1e-9, abs=1e-6)
            assert stats["searches"] >= 1
            _proof(net, scenario, final, lp, sol)


@pytest.mark.parametrize("block_pairs", [50, 1_000, 10**9])
def test_census_counts_what_the_candidate_stage_counts(trees: None, block_pairs: int) -> None:
    for seed in range(3):
        for kind in ("pure", "chloride"):
            net = _network(seed, kind)
            inputs = prepare(net, scenario_for(max_distance_km=60.0))
            full = build_candidates(inputs)
            census = PairSearch.of(inputs, block_pairs=block_pairs).census(keep=2)
            pd.testing.assert_frame_equal(census.kept_supply, full.kept_supply)
            pd.testing.assert_frame_equal(census.kept_demand, full.kept_demand)
            pd.testing.assert_series_equal(census.quality_failed.sort_index(), full.quality_failed.sort_index())
            # the kept pairs are candidate pairs, with the same columns
            nd = len(inputs.demands)
            keys = pd.Index(pair_keys(full.edges["s"].to_numpy(), full.edges["d"].to_numpy(), nd))
            at = keys.get_indexer(pair_keys(census.edges["s"].to_numpy(), census.edges["d"].to_numpy(), nd))
            assert (at >= 0).all() and len(census.edges) <= len(full.edges)
            pd.testing.assert_frame_equal(
                census.edges.reset_index(drop=True), full.edges.iloc[at].reset_index(drop=True), check_like=True
            )
            # every stream keeps its 2 best pairs (by saving, for the cost objective) at least
            best = full.edges.sort_values("unit_saving", ascending=False).groupby("s").head(2)
            assert set(pair_keys(best["s"].to_numpy(), best["d"].to_numpy(), nd)) <= set(keys[at])


def test_blocks_of_the_candidate_stage_find_the_same_pairs(trees: None) -> None:
    net = _network(3, "pure")
    inputs = prepare(net, scenario_for(max_distance_km=60.0))
    groups = candidates_module._group_pairs(inputs)
    none = np.zeros(0, dtype=np.int64)

    def found(block_pairs: int | None) -> set[tuple[int, int]]:
        return {
            (int(s), int(d))
            for c in candidates_module._near_chunks(inputs, groups, none, block_pairs)
            for s, d in zip(c.s, c.d)
        }

    whole = found(None)
    assert whole and found(40) == whole


def test_a_far_pair_found_by_the_search_is_the_one_that_pays() -> None:
    # one supply, two demands: the near one needs little, the far one (within reach) takes the rest;
    # the census keeps only the best pair per stream, so the far pair must come from the search
    net = pair(
        {"resource": "wood_chips", "quantity": 100.0, "unit": "t"},
        {"resource": "wood_chips", "quantity": 10.0, "unit": "t"},
        distance_km=2.0,
    )
    frames = net.to_frames()
    streams, members = frames["streams"], frames["members"]
    far = members.iloc[[1]].assign(member_id="M_FAR", lat=members["lat"].iloc[0] + 0.3)
    extra = streams[streams["direction"] == "demand"].assign(stream_id="D_FAR", member_id="M_FAR", quantity=80.0)
    net = Network.from_frames(pd.concat([members, far]), pd.concat([streams, extra]), frames["links"], net.catalog)
    scenario = scenario_for(max_distance_km=100.0)
    whole = match(net, scenario, method="whole")
    final, lp, sol, stats = solve_by_search(prepare(net, scenario), keep=1)
    assert sol.objective == pytest.approx(whole.solver_objective, rel=1e-12)
    assert set(final.inputs.demands.index[final.edges["d"]]) >= {"D_FAR"}
    assert stats["searches"] >= 1


def test_match_by_search_explains_like_pricing() -> None:
    net = _network(11, "pure")
    scenario = scenario_for(max_distance_km=60.0)
    a = match(net, scenario, method="pricing")
    b = match(net, scenario, method="search")
    assert b.status is Status.OPTIMAL and b.timings["pricing_searches"] >= 1
    assert b.solver_objective == pytest.approx(a.solver_objective, rel=1e-9)
    # the reasons that the stage counts give (no candidate pair left at some stage) are the same; the others
    # depend on which of several optimal solutions was found
    full = build_candidates(prepare(net, scenario))
    counted = pd.concat([full.kept_supply["pays"], full.kept_demand["pays"]]).eq(0)
    ids = counted[counted].index
    assert len(ids) > 0
    pd.testing.assert_series_equal(a.streams["reason"].reindex(ids), b.streams["reason"].reindex(ids))
    assert (b.streams["reason"].reindex(ids) != "").all()


def test_auto_searches_above_the_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    net = _network(5, "pure")
    scenario = scenario_for(max_distance_km=60.0)
    assert "pricing_searches" not in match(net, scenario).timings
    monkeypatch.setattr(matcher.api, "SEARCH_ABOVE", 10)
    searched = match(net, scenario)
    assert "pricing_searches" in searched.timings
    assert searched.solver_objective == pytest.approx(match(net, scenario, method="whole").solver_objective, rel=1e-9)
    # where the search does not apply, auto keeps the other paths
    assert "pricing_searches" not in match(net, scenario, solver="cbc").timings


def test_search_refuses_what_it_cannot_do(tmp_path) -> None:  # type: ignore[no-untyped-def]
    net = _network(2, "pure")
    with pytest.raises(Unsupported, match="search"):
        match(net, scenario_for(max_distance_km=60.0), method="search", write_mps_to=tmp_path / "m.mps")
    with pytest.raises(Unsupported, match="search"):
        match(net, scenario_for(max_distance_km=60.0), method="search", solver="cbc")
    frames = net.to_frames()
    streams = frames["streams"].copy()
    streams.loc[streams.index[0], "min_quantity"] = 1.0
    milp = Network.from_frames(frames["members"], streams, frames["links"], net.catalog)
    with pytest.raises(Unsupported, match="search"):
        match(milp, scenario_for(max_distance_km=60.0), method="search")


def test_a_small_network_is_known_small_without_counting() -> None:
    scenario, network = models.load(scenarios.path("kalundborg"))
    finder = PairSearch.of(prepare(network, scenario), block_pairs=1)  # every group counted in space
    exact = finder.estimate()
    bound = finder.estimate(enough=10**9)
    st_ = network.streams
    n_sup = st_[st_["direction"] == "supply"]["resource"].value_counts()
    n_dem = st_[st_["direction"] == "demand"]["resource"].value_counts()
    every = sum(  # every supply times every demand of each compatible group, and the linked pairs
        n_sup.get(sr, 0) * n_dem.get(dr, 0)
        for sr, dr in finder.groups[["supply_resource", "demand_resource"]].itertuples(index=False)
    )
    assert bound == every + finder.linked.s.size
    assert exact <= bound
    assert finder.estimate(enough=bound) == bound
    assert finder.estimate(enough=bound - 1) == exact  # not enough: counted
