"""What a report shows, prepared once: tables, labels and KPI cards, pseudonymised and rounded if asked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from ..results.kpis import KPIS
from ..results.numbers import format_number
from ..results.result import MatchResult
from .anonymise import ROUNDED_COLUMNS, pseudonym, pseudonymise_exchanges, round_sig

__all__ = ["ReportData", "report_data"]


@dataclass
class ReportData:
    """What a report shows, already pseudonymised and rounded if asked."""

    title: str
    status: str
    currency: str
    objective: float
    baseline_cost: float
    savings: float
    kpis: list[dict[str, str]]
    members: pd.DataFrame
    exchanges: pd.DataFrame
    streams: pd.DataFrame
    labels: dict[str, str]
    scenario_yaml: str
    versions: dict[str, str]
    anonymised: bool = False
    generated: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


def report_data(result: MatchResult, anonymise: bool = False) -> ReportData:
    """Prepare the tables a report shows (pseudonyms and rounding applied here, once)."""
    net = result.network
    members = net.members[["name", "sector", "lat", "lon"]].copy()
    ex = result.exchanges.copy()
    st = result.streams.reset_index()[
        ["stream_id", "member_id", "direction", "resource", "quantity", "left", "unit", "reason"]
    ].copy()
    saving = result.members["saving"].reindex(members.index).fillna(0.0) if len(result.members) else 0.0
    members["saving"] = saving
    if anonymise:
        ids = {m: pseudonym("Member", m) for m in members.index}
        sids = {s: pseudonym("Stream", s) for s in net.streams.index}
        members = members.rename(index=ids)
        members["name"] = members.index
        members[["lat", "lon"]] = members[["lat", "lon"]].round(1)
        members["saving"] = round_sig(members["saving"])
        ex = pseudonymise_exchanges(ex, ids, sids)
        for col in ROUNDED_COLUMNS:
            if col in ex:
                ex[col] = round_sig(ex[col])
        ex["distance_km"] = ex["distance_km"].round(0)
        st["member_id"] = st["member_id"].map(ids)
        st["stream_id"] = st["stream_id"].map(sids)
        st["quantity"], st["left"] = round_sig(st["quantity"]), round_sig(st["left"])
    categories = net.catalog.table("EUR")["category"]
    if len(ex):
        ex["category"] = ex["resource"].map(categories)
        ex["hover"] = (
            members.loc[ex["from_member"], "name"].to_numpy()
            + " → "
            + members.loc[ex["to_member"], "name"].to_numpy()
            + "<br>"
            + ex["resource"]
            + ": "
            + ex["quantity"].map(format_number)
            + " "
            + ex["unit"]
            + "<br>"
            + ex["distance_km"].map("{:.1f}".format)
            + " km, saves "
            + ex["saving"].map(format_number)
            + " "
            + result.currency
        )
    else:
        ex = ex.assign(category=pd.Series(dtype=object), hover=pd.Series(dtype=object))
    gives = set(ex.get("from_member", [])) if len(ex) else set()
    takes = set(ex.get("to_member", [])) if len(ex) else set()
    members["role"] = [
        "both"
        if m in gives and m in takes
        else "supplies"
        if m in gives
        else "receives"
        if m in takes
        else "no exchange"
        for m in members.index
    ]
    members["hover"] = (
        members["name"]
        + "<br>sector "
        + members["sector"].fillna("–")
        + "<br>"
        + members["role"]
        + "<br>saves "
        + members["saving"].map(format_number)
        + " "
        + result.currency
    )
    kpis = [
        {
            "key": k,
            "label": KPIS[k].label,
            "value": format_number(round_sig(np.array([v]))[0] if anonymise else v),
            "unit": result.currency if KPIS[k].unit == "currency" else KPIS[k].unit,
            "sdg": KPIS[k].sdg_target,
            "description": KPIS[k].description,
        }
        for k, v in result.kpis.items()
        if k in KPIS
    ]
    scenario_yaml = result.scenario.to_yaml()
    if anonymise and result.scenario.description:
        scenario_yaml = result.scenario.model_copy(update={"description": None}).to_yaml()
    return ReportData(
        title=result.scenario.name,
        status=result.status.value,
        currency=result.currency,
        objective=float(result.objective),
        baseline_cost=float(result.baseline_cost),
        savings=float(result.savings),
        kpis=kpis,
        members=members,
        exchanges=ex,
        streams=st,
        labels={str(k): str(v) for k, v in members["name"].items()},
        scenario_yaml=scenario_yaml,
        versions=result.versions,
        anonymised=anonymise,
    )
