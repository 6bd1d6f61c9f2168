"""Peak memory of symbiose per stage, against the size of the arrays the stage holds.

    python benchmarks/memory.py --members 2000,10000,32000 --pure

Each size runs in a fresh child process, so nothing from an earlier size or from a comparison
is counted. The child builds the region's tables, then matches with a progress callback that, at
each stage boundary, reads the peak resident memory since the last boundary (``VmHWM`` in
``/proc/self/status``) and resets it (``5`` written to ``/proc/self/clear_refs``, Linux). A
stage's figure is that peak minus the resident memory before the match (imports and tables).

Array sizes beside them: the candidate pair table (``Candidates.edges``), the LP that was solved
(the pairs that entered the priced models) and, for scale, the LP of every pair (built after the
stages are measured).
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def _rss_mb(field: str) -> float:
    text = Path("/proc/self/status").read_text()
    return int(re.search(rf"{field}:\s+(\d+)", text).group(1)) / 1024  # type: ignore[union-attr]


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _lp_mb(lp) -> float:
    A = lp.A
    arrays = (A.data, A.indices, A.indptr, lp.c, lp.row_lower, lp.row_upper, lp.col_lower, lp.col_upper)
    return sum(a.nbytes for a in arrays) / 2**20


def measure(members: int, seed: int, pure: bool) -> dict:
    """Run in a child process: per-stage peaks of one match, and the sizes of its arrays."""
    from regions import region

    import matcher
    from matcher.engine.candidates import build_candidates
    from matcher.engine.formulation import build_lp
    from matcher.engine.inputs import prepare
    from matcher.solve.decompose import solve_by_components

    region(10, seed)  # imports and caches outside the figures
    scenario, network = region(members, seed, pure=pure)
    base = _rss_mb("VmRSS")
    peaks: dict[str, float] = {}
    stage = [""]
    names = {"finding": "candidates", "building": "build", "solving": "solve", "reading": "results"}

    def boundary(text: str) -> None:
        if stage[0]:
            peaks[stage[0]] = _rss_mb("VmHWM") - base
        stage[0] = names[text.split()[0]]
        _reset_peak()

    t = time.perf_counter()
    result = matcher.match(network, scenario, progress=boundary)
    seconds = time.perf_counter() - t
    peaks[stage[0]] = _rss_mb("VmHWM") - base
    out = {
        "members": members,
        "pairs": int(result.timings.get("pricing_pairs", 0)) or None,
        "seconds": seconds,
        "baseline_mb": base,
        **{f"{k}_mb": v for k, v in peaks.items()},
    }
    _reset_peak()
    cand = build_candidates(prepare(network, scenario))
    out["pairs"] = len(cand.edges)
    e = cand.edges  # a column of one value for every pair is held once (stride 0): no memory per pair
    held = [k for k in e.columns if getattr(e[k].to_numpy(), "strides", None) == (0,)]
    out["edges_table_mb"] = e.drop(columns=held).memory_usage(deep=True).sum() / 2**20
    if "pricing_columns" in result.timings:
        _, solved, _, _ = solve_by_components(cand)  # the joined LP of the pairs that entered
    else:
        solved = build_lp(cand)
    out["solved_lp_columns"] = solved.c.size
    out["solved_lp_mb"] = _lp_mb(solved)
    out["whole_lp_mb"] = _lp_mb(build_lp(cand))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", default="2000,10000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pure", action="store_true")
    args = ap.parse_args()
    ctx = multiprocessing.get_context("spawn")
    rows = []
    for m in (int(float(v)) for v in args.members.split(",")):
        with ctx.Pool(1) as pool:
            rows.append(pool.apply(measure, (m, args.seed, args.pure)))
        print(rows[-1], file=sys.stderr)
    cols = [
        "members",
        "pairs",
        "seconds",
        "baseline_mb",
        "candidates_mb",
        "build_mb",
        "solve_mb",
        "results_mb",
        "edges_table_mb",
        "solved_lp_columns",
        "solved_lp_mb",
        "whole_lp_mb",
    ]
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    for r in rows:
        print(
            "| "
            + " | ".join(f"{r[c]:,.3g}" if isinstance(r.get(c), float) else str(r.get(c, "–")) for c in cols)
            + " |"
        )


if __name__ == "__main__":
    main()
