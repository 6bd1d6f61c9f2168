"""Synthetic but realistic regions for benchmarks: members clustered around towns, sector-typical streams.

Fixed seeds; sizes are chosen by the number of members. Only catalog resources are used, with
quantities drawn from log-normal distributions around typical amounts for each kind of member.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models import Network, Scenario
from models.examples import scenario_for

# Danish towns (lat, lon): members cluster around them
TOWNS = np.array(
    [
        (55.676, 12.568),
        (56.157, 10.211),
        (55.403, 10.402),
        (57.048, 9.919),
        (55.476, 8.459),
        (56.460, 10.036),
        (55.490, 9.472),
        (55.861, 9.850),
        (55.711, 9.536),
        (55.642, 12.080),
        (56.138, 8.974),
        (55.927, 12.301),
        (56.036, 12.614),
        (56.170, 9.545),
        (55.230, 11.760),
        (55.566, 9.753),
        (56.453, 9.402),
        (55.458, 12.182),
        (56.360, 8.616),
        (55.680, 11.090),
    ]
)

# sector profile: (resource, direction, typical yearly quantity in base units)
PROFILES = [
    [("wood_waste", "supply", 800), ("heat_medium", "supply", 3000)],  # wood industry
    [("wood_chips", "demand", 5000), ("heat_low", "demand", 20000), ("biogas", "demand", 5000)],  # district heat
    [("crushed_concrete", "supply", 5000), ("excavated_soil", "supply", 10000)],  # construction
    [("aggregates", "demand", 8000), ("excavated_soil", "demand", 4000)],  # roads, landscaping
    [("food_waste", "supply", 400), ("spent_grain", "supply", 1500), ("heat_medium", "supply", 2000)],  # food
    [("biogas_feedstock", "demand", 15000)],  # biogas plant
    [("animal_feed", "demand", 800), ("fertiliser", "demand", 1000)],  # farm
    [("plastic_pe", "supply", 100), ("paper_cardboard", "supply", 300)],  # retail
    [("plastic_pe", "demand", 300), ("paper_cardboard", "demand", 600)],  # packaging maker
    [("metal_scrap_ferrous", "supply", 300), ("process_water", "supply", 20000)],  # metal works
    [("process_water", "demand", 30000), ("glass_cullet", "demand", 1000)],  # process industry
    [("glass_cullet", "supply", 200), ("metal_scrap_ferrous", "demand", 5000)],  # recycling
]


#: demands that only substitutes meet at a ratio other than 1 (a generalised flow)
NOT_PURE = {"wood_chips", "animal_feed"}


def region(
    n_members: int, seed: int = 0, spread_km: float = 10.0, max_distance_km: float = 60.0, pure: bool = False
) -> tuple[Scenario, Network]:
    """A region of ``n_members`` members around the towns, each with its profile's streams.

    With ``pure`` the demands met only at a substitution ratio other than 1 are left out, so the
    LP is a pure min-cost flow that network-flow codes can solve too.
    """
    rng = np.random.default_rng(seed)
    town = rng.integers(0, len(TOWNS), n_members)
    spread = spread_km / 111.0
    lat = TOWNS[town, 0] + rng.normal(0, spread, n_members)
    lon = TOWNS[town, 1] + rng.normal(0, spread / np.cos(np.radians(56)), n_members)
    profile = rng.integers(0, len(PROFILES), n_members)
    members = pd.DataFrame(
        {
            "member_id": [f"M{i}" for i in range(n_members)],
            "name": [f"Member {i}" for i in range(n_members)],
            "lat": lat,
            "lon": lon,
        }
    )
    rows = [(i, r, d, q) for i in range(n_members) for r, d, q in PROFILES[profile[i]] if not (pure and r in NOT_PURE)]
    m, res, direction, typical = (np.array(c) for c in zip(*rows))
    quantity = np.round(typical.astype(float) * rng.lognormal(0, 0.6, len(rows)), 1)
    catalog_units = {r: u for r, u in zip(*_units())}
    streams = pd.DataFrame(
        {
            "stream_id": [f"X{k}" for k in range(len(rows))],
            "member_id": members["member_id"].to_numpy()[m],
            "direction": direction,
            "resource": res,
            "quantity": quantity,
            "unit": pd.Series(res).map(catalog_units).to_numpy(),
        }
    )
    return scenario_for(
        f"region {n_members} members, seed {seed}", max_distance_km=max_distance_km
    ), Network.from_frames(members, streams)


def _units() -> tuple[list[str], list[str]]:
    from models import Catalog

    cat = Catalog.builtin()
    keys = sorted({r for p in PROFILES for r, _, _ in p})
    return keys, [cat[k].unit for k in keys]
