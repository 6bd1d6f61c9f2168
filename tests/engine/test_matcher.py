"""The optimiser: hand-checkable networks, invariants, and cross-checks against independent algorithms."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import check_result

import matcher
from matcher import Status, available_solvers, match
from matcher.api import build
from matcher.engine.graph import components, to_networkx
from matcher.solve import get_solver
from models import Catalog, Network, load
from models.examples import heat_pair, pair, pure_flow, random_network, scenario_for

SOLVERS = sorted(available_solvers())


# ---------------------------------------------------------------------- hand-checkable networks
def test_heat_pair_by_hand() -> None:
    scenario, net = heat_pair(distance_km=2.0)
    r = match(net, scenario)
    check_result(r)
    assert r.status is Status.OPTIMAL
    # 300 MWh at 2 km by pipe at EUR 2.5/MWh/km; virgin heat EUR 40/MWh; waste heat costs nothing to dump
    (row,) = r.exchanges.itertuples()
    assert (row.supply_stream, row.demand_stream, row.quantity) == ("s", "d", pytest.approx(300.0))
    assert row.distance_km == pytest.approx(2.0, rel=1e-9)
    assert row.transport_cost == pytest.approx(300 * 2 * 2.5)
    assert r.baseline_cost == pytest.approx(300 * 40)
    assert r.savings == pytest.approx(300 * 40 - 1500)
    assert r.kpis["energy_recovered_mwh"] == pytest.approx(300)
    assert r.kpis["co2e_avoided_t"] == pytest.approx(300 * 0.224)
    assert r.streams.loc["s", "reason"].startswith("partners' needs are fully met")


def test_too_far_to_pay_is_pruned_and_explained() -> None:
    # EUR 40/MWh of virgin heat pays for 16 km of pipe at EUR 2.5/MWh/km, not more
    scenario, net = heat_pair(distance_km=20.0)
    r = match(net, scenario)
    check_result(r)
    assert r.exchanges.empty and r.savings == pytest.approx(0)
    assert r.streams.loc["d", "reason"].startswith("cheaper to buy virgin")
    assert r.streams.loc["s", "reason"].startswith("cheaper to dispose")


def test_quality_limit_blocks_cold_heat() -> None:
    scenario, net = heat_pair()
    streams = net.to_frames()["streams"]
    streams.loc[streams["stream_id"] == "s", "q_temperature_c"] = 50.0
    net = Network.from_frames(net.to_frames()["members"], streams)
    r = match(net, scenario)
    check_result(r)
    assert r.exchanges.empty
    assert r.streams.loc["d", "reason"] == "quality: no partner in reach meets the limits on temperature_c"


def _two(supply: dict, demand: dict, **params: object):
    return scenario_for(**params), pair(supply, demand)


def test_substitute_ratio_applies_to_quantity() -> None:
    # 1 t of spent grain replaces 0.25 t of animal feed
    sc, net = _two({"resource": "spent_grain", "quantity": 100}, {"resource": "animal_feed", "quantity": 10})
    r = match(net, sc)
    check_result(r)
    (row,) = r.exchanges.itertuples()
    assert row.quantity == pytest.approx(40) and row.delivered == pytest.approx(10)


def test_hazardous_waste_needs_a_permit() -> None:
    supply = {"resource": "used_oil", "quantity": 10, "ewc_code": "13 02 05*"}
    sc, net = _two(supply, {"resource": "used_oil", "quantity": 10})
    r = match(net, sc)
    assert r.exchanges.empty
    assert r.streams.loc["s", "reason"].startswith("hazardous")
    sc, net = _two(supply, {"resource": "used_oil", "quantity": 10, "accepts_ewc": "13 02 08 | 13 02 05"})
    r = match(net, sc)
    check_result(r)
    assert r.exchanges["quantity"].sum() == pytest.approx(10)


def test_no_self_exchange_unless_internal_reuse_is_allowed() -> None:
    net = pair({"resource": "wood_waste", "quantity": 5}, {"resource": "wood_waste", "quantity": 5}, same_member=True)
    assert match(net, scenario_for()).exchanges.empty
    r = match(net, scenario_for(allow_internal=True))
    check_result(r)
    assert r.exchanges["quantity"].sum() == pytest.approx(5)


def test_streams_meet_only_within_their_period() -> None:
    sc, net = _two(
        {"resource": "wood_waste", "quantity": 5, "period": "winter"},
        {"resource": "wood_waste", "quantity": 5, "period": "summer"},
    )
    r = match(net, sc)
    assert r.exchanges.empty
    assert "another period" in r.streams.loc["s", "reason"]


def test_blended_limit_holds_for_the_mix() -> None:
    # treated wastewater at 30 ppm COD; the demand takes at most 10 ppm in its mix; virgin water has 0 ppm,
    # so at most a third of the 900 m3 can be wastewater
    sc, net = _two(
        {"resource": "treated_wastewater", "quantity": 1000, "unit": "m3", "q_cod_ppm": 30},
        {"resource": "process_water", "quantity": 900, "unit": "m3", "q_cod_ppm_max": 10},
    )
    r = match(net, sc)
    check_result(r)
    assert r.exchanges["quantity"].sum() == pytest.approx(300)
    assert r.streams.loc["d", "reason"] == "the quality of the mix the demand receives is at its limit"


def test_link_capacity_and_fixed_cost_make_a_milp() -> None:
    supply, demand = {"resource": "heat_medium", "quantity": 1000}, {"resource": "heat_medium", "quantity": 800}
    # a new pipe: EUR 1/MWh to run, capacity 500 MWh, EUR 10,000 a year to have at all
    pipe = {"cost_per_unit": 1.0, "capacity": 500.0, "fixed_cost": 10000.0}
    net = pair(supply, demand, distance_km=20, links=[pipe])
    for solver in SOLVERS:
        r = match(net, scenario_for(candidates="links"), solver=solver)
        check_result(r)
        # 500 MWh x (45 - 1) = 22,000 saved, minus 10,000 fixed
        assert r.savings == pytest.approx(12000)
        assert r.exchanges["fixed_cost"].sum() == pytest.approx(10000)
        assert r.streams.loc["d", "reason"] == "the link's capacity is used up"
    net = pair(supply, demand, distance_km=20, links=[{**pipe, "fixed_cost": 30000.0}])  # now it does not pay
    r = match(net, scenario_for(candidates="links"))
    assert r.exchanges.empty and r.savings == pytest.approx(0)


def test_minimum_quantity_is_all_or_nothing() -> None:
    sc, net = _two(
        {"resource": "wood_waste", "quantity": 50, "min_quantity": 20}, {"resource": "wood_waste", "quantity": 15}
    )
    r = match(net, sc)
    check_result(r)
    assert r.exchanges.empty  # the demand can take 15 t, below the supplier's 20 t minimum
    sc, net = _two(
        {"resource": "wood_waste", "quantity": 50, "min_quantity": 20}, {"resource": "wood_waste", "quantity": 25}
    )
    r = match(net, sc)
    check_result(r)
    assert r.exchanges["quantity"].sum() == pytest.approx(25)


def test_links_only_mode_ignores_unlinked_pairs() -> None:
    sc, net = _two(
        {"resource": "wood_waste", "quantity": 5}, {"resource": "wood_waste", "quantity": 5}, candidates="links"
    )
    r = match(net, sc)
    assert r.exchanges.empty
    assert r.streams.loc["s", "reason"] == "no link in links.csv to a compatible partner"


def test_carbon_price_counts_in_objective() -> None:
    sc0, net = heat_pair()
    sc1 = scenario_for(circuity=1.0, carbon_price=100.0)
    r0, r1 = match(net, sc0), match(net, sc1)
    # the virgin heat avoided carries 0.224 t CO2e/MWh
    assert r1.savings - r0.savings == pytest.approx(300 * 0.224 * 100)


# ---------------------------------------------------------------------- every bundled scenario
@pytest.mark.parametrize("solver", SOLVERS)
def test_bundled_scenarios_solve_and_hold_the_invariants(bundled, solver: str) -> None:
    scenario, net = load(bundled)
    r = match(net, scenario, solver=solver)
    check_result(r)
    assert r.status is Status.OPTIMAL
    assert len(r.exchanges) >= 10
    assert r.savings > 0


def test_highs_and_cbc_agree_on_bundled(bundled) -> None:
    scenario, net = load(bundled)
    objs = [match(net, scenario, solver=s).objective for s in SOLVERS]
    assert objs == pytest.approx([objs[0]] * len(objs), rel=1e-7)


def test_duals_are_marginal_costs() -> None:
    """Raising one stream's quantity by a little changes the optimum by its dual."""
    scenario, net = load("scenarios/hillerod")
    base = match(net, scenario)
    frames = net.to_frames()
    for sid in ["S11", "D03", "S07", "D24"]:
        s = frames["streams"].copy()
        row = s["stream_id"] == sid
        eps = 1e-3 * float(s.loc[row, "quantity"].iloc[0])
        s.loc[row, "quantity"] += eps
        bumped = match(Network.from_frames(frames["members"], s, frames["links"], net.catalog), scenario)
        factor = net.streams.loc[sid, "quantity_base"] / net.streams.loc[sid, "quantity"]
        slope = (bumped.objective - base.objective) / (eps * factor)
        assert slope == pytest.approx(base.streams.loc[sid, "dual"], rel=1e-6, abs=1e-6), sid


