"""What a change costs in a ``WarmMatch`` kept in memory, against matching the changed network cold.

    python benchmarks/warm.py --members 10000 [--general] [--repeat 3]

On one region (``regions.py``, pure flow; ``--general``: ``generators.general``, blends and
capacities) it times, each from the match kept in memory: ``change_stream`` (a quantity -10 %),
``remove_stream`` and ``add_stream`` (a copy of a stream of the largest resource group under a new
id). Each call returns its result with status and objective; its tables are read on first use
(``*_read``: reading exchanges, streams, members and KPIs of that result afterwards). A cold
``matcher.match`` of the changed network (tables included) is timed for scale. Every warm
optimum is compared with the cold one (``!!`` on stderr if one differs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))

from generators import general  # noqa: E402
from regions import region  # noqa: E402

import matcher  # noqa: E402
from models import Network  # noqa: E402


def _cold(network: Network, streams: pd.DataFrame, scenario) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    frames = network.to_frames()
    links = frames["links"] if len(frames["links"]) else None
    net = Network.from_frames(frames["members"], streams, links, network.catalog)
    t = time.perf_counter()
    result = matcher.match(net, scenario)
    return time.perf_counter() - t, result.solver_objective


def _same(what: str, warm: float, cold: float) -> None:
    if abs(warm - cold) > 1e-7 * max(1.0, abs(cold)):
        print(f"!! {what}: warm {warm} != cold {cold}", file=sys.stderr)


def _op(out: dict[str, list[float]], name: str, call, *args):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    result = call(*args)
    out[name].append(time.perf_counter() - t)
    t = time.perf_counter()
    result.exchanges, result.streams, result.members, result.kpis  # noqa: B018 (read on first use)
    out[f"{name}_read"].append(time.perf_counter() - t)
    return result


def run(members: int, is_general: bool, repeat: int) -> dict[str, float]:
    scenario, network = general(members, 1) if is_general else region(members, 1, pure=True)
    streams = network.to_frames()["streams"]
    names = ("start", "change", "change_read", "remove", "remove_read", "add", "add_read", "cold")
    out: dict[str, list[float]] = {k: [] for k in names}
    for i in range(repeat):
        t = time.perf_counter()
        warm = matcher.WarmMatch(network, scenario)
        warm.result()
        out["start"].append(time.perf_counter() - t)
        biggest = streams["resource"].value_counts().index[0]
        pick = streams[streams["resource"] == biggest].iloc[i]
        sid = str(pick["stream_id"])
        changed = _op(out, "change", warm.change_stream, sid, 0.9 * float(pick["quantity"]))
        gone = str(streams[streams["resource"] == biggest].iloc[repeat + i]["stream_id"])
        removed = _op(out, "remove", warm.remove_stream, gone)
        new = {**pick.dropna().to_dict(), "stream_id": f"NEW{i}"}
        added = _op(out, "add", warm.add_stream, new)
        now = streams.copy()
        now.loc[now["stream_id"] == sid, "quantity"] = 0.9 * float(pick["quantity"])
        seconds, objective = _cold(network, now, scenario)
        _same("change", changed.solver_objective, objective)
        now = now[now["stream_id"] != gone]
        _, objective = _cold(network, now, scenario)
        _same("remove", removed.solver_objective, objective)
        now = pd.concat([now, pd.DataFrame([new])], ignore_index=True)
        seconds, objective = _cold(network, now, scenario)
        _same("add", added.solver_objective, objective)
        out["cold"].append(seconds)
    row = {k: statistics.median(v) for k, v in out.items()}
    row.update(members=members, streams=len(streams))
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--members", type=int, default=10_000)
    ap.add_argument("--general", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    row = run(args.members, args.general, args.repeat)
    print(row, file=sys.stderr)
    cols = [
        "members",
        "streams",
        "start",
        "change",
        "change_read",
        "remove",
        "remove_read",
        "add",
        "add_read",
        "cold",
    ]
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    print("| " + " | ".join(f"{row[c]:.3g}" if isinstance(row[c], float) else str(row[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
