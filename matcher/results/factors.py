r"""Provenance: every factor a result's figures rest on, and which of them make each exchange's figures.

The factor table has one row per factor used: ``id, what, value, unit, source,
year, estimate`` (the keys of ``match --json``'s ``"factors"``), plus the
columns an anonymised report needs to rename them (``kind, scope, resource,
stream_id, from_member, to_member``). Ids are ``<kind>:<subject>``:

==========================  ==========================================================
``currency:DKK``            units of the currency per EUR (a catalog factor converts
                            at ``rate[to] / rate[from]``)
``disposal_cost:<key>``     the catalog's (or the scenario's) factor of resource ``key``;
                            likewise ``virgin_cost``, ``disposal_co2e``, ``virgin_co2e``
``disposal_cost:stream/<id>``  the figure a stream states itself (scenario currency)
``transport_cost:<key>``    a resource's own transport factor; ``transport_cost:mode/truck``
                            the mode's (catalog default, or the scenario's parameter);
                            likewise ``transport_co2e``
``transport_cost:link/<from>/<to>``  a link's cost per unit; ``fixed_cost:link/...`` its fixed cost
``carbon_price``            the scenario's carbon price (currency per t CO2e)
``substitute_ratio:<a>/<b>``  units of ``b`` one unit of ``a`` meets (catalog)
``density:<key>``, ``energy_content:<key>``  conversions of stream quantities
``shipment_km:stream/<id>``  a backhaul shipment's road length (its t*km over it are tonnes)
``storage_cost:storage/<id>``  a store's cost per unit discharged (storage table)
``process_cost:process/<id>``  a process's cost per unit of its reference (processes table)
``process_ratio:process/<id>/<direction>/<key>``  units of ``key`` a process takes (input) or
                            gives (output) per unit of its reference (process_flows table)
``disposal_cost:process/<id>/<key>``  what disposing of a process's output costs, where its row
                            states it (else the resource's); ``virgin_cost:process/<id>/<key>``
                            what buying an input costs (none stated: never bought)
==========================  ==========================================================

An exchange with flow :math:`x` (supply units), ratio :math:`a` and distance
:math:`\ell` is made of these terms, each resting on the factors named
beside it (monetary factors also on the currency rates they convert with):

.. math::

    \text{saving} = \underbrace{w x}_{\text{disposal}} + \underbrace{a v x}_{\text{virgin}}
    - \underbrace{c \ell x}_{\text{transport}} - F
    + p\,(\underbrace{h x + a u x - g \ell x}_{\text{CO2e avoided}})

(a link's cost per unit replaces :math:`c \ell`; :math:`F` is its share of a
link's fixed cost; for backhaul :math:`\ell` is the truck's detour and the transport
terms are divided by the shipment's length, ``shipment_km``). A term rests on estimates when any of
its factors is marked as one. With :math:`E` the sum of an exchange's terms that rest on estimates
(signed: an estimated cost counts negative) and :math:`N` its figure (its saving, or its CO2e
avoided), ``saving_on_estimates`` and ``co2e_avoided_on_estimates_t`` are the part of :math:`N`
that its terms on published figures alone do not account for:

.. math::

    \text{on estimates} = \min(\max(E, 0), N) \quad (N \ge 0), \qquad \max(\min(E, 0), N) \quad (N < 0)

that is :math:`N` minus the published terms' sum :math:`N - E` clipped to :math:`[0, N]`: all of
:math:`N` where the published terms add up to nothing or less (published transport emissions
against estimated avoided ones), none where they alone give at least :math:`N` (the estimates only
lower it), :math:`E` otherwise. It never exceeds the figure it is a part of nor has the other sign.
The KPIs add up the exchanges' parts and clip the sum the same way to the network's figure
(:func:`within`), so the costs of stores and processes, outside any exchange, are charged to the
part on published figures first.

Figures of members' tables count as their own (not estimates): a stream's or a link's. A store's,
process's or process flow's figure counts as an estimate where its row's ``notes`` say so (begin
with "estimate" or say "(estimate)", as the catalog's ``estimate`` source does); a substitution ratio is
always a modelling choice of the catalog (an estimate); a disposal or virgin cost that is one of
the catalog's ``taxes`` alone (``disposal_cost: se_landfill_tax``) is an estimate too: the choice
that the stream would otherwise be landfilled (incinerated), gate fees left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from operator import getitem
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.catalog import Catalog, Factor
from models.units import unit_dimension

from ..engine.compatibility import Routes

if TYPE_CHECKING:
    from ..engine.inputs import MatchInputs

__all__ = [
    "FACTOR_COLUMNS",
    "EXCHANGE_FACTOR_COLUMNS",
    "ExchangeProvenance",
    "empty_factors",
    "provenance",
    "within",
]

#: The columns (and ``match --json`` keys) of a factor, in order.
FACTOR_COLUMNS = ("id", "what", "value", "unit", "source", "year", "estimate")
_EXTRA = ("kind", "scope", "resource", "stream_id", "from_member", "to_member")

#: Columns provenance adds to the exchange table.
EXCHANGE_FACTOR_COLUMNS = ("saving_factors", "co2e_factors", "saving_on_estimates", "co2e_avoided_on_estimates_t")

_WHAT = {
    "disposal_cost": "disposal cost of {}",
    "virgin_cost": "virgin purchase cost of {}",
    "disposal_co2e": "emissions of disposing of {}",
    "virgin_co2e": "emissions of buying {} virgin",
    "transport_cost": "transport cost of {} per unit and km",
    "transport_co2e": "transport emissions of {} per unit and km",
    "density": "density of {} (converts stream quantities)",
    "energy_content": "energy content of {} (converts stream quantities)",
}
_CATALOG_FIELD = {
    "disposal_cost": "disposal_cost",
    "virgin_cost": "virgin_cost",
    "disposal_co2e": "disposal_co2e",
    "virgin_co2e": "virgin_co2e",
    "transport_cost": "transport_cost_per_unit_km",
    "transport_co2e": "transport_co2e_kg_per_unit_km",
    "density": "density_t_per_m3",
    "energy_content": "energy_mwh_per_t",
}
_MODE_FIELD = {"transport_cost": "cost_per_unit_km", "transport_co2e": "co2e_kg_per_unit_km"}
_STREAM_SOURCE = "stream {} of member {}: the member's own figure (streams table)"
_LINK_SOURCE = "link {} -> {}: the figure the links table gives"
_NO_SOURCE = "scenario parameter {} (no source given: counted as an estimate)"
_TAX_CHOICE = "{} -- the tax {} alone taken as the {}: a modelling choice (counted as an estimate) {}"
_TAX_VERB = {"landfill": "landfilled", "incineration": "incinerated"}
_SUBSTITUTE_SOURCE = (
    "modelling choice of the {} (counted as an estimate; no published source): one {} of {} replaces {} {} of {} "
    "a member would otherwise buy"
)
_TABLE_SOURCE = "{table} table, {what} {id} of member {member}: the figure it gives ({column}){note}"
_REFERENCE_RATIO = "process {} of member {}: its reference {}, 1 unit per unit by definition (processes table)"
_NOTHING_MOVES = "none needed: a capacity shared {} moves no goods, so it has no transport cost or emissions"
_SHIPMENT_SOURCE = (
    "road length of shipment {} from {}'s site to its destination: great-circle km times the circuity {:g}; "
    "a backhaul exchange's transport is its tonnes (t*km over this length) over the detour"
)


def within(part: np.ndarray | float, whole: np.ndarray | float) -> np.ndarray:
    """``part`` clipped to lie between 0 and ``whole`` (the part of a figure on estimates, see above).

    >>> within(np.array([7000.0, -5.0, 30.0, 4.0]), np.array([6962.5, 100.0, 100.0, -10.0])).tolist()
    [6962.5, 0.0, 30.0, 0.0]
    """
    w = np.asarray(whole, dtype=float)
    return np.clip(np.asarray(part, dtype=float), np.minimum(w, 0.0), np.maximum(w, 0.0))


def empty_factors() -> pd.DataFrame:
    """A factor table without rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in (*FACTOR_COLUMNS, *_EXTRA)})


