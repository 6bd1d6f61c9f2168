"""Reading a solution back: exchanges, per-member savings, KPIs, marginal values, reasons.

Results are read only when the solver's status says a solution exists.
Each exchange's saving is counted once and split equally between its two
members, so member savings add up to the network's saving.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models import Network, Scenario
from models.files import atomic_write, atomic_write_text

from .candidates import Candidates, has_blend_limit
from .formulation import LinearProgram
from .solvers import Solution, Status
from .warm import Basis

__all__ = ["KPI_INFO", "MatchResult", "format_number", "json_number", "read_result"]

#: KPI key -> (unit, SDG target it serves, description)
KPI_INFO: dict[str, tuple[str, str, str]] = {
    "savings": ("currency", "8.4", "total cost saved against the baseline (resource efficiency)"),
    "waste_diverted_t": ("t", "12.5", "waste exchanged instead of disposed"),
    "virgin_avoided_t": ("t", "12.2", "virgin materials not bought"),
    "water_reused_m3": ("m3", "6.4", "virgin water replaced by exchanged water"),
    "energy_recovered_mwh": ("MWh", "7.3", "energy needs met by surplus energy"),
    "co2e_avoided_t": ("t CO2e", "13.2", "emissions avoided, transport emissions subtracted"),
    "transport_tkm": ("t*km", "9.4", "road and pipe transport work of mass exchanged"),
    "exchanges": ("count", "17.17", "supply-demand pairs that exchange"),
    "members_involved": ("count", "17.17", "members in at least one exchange"),
}
_TOL = 1e-7


def format_number(x: float) -> str:
    """Thousands separators; two decimals only below 100 (``37,137,972``, ``24``, ``0.75``)."""
    if not math.isfinite(x):
        return "–"
    if float(x).is_integer() or abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.2f}"


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
    objective_value: float = float("nan")
    """The optimised objective (equal to ``objective`` for the cost objective)."""
    basis: Basis | None = field(default=None, repr=False, compare=False)
    """The optimal simplex basis (LPs solved by HiGHS), to start a related match from (``match(start=...)``)."""

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
                "unit": self.currency if KPI_INFO[k][0] == "currency" else KPI_INFO[k][0],
                "sdg_target": KPI_INFO[k][1],
                "description": KPI_INFO[k][2],
            }
            for k, v in self.kpis.items()
            if k in KPI_INFO
        ]
        return pd.DataFrame(rows)

    @property
    def unmatched(self) -> pd.DataFrame:
        """Streams with a quantity left, and why."""
        left = self.streams[self.streams["left"] > _TOL * np.maximum(1.0, self.streams["quantity"])]
        return left[["member_id", "direction", "resource", "quantity", "left", "unit", "reason"]]

    def to_dict(self) -> dict[str, Any]:
        """The ``match --json`` document."""

        def recs(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return json.loads(frame.to_json(orient="records", force_ascii=False))

        ex = self.exchanges.rename(columns={"quantity_unit": "unit"})
        un = self.unmatched.reset_index().rename(columns={"left": "unmatched_quantity"})
        st = self.streams.reset_index()
        left = st["left"] > _TOL * np.maximum(1.0, st["quantity"])
        return {
            "scenario": self.scenario.name,
            "status": self.status.value,
            "message": self.message,
            "currency": self.currency,
            "objective": json_number(self.objective),
            "baseline_cost": json_number(self.baseline_cost),
            "savings": json_number(self.savings),
            "kpis": {k: json_number(v) for k, v in self.kpis.items()},
            "exchanges": recs(ex),
            "unmatched": recs(
                un[["stream_id", "unmatched_quantity", "unit", "reason", "member_id", "direction", "resource"]]
            ),
            "virgin_purchases": recs(
                st.loc[left & st["direction"].eq("demand"), ["stream_id", "left", "unit"]].rename(
                    columns={"left": "quantity"}
                )
            ),
            "disposals": recs(
                st.loc[left & st["direction"].eq("supply"), ["stream_id", "left", "unit"]].rename(
                    columns={"left": "quantity"}
                )
            ),
            "members": recs(self.members.reset_index()),
            "solver": {"name": self.solver, "version": self.solver_version},
            "versions": self.versions,
            "resolved_scenario": self.scenario.model_dump(mode="json", exclude_none=True),
        }

    def to_json(self, path: str | Path | None = None) -> str:
        """The result as JSON; written atomically to ``path`` if given."""
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=1)
        if path is not None:
            atomic_write_text(path, text)
        return text

    def to_csv(self, folder: str | Path) -> list[Path]:
        """Write exchanges.csv, members.csv, streams.csv and kpis.json into ``folder``."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        out = []
        for name, frame in (("exchanges", self.exchanges), ("members", self.members), ("streams", self.streams)):
            index = name != "exchanges"
            out.append(atomic_write_text(folder / f"{name}.csv", frame.to_csv(index=index)))
        kpis = {
            "scenario": self.scenario.name,
            "status": self.status.value,
            "currency": self.currency,
            "objective": json_number(self.objective),
            "baseline_cost": json_number(self.baseline_cost),
            "savings": json_number(self.savings),
            "kpis": {k: json_number(v) for k, v in self.kpis.items()},
            "kpi_info": {k: {"unit": u, "sdg_target": g, "description": t} for k, (u, g, t) in KPI_INFO.items()},
        }
        out.append(
            atomic_write(folder / "kpis.json", lambda p: p.write_text(json.dumps(kpis, indent=1), encoding="utf-8"))
        )
        return out

    def to_html(self, path: str | Path, anonymise: bool = False) -> Path:
        """A self-contained HTML report (see :mod:`matcher.report`)."""
        from .report import write_report

        return write_report(self, path, anonymise=anonymise)

    def to_xlsx(self, path: str | Path) -> Path:
        """One workbook with sheets kpis, exchanges, members, streams."""

        def write(p: Path) -> None:
            with pd.ExcelWriter(p, engine="openpyxl") as xl:
                self.kpi_table.to_excel(xl, sheet_name="kpis", index=False)
                self.exchanges.to_excel(xl, sheet_name="exchanges", index=False)
                self.members.to_excel(xl, sheet_name="members")
                self.streams.to_excel(xl, sheet_name="streams")

        return atomic_write(Path(path), write)


