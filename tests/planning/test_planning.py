"""Planners' tools: variants, objectives, Pareto fronts, sweeps, resilience, fair transfer prices."""

from __future__ import annotations

import json
import shutil
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import check_result

import matcher
from matcher import match
from matcher.cli import main
from matcher.planning.pareto import pareto_front
from matcher.planning.resilience import resilience
from matcher.planning.sweep import parse_param, sweep
from matcher.report.text import prices_text
from matcher.results.prices import member_shares, transfer_prices
from models import DataError, Network, Scenario, load
from models.examples import random_network, scenario_for
from models.io import apply_changes

ROOT = Path(__file__).parents[2] / "scenarios"


# ---------------------------------------------------------------------- variants
def _variant(tmp_path: Path, body: dict) -> Path:
    folder = tmp_path / "variant"
    folder.mkdir()
    (folder / "scenario.yaml").write_text(yaml.safe_dump({"extends": str(ROOT / "hillerod"), **body}), encoding="utf-8")
    return folder


def test_variant_is_the_base_with_exactly_the_stated_changes(tmp_path: Path) -> None:
    new_member = {"member_id": "M99", "name": "Ny varmepumpe", "lat": 55.93, "lon": 12.32}
    new_stream = {
        "stream_id": "S99",
        "member_id": "M99",
        "direction": "supply",
        "resource": "heat_low",
        "quantity": 5000,
        "unit": "MWh",
        "q_temperature_c": 60,
    }
    pipe = {
        "from_member": "M99",
        "to_member": "M02",
        "distance_km": 1.0,
        "capacity": 4000,
        "fixed_cost": 1e5,
        "mode": "pipe",
    }
    folder = _variant(
        tmp_path,
        {
            "name": "variant",
            "parameters": {"carbon_price": 400},
            "catalog": [
                {"key": "bottom_ash", "disposal_cost": {"value": 95, "unit": "EUR/t", "source": "test", "year": 2027}}
            ],
            "changes": {
                "remove_members": ["M21"],
                "remove_streams": ["S03"],
                "add_members": [new_member],
                "add_streams": [new_stream],
                "scale_streams": {"S01": 1.5},
                "add_links": [pipe],
            },
        },
    )
    base_sc, base = load(ROOT / "hillerod")
    sc, net = load(folder)
    # parameters: only the stated one differs
    assert sc.parameters.model_dump() == {**base_sc.parameters.model_dump(), "carbon_price": 400.0}
    assert sc.currency == base_sc.currency and sc.name == "variant"
    # catalog: only bottom_ash's disposal cost differs
    assert net.catalog["bottom_ash"].disposal_cost.value == 95
    for key, res in base.catalog.resources.items():
        if key != "bottom_ash":
            assert net.catalog[key] == res
    # network: the stated changes and nothing else
    members = base.members.drop(index="M21")
    assert set(net.members.index) == set(members.index) | {"M99"}
    pd.testing.assert_frame_equal(net.members.loc[members.index], members, check_dtype=False)
    expected = base.streams[(base.streams["member_id"] != "M21") & (base.streams.index != "S03")]
    assert set(net.streams.index) == set(expected.index) | {"S99"}
    assert net.streams.at["S01", "quantity_base"] == pytest.approx(1.5 * base.streams.at["S01", "quantity_base"])
    same = expected.index.drop("S01")
    pd.testing.assert_frame_equal(net.streams.loc[same, expected.columns], expected.loc[same], check_dtype=False)
    assert len(net.links) == len(base.links) + 1
    check_result(match(net, sc))


def test_show_prints_the_resolved_scenario(tmp_path: Path) -> None:
    folder = _variant(tmp_path, {"name": "v", "parameters": {"carbon_price": 50}})
    r = CliRunner().invoke(main, ["show", str(folder)])
    assert r.exit_code == 0, r.output
    doc = yaml.safe_load(r.stdout)
    assert doc["name"] == "v" and doc["parameters"]["carbon_price"] == 50 and doc["currency"] == "DKK"
    assert doc["parameters"]["max_distance_km"] == 60  # from the base
    assert (folder / doc["members"]).resolve() == (ROOT / "hillerod" / "members.csv").resolve()


def test_changes_that_refer_to_nothing_are_named(tmp_path: Path) -> None:
    folder = _variant(tmp_path, {"name": "v", "changes": {"remove_members": ["M77"], "scale_streams": {"S01": -2}}})
    with pytest.raises(DataError) as exc:
        load(folder)
    cols = {i.column for i in exc.value.issues}
    assert cols == {"changes.remove_members[0]", "changes.scale_streams.S01"}