@dataclass(frozen=True)
class ExchangeProvenance:
    """The factor table of a result and, per exchange, the columns of :data:`EXCHANGE_FACTOR_COLUMNS`."""

    factors: pd.DataFrame
    exchange_columns: dict[str, np.ndarray]


class _Book:
    """The factors a result uses, each once, by id."""

    def __init__(self, inputs: MatchInputs) -> None:
        self.inputs = inputs
        self.catalog = inputs.network.catalog
        self.builtin = Catalog.builtin()
        self.rows: dict[str, dict[str, object]] = {}
        self.stated: list[pd.DataFrame] = []  # factors streams state, a table per kind (many rows, no estimate)

    def add(self, fid: str, what: str, f: Factor, kind: str, scope: str, **refs: object) -> None:
        if fid in self.rows:
            return
        self.rows[fid] = {
            "id": fid,
            "what": what,
            "value": float(f.value),
            "unit": f.unit,
            "source": f.source,
            "year": int(f.year),
            "estimate": bool(f.estimate),
            "kind": kind,
            "scope": scope,
            **refs,
        }

    def plain(self, fid: str, what: str, value: float, unit: str, source: str, year: object, estimate: bool,
              kind: str, scope: str, **refs: object) -> None:  # fmt: skip
        if fid not in self.rows:
            self.rows[fid] = {
                "id": fid, "what": what, "value": float(value), "unit": unit, "source": source,
                "year": year, "estimate": estimate, "kind": kind, "scope": scope, **refs,
            }  # fmt: skip

    def currency(self, code: str) -> str:
        fid = f"currency:{code}"
        f = self.catalog.currencies[code]
        scope = "catalog" if self.builtin.currencies.get(code) == f else "scenario"
        self.add(fid, f"units of {code} per EUR", f, "currency", scope)
        return fid

    def fx(self, f: Factor | None) -> tuple[str | None, str | None]:
        """The two currency rates a monetary factor converts with into the scenario's currency (None if the same)."""
        code = None if f is None else f.currency
        target = self.inputs.currency
        if code is None or code == target:
            return None, None
        return self.currency(code), self.currency(target)

    def resource(self, kind: str, key: str) -> tuple[str | None, tuple[str | None, str | None]]:
        """The id of a resource's catalog factor of ``kind`` (None if it has none) and its currency rates."""
        r = self.catalog.resources.get(key)
        f = None if r is None else getattr(r, _CATALOG_FIELD[kind])
        if f is None:
            return None, (None, None)
        fid = f"{kind}:{key}"
        base = self.builtin.resources.get(key)
        scope = "catalog" if base is not None and getattr(base, _CATALOG_FIELD[kind]) == f else "scenario"
        if kind in ("disposal_cost", "virgin_cost") and not f.estimate:
            f = self.tax_alone(f, kind, key)
        self.add(fid, _WHAT[kind].format(key), f, kind, scope, resource=key)
        return fid, self.fx(f) if kind.endswith("_cost") else (None, None)

    def tax_alone(self, f: Factor, kind: str, key: str) -> Factor:
        """``f``, or where it is one of the catalog's taxes alone, ``f`` marked as the modelling choice it is."""
        tax = next((name for name, t in self.catalog.taxes.items() if t == f), None)
        if tax is None:
            return f
        if kind == "disposal_cost":
            verb = next((v for k, v in _TAX_VERB.items() if k in tax), "disposed of as the tax applies")
            choice = f"that {key} would otherwise be {verb}, gate fees and other charges left out"
        else:
            choice = f"that the tax stands for what buying {key} costs"
        what = _WHAT[kind].format(key)
        return f.model_copy(update={"estimate": True, "source": _TAX_CHOICE.format(f.source, tax, what, choice)})

    def mode(self, kind: str, mode: str) -> tuple[str, tuple[str | None, str | None]]:
        """The id of a mode's transport factor: the scenario's parameter where it sets one, else the catalog's."""
        fid = f"{kind}:mode/{mode}"
        field = _MODE_FIELD[kind]
        tp = self.inputs.parameters.transport.get(mode)  # type: ignore[call-overload]
        set_here = None if tp is None else getattr(tp, field)
        what = _WHAT[kind].format(f"the {mode} mode")
        if set_here is not None:
            unit = f"{self.inputs.currency}/unit/km" if kind == "transport_cost" else "kgCO2e/unit/km"
            where = f"parameters.transport.{mode}.{field}"
            self.plain(fid, what, set_here, unit, _NO_SOURCE.format(where), None, True, kind, "parameter")
            return fid, (None, None)
        if field not in self.catalog.transport.get(mode, {}):  # a capacity used on site or remotely moves nothing
            unit = f"{self.inputs.currency}/unit/km" if kind == "transport_cost" else "kgCO2e/unit/km"
            self.plain(fid, what, 0.0, unit, _NOTHING_MOVES.format(mode), None, False, kind, "catalog")
            return fid, (None, None)
        f = self.catalog.transport[mode][field]
        base = self.builtin.transport.get(mode, {}).get(field)
        self.add(fid, what, f, kind, "catalog" if base == f else "scenario")
        return fid, self.fx(f) if kind == "transport_cost" else (None, None)

    def frame(self) -> pd.DataFrame:
        if not self.rows and not self.stated:
            return empty_factors()
        tables = [pd.DataFrame(list(self.rows.values())), *self.stated] if self.rows else self.stated
        out = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
        out = out.drop_duplicates("id", keep="first").reindex(columns=[*FACTOR_COLUMNS, *_EXTRA])
        out["year"] = out["year"].astype("Int64")  # a year, or none where the figure states none
        out["estimate"] = out["estimate"].astype(bool)
        return out.sort_values("id", kind="stable").reset_index(drop=True)


