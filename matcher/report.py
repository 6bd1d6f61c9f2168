"""Self-contained HTML reports of a match, and static images of its figures.

A report is one HTML file with every script and style inline (plotly.js
included), so it opens offline and makes no request to any other host:
KPI cards, the map of members and exchanges, Sankey diagrams of flows,
tables of exchanges, member savings and unmatched streams, and at the
bottom the resolved scenario and the versions that produced it.

With ``anonymise=True`` member names and ids become stable pseudonyms
(``Member 3FA2C1``, a hash of the member id), stream ids likewise, and
quantities, money and coordinates are rounded, for reports that leave the
network.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from models.files import atomic_write_text

from .result import KPI_INFO, MatchResult, format_number

if TYPE_CHECKING:
    from .comparison import Comparison

__all__ = [
    "ReportData",
    "pseudonym",
    "render_comparison",
    "render_report",
    "report_data",
    "write_comparison",
    "write_images",
    "write_report",
]

_KPI_LABELS = {
    "savings": "Savings",
    "waste_diverted_t": "Waste diverted",
    "virgin_avoided_t": "Virgin materials avoided",
    "water_reused_m3": "Water reused",
    "energy_recovered_mwh": "Energy recovered",
    "co2e_avoided_t": "CO2e avoided",
    "transport_tkm": "Transport work",
    "exchanges": "Exchanges",
    "members_involved": "Members involved",
}


def pseudonym(kind: str, key: str) -> str:
    """A stable pseudonym: the same id always gives the same label.

    >>> pseudonym("Member", "M01") == pseudonym("Member", "M01") != pseudonym("Member", "M02")
    True
    """
    return f"{kind} {hashlib.blake2b(str(key).encode(), digest_size=3).hexdigest().upper()}"


def _round_sig(values: pd.Series | np.ndarray, digits: int = 2) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(v == 0, 0, np.floor(np.log10(np.abs(v))))
    scale = 10.0 ** (digits - 1 - mag)
    return np.where(np.isfinite(v) & (v != 0), np.round(v * scale) / scale, v)


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
        members["saving"] = _round_sig(members["saving"])
        for col in ("from_member", "to_member"):
            ex[col] = ex[col].map(ids)
        for col in ("supply_stream", "demand_stream"):
            ex[col] = ex[col].map(sids)
        for col in (
            "quantity",
            "delivered",
            "saving",
            "transport_cost",
            "co2e_avoided_t",
            "co2e_t",
            "avoided_disposal_cost",
            "avoided_virgin_cost",
            "fixed_cost",
        ):
            if col in ex:
                ex[col] = _round_sig(ex[col])
        ex["distance_km"] = ex["distance_km"].round(0)
        st["member_id"] = st["member_id"].map(ids)
        st["stream_id"] = st["stream_id"].map(sids)
        st["quantity"], st["left"] = _round_sig(st["quantity"]), _round_sig(st["left"])
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
            "label": _KPI_LABELS.get(k, k),
            "value": format_number(_round_sig(np.array([v]))[0] if anonymise else v),
            "unit": result.currency if KPI_INFO[k][0] == "currency" else KPI_INFO[k][0],
            "sdg": KPI_INFO[k][1],
            "description": KPI_INFO[k][2],
        }
        for k, v in result.kpis.items()
        if k in KPI_INFO
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


@cache
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()


def _figure_html(fig: Any, div_id: str) -> str:
    import plotly.io as pio

    return str(
        pio.to_html(
            fig,
            include_plotlyjs=False,
            full_html=False,
            div_id=div_id,
            config={"displaylogo": False, "responsive": True},
        )
    )


def _env() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("matcher", "templates"), autoescape=jinja2.select_autoescape(["html", "j2"])
    )


def _html(frame: pd.DataFrame, na_rep: str) -> str:
    return frame.to_html(float_format=format_number, index=False, border=0, classes="data", na_rep=na_rep)


def _tables(data: ReportData) -> dict[str, str]:
    ex = data.exchanges
    exchanges = (
        pd.DataFrame(
            {
                "from": ex["from_member"].map(data.labels),
                "to": ex["to_member"].map(data.labels),
                "resource": ex["resource"],
                "quantity": ex["quantity"],
                "unit": ex["unit"],
                "km": ex["distance_km"].round(1),
                f"saving {data.currency}": ex["saving"],
                "CO2e avoided t": ex["co2e_avoided_t"],
            }
        )
        if len(ex)
        else pd.DataFrame()
    )
    m = data.members.sort_values("saving", ascending=False)
    members = pd.DataFrame(
        {"member": m["name"], "sector": m["sector"], "role": m["role"], f"saving {data.currency}": m["saving"]}
    )
    st = data.streams[data.streams["reason"].fillna("") != ""]
    unmatched = pd.DataFrame(
        {
            "stream": st["stream_id"],
            "member": st["member_id"].map(data.labels),
            "resource": st["resource"],
            "left": st["left"],
            "unit": st["unit"],
            "why": st["reason"],
        }
    )
    return {
        name: _html(frame, na_rep="")
        for name, frame in (("exchanges", exchanges), ("members", members), ("unmatched", unmatched))
    }


def render_body(data: ReportData, prefix: str = "") -> dict[str, Any]:
    """The parts of one scenario's report, for the report and comparison templates."""
    from .figures import map_figure, sankey_figures

    sankeys = {unit: _figure_html(fig, f"{prefix}sankey-{unit}") for unit, fig in sankey_figures(data).items()}
    return {
        "data": data,
        "map": _figure_html(map_figure(data), f"{prefix}map"),
        "sankeys": sankeys,
        "tables": _tables(data),
        "n_members": len(data.members),
        "n_exchanges": len(data.exchanges),
    }