# ---------------------------------------------------------------------- properties
@st.composite
def flow_instances(draw: st.DrawFn):
    ns = draw(st.integers(1, 6))
    nd = draw(st.integers(1, 6))
    supplies = draw(st.lists(st.integers(1, 50), min_size=ns, max_size=ns))
    demands = draw(st.lists(st.integers(1, 50), min_size=nd, max_size=nd))
    pairs = draw(st.lists(st.tuples(st.integers(0, ns - 1), st.integers(0, nd - 1)), unique=True, max_size=ns * nd))
    links = [(i, j, float(draw(st.integers(0, 30)))) for i, j in pairs]
    disposal = draw(st.lists(st.integers(0, 25), min_size=ns, max_size=ns))
    virgin = draw(st.lists(st.integers(0, 25), min_size=nd, max_size=nd))
    return supplies, demands, links, disposal, virgin


def _network_simplex(supplies, demands, links, disposal, virgin) -> int:
    """The same problem as a min-cost flow, solved by networkx's network simplex."""
    g = nx.DiGraph()
    q, r = sum(supplies), sum(demands)
    g.add_node("virgin", demand=-r)
    g.add_node("disposal", demand=q)
    for i, qi in enumerate(supplies):
        g.add_node(("s", i), demand=-qi)
        g.add_edge(("s", i), "disposal", weight=disposal[i])
    for j, rj in enumerate(demands):
        g.add_node(("d", j), demand=rj)
        g.add_edge("virgin", ("d", j), weight=virgin[j])
    g.add_edge("virgin", "disposal", weight=0)
    for i, j, c in links:
        g.add_edge(("s", i), ("d", j), weight=int(c))
    cost, _ = nx.network_simplex(g)
    return cost


