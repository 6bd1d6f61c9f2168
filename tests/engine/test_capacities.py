"""Shared capacities: backhaul routes by hand, capacities never counted as waste, the invariants with capacities,
a network of capacities only, and the vectorised detour test against a loop of the haversine formula."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from invariants import _haversine_km, check_result

import matcher
from matcher.engine.candidates import find_candidates
from matcher.engine.compatibility import Routes
from matcher.report.text import match_text
from models import Catalog, DataError, Network
from models.examples import backhaul_route, capacity_network, scenario_for

CAT = Catalog.builtin()
CO2_KG_TKM = CAT["backhaul"].virgin_co2e.value  # type: ignore[union-attr]
RATE_EUR = CAT["backhaul"].transport_cost_per_unit_km.value  # type: ignore[union-attr]
MARKET_EUR = CAT["backhaul"].virgin_cost.value  # type: ignore[union-attr]


# ---------------------------------------------------------------------- backhaul on hand-made routes
def test_a_shipment_on_the_route_rides_free_and_avoids_its_own_trip() -> None:
    scenario, net = backhaul_route(offset_km=0.0)  # C and D on the route: no detour
    r = matcher.match(net, scenario)
    check_result(r)
    (row,) = r.exchanges.itertuples()
    shipment = 100.0 * 5  # 100 t over the 5 km from pickup to drop
    assert (row.supply_stream, row.demand_stream, row.quantity) == ("s", "d", pytest.approx(shipment))
    assert row.distance_km == pytest.approx(0.0, abs=1e-6)
    assert row.transport_cost == pytest.approx(0.0, abs=1e-6)
    # the CO2e avoided is the receiver's own trip: its t*km at the road-freight factor
    assert row.co2e_avoided_t == pytest.approx(shipment * CO2_KG_TKM / 1000)
    assert r.kpis["backhaul_co2e_avoided_t"] == pytest.approx(shipment * CO2_KG_TKM / 1000)
    assert r.kpis["backhaul_tkm"] == pytest.approx(shipment)
    assert r.savings == pytest.approx(shipment * MARKET_EUR)
    assert r.kpis["waste_diverted_t"] == r.kpis["virgin_avoided_t"] == r.kpis["transport_tkm"] == 0


def test_a_detour_within_the_limit_matches_and_pays_for_its_kilometres() -> None:
    offset = 1.0
    detour = np.hypot(2.0, offset) + 5.0 + np.hypot(3.0, offset) - 10.0  # ~0.40 km on the flat
    scenario, net = backhaul_route(offset_km=offset, max_detour_km=0.5)
    r = matcher.match(net, scenario)
    check_result(r)
    (row,) = r.exchanges.itertuples()
    assert row.distance_km == pytest.approx(detour, rel=2e-3)
    tonnes = row.quantity / 5.0  # the shipment's t*km over its 5 km
    assert row.transport_cost == pytest.approx(tonnes * row.distance_km * RATE_EUR, rel=1e-9)
    assert row.co2e_t == pytest.approx(tonnes * row.distance_km * CO2_KG_TKM / 1000, rel=1e-9)
    assert row.co2e_avoided_t == pytest.approx(row.quantity * CO2_KG_TKM / 1000 - row.co2e_t, rel=1e-9)
    assert row.saving == pytest.approx(row.quantity * MARKET_EUR - row.transport_cost, rel=1e-9)


def test_a_detour_beyond_the_limit_does_not_match_and_says_why() -> None:
    scenario, net = backhaul_route(offset_km=1.0, max_detour_km=0.3)  # the detour is ~0.40 km
    r = matcher.match(net, scenario)
    check_result(r)
    assert r.exchanges.empty
    assert r.streams.loc["s", "reason"] == "no shipment lies along the route within its detour limit (0.3 km)"
    assert r.streams.loc["d", "reason"].startswith("no backhaul route passes this shipment")
    assert r.kpis["backhaul_tkm"] == 0 and r.kpis["backhaul_co2e_avoided_t"] == 0


def test_the_catalog_limit_holds_where_the_supply_gives_none() -> None:
    limit = CAT["backhaul"].max_detour_km.value  # type: ignore[union-attr]
    for offset, matched in ((3.0, True), (9.0, False)):  # detours of about 5 km and about 18 km
        scenario, net = backhaul_route(offset_km=offset, max_detour_km=np.nan)
        r = matcher.match(net, scenario)
        check_result(r)
        assert (not r.exchanges.empty) is matched, (offset, limit)


def test_a_shipment_the_other_way_is_a_long_detour() -> None:
    # pickup 7 km north, drop 2 km north: the truck must drive back, 2 x 5 km out of its way
    def net_with(limit: float) -> tuple[object, Network]:
        scenario, net = backhaul_route(pickup_km=7.0, drop_km=2.0, demand_tkm=500.0, max_detour_km=limit)
        frames = net.to_frames()
        frames["streams"]["virgin_cost"] = [np.nan, 1.0]  # EUR 1 per t*km: worth 10 km for 5 km of cargo
        return scenario, Network.from_frames(frames["members"], frames["streams"])

    scenario, net = net_with(9.9)
    r = matcher.match(net, scenario)  # type: ignore[arg-type]
    assert r.exchanges.empty and r.streams.loc["d", "reason"].startswith("no backhaul route passes")
    scenario, net = net_with(10.1)
    (row,) = matcher.match(net, scenario).exchanges.itertuples()  # type: ignore[arg-type]
    assert row.distance_km == pytest.approx(10.0, rel=1e-3)
    # without the high price the 10 km do not pay: the pair is within reach but pruned
    scenario, plain = backhaul_route(pickup_km=7.0, drop_km=2.0, demand_tkm=500.0, max_detour_km=10.1)
    r = matcher.match(plain, scenario)
    assert r.exchanges.empty and r.streams.loc["d", "reason"].startswith("cheaper to buy it on the market")
    assert r.streams.loc["s", "reason"].startswith("cheaper to leave it idle")


def _loop_detours(routes_in: pd.DataFrame, shipments: pd.DataFrame, circuity: float) -> dict[tuple[int, int], float]:
    """Detours of every pair within the limit, by a Python loop of the haversine formula (the test's own)."""
    out = {}
    for i, a in enumerate(routes_in.itertuples()):
        for j, c in enumerate(shipments.itertuples()):
            km = [
                _haversine_km(*p, *q) * circuity
                for p, q in (
                    ((a.lat, a.lon), (c.lat, c.lon)),
                    ((c.lat, c.lon), (c.route_lat, c.route_lon)),
                    ((c.route_lat, c.route_lon), (a.route_lat, a.route_lon)),
                    ((a.lat, a.lon), (a.route_lat, a.route_lon)),
                )
            ]
            detour = max(0.0, km[0] + km[1] + km[2] - km[3])
            if detour <= a.max_detour_km:
                out[(i, j)] = detour
    return out


@settings(max_examples=25)
@given(seed=st.integers(0, 10_000), circuity=st.floats(1.0, 1.6))
def test_vectorised_detours_equal_a_loop_of_the_haversine_formula(seed: int, circuity: float) -> None:
    rng = np.random.default_rng(seed)
    ns, nd = int(rng.integers(1, 9)), int(rng.integers(1, 9))

    def frame(n: int) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "lat": 55.5 + rng.uniform(0, 0.4, n),
                "lon": 12.0 + rng.uniform(0, 0.4, n),
                "route_lat": 55.5 + rng.uniform(0, 0.4, n),
                "route_lon": 12.0 + rng.uniform(0, 0.4, n),
                "max_detour_km": rng.uniform(0, 40, n),
            }
        )

    sup, dem = frame(ns), frame(nd)
    routes = Routes.of_frames(sup, dem, circuity)
    s, d = np.repeat(np.arange(ns), nd), np.tile(np.arange(nd), ns)
    ok, detour = routes.pairs(s, d)
    expected = _loop_detours(sup, dem, circuity)
    got = {(int(i), int(j)): float(x) for i, j, x in zip(s[ok], d[ok], detour[ok])}
    near_limit = {
        (i, j)
        for i in range(ns)
        for j in range(nd)
        if abs(detour[i * nd + j] - sup["max_detour_km"].iat[i]) < 1e-6  # a rounding apart from the limit
    }
    assert set(got) - near_limit == set(expected) - near_limit
    for key in set(got) & set(expected):
        assert got[key] == pytest.approx(expected[key], rel=1e-9, abs=1e-9)


