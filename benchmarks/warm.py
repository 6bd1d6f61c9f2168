"""What a change costs in a ``WarmMatch`` kept in memory, against matching the changed network cold.

    python benchmarks/warm.py --members 10000 [--general] [--repeat 3]

On one region (``regions.py``, pure flow; ``--general``: ``generators.general``, blends and
capacities) it times, each from the match kept in memory: ``change_stream`` (a quantity -10 %),
``remove_stream`` and ``add_stream`` (a copy of a stream of the largest resource group under a new
id), each with the result read back (columns without ``_model``) and without reading it (the
``WarmMatch.result`` call inside timed apart and subtracted: ``_model``), and a cold
``matcher.match`` of the changed network for scale. Every warm optimum is compared with the cold
one (``!!`` on stderr if one differs).
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


READING = [0.0]  # seconds spent in WarmMatch.result (reading a result back)
_result = matcher.WarmMatch.result


def _timed_result(self):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = _result(self)
    READING[0] += time.perf_counter() - t
    return out


matcher.WarmMatch.result = _timed_result  # type: ignore[method-assign]


def _op(out: dict[str, list[float]], name: str, call, *args):  # type: ignore[no-untyped-def]
    READING[0] = 0.0
    t = time.perf_counter()
    result = call(*args)
    seconds = time.perf_counter() - t
    out[name].append(seconds)
    out[f"{name}_model"].append(seconds - READING[0])
    return result


def run(members: int, is_general: bool, repeat: int) -> dict[str, float]:
    scenario, network = general(members, 1) if is_general else region(members, 1, pure=True)
    streams = network.to_frames()["streams"]
    names = ("start", "change", "change_model", "remove", "remove_model", "add", "add_model", "cold")
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
        "change_model",
        "remove",
        "remove_model",
        "add",
        "add_model",
        "cold",
    ]
    print("| " + " | ".join(cols) + " |\n|" + "---|" * len(cols))
    print("| " + " | ".join(f"{row[c]:.3g}" if isinstance(row[c], float) else str(row[c]) for c in cols) + " |")


if __name__ == "__main__":
    main()
