"""Periods, storage and processes: intake, hand-checked cases, invariants, properties, PyPSA cross-check."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from invariants import check_result

import matcher
from matcher.engine.candidates import find_candidates
from models import DataError, Network
from models.examples import SEASONS, random_network, scenario_for, seasonal

# no shrinking: every example solves LPs, and a failing seed is reported as it is
SETTINGS = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)

MEMBERS = pd.DataFrame(
    {"member_id": ["A", "B", "C"], "name": ["Alfa", "Beta", "Gamma"], "lat": [56.0, 56.0, 56.0], "lon": [10.0] * 3}
)


def _net(streams: list[dict], **tables: pd.DataFrame) -> Network:
    return Network.from_frames(MEMBERS, pd.DataFrame(streams), None, None, **tables)


# ---------------------------------------------------------------------- hand-checked cases
def test_summer_heat_reaches_winter_only_through_the_store_with_its_losses() -> None:
    periods = pd.DataFrame({"period": ["summer", "winter"], "hours": [4000.0, 4766.0]})
    store = pd.DataFrame(
        [
            {
                "storage_id": "PIT",
                "member_id": "B",
                "resource": "heat_low",
                "capacity": 5000,
                "unit": "MWh",
                "efficiency_in": 0.9,
                "efficiency_out": 0.95,
                "loss_per_hour": 1e-4,
            }
        ]
    )
    streams = [
        {
            "stream_id": "s",
            "member_id": "A",
            "direction": "supply",
            "resource": "heat_low",
            "quantity": 1000,
            "unit": "MWh",
            "period": "summer",
        },
        {
            "stream_id": "d",
            "member_id": "B",
            "direction": "demand",
            "resource": "heat_low",
            "quantity": 800,
            "unit": "MWh",
            "period": "winter",
        },
    ]
    net = _net(streams, periods=periods, storage=store)
    result = matcher.match(net, scenario_for("store"))
    check_result(result)
    ex = result.exchanges.set_index(["supply_stream", "demand_stream", "period"])["quantity"]
    # written out: all summer heat charged (1000), the winter level is 0, so the winter discharge is
    # 1000 * 0.9 (stored) * 0.9999^4766 (kept through winter) * 0.95 (delivered)
    delivered = 1000 * 0.9 * (1 - 1e-4) ** 4766 * 0.95
    assert ex[("s", "PIT", "summer")] == pytest.approx(1000.0)
    assert ex[("PIT", "d", "winter")] == pytest.approx(delivered, rel=1e-9)
    assert ("s", "d", "summer") not in ex.index and ("s", "d", "winter") not in ex.index  # never directly
    level = result.storage.set_index("period")["level"]
    assert level["summer"] == pytest.approx(900.0) and level["winter"] == pytest.approx(0.0, abs=1e-6)
    # what is left to buy virgin in winter, at the catalog's price of heat
    virgin = net.catalog.table("EUR").at["heat_low", "virgin_cost"]
    assert result.objective == pytest.approx((800 - delivered) * virgin, rel=1e-9)
    why = result.streams.at["d", "reason"]
    assert why.startswith("in winter: ")


def test_a_biogas_chain_whose_digestate_has_no_taker_disposes_of_it_at_its_cost() -> None:
    processes = pd.DataFrame(
        [
            {
                "process_id": "AD",
                "member_id": "B",
                "reference": "biogas_feedstock",
                "capacity": 1,
                "unit": "t/h",
                "cost_per_unit": 10,
            }
        ]
    )
    flows = pd.DataFrame(
        {
            "process_id": "AD",
            "resource": ["biogas_feedstock", "biogas", "fertiliser"],
            "direction": ["input", "output", "output"],
            "ratio": [1.0, 0.6, 0.8],
            "disposal_cost": [np.nan, np.nan, 15.0],
        }
    )
    streams = [
        {
            "stream_id": "food",
            "member_id": "A",
            "direction": "supply",
            "resource": "food_waste",
            "quantity": 1000,
            "unit": "t",
        },
        {
            "stream_id": "gas",
            "member_id": "C",
            "direction": "demand",
            "resource": "biogas",
            "quantity": 600,
            "unit": "MWh",
        },
    ]
    net = _net(streams, processes=processes, process_flows=flows)
    result = matcher.match(net, scenario_for("biogas"))
    check_result(result)
    assert result.processes["throughput"].sum() == pytest.approx(1000.0)
    # members at one site: no transport; the plant's cost per tonne and the 800 t of digestate disposed at 15
    assert result.objective == pytest.approx(1000 * 10 + 800 * 15, rel=1e-9)
    left = result.model_rows["left"]
    assert left["s:AD:fertiliser"] == pytest.approx(800.0)
    # the plant keeps half of each of its exchanges' savings and bears its own costs
    half = result.exchanges["saving"].sum() / 2
    assert result.members.at["B", "saving"] == pytest.approx(half - 22000.0, rel=1e-9)


def test_a_process_input_is_bought_virgin_only_at_a_given_price() -> None:
    processes = pd.DataFrame(
        [{"process_id": "AD", "member_id": "B", "reference": "biogas_feedstock", "capacity": 1, "unit": "t/h"}]
    )
    flows = pd.DataFrame(
        {
            "process_id": "AD",
            "resource": ["biogas_feedstock", "biogas"],
            "direction": ["input", "output"],
            "ratio": [1.0, 0.6],
            "virgin_cost": [5.0, np.nan],
        }
    )
    streams = [
        {
            "stream_id": "gas",
            "member_id": "C",
            "direction": "demand",
            "resource": "biogas",
            "quantity": 600,
            "unit": "MWh",
        },
    ]
    result = matcher.match(_net(streams, processes=processes, process_flows=flows), scenario_for("virgin feed"))
    check_result(result)
    assert result.processes["throughput"].sum() == pytest.approx(1000.0)  # 5 per t buys 0.6 MWh worth 45 each
    no_price = flows.drop(columns="virgin_cost")
    result = matcher.match(_net(streams, processes=processes, process_flows=no_price), scenario_for("no feed"))
    assert result.processes["throughput"].sum() == pytest.approx(0.0)


def test_rates_multiply_by_the_hours_of_their_periods_and_links_split_by_hours() -> None:
    periods = pd.DataFrame({"period": ["a", "b"], "hours": [1000.0, 3000.0]})
    streams = [
        {
            "stream_id": "s",
            "member_id": "A",
            "direction": "supply",
            "resource": "heat_low",
            "quantity": 2,
            "unit": "MW",
        },
        {
            "stream_id": "d",
            "member_id": "B",
            "direction": "demand",
            "resource": "heat_low",
            "quantity": 1,
            "unit": "MW",
            "period": "b",
        },
    ]
    net = Network.from_frames(
        MEMBERS,
        pd.DataFrame(streams),
        pd.DataFrame([{"from_member": "A", "to_member": "B", "capacity": 2000}]),
        periods=periods,
    )
    assert net.streams.at["s", "quantity_base"] == pytest.approx(8000.0)
    assert net.streams.at["d", "quantity_base"] == pytest.approx(3000.0)
    result = matcher.match(net, scenario_for("rates"))
    check_result(result)
    # the yearly capacity of 2000 MWh gives period b three quarters of it
    assert result.exchanges["quantity"].sum() == pytest.approx(1500.0)


# ---------------------------------------------------------------------- intake
def _folder(tmp_path, tables: dict[str, str]) -> str:
    (tmp_path / "members.csv").write_text("member_id,name,lat,lon\nA,Alfa,56,10\nB,Beta,56.01,10\n")
    base = {
        "streams.csv": "stream_id,member_id,direction,resource,quantity,unit,period,profile\n"
        "s,A,supply,heat_low,100,MWh,,\nd,B,demand,heat_low,100,MWh,,flat\n",
        "periods.csv": "period,hours\nwinter,4383\nsummer,4383\n",
        "profiles.csv": "profile,period,weight\nflat,winter,1\nflat,summer,1\n",
    }
    base.update(tables)
    keys = []
    for name, text in base.items():
        (tmp_path / name).write_text(text)
        keys.append(f"{name.removesuffix('.csv')}: {name}")
    (tmp_path / "scenario.yaml").write_text("name: t\nmembers: members.csv\n" + "\n".join(keys) + "\n")
    return str(tmp_path)


def _problems(path: str) -> set[tuple[str, int | None, str]]:
    import models

    with pytest.raises(DataError) as err:
        models.load(path)
    return {(i.file, i.row, i.column) for i in err.value.issues}


def test_every_mistake_in_the_new_tables_names_file_row_and_column(tmp_path) -> None:
    path = _folder(
        tmp_path,
        {
            "streams.csv": "stream_id,member_id,direction,resource,quantity,unit,period,profile\n"
            "s,A,supply,heat_low,100,MWh,spring,\nd,B,demand,heat_low,100,MWh,winter,flat\n"
            "e,B,demand,heat_low,100,MWh,,nope\n",
            "periods.csv": "period,hours\nwinter,4383\nwinter,0\n",
            "profiles.csv": "profile,period,weight\nflat,winter,-1\nflat,autumn,1\n",
            "storage.csv": "storage_id,member_id,resource,capacity,unit,efficiency_in,loss_per_hour\n"
            "T,Z,heat_low,10,MW,1.5,1\ns,A,heat_lowx,10,MWh,,\n",
            "processes.csv": "process_id,member_id,reference,capacity,unit\nP,A,biogas_feedstock,5,t\n",
            "process_flows.csv": "process_id,resource,direction,ratio,disposal_cost\nP,biogas_feedstock,input,2,3\n"
            "Q,biogas,sideways,1,\n",
        },
    )
    found = _problems(path)
    expected = {
        ("periods.csv", 3, "hours"),
        ("periods.csv", 3, "period"),
        ("profiles.csv", 2, "weight"),
        ("profiles.csv", 3, "period"),
        ("streams.csv", 2, "period"),
        ("streams.csv", 3, "profile"),
        ("streams.csv", 4, "profile"),
        ("storage.csv", 2, "member_id"),
        ("storage.csv", 2, "unit"),
        ("storage.csv", 2, "efficiency_in"),
        ("storage.csv", 2, "loss_per_hour"),
        ("storage.csv", 3, "resource"),
        ("storage.csv", 3, "storage_id"),
        ("processes.csv", 2, "unit"),
        ("process_flows.csv", 2, "ratio"),
        ("process_flows.csv", 2, "disposal_cost"),
        ("process_flows.csv", 3, "process_id"),
        ("process_flows.csv", 3, "direction"),
    }
    assert expected <= found, expected - found


def test_the_same_tables_load_from_a_workbook_and_from_json(tmp_path) -> None:
    scenario, net = seasonal()
    frames = net.to_frames()
    assert set(frames) >= {"periods", "profiles", "storage", "processes", "process_flows"}
    book = tmp_path / "net.xlsx"
    with pd.ExcelWriter(book) as w:
        for name, frame in frames.items():
            if len(frame):
                frame.to_excel(w, sheet_name=name, index=False)
    (tmp_path / "scenario.yaml").write_text("name: book\ntables: net.xlsx\nparameters: {max_distance_km: 30}\n")
    import models

    s2, from_book = models.load(str(tmp_path))
    doc = tmp_path / "net.json"
    net.to_json(doc)
    _, from_json = models.load(str(doc))
    want = matcher.match(net, scenario).objective
    assert matcher.match(from_book, s2).objective == pytest.approx(want, rel=1e-9)
    assert matcher.match(from_json, scenario).objective == pytest.approx(want, rel=1e-9)
    bad = json.loads(doc.read_text())
    bad["storage"][0]["capacity"] = -1
    doc.write_text(json.dumps(bad))
    with pytest.raises(DataError) as err:
        models.load(str(doc))
    assert [(i.file, i.row, i.column) for i in err.value.issues] == [("net.json[storage]", 1, "capacity")]


def test_a_dataframe_with_a_bad_profile_names_its_row() -> None:
    periods = pd.DataFrame({"period": ["a", "b"], "hours": [1.0, 1.0]})
    profiles = pd.DataFrame({"profile": ["p", "p"], "period": ["a", "b"], "weight": [0.0, 0.0]})
    streams = [
        {
            "stream_id": "s",
            "member_id": "A",
            "direction": "supply",
            "resource": "heat_low",
            "quantity": 1,
            "unit": "MWh",
            "profile": "p",
        }
    ]
    with pytest.raises(DataError) as err:
        _net(streams, periods=periods, profiles=profiles)
    assert [(i.file, i.row, i.column) for i in err.value.issues] == [("<streams DataFrame>", 0, "profile")]


# ---------------------------------------------------------------------- properties
def _one_period(net: Network) -> Network:
    frames = net.to_frames()
    return Network.from_frames(
        frames["members"],
        frames["streams"],
        None,
        net.catalog,
        periods=pd.DataFrame({"period": ["y"], "hours": [8766.0]}),
    )


@SETTINGS
@given(st.integers(0, 10_000))
def test_one_period_is_todays_model_exactly(seed: int) -> None:
    scenario, net = random_network(seed, n_members=6, n_streams=14)
    today = matcher.match(net, scenario)
    once = matcher.match(_one_period(net), scenario)
    check_result(once)
    assert once.status == today.status
    assert once.objective == pytest.approx(today.objective, rel=1e-9, abs=1e-6)
    a = today.exchanges.set_index(["supply_stream", "demand_stream"])["quantity"].sort_index()
    b = once.exchanges.set_index(["supply_stream", "demand_stream"])["quantity"].sort_index()
    assert math.isclose(a.sum(), b.sum(), rel_tol=1e-9, abs_tol=1e-6)
    assert today.kpis == pytest.approx(once.kpis, rel=1e-9, abs=1e-6)


@SETTINGS
@given(st.integers(0, 10_000), st.sampled_from([1, 3, 4]))
def test_splitting_periods_in_halves_with_flat_profiles_keeps_the_year(seed: int, n: int) -> None:
    scenario, net = random_network(seed, n_members=6, n_streams=14)
    frames = net.to_frames()
    hours = np.full(n, 8766.0 / n)
    coarse = pd.DataFrame({"period": [f"p{i}" for i in range(n)], "hours": hours})
    fine = pd.DataFrame({"period": [f"p{i}{h}" for i in range(n) for h in "ab"], "hours": np.repeat(hours / 2, 2)})
    a = matcher.match(
        Network.from_frames(frames["members"], frames["streams"], None, net.catalog, periods=coarse), scenario
    )
    b = matcher.match(
        Network.from_frames(frames["members"], frames["streams"], None, net.catalog, periods=fine), scenario
    )
    check_result(a)
    check_result(b)
    assert b.objective == pytest.approx(a.objective, rel=1e-9, abs=1e-6)
    assert b.kpis["energy_recovered_mwh"] == pytest.approx(a.kpis["energy_recovered_mwh"], rel=1e-9, abs=1e-6)


def _random_seasonal(seed: int) -> tuple[object, Network]:
    """Random heat and biogas networks over 2-6 periods with a store and a process, random figures."""
    rng = np.random.default_rng(seed)
    n_t = int(rng.integers(2, 7))
    hours = rng.uniform(200, 3000, n_t)
    periods = pd.DataFrame({"period": [f"t{i}" for i in range(n_t)], "hours": hours})
    members = pd.DataFrame(
        {
            "member_id": [f"M{i}" for i in range(5)],
            "name": [f"M{i}" for i in range(5)],
            "lat": 56 + rng.uniform(0, 0.1, 5),
            "lon": 10 + rng.uniform(0, 0.1, 5),
        }
    )
    rows = []
    for i in range(int(rng.integers(3, 8))):
        heat = rng.random() < 0.6
        supply = rng.random() < 0.5
        res = "heat_low" if heat else ("food_waste" if supply else "biogas")
        if not supply and res == "food_waste":
            res = "biogas"
        when = rng.choice([None, *periods["period"]])
        rows.append(
            {
                "stream_id": f"X{i}",
                "member_id": f"M{rng.integers(0, 5)}",
                "direction": "supply" if supply else "demand",
                "resource": res,
                "quantity": float(rng.uniform(10, 500)),
                "unit": "MWh" if res != "food_waste" else "t",
                "period": when,
            }
        )
    storage = pd.DataFrame(
        [
            {
                "storage_id": "K",
                "member_id": f"M{rng.integers(0, 5)}",
                "resource": "heat_low",
                "capacity": float(rng.uniform(0, 400)),
                "unit": "MWh",
                "max_charge": float(rng.uniform(0.01, 1)),
                "max_discharge": float(rng.uniform(0.01, 1)),
                "efficiency_in": float(rng.uniform(0.5, 1)),
                "efficiency_out": float(rng.uniform(0.5, 1)),
                "loss_per_hour": float(rng.uniform(0, 1e-3)),
                "cost_per_unit": float(rng.uniform(0, 5)),
            }
        ]
    )
    processes = pd.DataFrame(
        [
            {
                "process_id": "P",
                "member_id": f"M{rng.integers(0, 5)}",
                "reference": "biogas_feedstock",
                "capacity": float(rng.uniform(0.01, 0.2)),
                "unit": "t/h",
                "cost_per_unit": float(rng.uniform(0, 30)),
            }
        ]
    )
    flows = pd.DataFrame(
        {
            "process_id": "P",
            "resource": ["biogas_feedstock", "biogas", "heat_low"],
            "direction": ["input", "output", "output"],
            "ratio": [1.0, float(rng.uniform(0.2, 1)), float(rng.uniform(0.1, 0.5))],
            "virgin_cost": [float(rng.uniform(0, 60)) if rng.random() < 0.5 else np.nan, np.nan, np.nan],
        }
    )
    net = Network.from_frames(
        members,
        pd.DataFrame(rows),
        None,
        None,
        periods=periods,
        storage=storage,
        processes=processes,
        process_flows=flows,
    )
    return scenario_for(f"seasonal {seed}", max_distance_km=30.0, carbon_price=float(rng.uniform(0, 100))), net


@SETTINGS
@given(st.integers(0, 10_000))
def test_seasonal_invariants_and_pricing_equal_the_whole_lp(seed: int) -> None:
    scenario, net = _random_seasonal(seed)
    whole = matcher.match(net, scenario, method="whole")
    check_result(whole)  # balances per period, store dynamics and conservation, process ratios, totals
    priced = matcher.match(net, scenario, method="pricing")
    check_result(priced)
    assert priced.objective == pytest.approx(whole.objective, rel=1e-9, abs=1e-6)


@settings(SETTINGS, max_examples=5)
@given(st.integers(0, 10_000))
def test_the_optimum_is_the_one_pypsa_finds_for_the_same_network(seed: int) -> None:
    pytest.importorskip("pypsa")
    from crosscheck import pypsa_objective

    scenario, net = _random_seasonal(seed)
    ours = matcher.match(net, scenario, method="whole")
    theirs = pypsa_objective(find_candidates(net, scenario))
    assert ours.objective == pytest.approx(theirs, rel=1e-6, abs=1e-6)


def test_the_bundled_example_matches_pypsa() -> None:
    pytest.importorskip("pypsa")
    from crosscheck import pypsa_objective

    scenario, net = seasonal()
    assert matcher.match(net, scenario).objective == pytest.approx(
        pypsa_objective(find_candidates(net, scenario)), rel=1e-6
    )


def test_search_refuses_a_seasonal_network_and_auto_prices_it() -> None:
    scenario, net = seasonal()
    with pytest.raises(matcher.Unsupported, match="periods, storage or processes"):
        matcher.match(net, scenario, method="search")
    assert len(SEASONS) == 4


def test_a_warm_match_of_a_seasonal_network_rebuilds_from_its_basis() -> None:
    scenario, net = seasonal()
    warm = matcher.WarmMatch(net, scenario)
    changed = warm.change_stream("heat_dh", 12000.0)
    frames = net.to_frames()
    frames["streams"].loc[frames["streams"]["stream_id"] == "heat_dh", "quantity"] = 12000.0
    cold = matcher.match(Network.from_frames(**{k: v for k, v in frames.items() if k != "links"}), scenario)
    assert changed.objective == pytest.approx(cold.objective, rel=1e-9)
    check_result(changed)


def test_planner_tools_work_on_a_seasonal_network() -> None:
    import models
    from models.scenario import Changes

    scenario, net = seasonal()
    base = matcher.match(net, scenario)
    ranking = matcher.resilience(net, scenario).to_frame().set_index("member_id")
    for member in ("DH", "BG"):  # the members with the store and the process: both stop with their member
        without = matcher.match(models.io.apply_changes(net, Changes(remove_members=[member])), scenario)
        assert ranking.at[member, "savings_without"] == pytest.approx(without.savings, rel=1e-9)
    front = matcher.pareto_front(net, scenario, x="cost", y="co2e", points=3).to_frame()
    assert front["cost"].iloc[0] == pytest.approx(base.objective, rel=1e-9)
    runs = matcher.sweep(net, scenario, [matcher.parse_param("parameters.carbon_price=0:100:100")], workers=1)
    assert runs.to_frame()["objective"].iloc[0] == pytest.approx(base.objective, rel=1e-9)
    value = net.catalog["food_waste"].disposal_cost.value  # the catalog's own figure: the same optimum
    runs = matcher.sweep(net, scenario, [matcher.parse_param(f"catalog.food_waste.disposal_cost={value}")], workers=1)
    assert runs.to_frame()["objective"].iloc[0] == pytest.approx(base.objective, rel=1e-9)
    cmp = matcher.compare([base, matcher.match(net, scenario.model_copy(update={"name": "again"}))])
    assert cmp.kpis.loc["savings"].iloc[0] == pytest.approx(base.savings)
    prices = matcher.transfer_prices(base).exchanges
    assert "period" in prices.columns and len(prices) == len(base.exchanges)
    # shares of each exchange add up to its saving, in every period
    assert np.allclose(prices["supplier_share"] + prices["receiver_share"], prices["saving"], rtol=1e-6, atol=1e-6)


def test_match_json_csv_and_xlsx_of_a_seasonal_network(tmp_path) -> None:
    from click.testing import CliRunner

    import scenarios
    from matcher.cli import main

    path = str(scenarios.path("hillerod_seasonal"))
    r = CliRunner().invoke(main, ["match", path, "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert {tuple(sorted(s)) for s in doc["storage"]} == {("charge", "discharge", "level", "period", "storage_id")}
    assert {tuple(sorted(p)) for p in doc["processes"]} == {("period", "process_id", "throughput")}
    assert len(doc["storage"]) == 12 and all("period" in e for e in doc["exchanges"])
    out = tmp_path / "res"
    r = CliRunner().invoke(main, ["match", path, "--out", str(out), "--xlsx", str(tmp_path / "r.xlsx")])
    assert r.exit_code == 0, r.output
    assert {"storage.csv", "processes.csv", "stream_periods.csv"} <= {p.name for p in out.iterdir()}
    with pd.ExcelFile(tmp_path / "r.xlsx") as book:
        sheets = book.sheet_names
    assert {"storage", "processes", "stream_periods"} <= set(sheets)
    bad = tmp_path / "bad"
    bad.mkdir()
    for f in scenarios.path("hillerod_seasonal").iterdir():
        if f.is_file():
            (bad / f.name).write_bytes(f.read_bytes())
    (bad / "scenario.yaml").write_text(
        (bad / "scenario.yaml").read_text().replace("extends: ../hillerod", f"extends: {scenarios.path('hillerod')}")
    )
    (bad / "storage.csv").write_text("storage_id;member_id;resource;capacity;unit\nPIT1;M02;heat_low;-5;MWh\n")
    r = CliRunner().invoke(main, ["match", str(bad)])
    assert r.exit_code == 1 and "storage.csv:2:capacity" in r.output and "Traceback" not in r.output


# ---------------------------------------------------------------------- fixed exchanges and excluded pairs by period
def _three_seasons() -> tuple[pd.DataFrame, pd.DataFrame, list[dict]]:
    periods = pd.DataFrame({"period": ["winter", "spring", "summer"], "hours": [2000.0, 3000.0, 3766.0]})
    profiles = pd.DataFrame({"profile": "heating", "period": ["winter", "spring", "summer"], "weight": [0.7, 0.3, 0.0]})
    streams = [
        {
            "stream_id": "s1",
            "member_id": "A",
            "direction": "supply",
            "resource": "heat_low",
            "quantity": 1000,
            "unit": "MWh",
        },
        {
            "stream_id": "s2",
            "member_id": "C",
            "direction": "supply",
            "resource": "heat_low",
            "quantity": 600,
            "unit": "MWh",
        },
        {
            "stream_id": "d1",
            "member_id": "B",
            "direction": "demand",
            "resource": "heat_low",
            "quantity": 900,
            "unit": "MWh",
            "profile": "heating",
        },
    ]
    return periods, profiles, streams


def test_a_fixed_exchange_flows_in_the_shared_periods_split_by_what_the_pair_can_carry() -> None:
    periods, profiles, streams = _three_seasons()
    fixed = pd.DataFrame({"supply_stream": ["s2"], "demand_stream": ["d1"], "quantity": [300.0], "unit": ["MWh"]})
    net = _net(streams, periods=periods, profiles=profiles).with_commitments(fixed)
    result = matcher.match(net, scenario_for("fixed"))
    check_result(result)
    ex = result.exchanges
    mine = ex[(ex["supply_stream"] == "s2") & (ex["demand_stream"] == "d1")].set_index("period")
    assert mine["implemented"].all() and not ex.loc[ex["supply_stream"] == "s1", "implemented"].any()
    # by hand: s2 has 600 spread by hours, d1 900 by the heating profile; summer carries nothing (no demand)
    hours = np.array([2000.0, 3000.0, 3766.0])
    supply = 600 * hours / hours.sum()
    demand = 900 * np.array([0.7, 0.3, 0.0])
    cap = np.minimum(supply, demand)
    expected = 300 * cap / cap.sum()
    for label, q in zip(["winter", "spring", "summer"], expected):
        if q > 0:
            assert mine.at[label, "quantity"] == pytest.approx(q, rel=1e-9)
        else:
            assert label not in mine.index
    assert mine["quantity"].sum() == pytest.approx(300.0, rel=1e-9)


def test_fixed_exchanges_beyond_a_period_are_an_error_naming_the_row_and_the_period() -> None:
    periods, profiles, streams = _three_seasons()
    fixed = pd.DataFrame(
        {"supply_stream": ["s1", "s2"], "demand_stream": ["d1", "d1"], "quantity": [500.0, 400.0], "unit": "MWh"}
    )
    net = _net(streams, periods=periods, profiles=profiles)
    with pytest.raises(DataError) as err:
        net.with_commitments(fixed)
    found = [(i.row, i.column) for i in err.value.issues]
    assert found and all(column == "quantity" for _, column in found)
    assert any("in period spring the fixed exchanges of d1 take 511" in i.message for i in err.value.issues)
    # a fixed exchange between streams that share no period
    one = [dict(streams[0], period="summer"), streams[2]]
    with pytest.raises(DataError) as err:
        _net(one, periods=periods, profiles=profiles).with_commitments(
            pd.DataFrame({"supply_stream": ["s1"], "demand_stream": ["d1"], "quantity": [1.0], "unit": ["MWh"]})
        )
    assert [i.column for i in err.value.issues] == ["demand_stream"]
    assert "no common period" in err.value.issues[0].message


@pytest.mark.parametrize("method", ["auto", "pricing", "whole"])
def test_an_excluded_pair_never_flows_in_any_period(method: str) -> None:
    periods, profiles, streams = _three_seasons()
    net = _net(streams, periods=periods, profiles=profiles)
    base = matcher.match(net, scenario_for("base"), method=method)
    assert ((base.exchanges["supply_stream"] == "s1") & (base.exchanges["demand_stream"] == "d1")).any()
    excluded = pd.DataFrame({"supply_stream": ["s1"], "demand_stream": ["d1"]})
    result = matcher.match(net.with_commitments(None, excluded), scenario_for("excluded"), method=method)
    check_result(result)
    ex = result.exchanges
    assert not ((ex["supply_stream"] == "s1") & (ex["demand_stream"] == "d1")).any()
    assert ((ex["supply_stream"] == "s2") & (ex["demand_stream"] == "d1")).any()
    assert result.objective >= base.objective - 1e-9 * abs(base.objective)


def test_prices_of_the_bundled_seasonal_scenario_a_milp_are_midpoints_within_their_range() -> None:
    """Seasonal Hillerød has a minimum quantity (a MILP): its prices come from the LP with the binaries fixed."""
    from click.testing import CliRunner

    import scenarios
    from matcher.cli import main

    r = CliRunner().invoke(main, ["prices", str(scenarios.path("hillerod_seasonal")), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["point"] == "midpoint" and doc["fixed_binaries"] is True
    ex = pd.DataFrame(doc["exchanges"])
    assert len(ex) and ex["period"].notna().all()
    low, high, price = ex["price_receiver_optimal"], ex["price_supplier_optimal"], ex["transfer_price"]
    assert (low <= price + 1e-6 * price.abs().clip(lower=1)).all() and (
        price <= high + 1e-6 * high.abs().clip(lower=1)
    ).all()
    shares = ex["supplier_share"] + ex["receiver_share"]
    assert np.allclose(shares, ex["saving"], rtol=1e-9, atol=1e-6)


def test_a_store_capacity_is_an_amount_and_a_process_capacity_a_rate() -> None:
    store = pd.DataFrame([{"storage_id": "K", "member_id": "B", "resource": "heat_low", "capacity": 10, "unit": "MW"}])
    processes = pd.DataFrame(
        [{"process_id": "P", "member_id": "B", "reference": "biogas_feedstock", "capacity": 10, "unit": "t"}]
    )
    flows = pd.DataFrame(
        {"process_id": ["P"], "resource": ["biogas_feedstock"], "direction": ["input"], "ratio": [1.0]}
    )
    streams = [
        {
            "stream_id": "s",
            "member_id": "A",
            "direction": "supply",
            "resource": "heat_low",
            "quantity": 1,
            "unit": "MWh",
        }
    ]
    with pytest.raises(DataError) as err:
        _net(streams, storage=store, processes=processes, process_flows=flows)
    found = {(i.column, i.message) for i in err.value.issues}
    assert ("unit", "capacity is an amount (MWh, t, m3), not the rate 'MW'") in found
    assert ("unit", "capacity is a rate (MW, t/h, m3/d), not the amount 't'") in found


def test_a_network_without_the_optional_tables_gets_what_their_checks_make_of_nothing(monkeypatch) -> None:
    """``check_seasons`` skips the checks where no optional table is given (a stream added to a kept match is
    checked alone); the seasons must be those the checks make, and each network's frames its own."""
    import models.network
    import models.seasons as seasons_module
    import scenarios
    from models import load

    _, fast = load(scenarios.path("hillerod"))
    _, other = load(scenarios.path("hillerod"))
    monkeypatch.setattr(models.network, "check_seasons", seasons_module._checked)
    _, slow = load(scenarios.path("hillerod"))
    assert not fast.seasons.active and fast.seasons.periods is None and fast.seasons.given == slow.seasons.given
    for name in ("profiles", "storage", "processes", "process_flows"):
        pd.testing.assert_frame_equal(getattr(fast.seasons, name), getattr(slow.seasons, name))
        assert getattr(fast.seasons, name) is not getattr(other.seasons, name)
    pd.testing.assert_frame_equal(fast.streams, slow.streams)