def _ids_of(value: object) -> list[str]:
    """The ids a cell holds: one (a str), several (a list) or none (None)."""
    if isinstance(value, str):
        return [value]
    return list(value) if isinstance(value, list) else []


@dataclass(frozen=True)
class _Ids:
    """Per row, a list of ids: the ids of each source in order, each once.

    ``sources`` are columns of ids stored as a code per row and a value per code (an id,
    a list of ids, or None); ``code`` numbers each row's combination of them. The lists are
    built only when asked (:meth:`rows`), once per distinct combination, so that joins of
    joins cost no Python loop.
    """

    code: np.ndarray
    sources: tuple[tuple[np.ndarray, np.ndarray], ...]

    @cached_property
    def lists(self) -> np.ndarray:
        """The list of ids of each combination (by ``code``)."""
        first = np.unique(self.code, return_index=True)[1]
        out = np.empty(len(first), dtype=object)
        if not self.sources:
            out[:] = [[] for _ in range(len(first))]
            return out
        ids = [[tuple(_ids_of(v)) for v in values] for _, values in self.sources]  # per source, per code
        rows = np.stack([codes[first] for codes, _ in self.sources], axis=1).tolist()
        out[:] = [list(dict.fromkeys(chain.from_iterable(map(getitem, ids, row)))) for row in rows]
        return out

    def rows(self) -> np.ndarray:
        """One list per row (rows with the same combination share it)."""
        return self.lists[self.code]