@given(flow_instances())
def test_optimum_equals_network_simplex(inst) -> None:
    scenario, net = pure_flow(*inst)
    r = match(net, scenario)
    check_result(r)
    assert r.objective == pytest.approx(_network_simplex(*inst), rel=1e-9, abs=1e-6)


@given(flow_instances())
def test_never_worse_than_greedy(inst) -> None:
    supplies, demands, links, disposal, virgin = inst
    scenario, net = pure_flow(*inst)
    r = match(net, scenario)
    left_s, left_d = list(map(float, supplies)), list(map(float, demands))
    greedy = 0.0
    for i, j, c in sorted(links, key=lambda e: -(disposal[e[0]] + virgin[e[1]] - e[2])):
        gain = disposal[i] + virgin[j] - c
        amount = min(left_s[i], left_d[j])
        if gain > 0 and amount > 0:
            greedy += gain * amount
            left_s[i] -= amount
            left_d[j] -= amount
    assert r.savings >= greedy - 1e-6


@given(st.integers(0, 10_000))
def test_random_networks_hold_the_invariants_and_solvers_agree(seed: int) -> None:
    scenario, net = random_network(seed)
    results = [match(net, scenario, solver=s) for s in SOLVERS]
    for r in results:
        check_result(r)
    assert [r.objective for r in results] == pytest.approx([results[0].objective] * len(results), rel=1e-7, abs=1e-6)