def test_circular_extends_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "scenario.yaml").write_text("extends: ../b\nname: a\n")
    (tmp_path / "b" / "scenario.yaml").write_text("extends: ../a\nname: b\n")
    with pytest.raises(DataError, match="circle"):
        Scenario.from_yaml(tmp_path / "a")


# ---------------------------------------------------------------------- objectives
@settings(max_examples=15)
@given(st.integers(0, 10_000))
def test_each_objective_is_optimal_for_itself(seed: int) -> None:
    scenario, net = random_network(seed)
    results = {k: match(net, scenario_for(max_distance_km=60.0, objective=k)) for k in ("cost", "co2e", "waste")}
    for r in results.values():
        check_result(r)
    co2 = {k: float(r.kpis["co2e_avoided_t"]) for k, r in results.items()}
    waste = {k: float(r.kpis["waste_diverted_t"]) for k, r in results.items()}
    assert results["cost"].objective <= min(r.objective for r in results.values()) + 1e-6 * max(
        1, results["cost"].baseline_cost
    )
    assert co2["co2e"] >= max(co2.values()) - 1e-6
    assert waste["waste"] >= max(waste.values()) - 1e-6


@settings(max_examples=15)
@given(st.integers(0, 10_000), st.floats(0, 300), st.floats(1, 500))
def test_a_higher_carbon_price_never_raises_optimal_emissions(seed: int, p1: float, dp: float) -> None:
    _, net = random_network(seed)
    low = match(net, scenario_for(max_distance_km=60.0, carbon_price=p1))
    high = match(net, scenario_for(max_distance_km=60.0, carbon_price=p1 + dp))
    assert high.kpis["co2e_avoided_t"] >= low.kpis["co2e_avoided_t"] - 1e-6 * max(1.0, abs(low.kpis["co2e_avoided_t"]))


@settings(max_examples=10)
@given(st.integers(0, 10_000))
def test_along_a_pareto_front_cost_never_falls_as_emissions_fall(seed: int) -> None:
    scenario, net = random_network(seed, n_members=12, n_streams=40)
    front = pareto_front(net, scenario, "cost", "co2e", points=6).to_frame()
    assert (front["status"] == "optimal").all()
    assert np.all(np.diff(front["co2e"]) <= 1e-6 * max(1.0, front["co2e"].abs().max()))
    assert np.all(np.diff(front["cost"]) >= -1e-6 * max(1.0, front["cost"].abs().max()))
    # the cost end is the cost optimum
    assert front["cost"].iloc[0] == pytest.approx(match(net, scenario).objective, rel=1e-7)