def render_report(result: MatchResult, anonymise: bool = False) -> str:
    """The whole report as one HTML string."""
    body = render_body(report_data(result, anonymise))
    return str(_env().get_template("report.html.j2").render(plotly_js=_plotly_js(), **body))


def write_report(result: MatchResult, path: str | Path, anonymise: bool = False) -> Path:
    """Write the report to ``path`` (completely or not at all)."""
    return atomic_write_text(path, render_report(result, anonymise))


def write_images(
    result: MatchResult, folder: str | Path, anonymise: bool = False, formats: tuple[str, ...] = ("png", "svg")
) -> list[Path]:
    """Static images of the map and each Sankey for slides (needs Chromium for kaleido)."""
    from .figures import map_figure, sankey_figures

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = report_data(result, anonymise)
    figures = {"map": map_figure(data), **{f"sankey-{u}": f for u, f in sankey_figures(data).items()}}
    import plotly.io as pio

    for name, fig in figures.items():
        fig.update_layout(title={"text": f"{data.title}: {name}", "x": 0}, width=1100)
    jobs = [(fig, folder / f"{name}.{fmt}", fmt) for name, fig in figures.items() for fmt in formats]
    # one browser session for all images: kaleido starts Chromium once per call
    pio.write_images(
        [j[0] for j in jobs],
        [j[1] for j in jobs],
        format=[j[2] for j in jobs],
        width=[1100] * len(jobs),
        height=[int(j[0].layout.height or 520) for j in jobs],
        scale=[2 if j[2] == "png" else 1 for j in jobs],
    )
    return [j[1] for j in jobs]


