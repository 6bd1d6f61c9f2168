"""symbiose end to end against HiGHS solving symbiose's own model, written as MPS.

    python benchmarks/mps.py --instances regions:8500,towns:6800 [--seed 1]

For each instance (``regions:N`` is ``regions.py``'s pure-flow region of N members; any other
name is a generator of ``generators.py`` with N members), the network's tables are written
to a temporary folder and, each in its own process:

* ``symbiose``: ``symbiose match FOLDER --json`` (start-up, reading, matching, the JSON
  document), timed as a whole process;
* the MPS file of the whole model (every candidate pair) is written by ``symbiose match
  FOLDER --write-mps`` (not timed);
* ``highs``: HiGHS (highspy, its defaults) reads that file and solves it, in a fresh
  process; ``highs_solve`` is the solve alone (``Highs.run``), ``highs_process`` the whole
  process.

Both optima are compared (``!!`` on stderr if they differ). Prints one JSON row per instance.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from generators import GENERATORS  # noqa: E402
from regions import region  # noqa: E402
from spread import _write  # noqa: E402

from matcher.engine.candidates import build_candidates  # noqa: E402
from matcher.engine.inputs import prepare  # noqa: E402

SYMBIOSE = str(Path(sys.executable).parent / "symbiose")
HIGHS = """
import sys, time, json, highspy
h = highspy.Highs()
h.setOptionValue("output_flag", False)
h.readModel(sys.argv[1])
t = time.perf_counter()
h.run()
print(json.dumps({"solve": time.perf_counter() - t, "objective": h.getInfo().objective_function_value,
                  "status": h.modelStatusToString(h.getModelStatus())}))
"""


def measure(name: str, members: int, seed: int) -> dict:
    """One instance: symbiose's whole process, then HiGHS on its MPS file."""
    scenario, network = region(members, seed=seed, pure=True) if name == "regions" else GENERATORS[name](members, seed)
    out: dict = {"instance": name, "members": members, "seed": seed, "streams": len(network.streams)}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "network"
        folder.mkdir()
        _write(folder, network, scenario)
        t = time.perf_counter()
        done = subprocess.run([SYMBIOSE, "match", str(folder), "--json"], capture_output=True, text=True, check=True)
        out["symbiose"] = time.perf_counter() - t
        doc = json.loads(done.stdout)
        out["objective"] = doc["objective"]
        mps = Path(tmp) / "whole.mps"
        writing = [SYMBIOSE, "match", str(folder), "--write-mps", str(mps), "--json"]
        subprocess.run(writing, capture_output=True, check=True)
        out["mps_mb"] = mps.stat().st_size / 1e6
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", HIGHS, str(mps)], capture_output=True, text=True, check=True)
        out["highs_process"] = time.perf_counter() - t
        highs = json.loads(done.stdout.strip().splitlines()[-1])  # after HiGHS's banner
        out.update(highs_solve=highs["solve"], highs_objective=highs["objective"], highs_status=highs["status"])
    out["pairs"] = len(build_candidates(prepare(network, scenario)).edges)
    out["ratio_to_solve"] = out["symbiose"] / out["highs_solve"]
    out["ratio_to_process"] = out["symbiose"] / out["highs_process"]
    same = abs(out["highs_objective"] - out["objective"]) <= 1e-7 * max(1.0, abs(out["objective"]))
    out["same"] = same
    if not same:
        print(f"!! {name} {members}: HiGHS {out['highs_objective']} != symbiose {out['objective']}", file=sys.stderr)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", default="regions:8500,towns:6800", help="NAME:MEMBERS, comma-separated")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    for item in args.instances.split(","):
        name, members = item.split(":")
        print(json.dumps(measure(name, int(members), args.seed)), flush=True)


if __name__ == "__main__":
    main()
