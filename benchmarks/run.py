"""Benchmark runner: symbiose end to end against the same LP solved by peers, in one run per size.

    python benchmarks/run.py --members 500,2000,5000 --repeat 3 [--pulp-max 200000] [--out results.md]

For each size it generates one region (benchmarks/regions.py, fixed seed) and measures, on that
instance: symbiose from tables in memory to a MatchResult (split into intake, candidates, build,
solve, results), HiGHS on the monolithic model passed directly, the idiomatic PuLP build solved by
HiGHS and by CBC, OR-Tools min-cost flow and networkx network simplex where the instance is a pure
flow (networkx only at small sizes). Every method's optimum is checked against symbiose's. Times are
medians over ``--repeat`` runs made in this one process; ratios are against HiGHS monolithic.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from regions import region  # noqa: E402

import matcher  # noqa: E402
from matcher.api import build as build_model  # noqa: E402
from matcher.solve.highs import new_highs, to_highs_lp  # noqa: E402
from matcher.solve.pulp import cbc_path  # noqa: E402
from models import Network  # noqa: E402


def _median_time(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def highs_monolithic(lp, **options) -> float:
    """HiGHS on the whole model passed as arrays (``options``: HiGHS option values); the optimum's cost."""
    h = new_highs()
    for name, value in options.items():
        h.setOptionValue(name, value)
    h.passModel(to_highs_lp(lp))
    h.run()
    return float(lp.components["cost"] @ np.asarray(h.getSolution().col_value))


def pulp_idiomatic(cand, solver_name: str) -> tuple[float, float]:
    """The LP written the way PuLP users write it: a variable and a constraint at a time."""
    import pulp

    inp, e = cand.inputs, cand.edges
    sup, dem = inp.supplies, inp.demands
    t = time.perf_counter()
    prob = pulp.LpProblem("bench", pulp.LpMinimize)
    x = {i: prob.add_variable(f"x{i}", 0, None) for i in range(len(e))}
    y = {i: prob.add_variable(f"y{i}", 0, None) for i in range(len(sup))}
    z = {i: prob.add_variable(f"z{i}", 0, None) for i in range(len(dem))}
    cost_e = (e["transport_cost"] + inp.parameters.carbon_price * e["transport_co2e_t"]).to_numpy()
    prob.setObjective(
        pulp.lpSum(cost_e[i] * x[i] for i in x)
        + pulp.lpSum(sup["unit_cost"].iat[i] * y[i] for i in y)
        + pulp.lpSum(dem["unit_cost"].iat[i] * z[i] for i in z)
    )
    out_of = {i: [] for i in y}
    into = {i: [] for i in z}
    for i, (s, d, a) in enumerate(zip(e["s"], e["d"], e["ratio"])):
        out_of[s].append((x[i], 1.0))
        into[d].append((x[i], a))
    for i in y:
        prob.addConstraint(pulp.LpAffineExpression(out_of[i] + [(y[i], 1.0)]) == float(sup["q"].iat[i]), f"s{i}")
    for i in z:
        prob.addConstraint(pulp.LpAffineExpression(into[i] + [(z[i], 1.0)]) == float(dem["q"].iat[i]), f"d{i}")
    build = time.perf_counter() - t
    solver = pulp.HiGHS(msg=False) if solver_name == "highs" else pulp.COIN_CMD(path=cbc_path(), msg=False)
    prob.solve(solver)
    return build, float(pulp.value(prob.objective))


def _is_pure(cand) -> bool:
    return bool((cand.edges["ratio"] == 1.0).all()) and not cand.lp_has_side_rows


