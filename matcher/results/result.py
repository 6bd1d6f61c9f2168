"""Reading a solution back: exchanges, per-member savings, KPIs, marginal values, reasons.

Results are read only when the solver's status says a solution exists.
Each exchange's saving is counted once and split equally between its two
members, so member savings add up to the network's saving.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models import Network, Scenario
from models.files import atomic_folder, atomic_write_text

from ..engine.candidates import Candidates
from ..engine.formulation import LinearProgram, fixed_flows
from ..engine.inputs import MatchInputs
from ..solve.base import Solution, Status
from ..solve.basis import Basis
from ..solve.pricing import Snapshot
from .export import csv_text, write_workbook
from .factors import FACTOR_COLUMNS, empty_factors, provenance
from .kpis import KPIS, kpi_values, total
from .numbers import json_number, json_text, records
from .reasons import TOL, reasons
from .seasonal import chain_tables, is_stream, stream_years

__all__ = [
    "RESULT_FILES",
    "SEASONAL_FILES",
    "MatchResult",
    "baseline_cost",
    "deferred_result",
    "read_later",
    "read_result",
    "result_file",
]

#: The files :meth:`MatchResult.to_csv` writes into its folder.
RESULT_FILES = ("exchanges.csv", "members.csv", "streams.csv", "factors.csv", "kpis.json")

#: The files it writes besides for a match with periods, storage or processes.
SEASONAL_FILES = ("stream_periods.csv", "storage.csv", "processes.csv")


def result_file(name: str) -> bool:
    """Whether ``name`` is a file :meth:`MatchResult.to_csv` writes (of any match)."""
    return name in RESULT_FILES or name in SEASONAL_FILES


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
    stream_periods: pd.DataFrame | None = None
    """With periods, storage or processes: each stream's row per period (``stream_id, period``, quantity,
    exchanged, left, ``dual`` of that period's balance row, reason); ``streams`` then holds the year."""
    storage: pd.DataFrame | None = None
    """Per store and period: ``level`` (after the period), ``charge``, ``discharge``, ``cost`` (None without stores)."""
    processes: pd.DataFrame | None = None
    """Per process and period: ``throughput``, ``cost`` (None without processes)."""
    exchange_keys: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    """Per exchange, the model rows it joins (``supply_key``, ``demand_key``: ``s:<key>`` and ``d:<key>`` of
    ``model_rows``)."""
    model_rows: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    """Every balance row of a seasonal model (streams per period and ports), keyed ``s:<key>`` or ``d:<key>``:
    ``dual``, ``unit_cost`` (0 for a port: what an exchange's saving counts), ``left``."""
    primal: pd.Series | None = field(default=None, repr=False, compare=False)
    """A seasonal model's solution by column name (non-zero values), to rebuild it in a related model."""

    @property
    def seasonal(self) -> bool:
        """Whether the match has periods, storage or processes (results per period)."""
        return self.stream_periods is not None

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
            **self._seasonal_dict(),
            "solver": {"name": self.solver, "version": self.solver_version},
            "versions": self.versions,
            "resolved_scenario": self.scenario.model_dump(mode="json", exclude_none=True),
        }

    def _seasonal_dict(self) -> dict[str, Any]:
        """``storage`` and ``processes`` per period, and the streams per period (only for seasonal results)."""
        if not self.seasonal:
            return {}
        empty = pd.DataFrame(columns=["storage_id", "period", "level", "charge", "discharge"])
        storage = self.storage if self.storage is not None else empty
        processes = (
            self.processes
            if self.processes is not None
            else pd.DataFrame(columns=["process_id", "period", "throughput"])
        )
        assert self.stream_periods is not None
        costs = [
            frame.rename(columns={key: "id"}).assign(kind=kind)[["id", "kind", "member_id", "period", "cost", "co2e_t"]]
            for frame, key, kind in ((self.storage, "storage_id", "storage"), (self.processes, "process_id", "process"))
            if frame is not None
        ]
        return {
            "storage": records(storage[["storage_id", "period", "level", "charge", "discharge"]]),
            "processes": records(processes[["process_id", "period", "throughput"]]),
            # what stores and processes cost beyond their exchanges: savings = exchanges' savings - these costs
            "chain_costs": records(pd.concat(costs, ignore_index=True)) if costs else [],
            "stream_periods": records(self.stream_periods.reset_index(drop=True)),
        }

    def _seasonal_tables(self) -> list[tuple[str, pd.DataFrame]]:
        """The tables of a seasonal result, by name (none otherwise)."""
        out = []
        for name in ("stream_periods", "storage", "processes"):
            frame = getattr(self, name)
            if frame is not None:
                out.append((name, frame.reset_index(drop=True)))
        return out

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
            for name, frame in self._seasonal_tables():
                out.append(tmp / f"{name}.csv")
                out[-1].write_text(csv_text(frame), encoding="utf-8")
            out.append(tmp / "kpis.json")
            out[-1].write_text(json_text(kpis), encoding="utf-8")
            return out

        return atomic_folder(folder, write, owns=result_file)

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
                *((name, frame, False) for name, frame in self._seasonal_tables()),
            ],
        )