def _join(*parts: np.ndarray | _Ids) -> _Ids:
    """Per row, the ids in ``parts`` (arrays of ids or None, or :class:`_Ids`) in order, each once."""
    sources: list[tuple[np.ndarray, np.ndarray]] = []
    for part in parts:
        if isinstance(part, _Ids):
            sources.extend(part.sources)
        else:
            codes, uniques = pd.factorize(np.asarray(part, dtype=object), use_na_sentinel=False)
            sources.append((codes.astype(np.int64), np.asarray(uniques, dtype=object)))
    n = len(sources[0][0]) if sources else 0
    code = np.zeros(n, dtype=np.int64)
    for codes, values in sources:  # pairs of codes, numbered again at each step so they stay below n
        code = pd.factorize(code * max(len(values), 1) + codes)[0].astype(np.int64)
    return _Ids(code, tuple(sources))


def _any_estimate(ids: _Ids, estimate: dict[str, bool]) -> np.ndarray:
    """Per row, whether any of its ids is an estimate."""
    flags = np.zeros(len(ids.code), dtype=bool)
    for codes, values in ids.sources:  # one flag per distinct value of each source
        if len(values):
            flags |= np.array([any(estimate[i] for i in _ids_of(v)) for v in values], dtype=bool)[codes]
    return flags


def _prefixed(prefix: str, values: np.ndarray) -> np.ndarray:
    return (prefix + pd.Series(values, dtype=object).astype(str)).to_numpy(dtype=object)