def ortools_flow(cand, scale_q: float = 10.0, scale_c: float = 1e4) -> float:
    """Min-cost flow on the same instance (integer data: quantities x10, costs x1e4)."""
    from ortools.graph.python import min_cost_flow

    inp, e = cand.inputs, cand.edges
    sup, dem = inp.supplies, inp.demands
    ns, nd = len(sup), len(dem)
    q = np.round(sup["q"].to_numpy() * scale_q).astype(np.int64)
    r = np.round(dem["q"].to_numpy() * scale_q).astype(np.int64)
    cost = lambda v: np.round(np.asarray(v) * scale_c).astype(np.int64)  # noqa: E731
    disp, virg = ns + nd, ns + nd + 1
    big = int(q.sum() + r.sum())
    tails = np.concatenate([e["s"].to_numpy(), np.arange(ns), np.full(nd, virg), [virg]])
    heads = np.concatenate([ns + e["d"].to_numpy(), np.full(ns, disp), ns + np.arange(nd), [disp]])
    costs = np.concatenate([cost(e["transport_cost"]), cost(sup["unit_cost"]), cost(dem["unit_cost"]), [0]])
    caps = np.full(tails.size, big, dtype=np.int64)
    f = min_cost_flow.SimpleMinCostFlow()
    f.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    supplies = np.concatenate([q, -r, [-int(q.sum())], [int(r.sum())]])
    f.set_nodes_supplies(np.arange(supplies.size), supplies)
    status = f.solve()
    if status != f.OPTIMAL:
        raise RuntimeError(f"OR-Tools status {status}")
    return f.optimal_cost() / (scale_q * scale_c)


def networkx_flow(cand, scale_q: float = 10.0, scale_c: float = 1e4) -> float:
    """networkx's network simplex on the same integer data as OR-Tools (small sizes only)."""
    import networkx as nx

    inp, e = cand.inputs, cand.edges
    sup, dem = inp.supplies, inp.demands
    q = np.round(sup["q"].to_numpy() * scale_q).astype(np.int64)
    r = np.round(dem["q"].to_numpy() * scale_q).astype(np.int64)
    g = nx.DiGraph()
    g.add_node("disposal", demand=int(q.sum()))
    g.add_node("virgin", demand=-int(r.sum()))
    g.add_edge("virgin", "disposal", weight=0)
    for i, (qi, ci) in enumerate(zip(q, np.round(sup["unit_cost"].to_numpy() * scale_c).astype(np.int64))):
        g.add_node(("s", i), demand=-int(qi))
        g.add_edge(("s", i), "disposal", weight=int(ci))
    for j, (rj, cj) in enumerate(zip(r, np.round(dem["unit_cost"].to_numpy() * scale_c).astype(np.int64))):
        g.add_node(("d", j), demand=int(rj))
        g.add_edge("virgin", ("d", j), weight=int(cj))
    costs = np.round(e["transport_cost"].to_numpy() * scale_c).astype(np.int64)
    g.add_edges_from((("s", int(s)), ("d", int(d)), {"weight": int(c)}) for s, d, c in zip(e["s"], e["d"], costs))
    cost, _ = nx.network_simplex(g)
    return cost / (scale_q * scale_c)


