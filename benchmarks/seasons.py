"""Seasons, storage and processes: symbiose against HiGHS on its own whole model and against PyPSA.

A region of :mod:`regions` over twelve months: heat needs follow a heating profile, every
district-heating member has a pit store, and every biogas plant is a process (feedstock in;
biogas and digestate out). The same candidate pairs are then solved three ways, and every
optimum is checked against the others:

* ``symbiose``: :func:`matcher.match` from the network to a result (candidates, pricing with the
  store balances as side rows, results);
* ``highs whole``: HiGHS on symbiose's whole model (every pair; what ``--write-mps`` writes), the
  solve alone;
* ``pypsa``: the same network built with PyPSA's components (``tests/crosscheck.py``: buses,
  generators, loads, links, stores, multi-port links), ``optimize`` with HiGHS through linopy,
  build and solve timed apart.

    .venv/bin/python benchmarks/seasons.py --members 300,1000 --repeat 1
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from regions import region
from run import highs_monolithic

import matcher
from matcher.engine.candidates import find_candidates
from matcher.engine.formulation import build_lp
from models import Network

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from crosscheck import build_pypsa  # noqa: E402

MONTHS = {"jan": 744, "feb": 678, "mar": 744, "apr": 720, "may": 744, "jun": 720, "jul": 744, "aug": 744,
          "sep": 720, "oct": 744, "nov": 720, "dec": 744}  # fmt: skip
HEATING = [585, 530, 500, 380, 240, 130, 90, 95, 180, 320, 440, 540]  # degree-day shape + hot water (estimate)


def seasonal_region(n_members: int, seed: int = 0):  # type: ignore[no-untyped-def]
    """A region over twelve months with a store per district-heating member and a process per biogas plant."""
    scenario, net = region(n_members, seed)
    frames = net.to_frames()
    streams = frames["streams"].copy()
    heat = streams["resource"].eq("heat_low") & streams["direction"].eq("demand")
    streams["profile"] = np.where(heat, "heating", None)
    plants = streams[streams["resource"].eq("biogas_feedstock") & streams["direction"].eq("demand")]
    streams = streams.drop(index=plants.index)
    stores = streams.loc[heat, "member_id"].drop_duplicates()
    storage = pd.DataFrame(
        {
            "storage_id": "K" + stores.astype(str),
            "member_id": stores.to_numpy(),
            "resource": "heat_low",
            "capacity": 4000.0,
            "unit": "MWh",
            "max_charge": 10.0,
            "max_discharge": 10.0,
            "loss_per_hour": 5e-5,
            "cost_per_unit": 1.0,
        }
    )
    processes = pd.DataFrame(
        {
            "process_id": "P" + plants["member_id"].astype(str).to_numpy(),
            "member_id": plants["member_id"].to_numpy(),
            "reference": "biogas_feedstock",
            "capacity": plants["quantity"].to_numpy() / 8766.0,
            "unit": "t/h",
            "cost_per_unit": 8.0,
        }
    )
    flows = pd.concat(
        [
            pd.DataFrame({"process_id": processes["process_id"], "resource": r, "direction": d, "ratio": q})
            for r, d, q in (
                ("biogas_feedstock", "input", 1.0),
                ("biogas", "output", 0.6),
                ("fertiliser", "output", 0.8),
            )
        ],
        ignore_index=True,
    )
    periods = pd.DataFrame({"period": list(MONTHS), "hours": list(MONTHS.values())})
    profiles = pd.DataFrame({"profile": "heating", "period": list(MONTHS), "weight": HEATING})
    network = Network.from_frames(
        frames["members"], streams, None, net.catalog, periods=periods, profiles=profiles, storage=storage,
        processes=processes, process_flows=flows,
    )  # fmt: skip
    return scenario, network


def one(members: int, seed: int, pypsa_max: int) -> dict[str, float | int | str]:
    scenario, net = seasonal_region(members, seed)
    t = time.perf_counter()
    result = matcher.match(net, scenario)
    ours = time.perf_counter() - t
    cand = find_candidates(net, scenario)
    lp = build_lp(cand)
    t = time.perf_counter()
    whole = highs_monolithic(lp)
    highs_s = time.perf_counter() - t
    row: dict[str, float | int | str] = {
        "members": members,
        "pairs": len(cand.edges),
        "pairs_per_period": round(len(cand.edges) / 12),
        "stores": len(net.seasons.storage),
        "processes": len(net.seasons.processes),
        "symbiose_s": ours,
        "highs_whole_s": highs_s,
        "ratio": ours / highs_s,
        "method": "pricing" if "pricing_rounds" in result.timings else "whole",
    }
    assert abs(whole - result.objective) <= 1e-6 * max(1.0, abs(whole)), (whole, result.objective)
    if len(cand.edges) <= pypsa_max:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.getLogger("linopy").setLevel(logging.ERROR)
            logging.getLogger("pypsa").setLevel(logging.ERROR)
            t = time.perf_counter()
            n = build_pypsa(cand)
            row["pypsa_build_s"] = time.perf_counter() - t
            t = time.perf_counter()
            status, _ = n.optimize(
                solver_name="highs", solver_options={"output_flag": False}, include_objective_constant=False
            )
            row["pypsa_optimize_s"] = time.perf_counter() - t
        assert status == "ok"
        assert abs(float(n.objective) - result.objective) <= 1e-6 * max(1.0, abs(result.objective))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", default="300,1000")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pypsa-max", type=int, default=300_000, help="build PyPSA only up to this many pairs")
    args = parser.parse_args()
    rows = [one(int(m), args.seed, args.pypsa_max) for m in args.members.split(",")]
    frame = pd.DataFrame(rows)
    cells = frame.map(lambda v: f"{v:.3g}" if isinstance(v, float) else str(v))
    print("| " + " | ".join(frame.columns) + " |")
    print("|" + "---|" * len(frame.columns))
    for values in cells.itertuples(index=False):
        print("| " + " | ".join(values) + " |")


if __name__ == "__main__":
    main()