# ---------------------------------------------------------------------- never waste; invariants hold
@settings(max_examples=20)
@given(seed=st.integers(0, 10_000), materials=st.booleans(), carbon=st.sampled_from([0.0, 500.0]))
def test_invariants_hold_with_capacities_present(seed: int, materials: bool, carbon: float) -> None:
    scenario, net = capacity_network(seed, materials=materials)
    scenario = scenario.model_copy(
        update={"parameters": scenario.parameters.model_copy(update={"carbon_price": carbon})}
    )
    r = matcher.match(net, scenario)
    check_result(r)  # includes: capacities count in no waste, virgin-material or transport KPI
    capacity = r.exchanges["resource"].map(lambda k: CAT[k].category == "capacity")
    if not materials:
        assert r.kpis["waste_diverted_t"] == r.kpis["virgin_avoided_t"] == r.kpis["transport_tkm"] == 0
        assert capacity.all()
    # the capacity exchanges alone add up to the capacity networks' saving: no material pays for them
    alone = matcher.match(capacity_network(seed, materials=False)[1], scenario)
    assert r.exchanges.loc[capacity.to_numpy(), "saving"].sum() == pytest.approx(alone.savings, rel=1e-6, abs=1e-6)


@settings(max_examples=15)
@given(seed=st.integers(0, 10_000))
def test_capacity_streams_never_count_as_waste_diverted(seed: int) -> None:
    scenario, net = capacity_network(seed, materials=False)
    for objective in ("cost", "waste", {"cost": 1.0, "co2e": 100.0}):
        sc = scenario.model_copy(update={"parameters": scenario.parameters.model_copy(update={"objective": objective})})
        r = matcher.match(net, sc)
        check_result(r)
        assert r.kpis["waste_diverted_t"] == 0.0
    inputs = find_candidates(net, scenario).inputs
    assert (inputs.supplies["waste_t"] == 0).all()  # the waste objective sees no capacity