def run(members: int, repeat: int, pulp_max: int, seed: int, pure: bool, whole: bool = True) -> dict:
    scenario, _ = region(10, seed)  # warm imports and caches outside the timings
    frames = region(members, seed, pure=pure)[1].to_frames()
    out: dict = {"members": members, "pure": pure}

    def symbiose():
        t = time.perf_counter()
        net = Network.from_frames(frames["members"], frames["streams"])
        intake = time.perf_counter() - t
        result = matcher.match(net, scenario)
        return intake, result

    total, (intake, result) = _median_time(symbiose, repeat)
    # peak so far: the region's tables and symbiose's runs, before any comparison builds its own model
    out["peak_rss_symbiose_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.update(
        streams=len(frames["streams"]),
        exchanges=len(result.exchanges),
        objective=result.objective,
        symbiose=total,
        intake=intake,
        **{k: v for k, v in result.timings.items()},
    )
    # warm re-solve after one stream changes, against the cold solve of the same model
    warm = matcher.WarmMatch(result.network, scenario)
    sid = result.network.streams["quantity_base"].idxmax()
    per_base = result.network.streams.at[sid, "quantity_base"] / result.network.streams.at[sid, "quantity"]
    t = time.perf_counter()
    warm.model.set_quantity(sid, 0.9 * float(result.network.streams.at[sid, "quantity"]) * per_base)
    warm.model.solve()
    out["warm_resolve"] = time.perf_counter() - t
    out["warm_vs_cold_solve"] = out["warm_resolve"] / out["solve"]
    t = time.perf_counter()
    warm.result()
    out["warm_results"] = time.perf_counter() - t
    cand, lp, _ = build_model(result.network, scenario)
    out["edges"] = len(cand.edges)
    cand.lp_has_side_rows = lp.shape[0] > len(cand.inputs.supplies) + len(cand.inputs.demands)
    if whole:
        out["highs"], obj = _median_time(lambda: highs_monolithic(lp), repeat)
        _check(out, "highs", obj)
    if out["edges"] <= pulp_max:
        for name in ("highs", "cbc"):
            t = time.perf_counter()
            build, obj = pulp_idiomatic(cand, name)
            out[f"pulp_{name}"], out[f"pulp_{name}_build"] = time.perf_counter() - t, build
            _check(out, f"pulp_{name}", obj)
    if _is_pure(cand):
        out["ortools"], obj = _median_time(lambda: ortools_flow(cand), repeat)
        _check(out, "ortools", obj, rel=1e-5)
        if out["edges"] <= 50_000:
            out["networkx"], obj = _median_time(lambda: networkx_flow(cand), 1)
            _check(out, "networkx", obj, rel=1e-5)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _check(out: dict, name: str, objective: float, rel: float = 1e-7) -> None:
    ok = abs(objective - out["objective"]) <= rel * max(1.0, abs(out["objective"]))
    out[f"{name}_same_optimum"] = ok
    if not ok:
        print(f"!! {name}: optimum {objective} differs from symbiose {out['objective']}", file=sys.stderr)


COLUMNS = [
    "members",
    "pure",
    "streams",
    "edges",
    "pricing_columns",
    "pricing_rounds",
    "pricing_components",
    "intake",
    "candidates",
    "build",
    "solve",
    "results",
    "symbiose",
    "warm_resolve",
    "warm_vs_cold_solve",
    "warm_results",
    "highs",
    "pulp_highs",
    "pulp_cbc",
    "ortools",
    "networkx",
    "peak_rss_symbiose_mb",
    "peak_rss_mb",
]


def table(rows: list[dict]) -> str:
    """Seconds (medians), with symbiose's time as a share of HiGHS on the whole model and of OR-Tools."""
    head = (
        "| "
        + " | ".join(COLUMNS)
        + " | symbiose / HiGHS whole | symbiose / OR-Tools |\n|"
        + "---|" * (len(COLUMNS) + 2)
    )
    lines = [head]
    for r in rows:
        cells = [f"{r[c]:.3g}" if isinstance(r.get(c), float) else str(r.get(c, "–")) for c in COLUMNS]
        cells.append(f"{r['symbiose'] / r['highs']:.2f}" if "highs" in r else "–")
        cells.append(f"{r['symbiose'] / r['ortools']:.2f}" if "ortools" in r else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", default="500,2000,5000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pulp-max", type=int, default=200_000, help="largest edge count for the PuLP methods")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pure", action="store_true", help="pure-flow regions (OR-Tools and networkx can run)")
    ap.add_argument("--no-whole", action="store_true", help="skip HiGHS on the whole model (huge sizes)")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    rows = []
    for m in (int(float(v)) for v in args.members.split(",")):
        rows.append(run(m, args.repeat, args.pulp_max, args.seed, args.pure, not args.no_whole))
        print(rows[-1], file=sys.stderr)
    text = table(rows)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
