"""Reading a solution back: exchanges, per-member savings, KPIs, marginal values, reasons.

Results are read only when the solver's status says a solution exists.
Each exchange's saving is counted once and split equally between its two
members, so member savings add up to the network's saving.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models import Network, Scenario
from models.files import atomic_folder, atomic_write_text

from ..engine.candidates import Candidates
from ..engine.formulation import LinearProgram, fixed_flows
from ..solve.base import Solution, Status
from ..solve.basis import Basis
from .export import csv_text, write_workbook
from .factors import FACTOR_COLUMNS, empty_factors, provenance
from .kpis import KPIS, kpi_values, total
from .numbers import json_number, json_text, records
from .reasons import TOL, reasons

__all__ = ["RESULT_FILES", "MatchResult", "read_result"]

#: The files :meth:`MatchResult.to_csv` writes into its folder.
RESULT_FILES = ("exchanges.csv", "members.csv", "streams.csv", "factors.csv", "kpis.json")


@dataclass
class MatchResult:
    """The outcome of one match.

    Attributes
    ----------
    status : Status
    objective : float
        Total cost in ``currency``: transport + disposal + virgin + carbon
        price x CO2e + fixed costs (NaN when no solution exists).
    baseline_cost : float
        All surplus disposed, all needs bought virgin.
    savings : float
        ``baseline_cost - objective``.
    exchanges : DataFrame
        One row per exchange.
    members : DataFrame
        Per member: baseline cost, saving (half of each of its exchanges).
    streams : DataFrame
        Per stream: quantity, exchanged, left (disposed or bought virgin),
        ``dual`` (change in total cost per extra base unit),
        ``marginal_saving`` and, where anything is left, ``reason``.
    kpis : dict
    factors : DataFrame
        Every factor the figures rest on, with its source and year, and whether it is an estimate.
    """

    scenario: Scenario
    network: Network
    status: Status
    message: str
    currency: str
    objective: float
    baseline_cost: float
    exchanges: pd.DataFrame
    members: pd.DataFrame
    streams: pd.DataFrame
    kpis: dict[str, float | int]
    solver: str = ""
    solver_version: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    solver_objective: float = float("nan")
    """The value of the objective the solver minimised (equal to ``objective`` for the cost objective)."""
    basis: Basis | None = field(default=None, repr=False, compare=False)
    """The optimal simplex basis (LPs solved by HiGHS), to start a related match from (``match(start=...)``)."""
    factors: pd.DataFrame = field(default_factory=empty_factors, repr=False)
    """Every factor a figure of this result used (:mod:`matcher.results.factors`): ``id, what, value, unit,
    source, year, estimate`` and the columns that name what it belongs to; each exchange's
    ``saving_factors`` and ``co2e_factors`` list the ids its figures rest on."""

    @property
    def savings(self) -> float:
        """Baseline cost minus the optimum."""
        return self.baseline_cost - self.objective

    @property
    def versions(self) -> dict[str, str]:
        """Versions of symbiose, the solver and the main libraries that produced this result."""
        import platform
        from importlib.metadata import PackageNotFoundError, version

        def v(dist: str) -> str:
            try:
                return version(dist)
            except PackageNotFoundError:
                return "not installed"

        return {
            "symbiose": v("symbiose"),
            "solver": f"{self.solver} {self.solver_version}".strip(),
            "highspy": v("highspy"),
            "pandas": v("pandas"),
            "python": platform.python_version(),
        }

    @property
    def kpi_table(self) -> pd.DataFrame:
        """KPIs with unit, SDG target and description."""
        rows = [
            {
                "kpi": k,
                "value": v,
                "unit": self.currency if KPIS[k].unit == "currency" else KPIS[k].unit,
                "sdg_target": KPIS[k].sdg_target,
                "description": KPIS[k].description,
            }
            for k, v in self.kpis.items()
            if k in KPIS
        ]
        return pd.DataFrame(rows)

    @property
    def unmatched(self) -> pd.DataFrame:
        """Streams with a quantity left, and why."""
        left = self.streams[self.streams["left"] > TOL * np.maximum(1.0, self.streams["quantity"])]
        return left[["member_id", "direction", "resource", "quantity", "left", "unit", "reason"]]

    def to_dict(self) -> dict[str, Any]:
        """The ``match --json`` document."""

        ex = self.exchanges.rename(columns={"quantity_unit": "unit"})
        un = self.unmatched.reset_index().rename(columns={"left": "unmatched_quantity"})
        st = self.streams.reset_index()
        left = st["left"] > TOL * np.maximum(1.0, st["quantity"])
        return {
            "scenario": self.scenario.name,
            "status": self.status.value,
            "message": self.message,
            "currency": self.currency,
            "objective": json_number(self.objective),
            "baseline_cost": json_number(self.baseline_cost),
            "savings": json_number(self.savings),
            "kpis": {k: json_number(v) for k, v in self.kpis.items()},
            "exchanges": records(ex),
            "factors": records(self.factors.loc[:, list(FACTOR_COLUMNS)]),
            "unmatched": records(
                un[["stream_id", "unmatched_quantity", "unit", "reason", "member_id", "direction", "resource"]]
            ),
            "virgin_purchases": records(
                st.loc[left & st["direction"].eq("demand"), ["stream_id", "left", "unit"]].rename(
                    columns={"left": "quantity"}
                )
            ),
            "disposals": records(
                st.loc[left & st["direction"].eq("supply"), ["stream_id", "left", "unit"]].rename(
                    columns={"left": "quantity"}
                )
            ),
            "members": records(self.members.reset_index()),
            "solver": {"name": self.solver, "version": self.solver_version},
            "versions": self.versions,
            "resolved_scenario": self.scenario.model_dump(mode="json", exclude_none=True),
        }

    def to_json(self, path: str | Path | None = None) -> str:
        """The result as strict JSON (no NaN tokens); written atomically to ``path`` if given."""
        text = json_text(self.to_dict())
        if path is not None:
            atomic_write_text(path, text)
        return text

    def to_csv(self, folder: str | Path) -> list[Path]:
        """Write exchanges.csv, members.csv, streams.csv, factors.csv and kpis.json into ``folder``, all or none.

        The files are written into a temporary folder beside ``folder`` that then
        replaces it in one rename: a kill or a full disk leaves the previous
        results whole. An existing ``folder`` may hold only these files. Text
        cells that a spreadsheet would read as formulas are neutralised
        (:mod:`matcher.results.export`).

        Raises
        ------
        CannotWrite
            If the folder cannot be written (nothing is changed then).
        """
        kpis = {
            "scenario": self.scenario.name,
            "status": self.status.value,
            "currency": self.currency,
            "objective": json_number(self.objective),
            "baseline_cost": json_number(self.baseline_cost),
            "savings": json_number(self.savings),
            "kpis": {k: json_number(v) for k, v in self.kpis.items()},
            "kpi_info": {
                k: {"unit": i.unit, "sdg_target": i.sdg_target, "description": i.description} for k, i in KPIS.items()
            },
        }

        def write(tmp: Path) -> list[Path]:
            out = []
            tables = (
                ("exchanges", self.exchanges, False),
                ("members", self.members, True),
                ("streams", self.streams, True),
                ("factors", self.factors, False),
            )
            for name, frame, index in tables:
                out.append(tmp / f"{name}.csv")
                out[-1].write_text(csv_text(frame, index=index), encoding="utf-8")
            out.append(tmp / "kpis.json")
            out[-1].write_text(json_text(kpis), encoding="utf-8")
            return out

        return atomic_folder(folder, write, owns=RESULT_FILES.__contains__)

    def to_xlsx(self, path: str | Path) -> Path:
        """One workbook with sheets kpis, exchanges, members, streams, factors (text stored as text, never formulas)."""
        return write_workbook(
            path,
            [
                ("kpis", self.kpi_table, False),
                ("exchanges", self.exchanges, False),
                ("members", self.members, True),
                ("streams", self.streams, True),
                ("factors", self.factors, False),
            ],
        )


# ---------------------------------------------------------------------- reading back
def read_result(
    cand: Candidates, lp: LinearProgram, sol: Solution, timings: dict[str, float] | None = None
) -> MatchResult:
    """Turn a solver's :class:`Solution` into a :class:`MatchResult`."""
    inp = cand.inputs
    sup, dem = inp.supplies, inp.demands
    baseline = float(total(sup, "q", "unit_cost") + total(dem, "q", "unit_cost"))
    base: dict[str, Any] = dict(
        scenario=inp.scenario,
        network=inp.network,
        status=sol.status,
        message=sol.message,
        currency=inp.currency,
        baseline_cost=baseline,
        solver=sol.solver,
        solver_version=sol.solver_version,
        timings=dict(timings or {}),
    )
    if not sol.status.has_solution or sol.x is None:
        empty = pd.DataFrame()
        return MatchResult(
            objective=float("nan"),
            exchanges=empty,
            members=empty,
            streams=_stream_table(cand, None, None, None, None),
            kpis={},
            factors=provenance(inp, cand.edges.iloc[:0], np.zeros(0), np.zeros(0)).factors,
            **base,
        )
    x = np.clip(sol.x[lp.blocks["x"]], 0.0, None)
    y = np.clip(sol.x[lp.blocks["y"]], 0.0, None)
    z = np.clip(sol.x[lp.blocks["z"]], 0.0, None)
    opened = sol.x[lp.blocks["open"]]
    exchanges, factors = _exchanges(cand, x, lp, opened)
    duals = sol.row_duals
    streams = _stream_table(cand, x, y, z, duals)
    objective = float(lp.components["cost"] @ sol.x) if lp.components else float(sol.objective)
    members = _members(inp, exchanges)
    kpis = kpi_values(cand, x, y, z, exchanges, baseline - objective)
    return MatchResult(
        objective=objective,
        exchanges=exchanges,
        members=members,
        streams=streams,
        kpis=kpis,
        solver_objective=float(sol.objective),
        basis=None if sol.basis is None else Basis.of(cand, lp, sol.basis),
        factors=factors,
        **base,
    )