def test_pareto_cli_json(runner: CliRunner) -> None:
    r = runner.invoke(main, ["pareto", str(ROOT / "kalundborg"), "--points", "4", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["points"] and all({"cost", "co2e", "status"} <= set(p) for p in doc["points"])


# ---------------------------------------------------------------------- resilience
@pytest.mark.parametrize("name", ["hillerod", "kalundborg"])
def test_removing_a_member_never_increases_savings_and_warm_equals_cold(name: str) -> None:
    scenario, net = load(ROOT / name)
    res = resilience(net, scenario, exchanges=True)
    base, members, exchanges = res.base_savings, res.members, res.exchanges
    assert exchanges is not None
    assert base == pytest.approx(match(net, scenario).savings, rel=1e-9)
    assert (members["savings_lost"] >= -1e-6 * base).all()
    assert members["savings_lost"].is_monotonic_decreasing
    assert (exchanges["savings_lost"] >= -1e-6 * base).all()
    # the warm re-solve gives what a cold solve of the network without the member gives
    for member in members["member_id"].head(3):
        without = apply_changes(net, Scenario(name="x", tables="-", changes={"remove_members": [member]}).changes)
        cold = match(without, scenario).savings
        warm = members.set_index("member_id").at[member, "savings_without"]
        assert warm == pytest.approx(cold, rel=1e-7, abs=1e-6)


def test_resilience_cli_json() -> None:
    r = CliRunner().invoke(main, ["resilience", str(ROOT / "kalundborg"), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["base_savings"] > 0 and len(doc["members"]) == 14
    lost = [m["savings_lost"] for m in doc["members"]]
    assert lost == sorted(lost, reverse=True)
    assert {"member_id", "savings_without", "savings_lost"} <= set(doc["members"][0])


# ---------------------------------------------------------------------- fair transfer prices
def _coalition_value(net: Network, scenario: Scenario, members: set[str]) -> float:
    frames = net.to_frames()
    m = frames["members"][frames["members"]["member_id"].isin(members)]
    s = frames["streams"][frames["streams"]["member_id"].isin(members)]
    if s.empty:
        return 0.0
    return match(Network.from_frames(m, s, None, net.catalog), scenario).savings


@settings(max_examples=12)
@given(st.integers(0, 10_000))
def test_transfer_prices_split_each_saving_and_no_pair_blocks(seed: int) -> None:
    scenario, net = random_network(seed, n_members=5, n_streams=12)
    result = match(net, scenario)
    alone = {pair: _coalition_value(net, scenario, set(pair)) for pair in combinations(net.members.index, 2)}
    supplier_total = {}
    for at in ("midpoint", "supplier", "receiver", "vertex"):  # every point of the optimal dual face is in the core
        prices = transfer_prices(result, at=at)
        tp = prices.exchanges
        assert np.allclose(tp["supplier_share"] + tp["receiver_share"], tp["saving"], rtol=1e-9, atol=1e-6)
        assert (tp["price_receiver_optimal"] <= tp["transfer_price"] + 1e-9 * tp["transfer_price"].abs() + 1e-9).all()
        assert (tp["transfer_price"] <= tp["price_supplier_optimal"] + 1e-9 * tp["transfer_price"].abs() + 1e-9).all()
        shares = prices.members["share_transfer_prices"]
        pd.testing.assert_frame_equal(prices.members, member_shares(result, tp))
        assert shares.sum() == pytest.approx(result.savings, rel=1e-9, abs=1e-6)
        assert (shares >= -1e-6).all()
        for pair, value in alone.items():
            assert shares[list(pair)].sum() >= value - 1e-6 * max(1.0, abs(value)), (at, pair)
        supplier_total[at] = tp["supplier_share"].sum()
    # suppliers keep the most at their end of the face and the least at the receivers'; the midpoint lies between
    tol = 1e-6 * max(1.0, result.savings)
    assert supplier_total["receiver"] - tol <= supplier_total["midpoint"] <= supplier_total["supplier"] + tol
    assert supplier_total["receiver"] - tol <= supplier_total["vertex"] <= supplier_total["supplier"] + tol
    assert supplier_total["midpoint"] == pytest.approx(
        (supplier_total["supplier"] + supplier_total["receiver"]) / 2, rel=1e-6, abs=1e-6
    )


def test_prices_cli() -> None:
    r = CliRunner().invoke(main, ["prices", str(ROOT / "hillerod"), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    ex = pd.DataFrame(doc["exchanges"])
    assert np.allclose(ex["supplier_share"] + ex["receiver_share"], ex["saving"])
    assert np.allclose(ex["supplier_share_5050"], ex["saving"] / 2)


# ---------------------------------------------------------------------- sweeps
def test_sweep_records_a_broken_point_and_completes_the_others(tmp_path: Path) -> None:
    params = [parse_param("parameters.carbon_price=0:1000:500"), parse_param("parameters.circuity=0.5,1.3")]
    scenario, network = load(ROOT / "hillerod")
    table = sweep(network, scenario, params, workers=2).to_frame()
    assert list(table["parameters.carbon_price"]) == [0, 0, 500, 500, 1000, 1000]  # input order
    broken = table["parameters.circuity"] == 0.5
    assert (table.loc[broken, "status"] == "failed").all()
    assert table.loc[broken, "message"].str.contains("circuity").all()
    assert (table.loc[~broken, "status"] == "optimal").all()
    direct = match(*reversed(load(ROOT / "hillerod"))).savings
    assert table.loc[1, "savings"] == pytest.approx(direct, rel=1e-9)
    assert table.loc[~broken, "savings"].is_monotonic_increasing


def test_sweep_cli_csv_contract(tmp_path: Path) -> None:
    out = tmp_path / "sweep.csv"
    r = CliRunner().invoke(
        main,
        [
            "sweep",
            str(ROOT / "kalundborg"),
            "--param",
            "parameters.carbon_price=0,500",
            "--param",
            "catalog.fgd_gypsum.disposal_cost=10,60",
            "--out",
            str(out),
            "--plot",
            str(tmp_path / "sweep.html"),
            "--quiet",
            "--workers",
            "2",
        ],
    )
    assert r.exit_code == 0, r.output
    table = pd.read_csv(out)
    assert list(table.columns[:5]) == [
        "parameters.carbon_price",
        "catalog.fgd_gypsum.disposal_cost",
        "status",
        "objective",
        "savings",
    ]
    assert {"waste_diverted_t", "co2e_avoided_t", "transport_tkm", "exchanges", "members_involved"} <= set(table)
    assert len(table) == 4 and (table["status"] == "optimal").all()
    # a dearer disposal of gypsum makes its exchange save more
    g = table.groupby("catalog.fgd_gypsum.disposal_cost")["savings"].mean()
    assert g[60] > g[10]
    assert (tmp_path / "sweep.html").stat().st_size > 100_000


def test_bad_sweep_parameter_is_a_usage_error() -> None:
    r = CliRunner().invoke(main, ["sweep", str(ROOT / "hillerod"), "--param", "carbon_price=1"])
    assert r.exit_code == 2 and "parameters." in r.output


def test_dask_local_cluster_gives_the_same_results_as_local_processes() -> None:
    params = [parse_param("parameters.carbon_price=0,250,500")]
    scenario, network = load(ROOT / "kalundborg")
    local = sweep(network, scenario, params, workers=2).to_frame()
    on_dask = sweep(network, scenario, params, dask="local").to_frame()
    pd.testing.assert_frame_equal(local, on_dask)


def test_variant_folder_copies_still_resolve(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "hillerod", tmp_path / "base")
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "scenario.yaml").write_text("extends: ../base\nname: v\nchanges:\n  remove_members: [M02]\n")
    _, net = load(tmp_path / "v")
    assert "M02" not in net.members.index


@pytest.mark.parametrize(
    "spec",
    [
        "parameters.carbon_price=0:inf:1",
        "parameters.carbon_price=0:1e12:1e-3",  # a trillion points: refused before any list is built
        "parameters.carbon_price=nan,1",
        "parameters.carbon_price=1,inf",
        "parameters.carbon_price=5:1:1",
        "parameters.carbon_price=0:1:0",
    ],
)
def test_a_grid_of_non_finite_or_countless_values_is_refused(spec: str) -> None:
    with pytest.raises(matcher.InvalidOption, match="parameters.carbon_price"):
        parse_param(spec)


def test_a_grid_beyond_the_bound_is_refused_before_anything_runs() -> None:
    scenario, network = load(ROOT / "hillerod")
    params = [parse_param("parameters.carbon_price=0:999:1"), parse_param("parameters.circuity=1:10:0.5")]
    with pytest.raises(matcher.InvalidOption, match="19,000 points"):
        sweep(network, scenario, params)
    small = sweep(network, scenario, [parse_param("parameters.carbon_price=0,1")], max_points=2, workers=1)
    assert len(small.to_frame()) == 2


def test_a_dask_address_that_is_nonsense_is_a_clear_error() -> None:
    scenario, network = load(ROOT / "hillerod")
    with pytest.raises(matcher.SymbioseError, match="cannot reach a Dask scheduler at 'nonsense'"):
        sweep(network, scenario, [parse_param("parameters.carbon_price=0,1")], dask="nonsense")


def test_planning_objects_give_the_json_the_cli_prints() -> None:
    scenario, network = load(ROOT / "kalundborg")
    front = pareto_front(network, scenario, points=3)
    res = resilience(network, scenario)
    for obj, cmd in ((front, "pareto"), (res, "resilience")):
        r = CliRunner().invoke(
            main, [cmd, str(ROOT / "kalundborg"), "--json"] + (["--points", "3"] if cmd == "pareto" else [])
        )
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout) == json.loads(json.dumps(obj.to_dict()))
        assert len(obj.to_frame()) >= 1
        fig = obj.plot()
        assert len(fig.data) >= 1


def test_the_price_range_spans_the_optimal_dual_face_and_the_midpoint_splits_it() -> None:
    members = pd.DataFrame(
        {"member_id": ["A", "B"], "name": ["Sawmill", "Board maker"], "lat": [56.0, 56.0], "lon": [12.0, 12.01]}
    )
    streams = pd.DataFrame(
        {
            "stream_id": ["S1", "D1"],
            "member_id": ["A", "B"],
            "direction": ["supply", "demand"],
            "resource": ["wood_waste", "wood_waste"],
            "quantity": [100.0, 100.0],
            "unit": ["t", "t"],
            "disposal_cost": [10.0, None],
            "virgin_cost": [None, 30.0],
        }
    )
    links = pd.DataFrame({"from_member": ["A"], "to_member": ["B"], "cost_per_unit": [5.0]})
    net = Network.from_frames(members, streams, links)
    scenario = Scenario(name="two members", currency="EUR", tables="-")
    result = match(net, scenario)
    assert result.savings == pytest.approx(3500.0)  # (10 + 30 - 5) x 100 t
    # the face: pi_S + pi_D = 5, pi_S <= 10, pi_D <= 30, so the price pi_D runs from -5 to 30
    tp = transfer_prices(result).exchanges.iloc[0]
    assert tp["price_receiver_optimal"] == pytest.approx(-5.0)
    assert tp["price_supplier_optimal"] == pytest.approx(30.0)
    assert tp["transfer_price"] == pytest.approx(12.5)
    assert tp["supplier_share"] == pytest.approx(1750.0) and tp["receiver_share"] == pytest.approx(1750.0)
    assert transfer_prices(result, at="supplier").exchanges.iloc[0]["supplier_share"] == pytest.approx(3500.0)
    assert transfer_prices(result, at="receiver").exchanges.iloc[0]["receiver_share"] == pytest.approx(3500.0)
    with pytest.raises(matcher.InvalidOption):
        transfer_prices(result, at="somewhere")


def test_bundled_prices_have_a_range_where_the_face_is_wide() -> None:
    scenario, net = load(ROOT / "kalundborg")
    tp = transfer_prices(match(net, scenario)).exchanges
    wide = tp["price_supplier_optimal"] > tp["price_receiver_optimal"] + 1e-6
    assert wide.any()
    mid = (tp["price_supplier_optimal"] + tp["price_receiver_optimal"]) / 2
    assert np.allclose(tp.loc[wide, "transfer_price"], mid[wide], rtol=1e-9)


def test_hillerods_milp_prices_have_a_range_and_each_exchange_adds_up() -> None:
    # Hillerød has a minimum quantity (S18): a MILP, priced on its LP with the binaries fixed
    scenario, net = load(ROOT / "hillerod")
    prices = transfer_prices(match(net, scenario))
    assert (prices.point, prices.note, prices.fixed_binaries) == ("midpoint", "", True)
    tp = prices.exchanges
    wide = tp["price_supplier_optimal"] > tp["price_receiver_optimal"] + 1e-6
    assert wide.any()
    for saving, total in zip(tp["saving"], tp["supplier_share"] + tp["receiver_share"], strict=True):
        assert total == pytest.approx(saving, rel=1e-9)
    mid = (tp["price_supplier_optimal"] + tp["price_receiver_optimal"]) / 2
    assert np.allclose(tp["transfer_price"], mid, rtol=1e-9)
    assert "midpoint" in prices_text(prices) and "minimum quantities" in prices_text(prices)


def _milp_pair_network(min_quantity: float) -> Network:
    """A sawmill supplying a board maker over a link with a fixed cost, and a boiler with a minimum quantity.

    A third member's link is too dear to open (its binary stays 0).
    """
    members = pd.DataFrame(
        {
            "member_id": ["A", "B", "C", "D"],
            "name": ["Sawmill", "Board maker", "Boiler", "Far plant"],
            "lat": [56.0, 56.0, 56.01, 56.02],
            "lon": [12.0, 12.01, 12.0, 12.0],
        }
    )
    streams = pd.DataFrame(
        {
            "stream_id": ["S1", "D1", "D2", "D3"],
            "member_id": ["A", "B", "C", "D"],
            "direction": ["supply", "demand", "demand", "demand"],
            "resource": ["wood_waste"] * 4,
            "quantity": [100.0, 60.0, 40.0, 50.0],
            "unit": ["t"] * 4,
            "disposal_cost": [10.0, None, None, None],
            "virgin_cost": [None, 30.0, 25.0, 28.0],
            "min_quantity": [None, None, min_quantity, None],
        }
    )
    links = pd.DataFrame(
        {
            "from_member": ["A", "A", "A"],
            "to_member": ["B", "C", "D"],
            "cost_per_unit": [5.0, 4.0, 1.0],
            "fixed_cost": [200.0, None, 1e6],
        }
    )
    return Network.from_frames(members, streams, links)


def test_milp_midpoint_duals_are_optimal_for_the_lp_with_the_binaries_fixed() -> None:
    from matcher.engine.candidates import find_candidates
    from matcher.engine.formulation import build_lp
    from matcher.results.dual_face import dual_range
    from matcher.solve import get_solver
    from matcher.solve.base import with_fixed_integers

    net, scenario = _milp_pair_network(min_quantity=30.0), Scenario(name="milp", currency="EUR", tables="-")
    result = match(net, scenario)
    assert result.savings == pytest.approx(60 * 35 - 200 + 40 * 31)  # A-B (fixed cost 200) and A-C, A-D closed
    # the LP with the binaries fixed where the solver's own MILP optimum has them
    lp = build_lp(find_candidates(net, scenario))
    assert lp.is_mip
    milp = get_solver("highs").solve(lp)
    fixed = with_fixed_integers(lp, milp.x)
    assert sorted(np.round(milp.x[lp.integrality]).tolist()) == [0.0, 1.0, 1.0]  # A-D closed
    x, a = milp.x, fixed.A.toarray()
    face = dual_range(result)
    assert face is not None and face.fixed_binaries
    activity = a @ x
    free_col = fixed.col_lower == fixed.col_upper
    at_lower = ~free_col & (x <= fixed.col_lower + 1e-9)
    at_upper = ~free_col & (x >= fixed.col_upper - 1e-9)
    between = ~free_col & ~at_lower & ~at_upper
    equality = fixed.row_lower == fixed.row_upper
    row_up = ~equality & (activity >= fixed.row_upper - 1e-9)
    row_lo = ~equality & (activity <= fixed.row_lower + 1e-9)
    for pi in (face.midpoint_rows, *face.rows):
        rc = fixed.c - a.T @ pi  # reduced costs
        tol = 1e-7 * np.maximum(1.0, np.abs(fixed.c))
        assert (rc[at_lower] >= -tol[at_lower]).all() and (rc[at_upper] <= tol[at_upper]).all()
        assert np.allclose(rc[between], 0.0, atol=1e-7)
        assert (pi[row_up] <= 1e-7).all() and (pi[row_lo] >= -1e-7).all()
        assert np.allclose(pi[~equality & ~row_up & ~row_lo], 0.0, atol=1e-7)  # slack rows
        # complementary: c'x is the dual objective (row bounds at the duals' signs, fixed columns at their value)
        bound = np.where(pi > 0, fixed.row_lower, fixed.row_upper)
        dual_obj = pi[pi != 0] @ bound[pi != 0] + rc[free_col] @ x[free_col]
        assert dual_obj == pytest.approx(fixed.c @ x, rel=1e-9, abs=1e-6)
    # the midpoint lies between the ends; by hand: pi_S1 runs from -21 to 10, pi_D1 from -5 to 30, pi_D2 from -6 to 25
    low = np.minimum(face.supplier_optimal, face.receiver_optimal)
    high = np.maximum(face.supplier_optimal, face.receiver_optimal)
    assert ((low - 1e-9 <= face.midpoint) & (face.midpoint <= high + 1e-9)).all()
    tp = transfer_prices(result).exchanges.set_index("demand_stream")
    assert tp["transfer_price"].to_dict() == pytest.approx({"D1": 12.5, "D2": 9.5})
    assert tp["price_receiver_optimal"].to_dict() == pytest.approx({"D1": -5.0, "D2": -6.0})
    assert tp["price_supplier_optimal"].to_dict() == pytest.approx({"D1": 30.0, "D2": 25.0})
    assert np.allclose(tp["supplier_share"] + tp["receiver_share"], tp["saving"], rtol=1e-9)


def test_where_no_range_can_be_computed_the_prices_say_so() -> None:
    # D2 needs 40 t with a minimum of 40 t: one tonne less and the exchange breaks, so the face is unbounded
    result = match(_milp_pair_network(min_quantity=40.0), Scenario(name="milp", currency="EUR", tables="-"))
    prices = transfer_prices(result)
    assert prices.point == "vertex" and "unbounded" in prices.note
    tp = prices.exchanges
    assert tp["price_receiver_optimal"].isna().all() and tp["price_supplier_optimal"].isna().all()
    assert np.allclose(tp["transfer_price"], result.streams["dual"].loc[tp["demand_stream"]].to_numpy())
    assert np.allclose(tp["supplier_share"] + tp["receiver_share"], tp["saving"], rtol=1e-9)
    text = prices_text(prices)
    assert "not a midpoint" in text and "the midpoint of" not in text
    assert prices.to_dict()["note"] == prices.note
