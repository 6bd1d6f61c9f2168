"""Pricing for the general LP: blended quality limits and link capacities kept as rows of the priced models.

The restricted models hold every row of the whole LP from the start; a pair enters as the
column it has in the whole model; its reduced cost counts the duals of its side rows. The
tests compare with the whole LP solved at once, and check the optimality proof directly:
at the joined duals, no candidate pair could improve the solution.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import check_result

import matcher
from matcher import Status, Unsupported, match
from matcher.engine.candidates import build_candidates
from matcher.engine.formulation import build_lp, row_layout
from matcher.engine.graph import components
from matcher.engine.inputs import prepare
from matcher.results.result import read_result
from matcher.solve.decompose import DecomposedModel, solve_by_components
from matcher.solve.pricing import PricedModel, pricing_applies
from models import Network
from models.examples import pair, random_network, scenario_for


def general_network(seed: int, n_links: int = 30, chloride: bool = False) -> Network:
    """A random network with blended COD limits and capacitated links between random members.

    With ``chloride``, some process-water demands also limit chloride below the virgin
    water's 20 ppm, so that virgin purchase alone breaks their limit.
    """
    _, net = random_network(seed, n_members=25, n_streams=160, spread_deg=0.2)
    frames = net.to_frames()
    rng = np.random.default_rng(seed)
    streams = frames["streams"]
    if chloride:
        water = streams["resource"].isin(["process_water", "treated_wastewater", "cooling_water"])
        supply = streams["direction"].eq("supply")
        streams["q_chloride_ppm"] = np.where(water & supply, rng.uniform(0, 40, len(streams)), np.nan)
        limited = water & ~supply & streams["resource"].eq("process_water") & (rng.random(len(streams)) < 0.5)
        streams["q_chloride_ppm_max"] = np.where(limited, rng.uniform(10, 30, len(streams)), np.nan)
    members = frames["members"]["member_id"].to_numpy()
    links = pd.DataFrame(
        {
            "from_member": rng.choice(members, n_links),
            "to_member": rng.choice(members, n_links),
            "capacity": np.round(rng.uniform(5, 400, n_links), 1),
        }
    )
    links = links[links["from_member"] != links["to_member"]].drop_duplicates(["from_member", "to_member"])
    return Network.from_frames(frames["members"], streams, links, net.catalog)


def reduced_costs(cand, final, lp, sol) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Reduced cost and flow of every candidate pair, at the joined duals, from the whole LP's matrix.

    The joined solution's rows are those of the whole LP (same names, same order), so its
    duals price every column of the whole LP built independently of pricing.
    """
    whole = build_lp(cand)
    assert np.array_equal(whole.row_names, lp.row_names)
    xs = whole.blocks["x"]
    reduced = whole.c[xs] - whole.A[:, xs].T @ sol.row_duals
    flow = np.zeros(len(cand.edges))
    inp = cand.inputs
    nd = len(inp.demands)
    key_all = cand.edges["s"].to_numpy().astype(np.int64) * nd + cand.edges["d"].to_numpy()
    key_in = final.edges["s"].to_numpy().astype(np.int64) * nd + final.edges["d"].to_numpy()
    pos = pd.Index(key_all).get_indexer(key_in)
    assert (pos >= 0).all()
    flow[pos] = sol.x[lp.blocks["x"]]
    return reduced, flow


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["cost", "co2e"]), st.booleans(), st.integers(1, 2))
def test_general_pricing_reaches_the_whole_optimum_with_every_pair_priced(
    seed: int, objective: str, chloride: bool, workers: int
) -> None:
    net = general_network(seed, chloride=chloride)
    scenario = scenario_for(max_distance_km=60.0, objective=objective)
    cand = build_candidates(prepare(net, scenario))
    assert pricing_applies(cand)
    layout = row_layout(cand)
    whole = match(net, scenario, method="whole")
    final, lp, sol, stats = solve_by_components(cand, workers=workers)
    result = read_result(final, lp, sol)
    assert whole.status is Status.INFEASIBLE or whole.status is Status.OPTIMAL
    if whole.status is Status.INFEASIBLE:  # a chloride limit no mix can meet: infeasible both ways
        assert sol.status is Status.INFEASIBLE
        return
    check_result(result)
    assert sol.status is Status.OPTIMAL
    assert result.solver_objective == pytest.approx(whole.solver_objective, rel=1e-9, abs=1e-6)
    assert lp.shape[0] == layout.n_rows  # every side row of the whole model, whatever pairs entered
    # the proof: at the joined duals no pair at zero flow has a negative reduced cost, a pair strictly
    # between its bounds has none at all, and one at its link's capacity none positive
    reduced, flow = reduced_costs(cand, final, lp, sol)
    tol = 1e-7 * np.maximum(1.0, np.abs(build_lp(cand).c[: len(cand.edges)]))
    upper = cand.edges["capacity"].to_numpy(dtype=float)
    at_zero = flow <= 1e-9 * np.maximum(1.0, upper.clip(max=1e6))
    at_upper = np.isfinite(upper) & (flow >= upper * (1 - 1e-9))
    assert (reduced[at_zero] >= -tol[at_zero]).all()
    between = ~at_zero & ~at_upper
    assert (np.abs(reduced[between]) <= tol[between]).all()
    assert (reduced[at_upper] <= tol[at_upper]).all()
    # the side rows' duals are those of the whole LP solved at once (where that one's are unique enough to say)
    assert np.isfinite(sol.row_duals).all()


