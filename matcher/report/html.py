"""Self-contained HTML reports of a match and of a comparison, and static images of their figures.

A report is one HTML file with every script and style inline (plotly.js
included), so it opens offline and makes no request to any other host:
KPI cards, the map of members and exchanges over the coastlines and borders
of the Nordic countries, Sankey diagrams of flows, tables of exchanges (with
the factors each one's saving and CO2e rest on), transfer prices with their
negotiation range, member savings, unmatched streams and every factor with its
source and year, and at the bottom the resolved scenario and the versions
that produced it.

With ``anonymise=True`` member names and ids become pseudonyms, stream ids
likewise, and quantities, money and coordinates are rounded, for reports
that leave the network (:mod:`matcher.report.anonymise`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models import SymbioseError
from models.catalog import CAPACITY_UNITS
from models.files import atomic_folder, atomic_write, atomic_write_text

from ..errors import RenderFailed
from ..outputs import image_name
from ..results.comparison import Comparison
from ..results.numbers import format_number
from ..results.result import MatchResult
from .anonymise import Pseudonyms, pseudonymise_exchanges, round_sig
from .data import ReportData, markup_free, report_data
from .figures import comparison_figures, map_figure, period_figure, sankey_figures, unit_slug

__all__ = [
    "IMAGE_FORMATS",
    "image_name",
    "render_comparison",
    "render_report",
    "write_comparison",
    "write_figure",
    "write_images",
    "write_report",
]


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
        loader=jinja2.PackageLoader("matcher.report", "templates"), autoescape=jinja2.select_autoescape(["html", "j2"])
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
                f"of it on estimates {data.currency}": ex["saving_on_estimates"],
                "CO2e avoided t": ex["co2e_avoided_t"],
                "of it on estimates t": ex["co2e_avoided_on_estimates_t"],
                "saving rests on": ex["saving_factors"].map(", ".join),
                "CO2e rests on": ex["co2e_factors"].map(", ".join),
            }
        )
        if len(ex)
        else pd.DataFrame()
    )
    f = data.factors
    factors = pd.DataFrame(
        {
            "factor": f["id"],
            "what": f["what"],
            "value": f["value"].map(lambda v: f"{v:.6g}"),
            "unit": f["unit"],
            "source": f["source"],
            "year": f["year"].astype("Int64").astype(str).replace("<NA>", "–"),
            "estimate": f["estimate"].map({True: "yes", False: "no"}),
        }
    )
    tp = data.prices
    prices = (
        pd.DataFrame(
            {
                "from": tp["from_member"].map(data.labels),
                "to": tp["to_member"].map(data.labels),
                "resource": tp["resource"],
                f"price {data.currency}/unit": tp["transfer_price"],
                "range (receiver-optimal to supplier-optimal)": [
                    f"{format_number(lo)} – {format_number(hi)}" if np.isfinite(lo) and np.isfinite(hi) else "–"
                    for lo, hi in zip(tp["price_receiver_optimal"], tp["price_supplier_optimal"], strict=True)
                ],
                f"payment {data.currency}": tp["transfer_payment"],
                f"supplier's share {data.currency}": tp["supplier_share"],
                f"receiver's share {data.currency}": tp["receiver_share"],
            }
        )
        if tp is not None
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
        for name, frame in (
            ("exchanges", exchanges),
            ("members", members),
            ("unmatched", unmatched),
            ("factors", factors),
            ("prices", prices),
            *_capacity_tables(data),
        )
    }


def _capacity_tables(data: ReportData) -> list[tuple[str, pd.DataFrame]]:
    """Shared capacities by kind (offered, used, asked, still bought) and their exchanges; none without capacities."""
    st = data.streams[data.streams["kind"].notna()]
    if st.empty:
        return []
    used = st["quantity"] - st["left"]
    by = st.assign(used=used).groupby(["kind", "unit", "direction"])[["quantity", "used", "left"]].sum()
    kinds = sorted({(k, u) for k, u, _ in by.index})

    def get(k: str, u: str, direction: str, col: str) -> float:
        return float(by[col].get((k, u, direction), 0.0))

    summary = pd.DataFrame(
        [
            {
                "kind": k.replace("_", " "),
                "unit": u,
                "offered": get(k, u, "supply", "quantity"),
                "shared": get(k, u, "supply", "used"),
                "left idle": get(k, u, "supply", "left"),
                "asked": get(k, u, "demand", "quantity"),
                "still bought": get(k, u, "demand", "left"),
            }
            for k, u in kinds
        ]
    )
    ex = data.exchanges
    ex = ex[ex["kind"].notna()] if len(ex) else ex.iloc[:0]
    exchanges = (
        pd.DataFrame(
            {
                "kind": ex["kind"].astype(str).str.replace("_", " "),
                "from": ex["from_member"].map(data.labels),
                "to": ex["to_member"].map(data.labels),
                "quantity": ex["quantity"],
                "unit": ex["unit"],
                "km (backhaul: detour)": ex["distance_km"].round(1),
                f"saving {data.currency}": ex["saving"],
                "CO2e avoided t": ex["co2e_avoided_t"],
            }
        )
        if len(ex)
        else pd.DataFrame()
    )
    return [("capacity_summary", summary), ("capacity_exchanges", exchanges)]


def render_body(data: ReportData, prefix: str = "") -> dict[str, Any]:
    """The parts of one scenario's report, for the report and comparison templates."""
    figures = sankey_figures(data)
    sankeys = {
        u: _figure_html(f, f"{prefix}sankey-{unit_slug(u)}") for u, f in figures.items() if u not in CAPACITY_UNITS
    }
    shared = {u: _figure_html(f, f"{prefix}sankey-{unit_slug(u)}") for u, f in figures.items() if u in CAPACITY_UNITS}
    by_period = period_figure(data)
    return {
        "data": data,
        "map": _figure_html(map_figure(data), f"{prefix}map"),
        "sankeys": sankeys,
        "capacity_sankeys": shared,
        "periods": None if by_period is None else _figure_html(by_period, f"{prefix}periods"),
        "tables": _tables(data),
        "n_members": len(data.members),
        "n_exchanges": len(data.exchanges),
    }


