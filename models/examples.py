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

__all__ = ["heat_pair", "pair", "pure_flow", "random_network", "scenario_for"]


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