def _comparison_figures(comparison: Comparison, labels: dict[str, str]) -> dict[str, str]:
    import plotly.graph_objects as go

    names = comparison.names
    k = comparison.kpis
    figs = {}
    bar = go.Figure()
    for key, label in (
        ("savings", f"savings ({comparison.results[0].currency})"),
        ("co2e_avoided_t", "CO2e avoided (t)"),
    ):
        if key in k.index:
            bar = go.Figure(
                go.Bar(x=list(names), y=k.loc[key, list(names)].to_numpy(dtype=float).tolist(), marker_color="#1c7ed6")
            )
            bar.update_layout(title={"text": label, "x": 0}, height=320, margin={"l": 50, "r": 10, "t": 40, "b": 40})
            figs[key] = _figure_html(bar, f"cmp-{key}")
    m = comparison.members
    if len(m):
        top = m.loc[m.abs().max(axis=1).sort_values(ascending=False).index[:15]]
        fig = go.Figure(
            [
                go.Bar(name=n, x=[labels.get(i, i)[:32] for i in top.index], y=top[n].astype(float).tolist())
                for n in names
            ]
        )
        fig.update_layout(
            barmode="group",
            title={"text": "Saving per member (largest 15)", "x": 0},
            height=460,
            margin={"l": 50, "r": 10, "t": 40, "b": 120},
        )
        figs["members"] = _figure_html(fig, "cmp-members")
    return figs


def render_comparison(comparison: Comparison, anonymise: bool = False) -> str:
    """A comparison page: differences first, then each scenario's report side by side."""
    bodies = [render_body(report_data(r, anonymise), prefix=f"s{i}-") for i, r in enumerate(comparison.results)]
    labels: dict[str, str] = {}
    for b in bodies:
        labels.update(b["data"].labels)
    view = comparison
    if anonymise:
        ids = {m: pseudonym("Member", m) for r in comparison.results for m in r.network.members.index}
        sids = {s: pseudonym("Stream", s) for r in comparison.results for s in r.network.streams.index}
        ex = comparison.exchanges.copy()
        for col in ("from_member", "to_member"):
            ex[col] = ex[col].map(ids)
        for col in ("supply_stream", "demand_stream"):
            ex[col] = ex[col].map(sids)
        for n in comparison.names:
            ex[n] = _round_sig(ex[n])
        members = comparison.members.rename(index=ids).apply(_round_sig)
        kpis = comparison.kpis.apply(_round_sig)
        from .comparison import Comparison

        view = Comparison(comparison.results, comparison.names, kpis, ex, members)
    kpi_rows = []
    for figure, row in view.kpis.iterrows():
        cells = [{"text": format_number(row[n]), "cls": ""} for n in view.names]
        for n in view.names[1:]:
            diff = row[f"{n} - {view.names[0]}"]
            good = diff < 0 if figure in ("objective", "baseline_cost", "transport_tkm") else diff > 0
            cls = "" if not np.isfinite(diff) or abs(diff) < 1e-9 else ("up" if good else "down")
            pct = row[f"{n} vs {view.names[0]} %"]
            pct_text = f" ({pct:+.1f} %)" if np.isfinite(pct) else ""
            whole = abs(diff) >= 100 or float(diff).is_integer()
            cells.append({"text": f"{diff:+,.0f}{pct_text}" if whole else f"{diff:+,.2f}{pct_text}", "cls": cls})
        kpi_rows.append({"figure": figure, "cells": cells})
    ex = view.exchanges.copy()
    for col in ("from_member", "to_member"):
        ex[col] = ex[col].map(lambda i: labels.get(i, i))
    changes = {
        kind: _html(ex[ex["change"] == kind].drop(columns=["change"]), na_rep="–")
        for kind in ("added", "removed", "changed")
    }
    counts = {kind: int((ex["change"] == kind).sum()) for kind in ("added", "removed", "changed")}
    return str(
        _env()
        .get_template("compare.html.j2")
        .render(
            plotly_js=_plotly_js(),
            names=view.names,
            kpi_rows=kpi_rows,
            figures=_comparison_figures(view, labels),
            changes=changes,
            counts=counts,
            bodies=bodies,
            anonymised=anonymise,
            currency=comparison.results[0].currency,
            generated=bodies[0]["data"].generated,
        )
    )


def write_comparison(comparison: Comparison, path: str | Path, anonymise: bool = False) -> Path:
    """Write the comparison page to ``path`` (completely or not at all)."""
    return atomic_write_text(path, render_comparison(comparison, anonymise))