#: The fields of a result that a deferred result reads from the solution on first use.
DEFERRED_FIELDS = (
    "exchanges",
    "members",
    "streams",
    "kpis",
    "basis",
    "factors",
    "stream_periods",
    "storage",
    "processes",
    "exchange_keys",
    "model_rows",
    "primal",
)


class _Deferred(MatchResult):
    """A :class:`MatchResult` whose tables (:data:`DEFERRED_FIELDS`) are read on first use (:func:`deferred_result`)."""

    def _read(self) -> None:
        lock = self.__dict__.get("_lock")
        if lock is None:
            return
        with lock:
            load = self.__dict__.get("_load")
            if load is None:  # read by another thread meanwhile
                return
            t = time.perf_counter()
            full = load()
            for name in DEFERRED_FIELDS:
                self.__dict__[name] = full.__dict__[name]
            self.timings["results"] = time.perf_counter() - t
            del self.__dict__["_load"]

    def __getstate__(self) -> dict[str, Any]:  # pickled and copied whole
        self._read()
        return {k: v for k, v in self.__dict__.items() if k not in ("_load", "_lock")}


def _deferred_field(name: str) -> property:
    def get(self: _Deferred) -> Any:
        self._read()
        return self.__dict__[name]

    def put(self: _Deferred, value: Any) -> None:
        self._read()
        self.__dict__[name] = value

    return property(get, put)


for _name in DEFERRED_FIELDS:
    setattr(_Deferred, _name, _deferred_field(_name))


def deferred_result(load: Callable[[], MatchResult], **head: Any) -> MatchResult:
    """A result that holds ``head`` (every field of :class:`MatchResult` but :data:`DEFERRED_FIELDS`) at once,
    and reads its tables with ``load`` the first time one of them is used (once, also across threads).

    What a kept match returns after each change (:class:`~matcher.api.WarmMatch`): its status and
    objective are known when the solve ends, the tables are read only if someone reads them.
    ``load`` must not depend on anything that changes later; ``timings["results"]`` records the reading.
    """
    missing = {f for f in MatchResult.__dataclass_fields__ if f not in DEFERRED_FIELDS} - set(head)
    if missing:
        raise TypeError(f"deferred_result lacks {sorted(missing)}")
    result = _Deferred.__new__(_Deferred)
    result.__dict__.update(head, _load=load, _lock=threading.Lock())
    return result


# ---------------------------------------------------------------------- reading back
def baseline_cost(inp: MatchInputs) -> float:
    """The cost with nothing exchanged: every surplus disposed of, every need bought virgin."""
    return float(total(inp.supplies, "q", "unit_cost") + total(inp.demands, "q", "unit_cost"))


def read_later(snapshot: Snapshot, inp: MatchInputs, timings: dict[str, float] | None = None) -> MatchResult:
    """A result of a solved model's ``snapshot``: status and objectives at once, tables read on first use
    (:func:`deferred_result`; ``inp``: the inputs the model holds)."""
    return deferred_result(
        lambda: read_result(*snapshot.solved()),
        scenario=inp.scenario,
        network=inp.network,
        status=snapshot.status,
        message=snapshot.message,
        currency=inp.currency,
        objective=snapshot.objective,
        baseline_cost=baseline_cost(inp),
        solver=snapshot.solver,
        solver_version=snapshot.solver_version,
        timings=dict(timings or {}),
        solver_objective=snapshot.solver_objective,
    )


def read_result(
    cand: Candidates, lp: LinearProgram, sol: Solution, timings: dict[str, float] | None = None
) -> MatchResult:
    """Turn a solver's :class:`Solution` into a :class:`MatchResult`."""
    inp = cand.inputs
    baseline = baseline_cost(inp)
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
    if inp.chains is not None:
        base.update(_seasonal(cand, lp, sol.x, x, exchanges, streams, members))
        streams = base.pop("streams")
        exchanges = base.pop("exchanges")
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