def provenance(inputs: MatchInputs, edges: pd.DataFrame, x: np.ndarray, fixed_share: np.ndarray) -> ExchangeProvenance:
    """The factors of a result and each exchange's share of them.

    Parameters
    ----------
    inputs : MatchInputs
    edges : DataFrame
        The candidate pairs that exchange (rows of ``Candidates.edges``), in the exchange table's order.
    x : ndarray
        Their flows (supply units).
    fixed_share : ndarray
        Each exchange's share of its link's fixed cost.
    """
    book = _Book(inputs)
    sup, dem = inputs.supplies, inputs.demands
    p = float(inputs.parameters.carbon_price)
    if p != 0:
        book.plain(
            "carbon_price", "carbon price on every t CO2e", p, f"{inputs.currency}/tCO2e",
            f"scenario parameter parameters.carbon_price of {inputs.scenario.name!r}", None, False,
            "carbon_price", "parameter",
        )  # fmt: skip
    money, co2e = {}, {}
    for kind, frame, own in (("disposal", sup, "disposal_cost"), ("virgin", dem, "virgin_cost")):
        money[kind], co2e[kind] = _stream_factors(book, frame, kind, own)
    _conversions(book, pd.concat([sup, dem]))
    if inputs.chains is not None:
        _chain_factors(book, inputs)

    s, d = edges["s"].to_numpy(), edges["d"].to_numpy()
    n = len(edges)
    ratio = edges["ratio"].to_numpy(dtype=float)
    subst = _substitutes(book, sup["resource"].to_numpy()[s], dem["resource"].to_numpy()[d], ratio)
    tc, tco2 = _transport(book, inputs, edges, sup["resource"].to_numpy()[s])
    shipment = _shipments(book, inputs, d[sup["route"].to_numpy(dtype=bool)[s]] if "route" in sup else d[:0])
    if shipment is not None:
        on_route = sup["route"].to_numpy(dtype=bool)[s]
        ship_ids = np.full(n, None, dtype=object)
        ship_ids[on_route] = shipment
        tc = ((_join(tc[0], ship_ids)), tc[1])
        tco2 = _join(tco2, ship_ids)
    fixed = np.full(n, None, dtype=object)
    link = edges["link"].to_numpy() // inputs.periods  # links.csv row (periods: one capacity row each)
    has_fixed = (link >= 0) & (edges["fixed_cost"].to_numpy(dtype=float) > 0)
    if has_fixed.any():
        fixed[has_fixed] = [_link_factor(book, inputs, int(li), "fixed_cost") for li in link[has_fixed]]
    carbon = ["carbon_price"] if p != 0 else []

    disp_m, disp_fx = money["disposal"]
    virg_m, virg_fx = money["virgin"]
    # a port of a store or process is no member's stream: its side of an exchange saves nothing (periods.py)
    own_s = sup["port_code"].to_numpy()[s] < 0 if "port_code" in sup.columns else np.ones(n, dtype=bool)
    own_d = dem["port_code"].to_numpy()[d] < 0 if "port_code" in dem.columns else np.ones(n, dtype=bool)

    def side(ids: np.ndarray, own: np.ndarray) -> np.ndarray:
        return np.where(own, ids, None)

    terms_money = {
        "disposal": (
            np.where(own_s, sup["money_cost"].to_numpy()[s], 0.0) * x,
            _join(side(disp_m[s], own_s), side(disp_fx[0][s], own_s), side(disp_fx[1][s], own_s)),
        ),
        "virgin": (
            np.where(own_d, dem["money_cost"].to_numpy()[d], 0.0) * ratio * x,
            _join(side(virg_m[d], own_d), side(virg_fx[0][d], own_d), side(virg_fx[1][d], own_d), subst),
        ),
        "transport": (-edges["transport_cost"].to_numpy(dtype=float) * x, _join(tc[0], *tc[1])),
        "fixed": (-fixed_share, _join(fixed)),
    }
    terms_co2e = {
        "disposal": (
            np.where(own_s, sup["unit_co2e_t"].to_numpy()[s], 0.0) * x,
            _join(side(co2e["disposal"][s], own_s)),
        ),
        "virgin": (
            ratio * np.where(own_d, dem["unit_co2e_t"].to_numpy()[d], 0.0) * x,
            _join(side(co2e["virgin"][d], own_d), subst),
        ),
        "transport": (-edges["transport_co2e_t"].to_numpy(dtype=float) * x, _join(tco2)),
    }
    estimate = {i: False for table in book.stated for i in table["id"]}  # what streams state is no estimate
    estimate.update({str(r["id"]): bool(r["estimate"]) for r in book.rows.values()})

    def on_estimates(ids: _Ids) -> np.ndarray:
        return _any_estimate(ids, estimate)

    saving_est = np.zeros(n)
    for amount, ids in terms_money.values():
        saving_est += np.where(on_estimates(ids), amount, 0.0)
    co2e_est = np.zeros(n)
    one = np.empty(1, dtype=object)
    one[0] = carbon
    carbon_ids = _Ids(np.zeros(n, dtype=np.int64), ((np.zeros(n, dtype=np.int64), one),))
    for amount, ids in terms_co2e.values():
        hit = on_estimates(ids)
        co2e_est += np.where(hit, amount, 0.0)
        if p != 0:
            saving_est += np.where(hit | on_estimates(carbon_ids), p * amount, 0.0)
    # each figure as the exchange table computes it (result.py), so that its part never exceeds it by a rounding
    saving_all = edges["unit_saving"].to_numpy(dtype=float) * x - fixed_share
    h_s = np.where(own_s, sup["unit_co2e_t"].to_numpy()[s], 0.0)
    h_d = np.where(own_d, dem["unit_co2e_t"].to_numpy()[d], 0.0)
    co2e_all = (h_s + ratio * h_d - edges["transport_co2e_t"].to_numpy(dtype=float)) * x
    co2e_ids = _join(*(ids for _, ids in terms_co2e.values()))
    money_ids = _join(*(ids for _, ids in terms_money.values()))
    saving_ids = money_ids if p == 0 else _join(money_ids, carbon_ids, co2e_ids)
    return ExchangeProvenance(
        factors=book.frame(),
        exchange_columns={
            "saving_factors": saving_ids.rows(),
            "co2e_factors": co2e_ids.rows(),
            # the signed sums of the terms on estimates, clipped to the part of each figure they can be
            "saving_on_estimates": within(saving_est, saving_all),
            "co2e_avoided_on_estimates_t": within(co2e_est, co2e_all),
        },
    )


