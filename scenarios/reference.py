"""Reference results of the bundled scenarios, and the comparison of a match with them.

Beside each bundled scenario, ``scenarios/<name>/reference/`` holds what
:func:`matcher.match` gives for it with HiGHS, as plain CSV files (one header
row, no comment; floats with 12 significant digits, so that they read back
within 5e-12 and do not change with the last digits of solver noise):

``exchanges.csv``
    One row per exchange, sorted by ``supply_stream, demand_stream`` (in a scenario with periods,
    an exchange per period, its streams' ids carrying the period: ``S03@jan``):
    ``supply_stream, demand_stream, from_member, to_member, resource,
    quantity, unit, delivered, distance_km, transport_cost, co2e_t, saving``.
``members.csv``
    One row per member, sorted by ``member_id``:
    ``member_id, baseline_cost, saving, exchanges``.
``kpis.csv``
    ``kpi, value``: ``objective``, ``baseline_cost``, then every KPI of
    ``result.kpis`` (``savings`` among them).
``streams.csv``
    One row per stream, sorted by ``stream_id``: ``stream_id, member_id,
    direction, resource, quantity, unit, exchanged, left``.

The bundled scenarios have a unique optimal flow plan (no alternative optimum),
so every table, exchanges included, is compared strictly: the same rows, the
same text, numbers within ``rtol`` (and ``atol`` near zero). Duals are left
out: they may be degenerate.

Write the references of every bundled scenario (or of those named)::

    python -m scenarios.reference [NAME ...]

Compare instead of writing (exit status 1 and every difference listed if any)::

    python -m scenarios.reference --check [NAME ...]
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

import matcher
import models
import scenarios

__all__ = [
    "ATOL",
    "FILES",
    "RTOL",
    "TABLES",
    "check",
    "compare",
    "folder",
    "main",
    "missing",
    "read",
    "run",
    "tables",
    "write",
]

#: Relative and absolute tolerance of :func:`check`.
RTOL = 1e-6
ATOL = 1e-6
#: Table name -> (key columns, text columns, number columns); columns in file order.
TABLES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "exchanges": (
        ["supply_stream", "demand_stream"],
        ["from_member", "to_member", "resource", "unit"],
        ["quantity", "delivered", "distance_km", "transport_cost", "co2e_t", "saving"],
    ),
    "members": (["member_id"], [], ["baseline_cost", "saving", "exchanges"]),
    "kpis": (["kpi"], [], ["value"]),
    "streams": (
        ["stream_id"],
        ["member_id", "direction", "resource", "unit"],
        ["quantity", "exchanged", "left"],
    ),
}
#: Files every reference folder must hold.
FILES = ("exchanges.csv", "members.csv", "kpis.csv", "streams.csv")
_ORDER = {
    "exchanges": [
        "supply_stream",
        "demand_stream",
        "from_member",
        "to_member",
        "resource",
        "quantity",
        "unit",
        "delivered",
        "distance_km",
        "transport_cost",
        "co2e_t",
        "saving",
    ],
    "members": ["member_id", "baseline_cost", "saving", "exchanges"],
    "kpis": ["kpi", "value"],
    "streams": ["stream_id", "member_id", "direction", "resource", "quantity", "unit", "exchanged", "left"],
}
_FLOAT_FORMAT = "%.12g"


def folder(name: str) -> Path:
    """Reference folder of a bundled scenario, ``scenarios/<name>/reference``."""
    return scenarios.path(name) / "reference"


def missing(names: Iterable[str] | None = None) -> dict[str, list[str]]:
    """Bundled scenarios whose reference folder lacks files, with the files it lacks."""
    out: dict[str, list[str]] = {}
    for name in sorted(scenarios.names() if names is None else names):
        lacking = [f for f in FILES if not (folder(name) / f).is_file()]
        if lacking:
            out[name] = lacking
    return out


def run(name: str, solver: str = "highs") -> matcher.MatchResult:
    """Match a bundled scenario.

    Raises
    ------
    RuntimeError
        If the solver does not prove an optimum.
    """
    scenario, network = models.load(scenarios.path(name))
    result = matcher.match(network, scenario, solver=solver)
    if result.status != "optimal":
        raise RuntimeError(f"{name}: {solver} ended with status {result.status}, not optimal")
    return result


def _normalise(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Columns of a reference table in file order, text as str, numbers as float, sorted by key (KPIs kept)."""
    keys, text, numbers = TABLES[table]
    out = frame[_ORDER[table]].astype({col: str for col in keys + text} | {col: float for col in numbers})
    if table != "kpis":
        out = out.sort_values(keys, kind="stable")
    return out.reset_index(drop=True)


def tables(result: matcher.MatchResult) -> dict[str, pd.DataFrame]:
    """The reference tables of a result (see the module docstring)."""
    rows: dict[str, float] = {"objective": result.objective, "baseline_cost": result.baseline_cost}
    rows |= {k: float(v) for k, v in result.kpis.items()}
    rows.setdefault("savings", result.savings)
    ex = result.exchanges
    if "period" in ex.columns:  # a seasonal scenario: an exchange per period, its streams' ids carry the period
        ex = ex.assign(
            supply_stream=ex["supply_stream"].astype(str) + "@" + ex["period"].astype(str),
            demand_stream=ex["demand_stream"].astype(str) + "@" + ex["period"].astype(str),
        )
    return {
        "exchanges": _normalise("exchanges", ex),
        "members": _normalise("members", result.members.reset_index()),
        "kpis": _normalise("kpis", pd.DataFrame({"kpi": list(rows), "value": list(rows.values())})),
        "streams": _normalise("streams", result.streams.reset_index()),
    }