def test_whole_pricing_and_search_agree_with_capacities() -> None:
    scenario, net = capacity_network(11, n_members=10, n_streams=30)
    results = [matcher.match(net, scenario, method=m) for m in ("whole", "pricing", "search")]
    for r in results:
        check_result(r)
    assert results[1].objective == pytest.approx(results[0].objective, rel=1e-9)
    assert results[2].objective == pytest.approx(results[0].objective, rel=1e-9)


def test_a_backhaul_stream_added_warm_finds_its_pairs() -> None:
    scenario, net = backhaul_route(offset_km=0.0, demand_tkm=200.0)
    frames = net.to_frames()
    without = frames["streams"][frames["streams"]["stream_id"] != "d"]
    warm = matcher.WarmMatch(Network.from_frames(frames["members"], without), scenario)
    row = frames["streams"].set_index("stream_id").loc["d"].dropna().to_dict()
    result = warm.add_stream({"stream_id": "d", **row})
    check_result(result)
    assert result.exchanges["demand_stream"].tolist() == ["d"]
    assert result.objective == pytest.approx(matcher.match(net, scenario).objective, rel=1e-9)


# ---------------------------------------------------------------------- a network of capacities only
def _capacities_only() -> Network:
    members = pd.DataFrame(
        {
            "member_id": ["W", "L", "S", "R"],
            "name": ["Warehouse", "Laboratory", "School workshop", "Receiver"],
            "lat": [55.90, 55.91, 55.92, 55.905],
            "lon": [12.30, 12.31, 12.29, 12.305],
        }
    )
    streams = pd.DataFrame(
        [
            {
                "stream_id": "S1",
                "member_id": "W",
                "direction": "supply",
                "resource": "storage_space",
                "quantity": 500,
                "unit": "m2",
            },
            {
                "stream_id": "D1",
                "member_id": "R",
                "direction": "demand",
                "resource": "storage_space",
                "quantity": 100,
                "unit": "pallet",
            },
            {
                "stream_id": "S2",
                "member_id": "L",
                "direction": "supply",
                "resource": "equipment_time",
                "quantity": 4,
                "unit": "h/week",
            },
            {
                "stream_id": "D2",
                "member_id": "R",
                "direction": "demand",
                "resource": "equipment_time",
                "quantity": 300,
                "unit": "h",
            },
            {
                "stream_id": "S3",
                "member_id": "S",
                "direction": "supply",
                "resource": "training_places",
                "quantity": 3,
                "unit": "seat",
            },
            {
                "stream_id": "D3",
                "member_id": "R",
                "direction": "demand",
                "resource": "training_places",
                "quantity": 2,
                "unit": "places",
            },
            {
                "stream_id": "S4",
                "member_id": "L",
                "direction": "supply",
                "resource": "expertise",
                "quantity": 50,
                "unit": "h",
            },
            {
                "stream_id": "D4",
                "member_id": "W",
                "direction": "demand",
                "resource": "expertise",
                "quantity": 20,
                "unit": "h",
            },
        ]
    )
    return Network.from_frames(members, streams)


