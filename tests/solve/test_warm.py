"""Warm starts: a model started from a related model's basis reaches the same optimum, in fewer iterations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import check_result

import matcher
import models
from matcher import Status, match
from matcher.api import build
from matcher.engine.candidates import build_candidates
from matcher.engine.formulation import build_lp
from matcher.engine.graph import components
from matcher.engine.inputs import prepare
from matcher.planning.sweep import run_chain
from matcher.results.result import read_result
from matcher.solve.decompose import DecomposedModel, solve_by_components, split
from matcher.solve.highs import HighsModel
from matcher.solve.pricing import PricedModel, solve_by_pricing
from models import DataError, Network
from models.examples import random_network, scenario_for

ROOT = Path(__file__).parents[2] / "scenarios"


def _network(seed: int, blends: bool) -> tuple[Network, pd.DataFrame]:
    """A random network; without blended quality limits it can be priced."""
    _, net = random_network(seed, n_members=20, n_streams=120, spread_deg=0.2)
    frames = net.to_frames()
    streams = frames["streams"] if blends else frames["streams"].drop(columns=["q_cod_ppm_max"], errors="ignore")
    return Network.from_frames(frames["members"], streams, None, net.catalog), streams


@settings(max_examples=20)
@given(st.integers(0, 10_000), st.floats(0.0, 2000.0), st.sampled_from(["whole", "pricing"]))
def test_a_match_started_from_another_scenario_equals_a_cold_match(seed: int, price: float, method: str) -> None:
    net, _ = _network(seed, blends=method == "whole")
    first = match(net, scenario_for(max_distance_km=60.0), method=method)
    other = scenario_for(max_distance_km=45.0, carbon_price=price)
    cold = match(net, other, method=method)
    warm = match(net, other, method=method, start=first)
    check_result(warm)
    assert warm.status is Status.OPTIMAL
    assert warm.solver_objective == pytest.approx(cold.solver_objective, rel=1e-9, abs=1e-6)


@settings(max_examples=15)
@given(st.integers(0, 10_000), st.data())
def test_adding_or_removing_a_stream_warm_equals_a_cold_match(seed: int, data: st.DataObject) -> None:
    net, streams = _network(seed, blends=data.draw(st.booleans()))
    scenario = scenario_for(max_distance_km=60.0)
    warm = matcher.WarmMatch(net, scenario)
    gone = data.draw(st.sampled_from(list(streams["stream_id"])))
    removed = warm.remove_stream(gone)
    kept = streams[streams["stream_id"] != gone]
    cold = match(Network.from_frames(net.to_frames()["members"], kept, None, net.catalog), scenario)
    assert removed.solver_objective == pytest.approx(cold.solver_objective, rel=1e-9, abs=1e-6)
    assert gone not in removed.streams.index

    template = kept.iloc[data.draw(st.integers(0, len(kept) - 1))].dropna().to_dict()
    new = {**template, "stream_id": "NEW", "quantity": data.draw(st.floats(1.0, 5000.0))}
    added = warm.add_stream(new)
    check_result(added)
    with_new = pd.concat([kept, pd.DataFrame([new])], ignore_index=True)
    cold = match(Network.from_frames(net.to_frames()["members"], with_new, None, net.catalog), scenario)
    assert added.solver_objective == pytest.approx(cold.solver_objective, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("blends", [False, True])
def test_a_model_started_from_its_own_basis_needs_no_iteration(blends: bool) -> None:
    net, _ = _network(3, blends=blends)
    scenario = scenario_for(max_distance_km=60.0)
    result = match(net, scenario, method="whole")
    assert result.basis is not None
    cand, lp, _ = build(net, scenario)
    if blends:
        assert lp.shape[0] > len(cand.inputs.supplies) + len(cand.inputs.demands)  # blend rows are matched too
    session = HighsModel(lp, start=result.basis.statuses(cand, lp))
    sol = session.solve()
    assert sol.objective == pytest.approx(result.solver_objective, rel=1e-9)
    assert session.h.getInfo().simplex_iteration_count == 0
    if not blends:
        model = PricedModel(cand, start=result.basis)
        model.solve()
        assert model.stats["rounds"] == 1 and model.kept.h.getInfo().simplex_iteration_count == 0
        assert model.stats["columns"] < len(cand.edges)  # only the pairs of the basis entered


def test_a_rejected_change_leaves_the_warm_match_as_it_was() -> None:
    net, streams = _network(5, blends=False)
    warm = matcher.WarmMatch(net, scenario_for(max_distance_km=60.0))
    before = warm.result().solver_objective
    bad = {**streams.iloc[0].dropna().to_dict(), "stream_id": "NEW", "quantity": -5.0}
    with pytest.raises(DataError, match="quantity"):
        warm.add_stream(bad)
    with pytest.raises(DataError, match="NOPE"):
        warm.remove_stream("NOPE")
    assert warm.result().solver_objective == before
    assert "NEW" not in warm.network.streams.index


def test_pricing_cut_short_is_feasible_but_not_proven_optimal() -> None:
    net, _ = _network(11, blends=False)
    scenario = scenario_for(max_distance_km=60.0)
    cand = build_candidates(prepare(net, scenario))
    final, lp, sol, stats = solve_by_pricing(cand, k=1, max_rounds=1)
    short = read_result(final, lp, sol)
    assert short.status is Status.TIME_LIMIT_FEASIBLE and "not proven optimal" in short.message
    check_result(short)  # balance and bounds hold: the plan is feasible for the whole problem
    best = match(net, scenario, method="pricing")
    assert short.solver_objective > best.solver_objective
    assert short.basis is None and sol.row_duals is None  # no marginal values from an unproven solution


def test_a_sweep_run_warm_equals_the_same_run_cold() -> None:
    points = [{"parameters.carbon_price": p} for p in (0.0, 300.0, 600.0, 900.0)]
    scenario, network = models.load(ROOT / "kalundborg")
    warm = pd.DataFrame(run_chain(network, scenario, points, warm=True))
    cold = pd.DataFrame(run_chain(network, scenario, points, warm=False))
    assert (warm["status"] == "optimal").all()
    pd.testing.assert_frame_equal(warm, cold, rtol=1e-9)
    assert np.isfinite(warm["savings"]).all()


# ---------------------------------------------------------------------- independent components
@settings(max_examples=20)
@given(st.integers(0, 10_000), st.integers(1, 3))
def test_components_solved_apart_give_an_optimal_solution_of_the_whole(seed: int, workers: int) -> None:
    net, _ = _network(seed, blends=False)
    scenario = scenario_for(max_distance_km=30.0)
    cand = build_candidates(prepare(net, scenario))
    parts = split(cand, workers)
    assert np.array_equal(np.sort(np.concatenate([p.edges for p in parts])), np.arange(len(cand.edges)))
    for p in parts:  # a part holds whole components: every pair of its streams is in it
        assert np.isin(cand.edges["s"].to_numpy()[p.edges], p.supplies).all()
        assert np.isin(cand.edges["d"].to_numpy()[p.edges], p.demands).all()
        mine = np.isin(cand.edges["s"].to_numpy(), p.supplies) | np.isin(cand.edges["d"].to_numpy(), p.demands)
        assert mine.sum() == p.edges.size
    final, lp, sol, stats = solve_by_components(cand, workers=workers)
    result = read_result(final, lp, sol)
    check_result(result)
    assert sol.status is Status.OPTIMAL and stats["parts"] == max(len(parts), 1)
    n_components = (components(cand)[1] > 0).sum()
    assert stats["components"] == n_components >= len(parts)
    assert len(split(cand, workers, min_pairs=1)) == n_components  # large components are parts of their own
    # an optimality certificate over every candidate pair, not only those that entered:
    # no reduced cost is negative, and the dual objective equals the primal one
    whole = build_lp(cand)
    pi = sol.row_duals
    assert pi is not None
    reduced = whole.c - whole.A.T @ pi
    assert (reduced >= -1e-6 * np.maximum(1.0, np.abs(whole.c))).all()
    assert pi @ whole.row_lower == pytest.approx(sol.objective, rel=1e-9)
    assert sol.objective == pytest.approx(match(net, scenario, method="whole").solver_objective, rel=1e-9)
    # the joined basis is the optimal basis of the joined model
    session = HighsModel(lp, start=sol.basis)
    assert session.solve().objective == pytest.approx(sol.objective, rel=1e-9)
    assert session.h.getInfo().simplex_iteration_count == 0


@settings(max_examples=15)
@given(st.integers(0, 10_000), st.floats(0.0, 3.0), st.data())
def test_a_changed_stream_re_solves_its_part_and_equals_a_cold_match(seed: int, factor: float, data) -> None:
    net, streams = _network(seed, blends=False)
    scenario = scenario_for(max_distance_km=30.0)
    warm = matcher.WarmMatch(net, scenario)
    assert isinstance(warm.model, DecomposedModel)
    sid = data.draw(st.sampled_from(list(streams["stream_id"])))  # in a part, or with no pair at all
    quantity = float(net.streams.at[sid, "quantity"]) * factor
    changed = warm.change_stream(sid, quantity)
    streams = streams.copy()
    streams.loc[streams["stream_id"] == sid, "quantity"] = max(quantity, 1e-9)
    cold = match(Network.from_frames(net.to_frames()["members"], streams, None, net.catalog), scenario)
    assert changed.solver_objective == pytest.approx(cold.solver_objective, rel=1e-9, abs=1e-5)
    assert warm.model.solve().objective == pytest.approx(changed.solver_objective, rel=1e-9, abs=1e-5)
    if factor > 0:
        check_result(changed)


def test_a_stream_taken_to_zero_can_come_back_after_other_changes() -> None:
    net, streams = _network(9, blends=False)
    warm = matcher.WarmMatch(net, scenario_for(max_distance_km=60.0))
    before = warm.result().solver_objective
    sid = str(streams["stream_id"].iloc[0])
    warm.change_stream(sid, 0.0)
    warm.remove_stream(str(streams["stream_id"].iloc[1]))  # a new model, built from a network where sid is 0
    warm.add_stream({**streams.iloc[1].dropna().to_dict()})  # and the removed stream back
    back = warm.change_stream(sid, float(streams["quantity"].iloc[0]))
    assert back.solver_objective == pytest.approx(before, rel=1e-9, abs=1e-6)
    assert back.network.streams.at[sid, "quantity"] == pytest.approx(float(streams["quantity"].iloc[0]))
