"""Benchmark instances unlike ``regions.py``: other geographies, other component structures, side rows.

``regions.py`` draws members around 20 Danish towns with sector profiles; its LPs fall into
10-16 components of similar size, and its pure-flow variant has no side row. These generators
draw instances of other shapes, each as the tables a network submits (members, streams with
their own disposal and virgin costs, links), so that the same files can be read by symbiose and
by a stand-alone OR-Tools script (``ortools_csv.py``):

* ``towns``: members around 40 towns scattered uniformly over 300 x 300 km, town sizes
  Zipf-like, 5 resources without substitutes: always 5 components, one per resource, each as
  large as the network.
* ``few_large``: one dense 80 x 80 km area and 2 resources: two large components.
* ``many_small``: villages of about 40 members, 100 km apart (beyond the 60 km reach), 5
  resources: thousands of small components (five per village).
* ``general``: the towns layout with water streams under blended COD and chloride limits
  (virgin water at 20 ppm chloride: some limits need a clean supply), heat under per-pair
  temperature limits, substitutes (treated wastewater for process water, medium for low heat)
  and capacitated links: a general LP (blend and capacity rows), not a network flow.

Costs are drawn per stream (log-normal around the catalog's figures), so no two streams of a
resource cost the same; the carbon price is 0 so that the objective is money only. Fixed seeds.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from models import Catalog, Network, Scenario
from models.examples import scenario_for

#: Resources without substitutes among them: the LP of ``towns``, ``few_large`` and ``many_small`` is a
#: min-cost flow with one component per resource where the geography joins the members.
PURE_RESOURCES = ["plastic_pe", "paper_cardboard", "glass_cullet", "metal_scrap_ferrous", "excavated_soil"]
TYPICAL = {
    "plastic_pe": 200,
    "paper_cardboard": 500,
    "glass_cullet": 300,
    "metal_scrap_ferrous": 800,
    "excavated_soil": 5000,
    "process_water": 20000,
    "treated_wastewater": 30000,
    "heat_low": 8000,
    "heat_medium": 5000,
}

CENTRE = (56.0, 10.0)  # degrees; the boxes below are laid out around it
KM_PER_DEG_LAT = 111.0


def _to_deg(x_km: np.ndarray, y_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = CENTRE[0] + y_km / KM_PER_DEG_LAT
    lon = CENTRE[1] + x_km / (KM_PER_DEG_LAT * np.cos(np.radians(CENTRE[0])))
    return lat, lon


def _members(x_km: np.ndarray, y_km: np.ndarray) -> pd.DataFrame:
    lat, lon = _to_deg(x_km, y_km)
    n = x_km.size
    return pd.DataFrame(
        {"member_id": [f"M{i}" for i in range(n)], "name": [f"Member {i}" for i in range(n)], "lat": lat, "lon": lon}
    )


def _streams(
    rng: np.random.Generator,
    n_members: int,
    resources: list[str],
    per_member: tuple[int, int],
    supply_share: float = 0.5,
) -> pd.DataFrame:
    """Each member gets ``per_member`` streams of distinct resources, each a supply or a demand."""
    cat = Catalog.builtin()
    table = cat.table("EUR").reindex(resources)
    count = rng.integers(per_member[0], per_member[1] + 1, n_members)
    pick = np.argsort(rng.random((n_members, len(resources))), axis=1)  # a random order of resources per member
    member, slot = np.nonzero(np.arange(len(resources))[None, :] < count[:, None])
    res = np.asarray(resources)[pick[member, slot]]
    n = res.size
    supply = rng.random(n) < supply_share
    typical = pd.Series(TYPICAL).reindex(res).to_numpy(dtype=float)
    quantity = np.maximum(np.round(typical * rng.lognormal(0, 0.8, n), 1), 0.1)
    spread = rng.lognormal(0, 0.3, n)
    disposal = np.round(np.nan_to_num(table["disposal_cost"].reindex(res).to_numpy(dtype=float)) * spread, 3)
    virgin = np.round(np.nan_to_num(table["virgin_cost"].reindex(res).to_numpy(dtype=float)) * spread, 3)
    return pd.DataFrame(
        {
            "stream_id": [f"X{k}" for k in range(n)],
            "member_id": [f"M{m}" for m in member],
            "direction": np.where(supply, "supply", "demand"),
            "resource": res,
            "quantity": quantity,
            "unit": [cat[r].unit for r in res],
            "disposal_cost": np.where(supply, disposal, np.nan),
            "virgin_cost": np.where(supply, np.nan, virgin),
        }
    )


def _zipf_towns(rng: np.random.Generator, n_members: int, n_towns: int, box_km: float) -> tuple[np.ndarray, np.ndarray]:
    towns = rng.uniform(-box_km / 2, box_km / 2, (n_towns, 2))
    weight = 1.0 / np.arange(1, n_towns + 1)
    town = rng.choice(n_towns, n_members, p=weight / weight.sum())
    spread = 4.0 + 10.0 * np.sqrt(weight[town] / weight[0])  # big towns sprawl
    return towns[town, 0] + rng.normal(0, spread), towns[town, 1] + rng.normal(0, spread)


def towns(n_members: int, seed: int = 0) -> tuple[Scenario, Network]:
    """Members around 40 towns over 300 x 300 km, 5 resources: 5 components as large as the network."""
    rng = np.random.default_rng(seed)
    x, y = _zipf_towns(rng, n_members, 40, 300.0)
    streams = _streams(rng, n_members, PURE_RESOURCES, (1, 2))
    return scenario_for(f"towns {n_members}", max_distance_km=60.0), Network.from_frames(_members(x, y), streams)


def few_large(n_members: int, seed: int = 0) -> tuple[Scenario, Network]:
    """One dense 80 x 80 km area, 2 resources: two large components."""
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-40, 40, n_members), rng.uniform(-40, 40, n_members)
    streams = _streams(rng, n_members, PURE_RESOURCES[:2], (1, 1))
    return scenario_for(f"few large {n_members}", max_distance_km=60.0), Network.from_frames(_members(x, y), streams)


def many_small(n_members: int, seed: int = 0) -> tuple[Scenario, Network]:
    """Villages of about 40 members, 100 km apart on a jittered grid, 5 resources: thousands of small components."""
    rng = np.random.default_rng(seed)
    n_villages = max(1, n_members // 40)
    side = int(np.ceil(np.sqrt(n_villages)))
    grid = np.stack(np.divmod(np.arange(n_villages), side), axis=1) * 100.0
    centres = grid - grid.mean(axis=0) + rng.uniform(-8, 8, (n_villages, 2))
    village = rng.integers(0, n_villages, n_members)
    x, y = centres[village, 0] + rng.normal(0, 3, n_members), centres[village, 1] + rng.normal(0, 3, n_members)
    streams = _streams(rng, n_members, PURE_RESOURCES, (1, 3))
    return scenario_for(f"many small {n_members}", max_distance_km=60.0), Network.from_frames(_members(x, y), streams)


def general(n_members: int, seed: int = 0) -> tuple[Scenario, Network]:
    """The towns layout with blended water limits, heat limits, substitutes and capacitated links (a general LP)."""
    rng = np.random.default_rng(seed)
    x, y = _zipf_towns(rng, n_members, 40, 300.0)
    members = _members(x, y)
    resources = ["process_water", "treated_wastewater", "heat_low", "heat_medium", "plastic_pe", "glass_cullet"]
    streams = _streams(rng, n_members, resources, (1, 2), supply_share=0.55)
    n = len(streams)
    supply = streams["direction"].eq("supply").to_numpy()
    res = streams["resource"].to_numpy()
    water = np.isin(res, ["process_water", "treated_wastewater"])
    heat = np.isin(res, ["heat_low", "heat_medium"])
    streams["q_cod_ppm"] = np.where(water & supply, np.round(rng.uniform(0, 60, n), 1), np.nan)
    streams["q_chloride_ppm"] = np.where(water & supply, np.round(rng.uniform(0, 40, n), 1), np.nan)
    limited = water & ~supply & (res == "process_water")
    streams["q_cod_ppm_max"] = np.where(limited & (rng.random(n) < 0.7), np.round(rng.uniform(5, 40, n), 1), np.nan)
    # some below virgin water's 20 ppm chloride: those demands need a clean supply in their mix
    streams["q_chloride_ppm_max"] = np.where(
        limited & (rng.random(n) < 0.3), np.round(rng.uniform(15, 60, n), 1), np.nan
    )
    streams["q_temperature_c"] = np.where(heat & supply, rng.integers(50, 120, n), np.nan)
    streams["q_temperature_c_min"] = np.where(heat & ~supply, rng.integers(40, 90, n), np.nan)
    # capacitated links between members less than 30 km apart (pipes or contracts already there)
    n_links = max(1, n_members // 25)
    a = rng.integers(0, n_members, 4 * n_links)
    b = rng.integers(0, n_members, 4 * n_links)
    near = (a != b) & (np.hypot(x[a] - x[b], y[a] - y[b]) < 30.0)
    links = pd.DataFrame({"from_member": [f"M{i}" for i in a[near]], "to_member": [f"M{i}" for i in b[near]]})
    links = links.drop_duplicates().head(n_links)
    links["capacity"] = np.round(rng.lognormal(np.log(2000), 1.0, len(links)), 1)
    network = Network.from_frames(members, streams, links)
    return scenario_for(f"general {n_members}", max_distance_km=60.0), network


GENERATORS: dict[str, Callable[[int, int], tuple[Scenario, Network]]] = {
    "towns": towns,
    "few_large": few_large,
    "many_small": many_small,
    "general": general,
}

#: Members for about 1e5 and about 1e6 candidate pairs (calibrated on seed 1; pairs vary with the seed).
SIZES: dict[str, tuple[int, int]] = {
    "towns": (2_600, 8_000),
    "few_large": (1_150, 3_700),
    "many_small": (12_500, 125_000),
    "general": (3_250, 10_300),
}