def test_a_network_of_capacities_only_matches_and_reports_sensibly(tmp_path) -> None:  # type: ignore[no-untyped-def]
    net = _capacities_only()
    r = matcher.match(net, scenario_for("capacities", currency="DKK"))
    check_result(r)
    k = r.kpis
    lab_hours = 4 * 365.25 / 7
    assert k["storage_space_shared_m2"] == pytest.approx(96.0)  # 100 EUR-pallet footprints of 0.96 m2
    assert k["equipment_time_shared_h"] == pytest.approx(lab_hours)  # the lab's 209 h, of 300 asked
    assert k["training_places_shared"] == pytest.approx(2.0)
    assert k["expertise_shared_h"] == pytest.approx(20.0)
    assert k["waste_diverted_t"] == k["virgin_avoided_t"] == k["transport_tkm"] == k["backhaul_tkm"] == 0
    assert k["co2e_avoided_t"] == pytest.approx(0.0) and k["exchanges"] == 4
    dkk = CAT.fx("EUR", "DKK")
    price = {
        key: CAT[key].virgin_cost.value * dkk
        for key in ("storage_space", "equipment_time", "training_places", "expertise")
    }  # type: ignore[union-attr]
    expected = 96 * price["storage_space"] + lab_hours * price["equipment_time"]
    expected += 2 * price["training_places"] + 20 * price["expertise"]
    assert r.savings == pytest.approx(expected, rel=1e-9)
    assert r.streams.loc["D2", "left"] == pytest.approx(300 - lab_hours)
    assert r.streams.loc["D2", "reason"] == "compatible surplus in reach is used up (by this or better pairs)"
    assert set(r.exchanges["unit"]) == {"m2", "h", "seat"}

    html = matcher.write_report(r, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<h2>Shared capacities</h2>" in html
    for unit in ("m2", "h", "seat"):
        assert f'class="figure sankey capacity" data-unit="{unit}"' in html
    assert 'class="figure sankey" data-unit=' not in html  # no material diagram without materials
    assert 'data-kpi="storage_space_shared_m2"' in html and "SDG target 8.5/4.4" in html
    text = match_text(r)
    assert "storage_space" in text and "training_places_shared" in text and "nan" not in text.lower()


def test_capacity_reach_is_local_for_storage() -> None:
    # storage reaches 20 km (catalog), expertise travels anywhere within the scenario's reach
    members = pd.DataFrame(
        {"member_id": ["A", "B"], "name": ["A", "B"], "lat": [55.0, 55.0 + 30 / 111.2], "lon": [12.0, 12.0]}
    )
    rows = [
        {
            "stream_id": "s1",
            "member_id": "A",
            "direction": "supply",
            "resource": "storage_space",
            "quantity": 10,
            "unit": "m2",
        },
        {
            "stream_id": "d1",
            "member_id": "B",
            "direction": "demand",
            "resource": "storage_space",
            "quantity": 10,
            "unit": "m2",
        },
        {
            "stream_id": "s2",
            "member_id": "A",
            "direction": "supply",
            "resource": "expertise",
            "quantity": 10,
            "unit": "h",
        },
        {
            "stream_id": "d2",
            "member_id": "B",
            "direction": "demand",
            "resource": "expertise",
            "quantity": 10,
            "unit": "h",
        },
    ]
    r = matcher.match(Network.from_frames(members, pd.DataFrame(rows)), scenario_for(circuity=1.0))
    check_result(r)
    assert r.exchanges["resource"].tolist() == ["expertise"]
    assert r.streams.loc["d1", "reason"] == "no compatible partner within reach (20 km)"


# ---------------------------------------------------------------------- intake of backhaul rows
@pytest.mark.parametrize(
    ("change", "column", "words"),
    [
        ({"dest_lat": None, "dest_lon": None}, "dest_lat", "needs where it goes"),
        ({"dest_lon": None}, "dest_lon", "dest_lon is missing"),
        ({"dest_member": "C"}, "dest_member", "not both"),
        ({"dest_lat": None, "dest_lon": None, "dest_member": "ZZ"}, "dest_member", "is not a member_id"),
        ({"dest_lat": 91}, "dest_lat", "at most 90"),
        ({"unit": "t"}, "unit", "freight work"),
        ({"max_detour_km": -1}, "max_detour_km", "at least 0"),
    ],
)
def test_bad_backhaul_supply_rows_name_row_and_column(change: dict, column: str, words: str) -> None:
    _, net = backhaul_route()
    frames = net.to_frames()
    streams = frames["streams"].copy().astype(object)
    for k, v in change.items():
        streams.loc[streams["stream_id"] == "s", k] = v
    with pytest.raises(DataError) as err:
        Network.from_frames(frames["members"], streams)
    assert any(i.row == 0 and i.column == column and words in i.message for i in err.value.issues), err.value.issues


def test_route_columns_belong_to_route_streams_and_a_shipment_goes_somewhere() -> None:
    _, net = backhaul_route()
    frames = net.to_frames()
    streams = frames["streams"].copy().astype(object)
    streams.loc[streams["stream_id"] == "d", "max_detour_km"] = 5
    extra = pd.DataFrame(
        [
            {
                "stream_id": "x",
                "member_id": "A",
                "direction": "supply",
                "resource": "storage_space",
                "quantity": 5,
                "unit": "m2",
                "dest_lat": 56.0,
                "max_detour_km": 2,
            },
            {
                "stream_id": "y",
                "member_id": "C",
                "direction": "demand",
                "resource": "backhaul",
                "quantity": 5,
                "unit": "t*km",
                "dest_member": "C",
            },
            {
                "stream_id": "z",
                "member_id": "A",
                "direction": "supply",
                "resource": "storage_space",
                "quantity": 5,
                "unit": "m2/month",
            },
        ]
    )
    with pytest.raises(DataError) as err:
        Network.from_frames(frames["members"], pd.concat([streams, extra], ignore_index=True))
    found = {(i.row, i.column) for i in err.value.issues}
    assert {(1, "max_detour_km"), (2, "dest_lat"), (2, "max_detour_km"), (3, "dest_member"), (4, "unit")} <= found
    messages = " | ".join(i.message for i in err.value.issues)
    assert "belongs to the supply" in messages and "own site" in messages and "floor space" in messages


def test_dest_member_gives_the_destination_site() -> None:
    _, net = backhaul_route()
    frames = net.to_frames()
    streams = frames["streams"].copy().astype(object)
    streams.loc[streams["stream_id"] == "d", ["dest_lat", "dest_lon"]] = None
    streams.loc[streams["stream_id"] == "d", "dest_member"] = "A"
    out = Network.from_frames(frames["members"], streams)
    assert out.streams.loc["d", ["route_lat", "route_lon"]].tolist() == [56.0, 10.0]
    assert "route_lat" not in out.to_frames()["streams"].columns  # derived, never written back
