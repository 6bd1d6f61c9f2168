"""Pricing over a pair table against pricing over pairs searched at the duals (never all held).

    python benchmarks/search.py --generator region --members 32000 --methods pricing,search
    python benchmarks/search.py --generator towns --members 60000 --methods search

Each method runs in a fresh process (``--one``) so that its peak resident memory (``VmHWM``) is its own;
the optimum of every method is compared with the first one's (``!!`` on stderr if it differs). Prints a
markdown row per method: pairs within reach, seconds end to end (tables in memory to a MatchResult), the
candidate/census and solve stages, searches, pairs offered to the model, and the process's peak memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def _instance(generator: str, members: int, seed: int):  # type: ignore[no-untyped-def]
    if generator == "region":
        from regions import region

        return region(members, seed, pure=True)
    import generators

    return getattr(generators, generator)(members, seed)


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one(generator: str, members: int, seed: int, method: str) -> dict[str, float | str]:
    import matcher

    scenario, network = _instance(generator, members, seed)
    before = _peak_mb()
    t = time.perf_counter()
    result = matcher.match(network, scenario, method=method)
    seconds = time.perf_counter() - t
    tm = result.timings
    return {
        "method": method,
        "status": str(result.status.value),
        "objective": float(result.solver_objective),
        "seconds": seconds,
        "candidates": tm.get("candidates", float("nan")),
        "solve": tm.get("solve", float("nan")),
        "pairs": tm.get("pricing_pairs", float("nan")),
        "searches": tm.get("pricing_searches", 0.0),
        "offered": tm.get("pricing_offered", tm.get("pricing_pairs", float("nan"))),
        "peak_mb": _peak_mb(),
        "before_mb": before,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--generator", default="region")
    ap.add_argument("--members", type=int, default=32000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--methods", default="pricing,search")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.generator, args.members, args.seed, args.one)))
        return
    rows = []
    for method in args.methods.split(","):
        cmd = [sys.executable, __file__, "--generator", args.generator, "--members", str(args.members)]
        cmd += ["--seed", str(args.seed), "--one", method]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode:
            print(f"!! {method}: exit {out.returncode}: {out.stderr[-2000:]}", file=sys.stderr)
            continue
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(rows[-1], file=sys.stderr)
    for r in rows[1:]:
        a, b = float(rows[0]["objective"]), float(r["objective"])
        if abs(a - b) > 1e-7 * max(1.0, abs(a)):
            print(f"!! {r['method']}: objective {b} != {rows[0]['method']} {a}", file=sys.stderr)
    cols = ["method", "status", "pairs", "seconds", "candidates", "solve", "searches", "offered", "peak_mb"]
    print(f"{args.generator}, {args.members:,} members, seed {args.seed}")
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in rows:
        print("| " + " | ".join(f"{r[c]:,.3g}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
