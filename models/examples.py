"""Canonical small networks, reused by tests, notebooks and benchmarks.

Each function returns ``(scenario, network)`` built through the public API
(:meth:`Network.from_frames`), so the examples exercise the same checks as
members' files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .catalog import Catalog
from .network import Network
from .scenario import Parameters, Scenario
from .units import EARTH_RADIUS_KM

__all__ = [
    "backhaul_route",
    "capacity_network",
    "heat_pair",
    "pair",
    "pure_flow",
    "random_network",
    "scenario_for",
    "seasonal",
]


def scenario_for(name: str = "example", currency: str = "EUR", **parameters: Any) -> Scenario:
    """A scenario with default parameters, overridden by keyword."""
    return Scenario(name=name, currency=currency, tables="<in memory>", parameters=Parameters(**parameters))


def pair(
    supply: Mapping[str, Any],
    demand: Mapping[str, Any],
    distance_km: float = 1.0,
    same_member: bool = False,
    links: Sequence[Mapping[str, Any]] = (),
) -> Network:
    """Two members ``A`` and ``B`` (``distance_km`` apart along a meridian), supply ``s`` and demand ``d``.

    ``supply`` and ``demand`` give the stream columns (``resource``, ``quantity``, ...;
    ``unit`` defaults to the resource's base unit); with ``same_member`` both
    streams belong to ``A``.
    """
    dlat = np.degrees(distance_km / EARTH_RADIUS_KM)
    members = pd.DataFrame(
        {"member_id": ["A", "B"], "name": ["Alfa", "Beta"], "lat": [56.0, 56.0 + dlat], "lon": [10.0, 10.0]}
    )
    catalog = Catalog.builtin()
    rows = [
        {"stream_id": "s", "member_id": "A", "direction": "supply", **supply},
        {"stream_id": "d", "member_id": "A" if same_member else "B", "direction": "demand", **demand},
    ]
    for row in rows:
        row.setdefault("unit", catalog[row["resource"]].unit)
    link_frame = pd.DataFrame([{"from_member": "A", "to_member": "B", **lk} for lk in links]) if links else None
    return Network.from_frames(members, pd.DataFrame(rows), link_frame)


def heat_pair(distance_km: float = 2.0) -> tuple[Scenario, Network]:
    """A dairy (``A``) with 500 MWh of 80 C heat and a greenhouse (``B``) needing 300 MWh at >= 60 C."""
    network = pair(
        {"resource": "heat_medium", "quantity": 500.0, "q_temperature_c": 80.0},
        {"resource": "heat_low", "quantity": 300.0, "q_temperature_c_min": 60.0},
        distance_km=distance_km,
    )
    return scenario_for("heat pair", circuity=1.0), network


def pure_flow(
    supplies: Sequence[float],
    demands: Sequence[float],
    links: Sequence[tuple[int, int, float]],
    disposal_cost: Sequence[float],
    virgin_cost: Sequence[float],
) -> tuple[Scenario, Network]:
    """A transportation problem of one resource (``wood_waste``, t) with given link costs.

    Member ``S<i>`` holds supply ``s<i>`` and member ``D<j>`` demand ``d<j>``;
    ``links`` are ``(i, j, cost_per_unit)`` and the scenario admits only them
    (``candidates: links``), so the LP is a pure min-cost flow.
    """
    ns, nd = len(supplies), len(demands)
    members = pd.DataFrame(
        {
            "member_id": [f"S{i}" for i in range(ns)] + [f"D{j}" for j in range(nd)],
            "name": [f"Supplier {i}" for i in range(ns)] + [f"Receiver {j}" for j in range(nd)],
            "lat": 55.0 + np.arange(ns + nd) * 0.01,
            "lon": 12.0,
        }
    )
    streams = pd.DataFrame(
        {
            "stream_id": [f"s{i}" for i in range(ns)] + [f"d{j}" for j in range(nd)],
            "member_id": list(members["member_id"]),
            "direction": ["supply"] * ns + ["demand"] * nd,
            "resource": "wood_waste",
            "quantity": list(supplies) + list(demands),
            "unit": "t",
            "disposal_cost": list(disposal_cost) + [np.nan] * nd,
            "virgin_cost": [np.nan] * ns + list(virgin_cost),
        }
    )
    link_frame = pd.DataFrame(
        {
            "from_member": [f"S{i}" for i, _, _ in links],
            "to_member": [f"D{j}" for _, j, _ in links],
            "cost_per_unit": [c for _, _, c in links],
        }
    )
    catalog = Catalog.builtin().extended(
        {"resources": [{"key": "wood_waste", "substitutes": [], "disposal_co2e": None, "virgin_co2e": None}]}
    )
    network = Network.from_frames(members, streams, link_frame if len(link_frame) else None, catalog)
    return scenario_for("pure flow", candidates="links"), network


_RANDOM_RESOURCES = [
    "heat_medium",
    "heat_low",
    "process_water",
    "treated_wastewater",
    "wood_waste",
    "wood_chips",
    "used_oil",
    "crushed_concrete",
    "aggregates",
    "plastic_pe",
]


def random_network(
    seed: int, n_members: int = 8, n_streams: int = 20, spread_deg: float = 0.3
) -> tuple[Scenario, Network]:
    """A random but valid network mixing substitutes, quality limits, blends and hazardous waste."""
    rng = np.random.default_rng(seed)
    members = pd.DataFrame(
        {
            "member_id": [f"M{i}" for i in range(n_members)],
            "name": [f"Member {i}" for i in range(n_members)],
            "lat": 55.5 + rng.uniform(0, spread_deg, n_members),
            "lon": 12.0 + rng.uniform(0, spread_deg, n_members),
        }
    )
    resource = rng.choice(_RANDOM_RESOURCES, n_streams)
    direction = rng.choice(["supply", "demand"], n_streams)
    supply = direction == "supply"
    heat = np.isin(resource, ["heat_medium", "heat_low"])
    water = np.isin(resource, ["process_water", "treated_wastewater"])
    oil = resource == "used_oil"
    base_unit = np.where(heat, "MWh", np.where(water, "m3", "t"))
    streams = pd.DataFrame(
        {
            "stream_id": [f"X{i}" for i in range(n_streams)],
            "member_id": rng.choice(members["member_id"], n_streams),
            "direction": direction,
            "resource": resource,
            "quantity": np.round(rng.uniform(1, 1000, n_streams), 1),
            "unit": base_unit,
            "q_temperature_c": np.where(heat & supply, rng.integers(40, 120, n_streams), np.nan),
            "q_temperature_c_min": np.where(heat & ~supply, rng.integers(40, 100, n_streams), np.nan),
            "q_cod_ppm": np.where(water & supply, rng.integers(0, 60, n_streams), np.nan),
            "q_cod_ppm_max": np.where(
                water & ~supply & (resource == "process_water"), rng.integers(5, 40, n_streams), np.nan
            ),
            "ewc_code": np.where(oil & supply, "13 02 05*", ""),
            "accepts_ewc": np.where(oil & ~supply & (rng.random(n_streams) < 0.5), "13 02 05", ""),
        }
    )
    scenario = scenario_for(f"random {seed}", max_distance_km=60.0)
    return scenario, Network.from_frames(members, streams)


#: Kilometres per degree of latitude on the sphere of :data:`~models.units.EARTH_RADIUS_KM`.
KM_PER_DEGREE = np.radians(1.0) * EARTH_RADIUS_KM


def backhaul_route(
    offset_km: float = 0.0,
    max_detour_km: float = 3.0,
    route_km: float = 10.0,
    pickup_km: float = 2.0,
    drop_km: float = 7.0,
    supply_tkm: float = 10_000.0,
    demand_tkm: float | None = None,
) -> tuple[Scenario, Network]:
    """A truck's route and one shipment beside it, along a meridian, by hand (circuity 1).

    Member ``A`` (the haulier) at 56 N 10 E has a backhaul supply ``s`` on a route ``route_km``
    north; member ``C``, ``pickup_km`` north of ``A`` and ``offset_km`` east of the route, ships
    ``d`` to a point ``drop_km`` north of ``A``, as far east. The detour is then
    ``hypot(pickup_km, offset_km) + (drop_km - pickup_km) + hypot(route_km - drop_km, offset_km) - route_km``
    (on the sphere: within metres for a few km). ``demand_tkm`` defaults to the shipment's length
    times 100 t.
    """
    east = offset_km / (KM_PER_DEGREE * np.cos(np.radians(56.0)))
    north = 1.0 / KM_PER_DEGREE
    members = pd.DataFrame(
        {
            "member_id": ["A", "C"],
            "name": ["Haulier", "Shipper"],
            "lat": [56.0, 56.0 + pickup_km * north],
            "lon": [10.0, 10.0 + east],
        }
    )
    streams = pd.DataFrame(
        [
            {
                "stream_id": "s",
                "member_id": "A",
                "direction": "supply",
                "resource": "backhaul",
                "quantity": supply_tkm,
                "unit": "t*km",
                "dest_lat": 56.0 + route_km * north,
                "dest_lon": 10.0,
                "max_detour_km": max_detour_km,
            },
            {
                "stream_id": "d",
                "member_id": "C",
                "direction": "demand",
                "resource": "backhaul",
                "quantity": 100.0 * (drop_km - pickup_km) if demand_tkm is None else demand_tkm,
                "unit": "t*km",
                "dest_lat": 56.0 + drop_km * north,
                "dest_lon": 10.0 + east,
            },
        ]
    )
    return scenario_for("backhaul route", circuity=1.0), Network.from_frames(members, streams)


_CAPACITY_UNITS = {
    "backhaul": ("t*km", "tkm/week"),
    "storage_space": ("m2", "pallet"),
    "equipment_time": ("h", "h/week"),
    "training_places": ("seat", "seat"),
    "expertise": ("h", "h"),
}


def capacity_network(
    seed: int, n_members: int = 8, n_streams: int = 16, spread_deg: float = 0.3, materials: bool = True
) -> tuple[Scenario, Network]:
    """Random capacity streams of every kind (backhaul routes ending within the region), alone or beside the
    materials of :func:`random_network` with the same seed and members."""
    scenario, base = random_network(seed, n_members, 20, spread_deg)
    rng = np.random.default_rng(seed + 7919)
    members = base.to_frames()["members"]
    kind = rng.choice(list(_CAPACITY_UNITS), n_streams)
    direction = rng.choice(["supply", "demand"], n_streams)
    route = kind == "backhaul"
    units = np.array([_CAPACITY_UNITS[k][int(b)] for k, b in zip(kind, rng.random(n_streams) < 0.5)])
    streams = pd.DataFrame(
        {
            "stream_id": [f"C{i}" for i in range(n_streams)],
            "member_id": rng.choice(members["member_id"], n_streams),
            "direction": direction,
            "resource": kind,
            "quantity": np.round(rng.uniform(1, 500, n_streams) * np.where(route, 40.0, 1.0), 1),
            "unit": units,
            "virgin_cost": np.where(
                (direction == "demand") & (rng.random(n_streams) < 0.3),
                np.round(rng.uniform(0.1, 900, n_streams), 2),
                np.nan,
            ),
            "dest_lat": np.where(route, 55.5 + rng.uniform(0, spread_deg, n_streams), np.nan),
            "dest_lon": np.where(route, 12.0 + rng.uniform(0, spread_deg, n_streams), np.nan),
            "max_detour_km": np.where(
                route & (direction == "supply"), np.round(rng.uniform(0, 80, n_streams), 1), np.nan
            ),
        }
    )
    if materials:
        streams = pd.concat([base.to_frames()["streams"], streams], ignore_index=True)
    return scenario, Network.from_frames(members, streams)


#: Four seasons of a year of 8,766 hours (winter Dec-Feb, spring, summer, autumn).
SEASONS = {"winter": 2166.0, "spring": 2208.0, "summer": 2208.0, "autumn": 2184.0}


def seasonal(store: bool = True, biogas: bool = True, **parameters: Any) -> tuple[Scenario, Network]:
    """Surplus heat all year, a district-heating need peaking in winter, a pit store, a biogas chain.

    Members: ``DC`` (a data centre: 2 MW of low-temperature heat all year), ``DH`` (the district
    heating company: 16,000 MWh of heat, 55 % of it in winter, with a 4,000 MWh pit store losing
    0.01 % of its content per hour), ``FD`` (a food factory: 3,000 t of food waste), ``BG`` (a biogas
    plant: 0.5 t/h of feedstock, 0.6 MWh of biogas and 0.8 t of digestate per t) and ``FA`` (a farm
    needing 1,500 t of fertiliser in spring). Every figure is illustrative.
    """
    members = pd.DataFrame(
        {
            "member_id": ["DC", "DH", "FD", "BG", "FA"],
            "name": ["Data centre", "District heating", "Food factory", "Biogas plant", "Farm"],
            "lat": [55.93, 55.94, 55.95, 55.96, 55.98],
            "lon": [12.30, 12.31, 12.32, 12.28, 12.25],
        }
    )
    rows = [
        ("heat_dc", "DC", "supply", "heat_low", 2.0, "MW", None, None),
        ("heat_dh", "DH", "demand", "heat_low", 16000.0, "MWh", None, "heating"),
        ("food", "FD", "supply", "food_waste", 3000.0, "t", None, None),
        ("gas", "DH", "demand", "biogas", 1500.0, "MWh", None, None),
        ("fert", "FA", "demand", "fertiliser", 1500.0, "t", "spring", None),
    ]
    streams = pd.DataFrame(
        rows, columns=["stream_id", "member_id", "direction", "resource", "quantity", "unit", "period", "profile"]
    )
    periods = pd.DataFrame({"period": list(SEASONS), "hours": list(SEASONS.values())})
    profiles = pd.DataFrame({"profile": "heating", "period": list(SEASONS), "weight": [0.55, 0.15, 0.05, 0.25]})
    tables: dict[str, pd.DataFrame] = {"periods": periods, "profiles": profiles}
    if store:
        tables["storage"] = pd.DataFrame(
            [
                {
                    "storage_id": "PIT",
                    "member_id": "DH",
                    "resource": "heat_low",
                    "capacity": 4000.0,
                    "unit": "MWh",
                    "max_charge": 5.0,
                    "max_discharge": 5.0,
                    "loss_per_hour": 0.0001,
                    "cost_per_unit": 1.0,
                }
            ]
        )
    if biogas:
        tables["processes"] = pd.DataFrame(
            [
                {
                    "process_id": "AD",
                    "member_id": "BG",
                    "reference": "biogas_feedstock",
                    "capacity": 0.5,
                    "unit": "t/h",
                    "cost_per_unit": 10.0,
                }
            ]
        )
        tables["process_flows"] = pd.DataFrame(
            {
                "process_id": "AD",
                "resource": ["biogas_feedstock", "biogas", "fertiliser"],
                "direction": ["input", "output", "output"],
                "ratio": [1.0, 0.6, 0.8],
            }
        )
    network = Network.from_frames(members, streams, None, Catalog.builtin(), **tables)
    return scenario_for("seasonal example", **{"max_distance_km": 30.0, **parameters}), network
