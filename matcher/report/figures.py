"""Plotly figures: the map and Sankey diagrams of a match, comparisons, sweeps, Pareto fronts, resilience.

The map needs no tiles: members sit at their coordinates over the coastlines
and national borders of the Nordic countries that ship with the package
(Natural Earth, :mod:`~matcher.report.coast`), longitude scaled by the cosine
of the mean latitude, so it shows the same offline as online. Quantities of different base units never
share one Sankey diagram: there is one per unit (t, m3, MWh).

Plotly renders a subset of HTML (``<a href>`` links, ``<b>``, styled ``<span>``)
in labels, hover texts, legends, axis ticks and titles, in the page and in SVG
exports: every text taken from members' or scenarios' data is escaped
(:func:`~matcher.report.data.markup_free`) so it shows literally.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from models.catalog import CAPACITY_UNITS

from ..results.kpis import KPIS
from .anonymise import round_sig
from .coast import outlines_in
from .data import ReportData, markup_free

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from ..results.comparison import Comparison

__all__ = [
    "CATEGORY_COLOURS",
    "comparison_figures",
    "map_figure",
    "pareto_figure",
    "resilience_figure",
    "sankey_figures",
    "sweep_figure",
    "unit_slug",
]

CATEGORY_COLOURS = {
    "energy": "#d9480f",
    "water": "#1971c2",
    "waste": "#5c940d",
    "material": "#862e9c",
    "capacity": "#0c8599",
}
ROLE_COLOURS = {"supplies": "#e8590c", "receives": "#1c7ed6", "both": "#7048e8", "no exchange": "#adb5bd"}
SEA, LAND, SHORE = "#e3eef8", "#fbfaf6", "#8a9199"
_WIDTHS = (2.0, 5.0, 9.0)


def map_figure(data: ReportData) -> go.Figure:
    """Members coloured by role, exchanges as lines coloured by resource category.

    Line width follows the exchange's quantity (three classes per base unit);
    hovering a member or the middle of an exchange shows its details.
    """
    import plotly.graph_objects as go

    m, ex = data.members, data.exchanges
    fig = go.Figure()
    view = _view(m["lon"].to_numpy(dtype=float), m["lat"].to_numpy(dtype=float))
    if view is not None:
        land = outlines_in(*_widened(*view))
        if not land.empty:  # under everything else: the first trace
            fig.add_trace(
                go.Scatter(
                    x=land.lon,
                    y=land.lat,
                    mode="lines",
                    fill="toself",
                    fillcolor=LAND,
                    line={"color": SHORE, "width": 0.8},
                    name="coast and borders",
                    meta="coast",
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
    if len(ex):
        width_class = ex.groupby("unit")["quantity"].transform(
            lambda q: pd.qcut(q.rank(method="first"), min(3, len(q)), labels=False) if len(q) > 1 else 1
        )
        x0, y0 = m.loc[ex["from_member"], "lon"].to_numpy(), m.loc[ex["from_member"], "lat"].to_numpy()
        x1, y1 = m.loc[ex["to_member"], "lon"].to_numpy(), m.loc[ex["to_member"], "lat"].to_numpy()
        seen: set[str] = set()
        for key, idx in ex.groupby([ex["category"], width_class]).groups.items():
            cat, wc = cast(tuple[str, int], key)
            pos = ex.index.get_indexer(idx)
            first = cat not in seen
            seen.add(cat)
            xs = np.column_stack([x0[pos], x1[pos], np.full(len(pos), np.nan)]).ravel()
            ys = np.column_stack([y0[pos], y1[pos], np.full(len(pos), np.nan)]).ravel()
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    name=markup_free(cat),
                    legendgroup=cat,
                    showlegend=first,
                    line={"color": CATEGORY_COLOURS.get(cat, "#495057"), "width": _WIDTHS[min(int(wc), 2)]},
                    hoverinfo="skip",
                    opacity=0.75,
                )
            )
        fig.add_trace(
            go.Scatter(
                x=(x0 + x1) / 2,
                y=(y0 + y1) / 2,
                mode="markers",
                name="exchanges",
                showlegend=False,
                marker={"size": 8, "color": "rgba(0,0,0,0)"},
                text=ex["hover"],
                hovertemplate="%{text}<extra></extra>",
                meta="exchanges",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=m["lon"],
            y=m["lat"],
            mode="markers",
            name="members",
            meta="members",
            marker={"size": 12, "color": m["role"].map(ROLE_COLOURS), "line": {"width": 1, "color": "#212529"}},
            text=m["hover"],
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    )
    mean_lat = float(np.nanmean(m["lat"])) if len(m) else 0.0
    fig.update_yaxes(scaleanchor="x", scaleratio=1 / max(np.cos(np.radians(mean_lat)), 0.1), title="latitude")
    fig.update_xaxes(title="longitude")
    if view is not None:
        fig.update_xaxes(range=list(view[0]), showgrid=False, zeroline=False)
        fig.update_yaxes(range=list(view[1]), showgrid=False, zeroline=False)
    fig.update_layout(
        height=520,
        margin={"l": 50, "r": 20, "t": 30, "b": 40},
        plot_bgcolor=SEA,
        legend={"title": "exchanges by category"},
        hovermode="closest",
    )
    return fig


def _view(lon: np.ndarray, lat: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The members' box with a margin (a tenth of its size, at least 0.02 degree), or None without members."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return None
    box = []
    for v in (lon[ok], lat[ok]):
        pad = max(0.1 * float(v.max() - v.min()), 0.02)
        box.append((float(v.min()) - pad, float(v.max()) + pad))
    return box[0], box[1]


def _widened(lon: tuple[float, float], lat: tuple[float, float]) -> tuple[tuple[float, float], tuple[float, float]]:
    """A box three times as large: the plot widens one axis to keep the aspect, and the land must reach its edge."""
    w, h = lon[1] - lon[0], lat[1] - lat[0]
    side = max(w, h)
    return (lon[0] - side, lon[1] + side), (lat[0] - side, lat[1] + side)


def unit_slug(unit: str) -> str:
    """A unit as a name for element ids and files (``t*km`` -> ``tkm``)."""
    return re.sub(r"[^A-Za-z0-9]", "", unit) or "unit"


def sankey_figures(data: ReportData) -> dict[str, go.Figure]:
    """One Sankey per base unit: suppliers -> resources -> receivers, with disposal and virgin purchase.

    Shared capacities (t*km, m2, h, seat) get their own diagrams, whose ends are the capacity
    left idle and what receivers still buy on the market. Node labels are the members' names
    as the report shows them (pseudonyms when anonymised), escaped so that no markup in them renders; when anonymised,
    flows are rounded to two significant figures and shown so.
    """
    import plotly.graph_objects as go

    out = {}
    ex, st = data.exchanges, data.streams
    value_format = ",.2~r" if data.anonymised else ",.4~g"
    for unit in sorted(set(ex["unit"]) | set(ex["delivered_unit"])):
        e_out = ex[ex["unit"] == unit]
        e_in = ex[ex["delivered_unit"] == unit]
        left = st[(st["unit"] == unit) & (st["left"] > 0)]
        members_with_flow = set(e_out["from_member"]) | set(e_in["to_member"])
        disposed = left[(left["direction"] == "supply") & left["member_id"].isin(members_with_flow)]
        virgin = left[(left["direction"] == "demand") & left["member_id"].isin(members_with_flow)]
        suppliers = sorted(set(e_out["from_member"]) | set(disposed["member_id"]))
        resources = sorted(set(e_out["resource"]) | set(e_in["demand_resource"]))
        receivers = sorted(set(e_in["to_member"]) | set(virgin["member_id"]))
        nodes = (
            [("supplier", m) for m in suppliers]
            + [("resource", r) for r in resources]
            + [("receiver", m) for m in receivers]
            + [("end", "disposal"), ("end", "virgin purchase")]
        )
        capacity = unit in CAPACITY_UNITS
        ends = {"disposal": "left idle", "virgin purchase": "bought on the market"} if capacity else {}
        index = {node: i for i, node in enumerate(nodes)}

        def at(kind: str, keys: pd.Series, index: dict[tuple[str, str], int] = index) -> pd.Series:
            return keys.map(lambda k: index[(kind, k)])

        links = pd.concat(
            [
                pd.DataFrame(
                    {
                        "s": at("supplier", e_out["from_member"]),
                        "t": at("resource", e_out["resource"]),
                        "v": e_out["quantity"],
                    }
                ),
                pd.DataFrame(
                    {
                        "s": at("resource", e_in["demand_resource"]),
                        "t": at("receiver", e_in["to_member"]),
                        "v": e_in["delivered"],
                    }
                ),
                pd.DataFrame(
                    {"s": at("supplier", disposed["member_id"]), "t": index[("end", "disposal")], "v": disposed["left"]}
                ),
                pd.DataFrame(
                    {
                        "s": index[("end", "virgin purchase")],
                        "t": at("receiver", virgin["member_id"]),
                        "v": virgin["left"],
                    }
                ),
            ],
            ignore_index=True,
        )
        links = links.groupby(["s", "t"], as_index=False).agg(v=("v", "sum"))
        if data.anonymised:
            links["v"] = round_sig(links["v"])
        shown = [
            markup_free(data.labels.get(key, key) if kind in ("supplier", "receiver") else ends.get(key, key))
            for kind, key in nodes
        ]
        fig = go.Figure(
            go.Sankey(
                arrangement="snap",
                valueformat=value_format,
                node={
                    "label": shown,
                    "pad": 12,
                    "thickness": 14,
                    "color": ["#e8590c"] * len(suppliers)
                    + ["#495057"] * len(resources)
                    + ["#1c7ed6"] * len(receivers)
                    + ["#868e96", "#868e96"],
                    "hovertemplate": "%{label}: %{value:" + value_format + "} " + markup_free(unit) + "<extra></extra>",
                },
                link={
                    "source": links["s"],
                    "target": links["t"],
                    "value": links["v"],
                    "hovertemplate": "%{source.label} → %{target.label}: %{value:"
                    + value_format
                    + "} "
                    + markup_free(unit)
                    + "<extra></extra>",
                },
            )
        )
        fig.update_layout(
            height=max(320, 26 * max(len(suppliers), len(receivers), 4)),
            margin={"l": 10, "r": 10, "t": 30, "b": 10},
            title={
                "text": f"{'Shared capacity' if capacity else 'Flows'} in {markup_free(unit)} per year",
                "x": 0,
            },
        )
        out[unit] = fig
    return out


def period_figure(data: ReportData) -> go.Figure | None:
    """A seasonal match by period: exchanged quantities stacked by resource, stores' levels over the year,
    processes' throughput (None for a match without periods)."""
    ex = data.exchanges
    if "period" not in ex.columns:
        return None
    from plotly.subplots import make_subplots

    order = list(dict.fromkeys(ex["period"].astype(str)))
    if data.storage is not None:
        order = list(dict.fromkeys([*data.storage["period"].astype(str), *order]))
    rows = 1 + (data.storage is not None) + (data.processes is not None)
    titles = ["Exchanged by period"]
    titles += ["Storage level (after each period)"] if data.storage is not None else []
    titles += ["Process throughput"] if data.processes is not None else []
    fig = make_subplots(rows=rows, cols=1, subplot_titles=titles, vertical_spacing=0.12)
    flows = ex.groupby([ex["resource"].astype(str) + " (" + ex["unit"].astype(str) + ")", ex["period"].astype(str)])[
        "quantity"
    ].sum()
    for label in flows.index.get_level_values(0).unique():
        values = flows.loc[label].reindex(order).fillna(0.0)
        fig.add_bar(x=order, y=values.to_numpy(), name=markup_free(label), row=1, col=1)
    row = 2
    if data.storage is not None:
        for sid, g in data.storage.groupby("storage_id", sort=False):
            fig.add_scatter(
                x=g["period"].astype(str),
                y=g["level"],
                mode="lines+markers",
                name=markup_free(f"{sid} level ({g['unit'].iat[0]})"),
                row=row,
                col=1,
            )
        row += 1
    if data.processes is not None:
        for pid, g in data.processes.groupby("process_id", sort=False):
            fig.add_bar(
                x=g["period"].astype(str),
                y=g["throughput"],
                name=markup_free(f"{pid} ({g['unit'].iat[0]})"),
                row=row,
                col=1,
            )
    fig.update_layout(barmode="stack", height=330 * rows, margin={"l": 40, "r": 20, "t": 40, "b": 30})
    return fig