@given(st.integers(0, 10_000), st.randoms(use_true_random=False))
def test_reordering_rows_does_not_change_the_optimum(seed: int, rnd) -> None:
    scenario, net = random_network(seed)
    frames = net.to_frames()
    members = frames["members"].sample(frac=1.0, random_state=rnd.randint(0, 10**6))
    streams = frames["streams"].sample(frac=1.0, random_state=rnd.randint(0, 10**6))
    shuffled = Network.from_frames(members, streams, None, net.catalog)
    assert match(shuffled, scenario).objective == pytest.approx(match(net, scenario).objective, rel=1e-9, abs=1e-6)


@given(st.integers(0, 10_000), st.data())
def test_tonnes_or_kilograms_give_the_same_optimum(seed: int, data) -> None:
    scenario, net = random_network(seed)
    streams = net.to_frames()["streams"]
    in_t = streams["unit"].eq("t")
    pick = in_t & np.array(data.draw(st.lists(st.booleans(), min_size=len(streams), max_size=len(streams))))
    streams.loc[pick, "quantity"] = streams.loc[pick, "quantity"] * 1000
    streams.loc[pick, "unit"] = "kg"
    rescaled = Network.from_frames(net.to_frames()["members"], streams, None, net.catalog)
    assert match(rescaled, scenario).objective == pytest.approx(match(net, scenario).objective, rel=1e-9, abs=1e-6)


# ---------------------------------------------------------------------- statuses and failure paths
def test_infeasible_and_unbounded_models_give_a_status_not_a_traceback() -> None:
    import scipy.sparse as sp

    from matcher.engine.formulation import LinearProgram

    infeasible = LinearProgram(
        c=np.array([1.0]),
        A=sp.csr_matrix(np.array([[1.0]])),
        row_lower=np.array([5.0]),
        row_upper=np.array([5.0]),
        col_lower=np.array([0.0]),
        col_upper=np.array([1.0]),
        integrality=np.array([False]),
    )
    unbounded = LinearProgram(
        c=np.array([-1.0]),
        A=sp.csr_matrix(np.array([[1.0]])),
        row_lower=np.array([0.0]),
        row_upper=np.array([np.inf]),
        col_lower=np.array([0.0]),
        col_upper=np.array([np.inf]),
        integrality=np.array([False]),
    )
    highs = get_solver("highs")
    assert highs.solve(infeasible).status is Status.INFEASIBLE
    assert highs.solve(unbounded).status is Status.UNBOUNDED
    for name in SOLVERS:  # whatever a backend reports, nothing is read back without a solution
        for lp in (infeasible, unbounded):
            sol = get_solver(name).solve(lp)
            assert not sol.status.has_solution and sol.x is None, (name, sol)


def test_a_result_without_solution_reads_nothing_back(monkeypatch) -> None:
    from matcher.solve import Solution
    from matcher.solve.highs import HighsSolver

    monkeypatch.setattr(
        HighsSolver, "solve", lambda self, lp, time_limit=None, start=None: Solution(Status.INFEASIBLE, message="no")
    )
    scenario, net = heat_pair()
    r = match(net, scenario)
    assert r.status is Status.INFEASIBLE and np.isnan(r.objective) and r.exchanges.empty
    assert r.to_dict()["objective"] is None


def test_unknown_solver_is_a_typed_error() -> None:
    with pytest.raises(matcher.UnknownSolver, match="available"):
        get_solver("nope")


def test_graph_view_and_components() -> None:
    scenario, net = load("scenarios/hillerod")
    cand, lp, _ = build(net, scenario)
    g = to_networkx(cand)
    assert g.number_of_edges() == len(cand.edges)
    assert nx.is_bipartite(g)
    label, pairs = components(cand)
    assert pairs.size == nx.number_connected_components(g)
    # every edge joins two streams of the same component
    ns = len(cand.inputs.supplies)
    assert (label[cand.edges["s"]] == label[ns + cand.edges["d"]]).all()
    # the same partition as networkx's: streams in one networkx component share one label
    ids = np.concatenate([cand.inputs.supplies.index, cand.inputs.demands.index])
    position = {sid: i for i, sid in enumerate(ids)}
    for comp in nx.connected_components(g):
        assert len({label[position[n]] for n in comp}) == 1