def _exchanges(
    cand: Candidates, x: np.ndarray, lp: LinearProgram, opened: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The exchange table (its provenance columns included) and the factor table."""
    inp = cand.inputs
    sup, dem, e = inp.supplies, inp.demands, cand.edges
    q = sup["q"].to_numpy()
    on = x > TOL * np.maximum(1.0, q[e["s"].to_numpy()])
    ed, xe = e[on], x[on]
    s, d = ed["s"].to_numpy(), ed["d"].to_numpy()
    fixed_share = np.zeros(len(ed))
    link = ed["link"].to_numpy()
    has_fixed = (link >= 0) & (ed["fixed_cost"].to_numpy() > 0)
    if has_fixed.any():
        total = pd.Series(xe[has_fixed]).groupby(link[has_fixed]).transform("sum").to_numpy()
        fixed_share[has_fixed] = ed["fixed_cost"].to_numpy()[has_fixed] * xe[has_fixed] / total
    out = pd.DataFrame(
        {
            "supply_stream": sup.index.to_numpy()[s],
            "demand_stream": dem.index.to_numpy()[d],
            "from_member": sup["member_id"].to_numpy()[s],
            "to_member": dem["member_id"].to_numpy()[d],
            "resource": sup["resource"].to_numpy()[s],
            "demand_resource": dem["resource"].to_numpy()[d],
            "quantity": xe,
            "unit": sup["base_unit"].to_numpy()[s],
            "delivered": xe * ed["ratio"].to_numpy(),
            "delivered_unit": dem["base_unit"].to_numpy()[d],
            "distance_km": ed["distance_km"].to_numpy(),
            "mode": ed["mode"].to_numpy(),
            "transport_cost": ed["transport_cost"].to_numpy() * xe,
            "fixed_cost": fixed_share,
            "co2e_t": ed["transport_co2e_t"].to_numpy() * xe,
            "avoided_disposal_cost": sup["money_cost"].to_numpy()[s] * xe,
            "avoided_virgin_cost": dem["money_cost"].to_numpy()[d] * xe * ed["ratio"].to_numpy(),
            "co2e_avoided_t": (
                sup["unit_co2e_t"].to_numpy()[s]
                + ed["ratio"].to_numpy() * dem["unit_co2e_t"].to_numpy()[d]
                - ed["transport_co2e_t"].to_numpy()
            )
            * xe,
            "saving": ed["unit_saving"].to_numpy() * xe - fixed_share,
            "implemented": ~np.isnan(fixed_flows(cand)[on]),  # a fixed exchange: running, kept as it is
        }
    )
    prov = provenance(inp, ed, xe, fixed_share)
    out = out.assign(**prov.exchange_columns)
    return out.sort_values("saving", ascending=False, kind="stable").reset_index(drop=True), prov.factors


def _members(inp: Any, exchanges: pd.DataFrame) -> pd.DataFrame:
    streams = pd.concat([inp.supplies, inp.demands])
    baseline = (streams["q"] * streams["unit_cost"]).groupby(streams["member_id"]).sum()
    half = exchanges["saving"] / 2.0
    saving = pd.concat([half.groupby(exchanges["from_member"]).sum(), half.groupby(exchanges["to_member"]).sum()])
    saving = saving.groupby(level=0).sum()
    n_ex = pd.concat([exchanges["from_member"], exchanges["to_member"]]).value_counts()
    m = inp.network.members
    out = pd.DataFrame(
        {
            "name": m["name"],
            "sector": m["sector"],
            "baseline_cost": baseline.reindex(m.index).fillna(0.0),
            "saving": saving.reindex(m.index).fillna(0.0),
            "exchanges": n_ex.reindex(m.index).fillna(0).astype(int),
        }
    )
    out["cost_after"] = out["baseline_cost"] - out["saving"]
    out.index.name = "member_id"
    return out


def _stream_table(
    cand: Candidates, x: np.ndarray | None, y: np.ndarray | None, z: np.ndarray | None, duals: np.ndarray | None
) -> pd.DataFrame:
    """Per stream: exchanged, left, marginal values and, where something is left, why."""
    inp = cand.inputs
    sup, dem = inp.supplies, inp.demands
    ns = len(sup)
    out = pd.concat([sup, dem])[["member_id", "direction", "resource", "q", "base_unit", "unit_cost"]]
    out = out.rename(columns={"q": "quantity", "base_unit": "unit"})
    if x is None or y is None or z is None:
        out["exchanged"] = np.nan
        out["left"] = out["quantity"]
        out["reason"] = "no solution"
        return out
    left = np.concatenate([y, z])
    out["exchanged"] = out["quantity"].to_numpy() - left
    out["left"] = left
    dual = duals[: ns + len(dem)] if duals is not None else np.full(len(out), np.nan)
    out["dual"] = dual
    out["marginal_saving"] = out["unit_cost"].to_numpy() - dual
    out["reason"] = reasons(cand, x, y, z)
    return out
