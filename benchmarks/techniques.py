"""What each way of exploiting the structure buys, measured on the same instance in one run.

    python benchmarks/techniques.py --members 5000 --pure --repeat 3
    python benchmarks/techniques.py --members 10000 --pure --repeat 1 --no-whole-variants

Solve times only (the candidate pairs are found once, outside the timings), medians over
``--repeat``; every method's optimum is checked against the first one's.

* ``whole:*``: the LP of every candidate pair, passed to HiGHS as arrays, with HiGHS's dual simplex
  (its default), primal simplex, and interior point (with crossover).
* ``pricing k=*``: one priced model (matcher.solve.pricing), starting from each stream's best ``k`` pairs.
* ``components``: each large connected component priced apart, the small ones packed into one model
  per worker, on 2 threads (matcher.solve.decompose).
* ``re-solve:*``: after a change, a cold solve of the changed model against one started from the
  basis before the change (``cold`` / ``warm`` rows): the carbon price raised from 0 to 200 per t,
  one stream added (a copy of the largest demand), one stream's quantity cut by 10 %; and a sweep of six
  carbon prices run one after another in one process (each point read from files, as ``symbiose
  sweep`` does), cold and warm.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from regions import region  # noqa: E402
from run import highs_monolithic  # noqa: E402

import matcher  # noqa: E402
from matcher.engine.candidates import build_candidates  # noqa: E402
from matcher.engine.formulation import build_lp  # noqa: E402
from matcher.engine.graph import components  # noqa: E402
from matcher.engine.inputs import prepare  # noqa: E402
from matcher.planning.sweep import run_chain  # noqa: E402
from matcher.solve.decompose import DecomposedModel, solve_by_components  # noqa: E402
from matcher.solve.pricing import solve_by_pricing  # noqa: E402
from models.io import apply_changes  # noqa: E402
from models.scenario import Changes  # noqa: E402


def _median(fn, repeat: int) -> tuple[float, float]:
    times, value = [], float("nan")
    for _ in range(repeat):
        t = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), value


def run(members: int, seed: int, pure: bool, repeat: int, whole_variants: bool, whole: bool) -> list[tuple]:
    scenario, network = region(members, seed, pure=pure)
    cand = build_candidates(prepare(network, scenario))
    rows: list[tuple[str, float, float]] = []

    def add(name: str, fn, n: int = repeat) -> None:
        seconds, objective = _median(fn, n)
        rows.append((name, seconds, objective))
        print(f"{name}: {seconds:.3f} s, objective {objective:.10g}", file=sys.stderr)

    n_components = int((components(cand)[1] > 0).sum())
    print(f"{members} members, {len(cand.edges):,} pairs, {n_components} components", file=sys.stderr)
    if whole:
        lp = build_lp(cand)
        add("whole: dual simplex (HiGHS default)", lambda: highs_monolithic(lp), 1)
        if whole_variants:
            add("whole: primal simplex", lambda: highs_monolithic(lp, simplex_strategy=4), 1)
            add("whole: interior point + crossover", lambda: highs_monolithic(lp, solver="ipm"), 1)
        del lp
    for k in (1, 3, 10):
        add(f"pricing k={k}, one model", lambda k=k: solve_by_pricing(cand, k=k)[2].objective)
    for k in (1, 3):
        add(
            f"components (large ones alone, small ones packed), 2 threads, k={k}",
            lambda k=k: solve_by_components(cand, workers=2, k=k)[2].objective,
        )

    # re-solves after a change: cold, then from the basis before the change (same solve path)
    before = matcher.match(network, scenario)
    dearer = scenario.model_copy(deep=True)
    dearer.parameters.carbon_price = 200.0
    cand_dearer = build_candidates(prepare(network, dearer))
    add("re-solve: carbon price 0 -> 200, cold", lambda: solve_by_components(cand_dearer)[2].objective)
    add(
        "re-solve: carbon price 0 -> 200, warm",
        lambda: solve_by_components(cand_dearer, start=before.basis)[2].objective,
    )
    streams = network.to_frames()["streams"]
    big = streams.loc[streams["direction"].eq("demand"), "quantity"].idxmax()
    new = {**streams.loc[big].dropna().to_dict(), "stream_id": "ADDED"}
    grown = build_candidates(prepare(apply_changes(network, Changes(add_streams=[new])), scenario))
    add("re-solve: one stream added, cold", lambda: solve_by_components(grown)[2].objective)
    add("re-solve: one stream added, warm", lambda: solve_by_components(grown, start=before.basis)[2].objective)

    # a sweep: six carbon prices solved one after another in one process
    points = [{"parameters.carbon_price": float(p)} for p in range(0, 300, 50)]
    for warm in (False, True):
        add(
            f"sweep: {len(points)} carbon prices in one run, {'warm' if warm else 'cold'}",
            lambda warm=warm: run_chain(network, scenario, points, warm=warm)[-1]["objective"],
            1,
        )

    sid = network.streams["quantity_base"].idxmax()
    q = float(network.streams.at[sid, "quantity_base"])
    scaled = build_candidates(prepare(apply_changes(network, Changes(scale_streams={sid: 0.9})), scenario))
    add("re-solve: one quantity -10 %, cold", lambda: solve_by_components(scaled)[2].objective)

    def in_place() -> tuple[float, float]:
        model = DecomposedModel(cand)  # as WarmMatch keeps it: only the changed stream's part re-solves
        model.solve()
        model.set_quantity(sid, 0.9 * q)
        t = time.perf_counter()
        objective = model.solve().objective
        return time.perf_counter() - t, objective

    samples = [in_place() for _ in range(repeat)]
    rows.append(("re-solve: one quantity -10 %, warm", statistics.median(s for s, _ in samples), samples[-1][1]))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pure", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-whole-variants", action="store_true", help="only HiGHS's default on the whole model")
    ap.add_argument("--no-whole", action="store_true", help="no whole model at all (huge sizes)")
    args = ap.parse_args()
    rows = run(args.members, args.seed, args.pure, args.repeat, not args.no_whole_variants, not args.no_whole)
    # each optimum against the first row of its group: the solves of the instance, or the cold re-solve
    print("| technique | seconds | optimum |\n|---|---|---|")
    ref = rows[0][2]
    for name, seconds, objective in rows:
        if name.endswith("cold"):
            ref = objective
        same = abs(objective - ref) <= 1e-7 * max(1.0, abs(ref))
        print(f"| {name} | {seconds:.3g} | {'same' if same else f'DIFFERS: {objective:.10g}'} |")


if __name__ == "__main__":
    main()