def test_catalog_used_is_the_scenario_catalog() -> None:
    scenario, net = load("scenarios/kalundborg")
    assert any(s.key == "biogas_feedstock" for s in net.catalog["biogenic_sludge"].substitutes)
    assert not any(s.key == "biogas_feedstock" for s in Catalog.builtin()["biogenic_sludge"].substitutes)


def test_a_time_limit_gives_an_honest_status() -> None:
    scenario, net = random_network(7, n_members=30, n_streams=300)
    r = match(net, scenario, time_limit=1e-6)
    assert r.status in (Status.OPTIMAL, Status.TIME_LIMIT_FEASIBLE, Status.TIME_LIMIT_NO_SOLUTION)
    if r.status.has_solution:
        check_result(r)
    else:
        assert r.exchanges.empty and np.isnan(r.objective)


@settings(max_examples=25)
@given(st.integers(0, 10_000), st.sampled_from(["cost", "co2e", "waste"]))
def test_pricing_reaches_the_optimum_of_the_whole_model(seed: int, objective: str) -> None:
    scenario, net = random_network(seed, n_members=25, n_streams=160, spread_deg=0.2)
    scenario = scenario_for(max_distance_km=60.0, objective=objective)
    net = Network.from_frames(
        net.to_frames()["members"],
        net.to_frames()["streams"].drop(columns=[c for c in ("q_cod_ppm_max",) if c in net.to_frames()["streams"]]),
        None,
        net.catalog,
    )
    whole = match(net, scenario, method="whole")
    priced = match(net, scenario, method="pricing")
    check_result(priced)
    assert priced.solver_objective == pytest.approx(whole.solver_objective, rel=1e-9, abs=1e-6)
    assert priced.timings["pricing_columns"] <= priced.timings["pricing_pairs"]


def test_pricing_is_refused_where_it_would_not_be_exact() -> None:
    # a blended limit is a row of the priced models: pricing is exact, and gives the whole model's optimum
    scenario, net = _two(
        {"resource": "treated_wastewater", "quantity": 1000, "unit": "m3", "q_cod_ppm": 30},
        {"resource": "process_water", "quantity": 900, "unit": "m3", "q_cod_ppm_max": 10},
    )
    priced = match(net, scenario, method="pricing")
    check_result(priced)
    assert priced.exchanges["quantity"].sum() == pytest.approx(300)
    assert priced.solver_objective == pytest.approx(match(net, scenario, method="whole").solver_objective, rel=1e-9)
    # integer columns (a minimum quantity): column generation would prove nothing, so it is refused
    scenario, net = _two(
        {"resource": "wood_waste", "quantity": 50, "min_quantity": 20}, {"resource": "wood_waste", "quantity": 25}
    )
    with pytest.raises(ValueError, match="integer columns"):
        match(net, scenario, method="pricing")
    assert match(net, scenario).status is Status.OPTIMAL  # auto falls back to the whole model


@settings(max_examples=15)
@given(st.integers(0, 10_000), st.floats(0.0, 3.0))
def test_a_warm_re_solve_equals_a_cold_solve(seed: int, factor: float) -> None:
    scenario, net = random_network(seed, n_members=15, n_streams=60)
    warm = matcher.WarmMatch(net, scenario)
    sid = net.streams.index[seed % len(net.streams)]
    quantity = float(net.streams.at[sid, "quantity"]) * factor
    changed = warm.change_stream(sid, quantity)
    frames = net.to_frames()
    streams = frames["streams"]
    streams.loc[streams["stream_id"] == sid, "quantity"] = max(quantity, 1e-9)
    cold = match(Network.from_frames(frames["members"], streams, None, net.catalog), scenario)
    assert changed.solver_objective == pytest.approx(cold.solver_objective, rel=1e-7, abs=1e-5)
    check_result(changed) if factor > 0 else None


def test_progress_reports_each_step() -> None:
    scenario, net = heat_pair()
    steps: list[str] = []
    match(net, scenario, progress=steps.append)
    assert [s.split(" (")[0] for s in steps] == [
        "finding candidate pairs",
        "building the model",
        "solving",
        "reading the results",
    ]