def json_number(v: Any) -> Any:
    """A number ready for JSON: numpy scalars as Python numbers, NaN as None."""
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return None if math.isnan(v) else float(v)
    return v


# ---------------------------------------------------------------------- reading back
def read_result(
    cand: Candidates, lp: LinearProgram, sol: Solution, timings: dict[str, float] | None = None
) -> MatchResult:
    """Turn a solver's :class:`Solution` into a :class:`MatchResult`."""
    inp = cand.inputs
    sup, dem = inp.supplies, inp.demands
    baseline = float(_dot(sup, "q", "unit_cost") + _dot(dem, "q", "unit_cost"))
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
            **base,
        )
    x = np.clip(sol.x[lp.blocks["x"]], 0.0, None)
    y = np.clip(sol.x[lp.blocks["y"]], 0.0, None)
    z = np.clip(sol.x[lp.blocks["z"]], 0.0, None)
    opened = sol.x[lp.blocks["open"]]
    exchanges = _exchanges(cand, x, lp, opened)
    duals = sol.row_duals
    streams = _stream_table(cand, x, y, z, duals)
    objective = float(lp.components["cost"] @ sol.x) if lp.components else float(sol.objective)
    members = _members(inp, exchanges)
    kpis = _kpis(cand, x, y, z, exchanges, baseline - objective)
    return MatchResult(
        objective=objective,
        exchanges=exchanges,
        members=members,
        streams=streams,
        kpis=kpis,
        objective_value=float(sol.objective),
        basis=None if sol.basis is None else Basis.of(cand, lp, sol.basis),
        **base,
    )


def _dot(frame: pd.DataFrame, a: str, b: str) -> float:
    return float(frame[a].to_numpy(dtype=float) @ frame[b].to_numpy(dtype=float))


def _exchanges(cand: Candidates, x: np.ndarray, lp: LinearProgram, opened: np.ndarray) -> pd.DataFrame:
    inp = cand.inputs
    sup, dem, e = inp.supplies, inp.demands, cand.edges
    q = sup["q"].to_numpy()
    on = x > _TOL * np.maximum(1.0, q[e["s"].to_numpy()])
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
        }
    )
    return out.sort_values("saving", ascending=False, kind="stable").reset_index(drop=True)


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


def _kpis(
    cand: Candidates, x: np.ndarray, y: np.ndarray, z: np.ndarray, ex: pd.DataFrame, savings: float
) -> dict[str, float | int]:
    inp = cand.inputs
    sup, dem, e = inp.supplies, inp.demands, cand.edges
    s, d = e["s"].to_numpy(), e["d"].to_numpy()
    delivered = x * e["ratio"].to_numpy()
    s_unit, d_unit = sup["base_unit"].to_numpy()[s], dem["base_unit"].to_numpy()[d]
    s_cat, d_cat = sup["category"].to_numpy()[s], dem["category"].to_numpy()[d]
    co2_base = float(_dot(sup, "q", "unit_co2e_t") + _dot(dem, "q", "unit_co2e_t"))
    co2_opt = float(
        y @ sup["unit_co2e_t"].to_numpy() + z @ dem["unit_co2e_t"].to_numpy() + x @ e["transport_co2e_t"].to_numpy()
    )
    members = set(ex["from_member"]) | set(ex["to_member"])
    return {
        "savings": savings,
        "waste_diverted_t": float(x[(s_cat == "waste") & (s_unit == "t")].sum()),
        "virgin_avoided_t": float(delivered[d_unit == "t"].sum()),
        "water_reused_m3": float(delivered[(d_cat == "water") & (d_unit == "m3")].sum()),
        "energy_recovered_mwh": float(delivered[(d_cat == "energy") & (d_unit == "MWh")].sum()),
        "co2e_avoided_t": co2_base - co2_opt,
        "transport_tkm": float((x * e["distance_km"].to_numpy())[s_unit == "t"].sum()),
        "exchanges": int(len(ex)),
        "members_involved": int(len(members)),
    }


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
    out["reason"] = _reasons(cand, x, y, z)
    return out