def _seasonal(
    cand: Candidates,
    lp: LinearProgram,
    x_all: np.ndarray,
    x: np.ndarray,
    exchanges: pd.DataFrame,
    rows: pd.DataFrame,
    members: pd.DataFrame,
) -> dict[str, Any]:
    """The tables of a match with periods, storage or processes (:mod:`matcher.results.seasonal`).

    ``exchanges`` (of model rows) gain their streams' ids and a ``period`` column, ``rows`` (the
    streams table of model rows) becomes ``stream_periods`` and the year's ``streams``; the costs
    of stores and processes are charged to their members' savings (``members`` in place).
    """
    inp = cand.inputs
    ch = inp.chains
    assert ch is not None
    sup, dem = inp.supplies, inp.demands
    keys = pd.DataFrame(
        {
            "supply_key": "s:" + exchanges["supply_stream"].astype(str),
            "demand_key": "d:" + exchanges["demand_stream"].astype(str),
        }
    )
    ex = exchanges.copy()
    s_at = sup.index.get_indexer(pd.Index(exchanges["supply_stream"]))
    d_at = dem.index.get_indexer(pd.Index(exchanges["demand_stream"]))
    ex["supply_stream"] = sup["stream_id"].to_numpy()[s_at]
    ex["demand_stream"] = dem["stream_id"].to_numpy()[d_at]
    if ch.named:
        ex.insert(2, "period", sup["period"].to_numpy()[s_at])
    both = pd.concat([sup, dem])
    real = np.concatenate([is_stream(sup), is_stream(dem)])
    model_rows = pd.DataFrame(
        {
            "dual": rows["dual"].to_numpy() if "dual" in rows.columns else np.nan,
            "unit_cost": np.where(real, rows["unit_cost"].to_numpy(dtype=float), 0.0),
            "left": rows["left"].to_numpy(),
        },
        index=pd.Index(np.concatenate(["s:" + sup.index.astype(str), "d:" + dem.index.astype(str)])),
    )
    names = np.asarray(lp.col_names, dtype=object) if lp.col_names is not None else np.zeros(0, dtype=object)
    nonzero = np.flatnonzero(np.abs(x_all) > 0) if names.size else np.zeros(0, dtype=np.int64)
    per = rows[real].copy()
    per.insert(0, "stream_id", both["stream_id"].to_numpy()[real])
    per.insert(1, "period", both["period"].to_numpy()[real] if ch.named else "year")
    per.index.name = "key"
    streams = stream_years(per, ch.named)
    storage, processes = chain_tables(cand, lp, x_all)
    costs = pd.concat([storage[["member_id", "cost"]], processes[["member_id", "cost"]]])
    by_member = costs.groupby("member_id")["cost"].sum().reindex(members.index).fillna(0.0)
    members["saving"] -= by_member
    members["cost_after"] = members["baseline_cost"] - members["saving"]
    return {
        "exchanges": ex,
        "streams": streams,
        "stream_periods": per,
        "storage": storage if ch.n_storage else None,
        "processes": processes if ch.n_processes else None,
        "exchange_keys": keys,
        "model_rows": model_rows,
        "primal": pd.Series(x_all[nonzero], index=names[nonzero]),
    }


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
    if has_fixed.any():  # a link's fixed cost is for the year: shared by its flows in every period
        yearly = link[has_fixed] // inp.periods
        total = pd.Series(xe[has_fixed]).groupby(yearly).transform("sum").to_numpy()
        fixed_share[has_fixed] = ed["fixed_cost"].to_numpy()[has_fixed] * xe[has_fixed] / total
    # 1 where the side is a member's stream, 0 for a port of a store or process (it avoids nothing itself)
    own_s, own_d = (is_stream(f).astype(float)[i] for f, i in ((sup, s), (dem, d)))
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
            "avoided_disposal_cost": own_s * sup["money_cost"].to_numpy()[s] * xe,
            "avoided_virgin_cost": own_d * dem["money_cost"].to_numpy()[d] * xe * ed["ratio"].to_numpy(),
            "co2e_avoided_t": (
                own_s * sup["unit_co2e_t"].to_numpy()[s]
                + ed["ratio"].to_numpy() * own_d * dem["unit_co2e_t"].to_numpy()[d]
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
