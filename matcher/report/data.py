"""What a report shows, prepared once: tables, labels and KPI cards, pseudonymised and rounded if asked.

Tables keep members' text as it is (the HTML templates and ``DataFrame.to_html``
escape it); the hover texts built here for plotly, which renders a subset of
HTML, escape every piece taken from members' data (:func:`markup_free`).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import yaml

from ..errors import NoSolution, Unsupported
from ..results.factors import FACTOR_COLUMNS
from ..results.kpis import CAPACITY_KPIS, KPIS
from ..results.numbers import format_number
from ..results.prices import transfer_prices
from ..results.result import MatchResult
from .anonymise import ROUNDED_COLUMNS, Pseudonyms, nace_section, pseudonymise_exchanges, round_one, round_sig

__all__ = ["ReportData", "anonymised_yaml", "factor_view", "markup_free", "report_data"]

#: Where an anonymised report withholds a source that a member or the scenario wrote.
WITHHELD = "withheld in anonymised reports (the scenario's own figure)"


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
    factors: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Every factor the figures rest on (``id, what, value, unit, source, year, estimate``), renamed if anonymised."""
    prices: pd.DataFrame | None = None
    """Per exchange: transfer price at the midpoint of the optimal dual face, its range and both shares (the
    solver's price and no range where the range cannot be computed: ``prices_range``)."""
    prices_note: str = ""
    """Why there are no prices (no duals, no solution), if there are none."""
    prices_basis: str = ""
    """What the prices are, in words (:attr:`matcher.TransferPrices.basis`): the midpoint of the range, or the
    solver's duals and why there is no range."""
    prices_range: bool = True
    """Whether the prices' range (and so their midpoint) could be computed."""
    prices_fixed_binaries: bool = False
    """Whether the prices are those of a MILP's LP with its binaries fixed (the links and pairs it opened as given)."""
    anonymised: bool = False
    generated: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    storage: pd.DataFrame | None = None
    """Seasonal results: each store's level, charge and discharge per period (pseudonyms and rounding applied)."""
    processes: pd.DataFrame | None = None
    """Seasonal results: each process's throughput per period."""


def markup_free(text: object) -> str:
    """Text as plotly shows it literally: ``<``, ``>`` and ``&`` escaped, so no tag in members' data renders.

    >>> markup_free('<a href="http://x">M</a> & co')
    '&lt;a href="http://x"&gt;M&lt;/a&gt; &amp; co'
    """
    return html.escape(str(text), quote=False)


def _safe(values: pd.Series) -> pd.Series:
    return values.map(markup_free)


def anonymised_yaml(result: MatchResult) -> str:
    """What an anonymised report shows of the scenario: its currency and parameters, nothing of the network."""
    doc = {
        "currency": result.scenario.currency,
        "parameters": result.scenario.parameters.model_dump(mode="json", exclude_none=True),
    }
    return str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def factor_view(result: MatchResult, names: Pseudonyms | None = None) -> tuple[pd.DataFrame, dict[str, str]]:
    """The factor table as a report shows it, and each factor id as it is shown.

    With pseudonyms, ids and descriptions name streams, members and scenario-defined
    resources by their pseudonyms, values are rounded to two significant figures, and a
    source that a member or the scenario wrote (anything but the built-in catalog's) is
    withheld: the built-in catalog's citations are kept.
    """
    f = result.factors
    if names is None or not len(f):
        return f.loc[:, list(FACTOR_COLUMNS)].copy(), {str(i): str(i) for i in f["id"]}
    out = f.copy()
    res = out["resource"].map(lambda r: names.resource(r) if isinstance(r, str) else None)
    stream = out["stream_id"].map(lambda i: names.streams.get(i) if isinstance(i, str) else None)
    frm = out["from_member"].map(lambda i: names.members.get(i) if isinstance(i, str) else None)
    to = out["to_member"].map(lambda i: names.members.get(i) if isinstance(i, str) else None)
    ids, whats = [], []
    for kind, scope, r, sid, a, b, fid, what in zip(
        out["kind"], out["scope"], res, stream, frm, to, out["id"], out["what"], strict=True
    ):  # one row per factor used
        if scope == "stream":
            ids.append(f"{kind}:stream/{sid}")
            whats.append(f"{kind.replace('_', ' ')} that {sid} states")
        elif scope == "link":
            ids.append(f"{kind}:link/{a}/{b}")
            whats.append(f"{kind.replace('_', ' ')} of the link {a} -> {b}")
        elif kind == "substitute_ratio":
            a_key, _, b_key = str(fid).split(":", 1)[1].partition("/")
            ids.append(f"{kind}:{names.resource(a_key)}/{names.resource(b_key)}")
            whats.append(f"units of {names.resource(b_key)} that one unit of {names.resource(a_key)} meets")
        elif isinstance(r, str):
            original = str(fid).split(":", 1)[1]
            ids.append(f"{kind}:{r}")
            whats.append(str(what).replace(original, r))
        else:
            ids.append(str(fid))
            whats.append(str(what))
    keep = out["scope"].eq("catalog") & ~out["resource"].isin(list(names.resources))
    view = pd.DataFrame(
        {
            "id": ids,
            "what": whats,
            "value": np.where(out["scope"].isin(["catalog"]), out["value"], round_sig(out["value"])),
            "unit": out["unit"],
            "source": np.where(keep, out["source"], WITHHELD),
            "year": out["year"].where(keep, pd.NA),
            "estimate": out["estimate"],
        }
    )
    return view, dict(zip(f["id"].astype(str), ids, strict=True))