def _stream_factors(
    book: _Book, frame: pd.DataFrame, kind: str, own: str
) -> tuple[tuple[np.ndarray, tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """Per stream: the id of its cost factor (its own figure, or its resource's), currency rates, CO2e factor."""
    cost_kind, co2_kind = f"{kind}_cost", f"{kind}_co2e"
    res = frame["resource"].to_numpy()
    cost = np.full(len(frame), None, dtype=object)
    rates = (np.full(len(frame), None, dtype=object), np.full(len(frame), None, dtype=object))
    co2 = np.full(len(frame), None, dtype=object)
    for key in pd.unique(res):  # one pass per resource of the network, not per stream
        at = res == key
        fid, fx = book.resource(cost_kind, str(key))
        cost[at] = fid
        rates[0][at], rates[1][at] = fx
        co2[at] = book.resource(co2_kind, str(key))[0]
    stated = frame[own].notna().to_numpy()
    if stated.any():
        sid = _stream_ids(frame)[stated]
        ids = _prefixed(f"{cost_kind}:stream/", sid)
        cost[stated] = ids
        rates[0][stated] = rates[1][stated] = None
        unit = book.inputs.currency + "/" + frame["base_unit"].to_numpy()[stated].astype(str)
        rows = pd.DataFrame(
            {
                "id": ids,
                "what": [f"{kind} cost that stream {i} states" for i in sid],
                "value": frame[own].to_numpy(dtype=float)[stated],
                "unit": unit,
                "source": [_STREAM_SOURCE.format(i, m) for i, m in zip(sid, frame["member_id"].to_numpy()[stated])],
                "year": None,
                "estimate": False,
                "kind": cost_kind,
                "scope": "stream",
                "resource": res[stated],
                "stream_id": sid,
                "from_member": frame["member_id"].to_numpy()[stated],
            }
        )
        book.stated.append(rows.drop_duplicates("id"))  # with periods, one stream has a row per period
    return (cost, rates), co2


def _stream_ids(frame: pd.DataFrame) -> np.ndarray:
    """The id of each row's stream: with periods, a row is a stream in one period (``S03@jan``), its stream ``S03``."""
    ids = frame["stream_id"] if "stream_id" in frame.columns else frame.index.to_series()
    return ids.astype(str).to_numpy(dtype=object)


def _conversions(book: _Book, streams: pd.DataFrame) -> None:
    """Densities and energy contents that converted a stream's quantity into its base unit."""
    pairs = streams[["resource", "unit", "base_unit"]].drop_duplicates()
    for key, unit, base in pairs.itertuples(index=False):  # one per (resource, unit) pair
        dim, base_dim = unit_dimension(str(unit)), unit_dimension(str(base))
        if dim is None or dim == base_dim:
            continue
        if "volume" in (dim, base_dim):
            book.resource("density", str(key))
        if "energy" in (dim, base_dim):
            book.resource("energy_content", str(key))


def _substitutes(book: _Book, a: np.ndarray, b: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """Per exchange, the id of the substitution ratio it uses (None where supply and demand are one resource)."""
    out = np.full(len(a), None, dtype=object)
    other = a != b
    if not other.any():
        return out
    pairs = pd.DataFrame({"a": a[other], "b": b[other], "ratio": ratio[other]}).drop_duplicates(["a", "b"])
    for ra, rb, r in pairs.itertuples(index=False):
        fid = f"substitute_ratio:{ra}/{rb}"
        ua, ub = book.catalog[ra].unit, book.catalog[rb].unit
        base = book.builtin.resources.get(ra)
        builtin = base is not None and any(x.key == rb and x.ratio == r for x in base.substitutes)
        book.plain(
            fid, f"units of {rb} that one unit of {ra} meets", float(r), f"{ub}/{ua}",
            _SUBSTITUTE_SOURCE.format("built-in resource catalog" if builtin else "scenario's resource catalog",
                                      ua, ra, f"{float(r):g}", ub, rb),
            None, True, "substitute_ratio", "catalog" if builtin else "scenario", resource=ra,
        )  # fmt: skip
    out[other] = _prefixed(
        "substitute_ratio:", (pd.Series(a[other]).astype(str) + "/" + pd.Series(b[other]).astype(str)).to_numpy()
    )
    return out


def _link_factor(book: _Book, inputs: MatchInputs, li: int, column: str) -> str:
    links = inputs.network.links
    frm, to = str(links["from_member"].iat[li]), str(links["to_member"].iat[li])
    same = (links["from_member"].astype(str) == frm) & (links["to_member"].astype(str) == to)
    suffix = f"#{li + 1}" if int(same.sum()) > 1 else ""
    kind = "transport_cost" if column == "cost_per_unit" else "fixed_cost"
    fid = f"{kind}:link/{frm}/{to}{suffix}"
    what = (
        "transport cost per unit on the link {} -> {}"
        if kind == "transport_cost"
        else "fixed cost of the link {} -> {}"
    )
    unit = inputs.currency + ("/unit" if kind == "transport_cost" else "/year")
    value = float(links[column].to_numpy(dtype=float)[li])
    book.plain(
        fid, what.format(frm, to), value, unit, _LINK_SOURCE.format(frm, to), None, False,
        kind, "link", from_member=frm, to_member=to,
    )  # fmt: skip
    return fid


def _transport(
    book: _Book, inputs: MatchInputs, edges: pd.DataFrame, resource: np.ndarray
) -> tuple[tuple[np.ndarray, tuple[np.ndarray, np.ndarray]], np.ndarray]:
    """Per exchange: the ids of its transport cost factor and currency rates, and of its transport CO2e factor.

    The same rules as the candidate search: a link's cost per unit wins; a link of
    another mode than its resource's uses that mode's rates; else the resource's own
    transport factor, else its mode's.
    """
    n = len(edges)
    cost = np.full(n, None, dtype=object)
    rates = (np.full(n, None, dtype=object), np.full(n, None, dtype=object))
    co2 = np.full(n, None, dtype=object)
    mode = edges["mode"].astype(str).to_numpy()
    res_mode = inputs.rates["mode"].reindex(resource).astype(str).to_numpy()
    link = edges["link"].to_numpy() // inputs.periods  # links.csv row (periods: one capacity row each)
    links = inputs.network.links
    link_cost = np.full(n, np.nan)
    if (link >= 0).any():
        link_cost[link >= 0] = links["cost_per_unit"].to_numpy(dtype=float)[link[link >= 0]]
    for key, m, rm in (
        pd.DataFrame({"r": resource, "m": mode, "rm": res_mode}).drop_duplicates().itertuples(index=False)
    ):
        at = (resource == key) & (mode == m)
        for kind, ids in (("transport_cost", cost), ("transport_co2e", co2)):
            fid, fx = book.resource(kind, str(key)) if m == rm else (None, (None, None))
            if fid is None:
                fid, fx = book.mode(kind, str(m))
            ids[at] = fid
            if kind == "transport_cost":
                rates[0][at], rates[1][at] = fx
    own = ~np.isnan(link_cost)
    if own.any():
        cost[own] = [_link_factor(book, inputs, int(li), "cost_per_unit") for li in link[own]]
        rates[0][own] = rates[1][own] = None
    return (cost, rates), co2


def _noted(row: pd.Series) -> tuple[bool, str]:
    """Whether a store's, process's or flow's row says its figures are estimates, and its note to cite."""
    note = row.get("notes")
    text = str(note).strip() if isinstance(note, str) else ""
    low = text.lower()
    estimate = low.startswith("estimate") or "(estimate)" in low
    return estimate, f"; its note: {text}" if text else ""


def _chain_factors(book: _Book, inputs: MatchInputs) -> None:
    """The figures of stores, processes and process flows (their costs and ratios) that chain costs rest on."""
    sea = inputs.network.seasons
    cur = inputs.currency
    for sid, row in sea.storage.iterrows():  # a handful of stores
        est, note = _noted(row)
        where = dict(table="storage", what="store", id=sid, member=row["member_id"], column="cost_per_unit")
        book.plain(
            f"storage_cost:storage/{sid}", f"cost of store {sid} per unit discharged", float(row["cost"]),
            f"{cur}/{row['base_unit']}", _TABLE_SOURCE.format(**where, note=note), None, est,
            "storage_cost", "stream", resource=row["resource"], stream_id=str(sid), from_member=row["member_id"],
        )  # fmt: skip
    procs = sea.processes
    for pid, row in procs.iterrows():
        est, note = _noted(row)
        where = dict(table="processes", what="process", id=pid, member=row["member_id"], column="cost_per_unit")
        book.plain(
            f"process_cost:process/{pid}", f"cost of process {pid} per unit of its reference {row['reference']}",
            float(row["cost"]), f"{cur}/{row['base_unit']}", _TABLE_SOURCE.format(**where, note=note), None, est,
            "process_cost", "stream", resource=row["reference"], stream_id=str(pid), from_member=row["member_id"],
        )  # fmt: skip
    unit = {k: r.unit for k, r in book.catalog.resources.items()}
    for _, f in sea.process_flows.iterrows():
        pid, key, direction = str(f["process_id"]), str(f["resource"]), str(f["direction"])
        if pid not in procs.index:
            continue
        member, ref = procs.at[pid, "member_id"], str(procs.at[pid, "reference"])
        est, note = _noted(f)
        refs = dict(resource=key, stream_id=pid, from_member=member)
        where = dict(table="process_flows", what="process", id=pid, member=member)
        own = key == ref
        book.plain(
            f"process_ratio:process/{pid}/{direction}/{key}",
            f"units of {key} process {pid} {'takes' if direction == 'input' else 'gives'} per unit of {ref}",
            float(f["ratio"]), f"{unit.get(key, '')}/{unit.get(ref, '')}",
            _REFERENCE_RATIO.format(pid, member, ref) if own
            else _TABLE_SOURCE.format(**where, column=f"ratio of {direction} {key}", note=note),
            None, est and not own, "process_ratio", "stream", **refs,
        )  # fmt: skip
        column = "disposal_cost" if direction == "output" else "virgin_cost"
        if pd.notna(f.get(column)):
            what = "disposing of output" if direction == "output" else "buying input"
            book.plain(
                f"{column}:process/{pid}/{key}", f"cost of {what} {key} of process {pid}", float(f[column]),
                f"{cur}/{unit.get(key, '')}",
                _TABLE_SOURCE.format(**where, column=f"{column} of {direction} {key}", note=note), None, est,
                column, "stream", **refs,
            )  # fmt: skip


def _shipments(book: _Book, inputs: MatchInputs, d: np.ndarray) -> np.ndarray | None:
    """The ids of the shipment lengths of backhaul exchanges into demands ``d`` (None where there is none)."""
    if not d.size:
        return None
    dem = inputs.demands
    c = float(inputs.parameters.circuity)
    km = Routes.of_frames(inputs.supplies.iloc[:0], dem, c).shipment_km
    ids = _stream_ids(dem)
    sid = ids[d]
    for pos in np.unique(d):  # one row per shipment (its length is the same in every period)
        i, m = str(ids[pos]), str(dem["member_id"].iat[pos])
        book.plain(
            f"shipment_km:stream/{i}", f"road length of backhaul shipment {i}", float(km[pos]), "km",
            _SHIPMENT_SOURCE.format(i, m, c), None, False, "shipment_km", "stream", stream_id=i, from_member=m,
        )  # fmt: skip
    return _prefixed("shipment_km:stream/", sid)