def render_report(result: MatchResult, anonymise: bool = False, names: Pseudonyms | None = None) -> str:
    """The whole report as one HTML string (``names``: pseudonyms shared with other outputs of the same run)."""
    body = render_body(report_data(result, anonymise, names))
    return str(_env().get_template("report.html.j2").render(plotly_js=_plotly_js(), **body))


def write_report(
    result: MatchResult, path: str | Path, anonymise: bool = False, names: Pseudonyms | None = None
) -> Path:
    """Write the report to ``path`` (completely or not at all)."""
    return atomic_write_text(path, render_report(result, anonymise, names))


#: The formats :func:`write_images` writes by default.
IMAGE_FORMATS = ("png", "svg")


@contextmanager
def _rendering(what: str) -> Iterator[None]:
    """Turn a failure of the image renderer (kaleido and its Chromium) into :class:`RenderFailed`."""
    try:
        yield
    except (OSError, SymbioseError):
        raise
    except Exception as exc:  # kaleido raises its own types when Chromium is missing or dies
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise RenderFailed(
            f"could not render {what} with Chromium (kaleido): {first}; install Debian's chromium, "
            "or write .html instead"
        ) from None


def write_figure(figure: Any, path: str | Path) -> Path:
    """A plotly figure as self-contained HTML, or as PNG/SVG/PDF (rendered in Chromium), completely or not at all.

    Raises
    ------
    RenderFailed
        If an image format is asked and Chromium cannot render it.
    """
    target = Path(path)
    if target.suffix.lower() in (".png", ".svg", ".pdf"):
        with _rendering(target.name):
            return atomic_write(target, lambda tmp: figure.write_image(str(tmp)))
    return atomic_write(target, lambda tmp: figure.write_html(str(tmp), include_plotlyjs=True, full_html=True))


def write_images(
    result: MatchResult,
    folder: str | Path,
    anonymise: bool = False,
    formats: tuple[str, ...] = IMAGE_FORMATS,
    names: Pseudonyms | None = None,
) -> list[Path]:
    """Static images of the map and each Sankey for slides (needs Chromium for kaleido).

    The images are rendered into a temporary folder beside ``folder`` that then
    replaces it in one rename (:func:`models.files.atomic_folder`): an existing
    ``folder`` may hold only images this function writes, and stays whole if
    rendering fails. Pass the ``names`` of the report they go with, so both show the same pseudonyms.
    """
    data = report_data(result, anonymise, names)
    figures = {"map": map_figure(data), **{f"sankey-{unit_slug(u)}": f for u, f in sankey_figures(data).items()}}
    for name, fig in figures.items():
        fig.update_layout(title={"text": markup_free(f"{data.title}: {name}"), "x": 0}, width=1100)

    def write(tmp: Path) -> list[Path]:
        import plotly.io as pio

        jobs = [(fig, tmp / f"{name}.{fmt}", fmt) for name, fig in figures.items() for fmt in formats]
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

    with _rendering("the images"):
        return atomic_folder(folder, write, owns=image_name)


def render_comparison(comparison: Comparison, anonymise: bool = False) -> str:
    """A comparison page: differences first, then each scenario's report side by side."""
    names = Pseudonyms.of(comparison.results) if anonymise else None
    bodies = [render_body(report_data(r, anonymise, names), prefix=f"s{i}-") for i, r in enumerate(comparison.results)]
    labels: dict[str, str] = {}
    for b in bodies:
        labels.update(b["data"].labels)
    view = comparison
    if names is not None:
        ex = pseudonymise_exchanges(comparison.exchanges, names)
        for n in comparison.names:
            ex[n] = round_sig(ex[n])
        members = comparison.members.rename(index=names.members).apply(round_sig)
        kpis = comparison.kpis.apply(round_sig)
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
            figures={k: _figure_html(f, f"cmp-{k}") for k, f in comparison_figures(view, labels).items()},
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