def _edge_limits(cand: Candidates, x: np.ndarray) -> np.ndarray:
    """Per edge, what may hold its flow back besides the partners' quantities."""
    e = cand.edges
    inp = cand.inputs
    label = np.full(len(e), "the exchange does not pay at the optimum", dtype=object)
    m_s = inp.supplies["min_quantity_base"].to_numpy(dtype=float)[e["s"].to_numpy()]
    m_d = inp.demands["min_quantity_base"].to_numpy(dtype=float)[e["d"].to_numpy()]
    label[(np.nan_to_num(m_s) > 0) | (np.nan_to_num(m_d) > 0)] = "a minimum quantity is not reached"
    label[has_blend_limit(inp)[e["d"].to_numpy()]] = "the quality of the mix the demand receives is at its limit"
    link = e["link"].to_numpy()
    cap = e["capacity"].to_numpy()
    on = (link >= 0) & np.isfinite(cap)
    if on.any():
        flow = pd.Series(x[on]).groupby(link[on]).transform("sum").to_numpy()
        full = np.zeros(len(e), dtype=bool)
        full[on] = flow >= cap[on] * (1 - 1e-6)
        label[full] = "the link's capacity is used up"
    return label


def _lp_reasons(cand: Candidates, x: np.ndarray, y: np.ndarray, z: np.ndarray, is_supply: bool) -> np.ndarray:
    """Reasons for streams that have edges in the LP yet keep a quantity."""
    e = cand.edges
    inp = cand.inputs
    own, other = ("s", "d") if is_supply else ("d", "s")
    other_frame = inp.demands if is_supply else inp.supplies
    other_left = z if is_supply else y
    o = e[other].to_numpy()
    saturated = other_left[o] <= _TOL * np.maximum(1.0, other_frame["q"].to_numpy()[o])
    n_own = len(inp.supplies if is_supply else inp.demands)
    out = np.full(n_own, "", dtype=object)
    frame = pd.DataFrame({"own": e[own].to_numpy(), "sat": saturated, "limit": _edge_limits(cand, x)})
    open_edges = frame[~frame["sat"]]
    first_limit = open_edges.groupby("own")["limit"].first()
    out[:] = (
        "partners' needs are fully met (by this or better pairs)"
        if is_supply
        else "compatible surplus in reach is used up (by this or better pairs)"
    )
    out[first_limit.index.to_numpy()] = first_limit.to_numpy()
    return out


def _reasons(cand: Candidates, x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Why each stream keeps a quantity (empty where nothing is left)."""
    inp = cand.inputs
    sup, dem = inp.supplies, inp.demands
    p = inp.parameters
    reasons = []
    for frame, kept, left, is_supply in ((sup, cand.kept_supply, y, True), (dem, cand.kept_demand, z, False)):
        nobody = (
            "no member needs this resource or one it can replace"
            if is_supply
            else "no member offers this resource or one that can replace it"
        )
        r = pd.Series("", index=frame.index, dtype=object)
        k = kept.reindex(frame.index)
        reach = np.minimum(frame["max_distance_km"].to_numpy(), p.max_distance_km)
        r[:] = np.where(k["pays"] > 0, "in_lp", "")
        r[k["pays"].eq(0)] = (
            "cheaper to dispose: no exchange in reach saves more than transport costs"
            if is_supply
            else "cheaper to buy virgin: no exchange in reach saves more than transport costs"
        )
        r[k["permit"].eq(0)] = (
            "hazardous: no receiver in reach is permitted for its EWC code (accepts_ewc)"
            if is_supply
            else "hazardous supplies in reach need this demand to list their EWC code in accepts_ewc"
        )
        qf = cand.quality_failed.reindex(frame.index).fillna("")
        r[k["quality"].eq(0)] = "quality: no partner in reach meets the limits on " + qf[k["quality"].eq(0)]
        r[k["context"].eq(0)] = "compatible partners in reach are the same member or in another period"
        no_reach = k["reach"].eq(0)
        if p.candidates == "links":
            r[no_reach] = "no link in links.csv to a compatible partner"
        else:
            km = pd.Series(reach, index=frame.index)[no_reach].map("{:g}".format).astype(str)
            r[no_reach] = "no compatible partner within reach (" + km + " km)"
        r[k["resource"].eq(0)] = f"no compatible partner: {nobody}"
        # in the LP but left over: were the partners' quantities taken by others?
        in_lp = r.eq("in_lp").to_numpy()
        if in_lp.any():
            r.loc[in_lp] = _lp_reasons(cand, x, y, z, is_supply)[in_lp]
        r[left <= _TOL * np.maximum(1.0, frame["q"].to_numpy())] = ""
        reasons.append(r.to_numpy())
    return np.concatenate(reasons)