def write(result: matcher.MatchResult, to: str | Path) -> list[Path]:
    """Write the reference tables of a result into a folder (created if needed); the files written."""
    to = Path(to)
    to.mkdir(parents=True, exist_ok=True)
    written = []
    for table, frame in tables(result).items():
        target = to / f"{table}.csv"
        frame.to_csv(target, index=False, float_format=_FLOAT_FORMAT, lineterminator="\n")
        written.append(target)
    return written


def read(source: str | Path) -> dict[str, pd.DataFrame]:
    """Read the reference tables of a folder (text stays text: ``"007"`` is not the number 7)."""
    return {
        table: _normalise(table, pd.read_csv(Path(source) / f"{table}.csv", dtype=str, keep_default_na=False))
        for table in TABLES
    }


def _close(expected: float, actual: float, rtol: float, atol: float) -> bool:
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    return abs(actual - expected) <= atol + rtol * abs(expected)


def compare(
    expected: Mapping[str, pd.DataFrame],
    actual: Mapping[str, pd.DataFrame],
    rtol: float = RTOL,
    atol: float = ATOL,
) -> list[str]:
    """Every difference between two sets of reference tables, one line each (empty when they agree).

    Rows are matched by their key; text must be equal, numbers within
    ``atol + rtol * |expected|``.

    Examples
    --------
    >>> a = {"kpis": pd.DataFrame({"kpi": ["objective"], "value": [100.0]})}
    >>> compare(a, {"kpis": pd.DataFrame({"kpi": ["objective"], "value": [101.0]})})
    ['kpis objective: value 101 (reference 100, relative difference 1e-02)']
    >>> compare(a, a)
    []
    """
    lines = []
    for table in expected:
        keys, text, numbers = TABLES[table]
        exp = expected[table].set_index(keys)
        act = actual[table].set_index(keys)
        for key in exp.index.difference(act.index, sort=False):
            lines.append(f"{table} {_label(key)}: in the reference, not in the result")
        for key in act.index.difference(exp.index, sort=False):
            lines.append(f"{table} {_label(key)}: in the result, not in the reference")
        for key in exp.index.intersection(act.index, sort=False):
            e, a = exp.loc[key], act.loc[key]
            for col in text:
                if e[col] != a[col]:
                    lines.append(f"{table} {_label(key)}: {col} {a[col]!r} (reference {e[col]!r})")
            for col in numbers:
                if not _close(float(e[col]), float(a[col]), rtol, atol):
                    rel = abs(a[col] - e[col]) / abs(e[col]) if e[col] else math.inf
                    lines.append(
                        f"{table} {_label(key)}: {col} {a[col]:.12g} "
                        f"(reference {e[col]:.12g}, relative difference {rel:.0e})"
                    )
    return lines


def _label(key: object) -> str:
    return " -> ".join(map(str, key)) if isinstance(key, tuple) else str(key)


def check(name: str, solver: str = "highs", rtol: float = RTOL, atol: float = ATOL) -> list[str]:
    """Differences between a bundled scenario's match and its stored reference, each line prefixed by its name."""
    lacking = missing([name]).get(name)
    if lacking:
        return [f"{name}: no reference {', '.join(lacking)}; write it with `python -m scenarios.reference {name}`"]
    return [f"{name} {line}" for line in compare(read(folder(name)), tables(run(name, solver)), rtol, atol)]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write the references, or with ``--check`` compare with them; the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m scenarios.reference",
        description="Write or check the reference results of the bundled scenarios.",
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="bundled scenarios (default: all)")
    parser.add_argument("--check", action="store_true", help="compare with the stored references, write nothing")
    parser.add_argument("--solver", default="highs", help="solver to match with (default: highs)")
    parser.add_argument("--rtol", type=float, default=RTOL, help=f"relative tolerance of --check (default: {RTOL})")
    parser.add_argument("--atol", type=float, default=ATOL, help=f"absolute tolerance of --check (default: {ATOL})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(scenarios.names()))
    if unknown:
        parser.error(f"no bundled scenario {', '.join(unknown)}; bundled: {', '.join(sorted(scenarios.names()))}")
    names = args.names or sorted(scenarios.names())
    if args.check:
        differences = [line for name in names for line in check(name, args.solver, args.rtol, args.atol)]
        for line in differences:
            print(line)
        print(f"{len(differences)} difference(s) in {len(names)} scenario(s)", file=sys.stderr)
        return 1 if differences else 0
    for name in names:
        result = run(name, args.solver)
        written = write(result, folder(name))
        back = compare(read(folder(name)), tables(result), rtol=1e-9, atol=0.0)
        if back:  # the files must read back as written
            print("\n".join(f"{name} {line}" for line in back), file=sys.stderr)
            return 1
        print(f"{name}: wrote {', '.join(str(p) for p in written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