def _prices(result: MatchResult, names: Pseudonyms | None) -> tuple[pd.DataFrame | None, str, str, bool, bool]:
    """Transfer prices per exchange at the midpoint of the optimal dual face, or why there are none; what they
    are in words (:attr:`~matcher.results.prices.TransferPrices.basis`), whether their range was computed and
    whether they are those of a MILP with its binaries fixed."""
    if not len(result.exchanges):
        return None, "no exchange, so no transfer price", "", False, False
    try:
        prices = transfer_prices(result)
    except (Unsupported, NoSolution) as exc:
        return None, str(exc), "", False, False
    tp = prices.exchanges
    if names is not None:
        tp = pseudonymise_exchanges(tp, names)
        for col in tp.columns:
            if col not in ("quantity", "unit") and pd.api.types.is_float_dtype(tp[col]):
                tp[col] = round_sig(tp[col])
        tp["quantity"] = round_sig(tp["quantity"])
    return tp, "", prices.basis, not prices.note, prices.fixed_binaries


def report_data(result: MatchResult, anonymise: bool = False, names: Pseudonyms | None = None) -> ReportData:
    """Prepare the tables a report shows (pseudonyms and rounding applied here, once).

    Parameters
    ----------
    result : MatchResult
    anonymise : bool
        Pseudonyms for members, streams and scenario-defined resources; money and
        quantities to two significant figures, coordinates to 0.1 degree,
        sectors to their NACE section; of the scenario only currency and parameters.
    names : Pseudonyms, optional
        The pseudonyms to use (a comparison page shares one set); fresh, salted ones by default.
    """
    net = result.network
    members = net.members[["name", "sector", "lat", "lon"]].copy()
    ex = result.exchanges.copy()
    st = result.streams.reset_index()[
        ["stream_id", "member_id", "direction", "resource", "quantity", "left", "unit", "reason"]
    ].copy()
    saving = result.members["saving"].reindex(members.index).fillna(0.0) if len(result.members) else 0.0
    members["saving"] = saving
    headline = [float(result.objective), float(result.baseline_cost), float(result.savings)]
    if anonymise:
        names = names or Pseudonyms.of([result])
        members = members.rename(index=names.members)
        members["name"] = members.index
        members["sector"] = members["sector"].map(nace_section)
        members[["lat", "lon"]] = members[["lat", "lon"]].round(1)
        members["saving"] = round_sig(members["saving"])
        ex = pseudonymise_exchanges(ex, names)
        for col in ROUNDED_COLUMNS:
            if col in ex:
                ex[col] = round_sig(ex[col])
        if "distance_km" in ex:
            ex["distance_km"] = ex["distance_km"].round(0)
        st["member_id"] = st["member_id"].map(names.members)
        st["stream_id"] = st["stream_id"].map(names.streams)
        st["resource"] = st["resource"].map(names.resource)
        st["quantity"], st["left"] = round_sig(st["quantity"]), round_sig(st["left"])
        headline = [round_one(v) for v in headline]
        for col in ("saving_on_estimates", "co2e_avoided_on_estimates_t"):
            if col in ex:
                ex[col] = round_sig(ex[col])
    factors, shown_id = factor_view(result, names if anonymise else None)
    for col in ("saving_factors", "co2e_factors"):
        if col in ex and len(ex):
            ex[col] = ex[col].map(lambda ids: [shown_id.get(i, i) for i in ids])
    prices, prices_note, prices_basis, prices_range, prices_fixed = _prices(result, names if anonymise else None)
    catalog = net.catalog.table("EUR")
    categories, kinds = catalog["category"], catalog["kind"]
    if names is not None:
        categories = categories.rename(index=names.resource)
        kinds = kinds.rename(index=names.resource)
    st["kind"] = st["resource"].map(kinds)
    currency = markup_free(result.currency)
    if len(ex):
        ex["category"] = ex["resource"].map(categories)
        ex["kind"] = ex["resource"].map(kinds)
        ex["hover"] = (
            _safe(members.loc[ex["from_member"], "name"]).to_numpy()
            + " → "
            + _safe(members.loc[ex["to_member"], "name"]).to_numpy()
            + "<br>"
            + _safe(ex["resource"])
            + ": "
            + ex["quantity"].map(format_number)
            + " "
            + _safe(ex["unit"])
            + "<br>"
            + ex["distance_km"].map("{:.1f}".format)
            + " km, saves "
            + ex["saving"].map(format_number)
            + " "
            + currency
        )
    else:
        ex = ex.assign(category=pd.Series(dtype=object), kind=pd.Series(dtype=object), hover=pd.Series(dtype=object))
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
        _safe(members["name"])
        + "<br>sector "
        + _safe(members["sector"].fillna("–"))
        + "<br>"
        + members["role"]
        + "<br>saves "
        + members["saving"].map(format_number)
        + " "
        + currency
    )
    has_capacity = bool(net.streams["category"].eq("capacity").any())
    kpis = [
        {
            "key": k,
            "label": KPIS[k].label,
            "value": format_number(round_one(v) if anonymise else v),
            "unit": result.currency if KPIS[k].unit == "currency" else KPIS[k].unit,
            "sdg": KPIS[k].sdg_target,
            "description": KPIS[k].description,
        }
        for k, v in result.kpis.items()
        if k in KPIS and (k not in CAPACITY_KPIS or has_capacity)
    ]
    chains: dict[str, pd.DataFrame | None] = {"storage": None, "processes": None}
    for name, cols in (
        ("storage", ["storage_id", "period", "level", "charge", "discharge", "unit"]),
        ("processes", ["process_id", "period", "throughput", "unit"]),
    ):
        frame = getattr(result, name)
        if frame is None:
            continue
        frame = frame[cols].copy()
        if anonymise:
            frame[cols[0]] = frame[cols[0]].map(names.streams) if names is not None else frame[cols[0]]
            for col in cols[2:-1]:
                frame[col] = round_sig(frame[col])
        chains[name] = frame
    return ReportData(
        title=result.scenario.name,
        status=result.status.value,
        currency=result.currency,
        objective=headline[0],
        baseline_cost=headline[1],
        savings=headline[2],
        kpis=kpis,
        members=members,
        exchanges=ex,
        streams=st,
        labels={str(k): str(v) for k, v in members["name"].items()},
        scenario_yaml=anonymised_yaml(result) if anonymise else result.scenario.to_yaml(),
        versions=result.versions,
        factors=factors,
        prices=prices,
        prices_note=prices_note,
        prices_basis=prices_basis,
        prices_range=prices_range,
        prices_fixed_binaries=prices_fixed,
        anonymised=anonymise,
        storage=chains["storage"],
        processes=chains["processes"],
    )