def test_side_rows_bind_and_their_duals_enter_the_reduced_costs() -> None:
    # capacities far below the quantities: many link rows bind, so their duals are not all zero
    net = general_network(7, n_links=60)
    scenario = scenario_for(max_distance_km=60.0)
    cand = build_candidates(prepare(net, scenario))
    layout = row_layout(cand)
    assert layout.blends and layout.links.size
    final, lp, sol, _ = solve_by_components(cand, workers=2)
    side = sol.row_duals[layout.blend0 :]
    assert np.count_nonzero(np.abs(side) > 1e-9) > 0
    # the layout's reduced costs (what pricing uses) equal those of the whole matrix
    model = PricedModel(cand)
    model.solve()
    _, lp1, sol1 = model.solved()
    reduced, _ = reduced_costs(cand, *model.entered()[:1], lp1, sol1)
    np.testing.assert_allclose(model.reduced_costs(sol1.row_duals), reduced, rtol=1e-9, atol=1e-9)
    assert model.stats["columns"] < len(cand.edges)


def test_a_link_row_joins_the_components_of_its_pairs() -> None:
    # A sends wood waste and heat to B over one capacitated pipe: two resource groups, one row
    net = pair({"resource": "wood_waste", "quantity": 50}, {"resource": "wood_waste", "quantity": 40}, links=[{}])
    frames = net.to_frames()
    streams = pd.concat(
        [
            frames["streams"],
            pd.DataFrame(
                [
                    {
                        "stream_id": "hs",
                        "member_id": "A",
                        "direction": "supply",
                        "resource": "heat_medium",
                        "quantity": 300.0,
                        "unit": "MWh",
                    },
                    {
                        "stream_id": "hd",
                        "member_id": "B",
                        "direction": "demand",
                        "resource": "heat_medium",
                        "quantity": 200.0,
                        "unit": "MWh",
                    },
                ]
            ),
        ],
        ignore_index=True,
    )
    for capacity, joined in ((np.nan, False), (100.0, True)):
        links = pd.DataFrame([{"from_member": "A", "to_member": "B", "capacity": capacity}])
        net2 = Network.from_frames(frames["members"], streams, links, net.catalog)
        scenario = scenario_for()
        cand = build_candidates(prepare(net2, scenario))
        _, pairs = components(cand)
        assert (pairs > 0).sum() == (1 if joined else 2)
        whole = match(net2, scenario, method="whole")
        priced = match(net2, scenario, method="pricing")
        check_result(priced)
        assert priced.solver_objective == pytest.approx(whole.solver_objective, rel=1e-9)
        if joined:
            assert priced.exchanges["quantity"].sum() == pytest.approx(100.0)  # the pipe carries both


