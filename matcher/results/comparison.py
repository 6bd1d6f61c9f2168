"""Comparing the results of several scenarios side by side.

The first scenario is the reference: KPI differences, and exchanges added,
removed or changed, are relative to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InvalidOption, NoSolution
from .export import write_csv, write_workbook
from .numbers import json_number, records
from .result import MatchResult

__all__ = ["Comparison", "compare"]

_KEY = ["supply_stream", "demand_stream"]


@dataclass
class Comparison:
    """Several match results, compared with the first.

    Attributes
    ----------
    names : list of str
        Scenario names, made unique.
    kpis : DataFrame
        One row per figure (objective, savings and every KPI); a column per
        scenario, then ``<name> - <reference>`` and ``<name> vs <reference> %`` columns.
    exchanges : DataFrame
        Every exchange in any scenario, with its quantity in each (NaN where absent)
        and ``change``: ``added``, ``removed``, ``changed`` or ``same`` relative to the reference.
    members : DataFrame
        Each member's saving in each scenario.
    """

    results: list[MatchResult]
    names: list[str]
    kpis: pd.DataFrame
    exchanges: pd.DataFrame
    members: pd.DataFrame

    def _change(self, kind: str) -> pd.DataFrame:
        return self.exchanges[self.exchanges["change"] == kind]

    def to_dict(self) -> dict[str, Any]:
        """The ``compare --json`` document."""

        scen = []
        for name, r in zip(self.names, self.results):
            scen.append(
                {
                    "name": name,
                    "status": r.status.value,
                    "currency": r.currency,
                    "objective": json_number(r.objective),
                    "savings": json_number(r.savings),
                    "kpis": {k: json_number(v) for k, v in r.kpis.items()},
                }
            )
        return {
            "scenarios": scen,
            "exchanges_added": records(self._change("added")),
            "exchanges_removed": records(self._change("removed")),
            "exchanges_changed": records(self._change("changed")),
            "members": records(self.members.reset_index()),
            "kpis": records(self.kpis.reset_index()),
        }

    def to_file(self, path: str | Path) -> Path:
        """Write ``.xlsx`` (sheets kpis, exchanges, members) or ``.csv`` (the KPI table), completely or not at all.

        Text that a spreadsheet would read as a formula is neutralised (:mod:`matcher.results.export`).

        Raises
        ------
        InvalidOption
            If ``path`` ends neither in ``.csv`` nor in ``.xlsx``.
        """
        suffix = Path(path).suffix.lower()
        if suffix == ".xlsx":
            return write_workbook(
                path, [("kpis", self.kpis, True), ("exchanges", self.exchanges, False), ("members", self.members, True)]
            )
        if suffix == ".csv":
            return write_csv(path, self.kpis, index=True)
        raise InvalidOption(f"a comparison is written as .csv or .xlsx, not {Path(path).name}")


def _unique(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        candidate, k = n, 2
        while candidate in out:
            candidate, k = f"{n} ({k})", k + 1
        out.append(candidate)
    return out


def compare(results: Sequence[MatchResult], names: Sequence[str] | None = None) -> Comparison:
    """Compare results; the first is the reference.

    Raises
    ------
    InvalidOption
        With fewer than two results, or results in different currencies.
    NoSolution
        If a result has no solution.
    """
    results = list(results)
    if len(results) < 2:
        raise InvalidOption("compare needs at least two results")
    failed = [r.scenario.name for r in results if not r.status.has_solution]
    if failed:
        raise NoSolution("error", f"no solution for: {', '.join(failed)}")
    if len({r.currency for r in results}) > 1:
        raise InvalidOption("results are in different currencies: " + ", ".join(r.currency for r in results))
    names = _unique(names or [r.scenario.name for r in results])
    ref = names[0]

    rows = {
        n: {"objective": r.objective, "baseline_cost": r.baseline_cost, "savings": r.savings, **r.kpis}
        for n, r in zip(names, results)
    }
    kpis = pd.DataFrame(rows)
    for n in names[1:]:
        kpis[f"{n} - {ref}"] = kpis[n] - kpis[ref]
        kpis[f"{n} vs {ref} %"] = 100 * (kpis[n] - kpis[ref]) / kpis[ref].abs().replace(0, np.nan)
    kpis.index.name = "figure"

    parts = []
    for n, r in zip(names, results):
        if len(r.exchanges):
            parts.append(
                r.exchanges[[*_KEY, "from_member", "to_member", "resource", "unit", "quantity"]].assign(scenario=n)
            )
    if parts:
        long = pd.concat(parts, ignore_index=True)
        wide = (
            long.pivot_table(
                index=[*_KEY, "from_member", "to_member", "resource", "unit"],
                columns="scenario",
                values="quantity",
                aggfunc="sum",
            )
            .reindex(columns=names)
            .reset_index()
        )
        wide.columns.name = None
    else:
        wide = pd.DataFrame(columns=[*_KEY, "from_member", "to_member", "resource", "unit", *names])
    in_ref = wide[ref].notna() if len(wide) else pd.Series(dtype=bool)
    in_other = wide[names[1:]].notna().any(axis=1) if len(wide) else pd.Series(dtype=bool)
    differs = (
        ~np.isclose(
            wide[names[1:]].to_numpy(dtype=float),
            wide[[ref]].to_numpy(dtype=float),
            rtol=1e-6,
            atol=1e-9,
            equal_nan=False,
        ).all(axis=1)
        if len(wide)
        else in_ref
    )
    wide["change"] = np.select([~in_ref, in_ref & ~in_other, differs], ["added", "removed", "changed"], "same")
    members = pd.DataFrame({n: r.members["saving"] for n, r in zip(names, results) if len(r.members)})
    members.index.name = "member_id"
    return Comparison(results=results, names=names, kpis=kpis, exchanges=wide, members=members.fillna(0.0))