def comparison_figures(comparison: Comparison, labels: dict[str, str]) -> dict[str, go.Figure]:
    """Savings and CO2e avoided per scenario, and the saving of the 15 members it changes most."""
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
                go.Bar(
                    x=[markup_free(n) for n in names],
                    y=k.loc[key, list(names)].to_numpy(dtype=float).tolist(),
                    marker_color="#1c7ed6",
                )
            )
            bar.update_layout(
                title={"text": markup_free(label), "x": 0}, height=320, margin={"l": 50, "r": 10, "t": 40, "b": 40}
            )
            figs[key] = bar
    m = comparison.members
    if len(m):
        top = m.loc[m.abs().max(axis=1).sort_values(ascending=False).index[:15]]
        fig = go.Figure(
            [
                go.Bar(
                    name=markup_free(n),
                    x=[markup_free(labels.get(i, i)[:32]) for i in top.index],
                    y=top[n].astype(float).tolist(),
                )
                for n in names
            ]
        )
        fig.update_layout(
            barmode="group",
            title={"text": "Saving per member (largest 15)", "x": 0},
            height=460,
            margin={"l": 50, "r": 10, "t": 40, "b": 120},
        )
        figs["members"] = fig
    return figs


def sweep_figure(runs: pd.DataFrame, param: str) -> go.Figure:
    """Each KPI against the parameter ``param`` (runs that failed left out)."""
    from plotly.subplots import make_subplots

    keys = list(KPIS)
    fig = make_subplots(rows=(len(keys) + 2) // 3, cols=3, subplot_titles=[markup_free(k) for k in keys])
    ok = runs[runs["status"] != "failed"]
    for i, k in enumerate(keys):
        fig.add_scatter(
            x=ok[param], y=ok[k], mode="lines+markers", name=k, row=i // 3 + 1, col=i % 3 + 1, showlegend=False
        )
    fig.update_layout(height=300 * ((len(keys) + 2) // 3), title=f"KPIs against {markup_free(param)}")
    return fig


def pareto_figure(points: pd.DataFrame, x: str, y: str, title: str) -> go.Figure:
    """A Pareto front: ``y`` against ``x``."""
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=points[x], y=points[y], mode="lines+markers"))
    fig.update_layout(
        title=markup_free(f"{title}: {x} against {y}"), xaxis_title=markup_free(x), yaxis_title=markup_free(y)
    )
    return fig


def resilience_figure(members: pd.DataFrame, title: str, currency: str) -> go.Figure:
    """The saving each member carries (lost without it), largest first."""
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Bar(
            x=members["member_id"].map(markup_free), y=members["savings_lost"], text=members["name"].map(markup_free)
        )
    )
    fig.update_layout(
        title=f"{markup_free(title)}: saving lost without each member",
        xaxis_title="member",
        yaxis_title=f"{markup_free(currency)} per year",
    )
    return fig