def test_a_demand_virgin_water_cannot_serve_starts_with_its_pairs() -> None:
    # virgin process water has 20 ppm chloride; a 10 ppm limit needs at least half the mix from the 0 ppm supply
    supply = {"resource": "treated_wastewater", "quantity": 1000, "unit": "m3", "q_chloride_ppm": 0, "q_cod_ppm": 0}
    demand = {"resource": "process_water", "quantity": 900, "unit": "m3", "q_chloride_ppm_max": 10}
    net = pair(supply, demand)
    scenario = scenario_for()
    cand = build_candidates(prepare(net, scenario))
    assert row_layout(cand).needs_pairs().all()
    priced = match(net, scenario, method="pricing")
    check_result(priced)
    assert priced.solver_objective == pytest.approx(match(net, scenario, method="whole").solver_objective)
    assert priced.exchanges["quantity"].sum() >= 450 - 1e-6
    # without the clean supply no mix meets the limit: infeasible, priced or whole, even with no pair at all
    frames = net.to_frames()
    streams = frames["streams"].assign(q_chloride_ppm=[30.0, np.nan])
    bad = Network.from_frames(frames["members"], streams, None, net.catalog)
    assert match(bad, scenario, method="whole").status is Status.INFEASIBLE
    model = DecomposedModel(build_candidates(prepare(bad, scenario)))
    assert model.solve().status is Status.INFEASIBLE


def test_pricing_is_refused_for_a_milp_only() -> None:
    supply, demand = {"resource": "heat_medium", "quantity": 1000}, {"resource": "heat_medium", "quantity": 800}
    capacity_only = pair(supply, demand, distance_km=20, links=[{"cost_per_unit": 1.0, "capacity": 500.0}])
    priced = match(capacity_only, scenario_for(candidates="links"), method="pricing")
    check_result(priced)
    assert priced.exchanges["quantity"].sum() == pytest.approx(500.0)
    fixed = pair(supply, demand, distance_km=20, links=[{"cost_per_unit": 1.0, "capacity": 500.0, "fixed_cost": 1e4}])
    with pytest.raises(Unsupported, match="integer columns"):
        match(fixed, scenario_for(candidates="links"), method="pricing")
    assert match(fixed, scenario_for(candidates="links")).savings == pytest.approx(12000)  # auto: whole MILP


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 1500.0))
def test_a_general_match_started_from_a_related_basis_equals_a_cold_one(seed: int, price: float) -> None:
    net = general_network(seed)
    first = match(net, scenario_for(max_distance_km=60.0), method="pricing")
    assert first.basis is not None
    assert any(str(n).startswith(("blend_", "capacity_link_")) for n in first.basis.rows.index)
    other = scenario_for(max_distance_km=45.0, carbon_price=price)
    cold = match(net, other, method="pricing")
    warm = match(net, other, method="pricing", start=first)
    whole = match(net, other, method="whole", start=first)
    check_result(warm)
    assert warm.solver_objective == pytest.approx(cold.solver_objective, rel=1e-9, abs=1e-6)
    assert whole.solver_objective == pytest.approx(cold.solver_objective, rel=1e-9, abs=1e-6)


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 3.0))
def test_a_general_warm_match_re_solves_a_changed_stream_like_a_cold_one(seed: int, factor: float) -> None:
    net = general_network(seed)
    scenario = scenario_for(max_distance_km=60.0)
    warm = matcher.WarmMatch(net, scenario)
    assert isinstance(warm.model, DecomposedModel)  # general LPs are priced by components too
    sid = net.streams.index[seed % len(net.streams)]
    quantity = float(net.streams.at[sid, "quantity"]) * factor
    changed = warm.change_stream(sid, quantity)
    frames = net.to_frames()
    streams = frames["streams"]
    streams.loc[streams["stream_id"] == sid, "quantity"] = max(quantity, 1e-9)
    cold = match(Network.from_frames(frames["members"], streams, frames["links"], net.catalog), scenario)
    assert changed.solver_objective == pytest.approx(cold.solver_objective, rel=1e-7, abs=1e-5)
