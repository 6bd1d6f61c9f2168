"""OR-Tools min-cost flow as a whole process, from the same CSV files symbiose reads.

    python benchmarks/ortools_csv.py FOLDER        # prints the optimum's cost

What someone would write to match a pure-flow network with OR-Tools alone: read
``members.csv`` and ``streams.csv`` (base units, each stream's own ``disposal_cost`` and
``virgin_cost``), find the pairs of the same resource within reach with a k-d tree per resource
(great-circle distance times circuity, different members only), and solve the transportation
problem with disposal and virgin purchase as two extra nodes, on integer data (quantities x10,
costs x1e4). ``rates.json`` beside the tables gives each resource's transport cost per unit and
km, the circuity and the maximum distance (what the scenario and the catalog say). It applies to
the instances of ``generators.py`` without side rows and substitutes (``towns``, ``few_large``,
``many_small``); it imports nothing of symbiose.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from ortools.graph.python import min_cost_flow
from scipy.spatial import cKDTree

EARTH_RADIUS_KM = 6371.0088


def _xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    lat, lon = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def solve(folder: Path, scale_q: float = 10.0, scale_c: float = 1e4) -> float:
    rates = json.loads((folder / "rates.json").read_text())
    members = pd.read_csv(folder / "members.csv").set_index("member_id")
    streams = pd.read_csv(folder / "streams.csv")
    streams = streams.join(members[["lat", "lon"]], on="member_id")
    sup = streams[streams["direction"] == "supply"].reset_index(drop=True)
    dem = streams[streams["direction"] == "demand"].reset_index(drop=True)
    ns, nd = len(sup), len(dem)
    xs, xd = _xyz(sup["lat"].to_numpy(), sup["lon"].to_numpy()), _xyz(dem["lat"].to_numpy(), dem["lon"].to_numpy())
    max_gc = rates["max_distance_km"] / rates["circuity"]
    max_chord = 2.0 * np.sin(max_gc / (2.0 * EARTH_RADIUS_KM))
    tails, heads, costs = [], [], []
    for resource, cost_km in rates["cost_per_unit_km"].items():
        si = np.flatnonzero(sup["resource"].to_numpy() == resource)
        di = np.flatnonzero(dem["resource"].to_numpy() == resource)
        if not si.size or not di.size:
            continue
        found = cKDTree(xs[si]).sparse_distance_matrix(cKDTree(xd[di]), max_chord, output_type="ndarray")
        s, d = si[found["i"]], di[found["j"]]
        km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(found["v"] / 2.0, 0.0, 1.0)) * rates["circuity"]
        ok = (km <= rates["max_distance_km"]) & (sup["member_id"].to_numpy()[s] != dem["member_id"].to_numpy()[d])
        tails.append(s[ok])
        heads.append(ns + d[ok])
        costs.append(np.round(cost_km * km[ok] * scale_c).astype(np.int64))
    q = np.round(sup["quantity"].to_numpy() * scale_q).astype(np.int64)
    r = np.round(dem["quantity"].to_numpy() * scale_q).astype(np.int64)
    disp, virg = ns + nd, ns + nd + 1
    big = int(q.sum() + r.sum())
    tails += [np.arange(ns), np.full(nd, virg), np.array([virg])]
    heads += [np.full(ns, disp), ns + np.arange(nd), np.array([disp])]
    costs += [
        np.round(sup["disposal_cost"].to_numpy() * scale_c).astype(np.int64),
        np.round(dem["virgin_cost"].to_numpy() * scale_c).astype(np.int64),
        np.zeros(1, dtype=np.int64),
    ]
    tail, head, cost = np.concatenate(tails), np.concatenate(heads), np.concatenate(costs)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tail, head, np.full(tail.size, big, dtype=np.int64), cost)
    supplies = np.concatenate([q, -r, [-int(q.sum())], [int(r.sum())]])
    flow.set_nodes_supplies(np.arange(supplies.size), supplies)
    if flow.solve() != flow.OPTIMAL:
        raise SystemExit("OR-Tools found no optimum")
    return flow.optimal_cost() / (scale_q * scale_c)


if __name__ == "__main__":
    print(repr(solve(Path(sys.argv[1]))))
