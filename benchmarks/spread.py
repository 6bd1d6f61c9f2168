"""Figures across instance shapes, not one flattering region: medians and ranges over generators and seeds.

    python benchmarks/spread.py --size small --seeds 1,2,3 --out spread_small.json
    python benchmarks/spread.py --size large --seeds 1,2 --out spread_large.json
    python benchmarks/spread.py --table spread_small.json spread_large.json      # the markdown tables

For each generator of ``generators.py`` (towns, few_large, many_small, general), each size
(``small``: about 1e5 candidate pairs, ``large``: about 1e6) and each seed, on the same instance:

* ``symbiose``: from the tables in memory to a MatchResult (``Network.from_frames`` and
  ``matcher.match``, method auto), with its ``candidates`` and ``solve`` stages;
* ``highs_whole``: HiGHS on the whole LP of every candidate pair, passed as arrays (solve only:
  the candidate search and the model are given to it for free);
* ``ortools``: OR-Tools min-cost flow on the same pairs in memory (solve only; pure-flow
  instances: not ``general``);
* ``symbiose_cli`` and ``ortools_cli``: whole processes from the same CSV files written to a
  temporary folder: ``symbiose match FOLDER --json`` and ``python benchmarks/ortools_csv.py
  FOLDER`` (its own k-d tree search, then the flow); start-up, reading and writing included;
  with each one's peak resident memory (``*_peak_mb``, MiB, from ``wait4``).

Every optimum is compared with symbiose's (``!!`` on stderr and ``same: false`` if one differs).
Each row goes to ``--out`` as JSON lines as soon as it is measured.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from generators import GENERATORS, PURE_RESOURCES, SIZES  # noqa: E402
from run import highs_monolithic, ortools_flow  # noqa: E402

import matcher  # noqa: E402
from matcher.engine.candidates import build_candidates  # noqa: E402
from matcher.engine.formulation import build_lp  # noqa: E402
from matcher.engine.graph import components  # noqa: E402
from matcher.engine.inputs import prepare  # noqa: E402
from models import Network  # noqa: E402

HERE = Path(__file__).parent
PYTHON = sys.executable
SYMBIOSE = str(Path(sys.executable).parent / "symbiose")


def _write(folder: Path, network: Network, scenario) -> None:  # type: ignore[no-untyped-def]
    """The network's tables, its scenario.yaml and (for ortools_csv.py) rates.json."""
    network.to_csv(folder)
    p = scenario.parameters
    lines = [f"name: {scenario.name}", "currency: EUR", "members: members.csv", "streams: streams.csv"]
    if (folder / "links.csv").exists():
        lines.append("links: links.csv")
    lines.append(f"parameters: {{max_distance_km: {p.max_distance_km}, circuity: {p.circuity}}}")
    (folder / "scenario.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = network.catalog.table("EUR")
    defaults = network.catalog.transport_defaults("EUR")
    rates = {
        r: float(
            table.at[r, "transport_cost"]
            if np.isfinite(table.at[r, "transport_cost"])
            else defaults[table.at[r, "transport"]]["cost_per_unit_km"]
        )
        for r in PURE_RESOURCES
    }
    (folder / "rates.json").write_text(
        json.dumps({"cost_per_unit_km": rates, "max_distance_km": p.max_distance_km, "circuity": p.circuity})
    )


#: Runs the command after the report file's name, then writes its seconds and peak resident memory (KiB, from
#: ``wait4``) to that file. A small process of its own: Linux counts the memory of the process that forks a child
#: in the child's peak, and this benchmark's own process holds whole instances.
_MEASURE = (
    "import os, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "child = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "open(sys.argv[1], 'w').write(f'{time.perf_counter() - t} {usage.ru_maxrss}')\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def _process(args: list[str]) -> tuple[float, str, float]:
    """Run a whole process: its seconds, its stdout and its peak resident memory (MiB)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "measured"
        done = subprocess.run([PYTHON, "-c", _MEASURE, str(report), *args], capture_output=True, text=True, check=True)
        seconds, kib = report.read_text().split()
    return float(seconds), done.stdout, float(kib) / 1024


def measure(name: str, size: str, seed: int, members: int | None = None, skip: frozenset[str] = frozenset()) -> dict:
    """One instance: symbiose in memory (the reference optimum), then each peer not in ``skip``."""
    members = members or SIZES[name][0 if size == "small" else 1]
    scenario, network = GENERATORS[name](members, seed)
    frames = network.to_frames()
    out: dict = {"generator": name, "size": size, "seed": seed, "members": members, "streams": len(network.streams)}
    t = time.perf_counter()
    net = Network.from_frames(frames["members"], frames["streams"], frames["links"] if len(frames["links"]) else None)
    result = matcher.match(net, scenario)
    out["symbiose"] = time.perf_counter() - t
    out.update(
        objective=result.objective,
        candidates=result.timings["candidates"],
        solve=result.timings["solve"],
        priced="pricing_columns" in result.timings,
        columns=result.timings.get("pricing_columns"),
    )
    cand = build_candidates(prepare(net, scenario))
    out["pairs"] = len(cand.edges)
    out["components"] = int((components(cand)[1] > 0).sum())
    if "highs_whole" not in skip:
        lp = build_lp(cand)
        out["side_rows"] = int(lp.shape[0] - len(cand.inputs.supplies) - len(cand.inputs.demands))
        t = time.perf_counter()
        obj = highs_monolithic(lp)
        out["highs_whole"] = time.perf_counter() - t
        _check(out, "highs_whole", obj)
        del lp
    pure = name != "general"
    if pure and "ortools" not in skip:
        t = time.perf_counter()
        obj = ortools_flow(cand)
        out["ortools"] = time.perf_counter() - t
        _check(out, "ortools", obj, rel=1e-5)
    del cand
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(folder, net, scenario)
        out["symbiose_cli"], text, out["symbiose_cli_peak_mb"] = _process([SYMBIOSE, "match", str(folder), "--json"])
        _check(out, "symbiose_cli", json.loads(text)["objective"])
        if pure:
            out["ortools_cli"], text, out["ortools_cli_peak_mb"] = _process(
                [PYTHON, str(HERE / "ortools_csv.py"), str(folder)]
            )
            _check(out, "ortools_cli", float(text), rel=1e-5)
    return out


def _check(out: dict, what: str, objective: float, rel: float = 1e-7) -> None:
    same = abs(objective - out["objective"]) <= rel * max(1.0, abs(out["objective"]))
    out[f"{what}_same"] = same
    if not same:
        print(
            f"!! {out['generator']} {out['size']} seed {out['seed']}: {what} {objective} != {out['objective']}",
            file=sys.stderr,
        )


METHODS = ["symbiose", "highs_whole", "ortools", "symbiose_cli", "ortools_cli"]


def _cell(values: list[float]) -> str:
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.3g}"
    return f"{statistics.median(values):.3g} ({min(values):.3g}-{max(values):.3g})"


def table(rows: list[dict]) -> str:
    """Per generator and size: median (min-max over seeds) seconds; then ratios across every instance."""
    lines = [
        "| size | generator | pairs | components | side rows | symbiose (of which candidates / solve) | HiGHS whole "
        "(solve only) | OR-Tools (solve only) | symbiose CLI | OR-Tools CLI |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size in ("small", "large"):
        for name in GENERATORS:
            rs = [r for r in rows if r["generator"] == name and r["size"] == size]
            if not rs:
                continue

            def col(k: str, rs: list[dict] = rs) -> list[float]:
                return [r[k] for r in rs if r.get(k) is not None]

            sym = f"{_cell(col('symbiose'))} ({_cell(col('candidates'))} / {_cell(col('solve'))})"
            lines.append(
                f"| {size} | {name} | {_cell(col('pairs'))} | {_cell(col('components'))} | "
                f"{_cell(col('side_rows'))} | {sym} | {_cell(col('highs_whole'))} | {_cell(col('ortools'))} | "
                f"{_cell(col('symbiose_cli'))} | {_cell(col('ortools_cli'))} |"
            )
    lines += ["", "| size | ratio | median | min | max | instances |", "|---|---|---|---|---|---|"]
    for size in ("small", "large"):
        rs = [r for r in rows if r["size"] == size]
        for label, a, b in (
            ("symbiose / HiGHS whole solve", "symbiose", "highs_whole"),
            ("symbiose / OR-Tools solve", "symbiose", "ortools"),
            ("symbiose CLI / OR-Tools CLI", "symbiose_cli", "ortools_cli"),
        ):
            ratios = [r[a] / r[b] for r in rs if r.get(a) and r.get(b)]
            if ratios:
                lines.append(
                    f"| {size} | {label} | {statistics.median(ratios):.2f} | {min(ratios):.2f} | {max(ratios):.2f} "
                    f"| {len(ratios)} |"
                )
    lines += ["", "| size | whole process | peak MiB: median | min | max | instances |", "|---|---|---|---|---|---|"]
    for size in ("small", "large"):
        for label, k in (("symbiose CLI", "symbiose_cli_peak_mb"), ("OR-Tools CLI", "ortools_cli_peak_mb")):
            peaks = [r[k] for r in rows if r["size"] == size and r.get(k)]
            if peaks:
                lines.append(
                    f"| {size} | {label} | {statistics.median(peaks):.0f} | {min(peaks):.0f} | {max(peaks):.0f} "
                    f"| {len(peaks)} |"
                )
    different = [r for r in rows if any(v is False for k, v in r.items() if k.endswith("_same"))]
    lines.append("")
    lines.append(f"Optima compared: {len(rows)} instances, {len(different)} with a different optimum.")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", choices=("small", "large"), default="small")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--generators", default=",".join(GENERATORS))
    ap.add_argument("--members", type=int, help="members of each instance (26000 towns: about 1e7 pairs)")
    ap.add_argument("--skip", default="", help="peers left out, comma-separated: highs_whole, ortools")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--table", nargs="*", type=Path, help="print the tables of these JSON-lines files and stop")
    args = ap.parse_args()
    if args.table:
        rows = [json.loads(line) for f in args.table for line in f.read_text().splitlines() if line.strip()]
        print(table(rows))
        return
    GENERATORS["towns"](300, 0)  # imports and caches outside the figures
    for name in args.generators.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            row = measure(name, args.size, seed, args.members, frozenset(filter(None, args.skip.split(","))))
            print(json.dumps(row), file=sys.stderr)
            if args.out:
                with args.out.open("a", encoding="utf-8") as f:
                    f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
