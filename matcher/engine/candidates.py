"""Candidate edges: every supply->demand pair that could carry an exchange, as arrays.

Pairs come from a k-d tree per resource group (every combination compared
where the group is small; great-circle distance times
circuity, within the smaller of the two streams' and the scenario's
maximum distance) and from ``links.csv`` (a link always makes its
compatible pairs candidates, whatever the distance; with
``parameters.candidates: links`` only linked pairs are). Filters then drop
pairs that break a rule of :mod:`matcher.engine.compatibility`, and pairs that can
never pay:

.. math::

    c_e + p\\,g_e \\;\\ge\\; (w_s + p\\,h_s) + a_e\\,(v_d + p\\,u_d)

How many partners each stream kept after each stage is recorded, so that an
unmatched stream can be explained.

Backhaul pairs (resources that travel by ``route``) are not searched around the
members' sites: every supply of the group meets every demand in blocks of pairs,
and the detour test of :class:`~matcher.engine.compatibility.Routes` takes the
place of the reach (numpy over the block's pairs). A pair's ``distance_km`` is its
detour :math:`\\delta_{sd}`, and its transport cost and CO2e per unit (t*km of the
shipment, of length :math:`\\ell_d`) are those of the shipment's tonnes driven
over the detour: :math:`c_e = r\\,\\delta_{sd} / \\ell_d`, with :math:`r` the
resource's rate per tonne and km. Links never make backhaul pairs.

The search runs one chunk of pairs at a time (the linked pairs, then each
resource group's pairs within reach) on plain index arrays: every rule is
resolved once into arrays of numbers and integer codes
(:class:`~matcher.engine.compatibility.Rules`, :class:`_Rates`), each filter
compresses the chunk's arrays, and only the pairs that pass every stage are
kept. The pair table is built once at the end, with compact dtypes: int32
positions and link rows, the transport mode as a categorical (one byte),
float64 for every distance, cost and emission.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from models import Network, Scenario
from models.units import EARTH_RADIUS_KM

from .blocks import pair_components
from .compatibility import Routes, Rules, blend_limited, resource_pairs
from .inputs import MatchInputs, prepare
from .objective import GAIN_COLUMNS, weighted

__all__ = [
    "EDGE_COLUMNS",
    "GROUPED_MIN",
    "STAGES",
    "Candidates",
    "best_pairs",
    "build_candidates",
    "chord_of_km",
    "collect",
    "commitment_keys",
    "commitment_pairs",
    "find_candidates",
    "kd_tree",
    "km_of_chord",
    "route_chunks",
    "stream_candidates",
    "with_stream",
    "with_fixed",
    "without_stream",
]

#: Filter stages, in order; ``Candidates.kept`` counts partners left after each.
STAGES = ("resource", "reach", "context", "quality", "permit", "pays")

#: Columns of ``Candidates.edges``, in order: positions, link row and mode, then every float64 column.
EDGE_COLUMNS = (
    "s",
    "d",
    "link",
    "mode",
    "ratio",
    "distance_km",
    "transport_cost",
    "transport_co2e_t",
    "capacity",
    "fixed_cost",
    "unit_saving",
    "unit_co2e_gain",
    "unit_waste_gain",
)


@dataclass
class Candidates:
    """Candidate edges and the bookkeeping that explains them.

    Attributes
    ----------
    edges : DataFrame
        One row per edge: ``s, d`` (int32 positions in ``inputs.supplies`` /
        ``inputs.demands``), ``link`` (int32 row in links.csv or -1), ``mode``
        (categorical), ``ratio``, ``distance_km``, ``transport_cost`` and
        ``transport_co2e_t`` per unit of supply, ``capacity`` (inf if none),
        ``fixed_cost``, ``unit_saving`` (currency per unit of supply at the
        carbon price), ``unit_co2e_gain``, ``unit_waste_gain``.
    kept_supply, kept_demand : DataFrame
        Partners left after each stage in :data:`STAGES`, per stream.
    quality_failed : Series
        Per stream id, the quality attribute(s) that ruled partners out.
    """

    inputs: MatchInputs
    edges: pd.DataFrame
    kept_supply: pd.DataFrame
    kept_demand: pd.DataFrame
    quality_failed: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))
    blocks: tuple[pd.DataFrame, np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)
    """The connected components the candidate stage found while it wrote the table in their order
    (:func:`_grouped`): ``(edges, label, pairs)`` as :func:`~matcher.engine.graph.components` returns them,
    valid while ``edges`` is that very table."""


def _xyz(frame: pd.DataFrame) -> np.ndarray:
    lat = np.radians(frame["lat"].to_numpy(dtype=float))
    lon = np.radians(frame["lon"].to_numpy(dtype=float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _great_circle_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    chord = np.linalg.norm(a - b, axis=1)
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0))


def _group_pairs(inputs: MatchInputs) -> pd.DataFrame:
    """All resource-compatible (s, d, ratio) groups, as index arrays per group."""
    pairs = resource_pairs(inputs.network.catalog)
    present_s = inputs.supplies["resource"].unique()
    present_d = inputs.demands["resource"].unique()
    return pairs[pairs["supply_resource"].isin(present_s) & pairs["demand_resource"].isin(present_d)]


def _resource_counts(inputs: MatchInputs, groups: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Partners of a compatible resource anywhere, per supply and per demand."""
    sup, dem = inputs.supplies, inputs.demands
    n_dem = dem["resource"].value_counts()
    n_sup = sup["resource"].value_counts()
    per_sr = groups.assign(n=groups["demand_resource"].map(n_dem)).groupby("supply_resource")["n"].sum()
    per_dr = groups.assign(n=groups["supply_resource"].map(n_sup)).groupby("demand_resource")["n"].sum()
    return (
        sup["resource"].map(per_sr).fillna(0).to_numpy(dtype=int),
        dem["resource"].map(per_dr).fillna(0).to_numpy(dtype=int),
    )


@dataclass
class _Chunk:
    """Pairs found together (positions, ratio, distance where known, link row or -1), filtered in place."""

    s: np.ndarray
    d: np.ndarray
    ratio: np.ndarray
    km: np.ndarray
    link: np.ndarray
    supply_resource: str | None = None
    """The one resource of the chunk's supplies (a resource group's pairs), else None."""

    def keep(self, mask: np.ndarray) -> bool:
        """Keep the pairs where ``mask`` holds; returns whether any pair was dropped."""
        if mask.all():
            return False
        n = int(np.count_nonzero(mask))
        self.s, self.d, self.ratio, self.km, self.link = (
            _one(a[0], n) if a.strides == (0,) and a.size else a[mask]
            for a in (self.s, self.d, self.ratio, self.km, self.link)
        )
        return True


def _one(value: Any, n: int, dtype: Any = None) -> np.ndarray:
    """``n`` times ``value``, held once: a read-only view with no memory per element."""
    return np.broadcast_to(np.asarray(value, dtype=dtype), (n,))


def _by_resource(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Positions of the streams of each resource, ascending."""
    code = frame["resource_code"].to_numpy() if "resource_code" in frame.columns else pd.factorize(frame["resource"])[0]
    order = np.argsort(code, kind="stable")
    bounds = np.flatnonzero(np.diff(code[order])) + 1
    names = frame["resource"].to_numpy()
    return {names[part[0]]: part for part in np.split(order, bounds) if part.size}


#: Resource groups with at most this many (supply, demand) combinations are searched by comparing every
#: combination (no k-d tree: small networks match without importing scipy.spatial).
BRUTE_FORCE_MAX = 250_000


def _within(
    xs: np.ndarray, xd: np.ndarray, max_chord: float, tree_d: Any = None, tree_s: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(i, j)`` of rows of ``xs`` and ``xd`` (unit vectors) at most ``max_chord`` apart, and their chords.

    ``tree_d`` and ``tree_s``, k-d trees of ``xd`` and ``xs`` built once by the caller, are used where the
    group is large (:func:`kd_tree`).
    """
    if xs.shape[0] * xd.shape[0] <= BRUTE_FORCE_MAX:
        chord = np.sqrt(((xs[:, None, :] - xd[None, :, :]) ** 2).sum(axis=2))
        i, j = np.nonzero(chord <= max_chord)
        return i, j, chord[i, j]
    found = (kd_tree(xs) if tree_s is None else tree_s).sparse_distance_matrix(
        kd_tree(xd) if tree_d is None else tree_d, max_chord, output_type="ndarray"
    )
    return found["i"], found["j"], found["v"]


def kd_tree(x: np.ndarray) -> Any:
    """A k-d tree of points ``x`` (scipy's, imported only when a group is large)."""
    from scipy.spatial import cKDTree

    return cKDTree(x)


def chord_of_km(km: float | np.ndarray, circuity: float) -> np.ndarray:
    """The chord on the unit sphere of a road distance (km, circuity applied): what a k-d tree searches."""
    gc = np.asarray(km, dtype=float) / circuity
    return 2.0 * np.sin(np.minimum(gc / (2.0 * EARTH_RADIUS_KM), np.pi / 2))


def km_of_chord(chord: np.ndarray, circuity: float) -> np.ndarray:
    """The road distance (km) of chords on the unit sphere: great-circle km times circuity."""
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0)) * circuity


def blocks(xs: np.ndarray, xd: np.ndarray, max_chord: float, block_pairs: int | None) -> tuple[list[np.ndarray], Any]:
    """Rows of ``xs`` split into blocks whose pairs with ``xd`` within ``max_chord`` number at most about
    ``block_pairs`` (strips along the first coordinate), and a k-d tree of ``xd`` where the group is large.

    With ``block_pairs=None`` (or a small group) there is one block.
    """
    whole = [np.arange(xs.shape[0])]
    if xs.shape[0] * xd.shape[0] <= BRUTE_FORCE_MAX:
        return whole, None
    tree_d = kd_tree(xd)
    if block_pairs is None or xs.shape[0] * xd.shape[0] <= block_pairs:
        return whole, tree_d
    n = int(kd_tree(xs).count_neighbors(tree_d, max_chord))
    k = -(-n // block_pairs)
    if k <= 1:
        return whole, tree_d
    order = np.argsort(xs[:, 0], kind="stable")
    return np.array_split(order, k), tree_d


def _near_chunks(
    inputs: MatchInputs, groups: pd.DataFrame, linked_keys: np.ndarray, block_pairs: int | None = None
) -> Iterator[_Chunk]:
    """Pairs within reach, one search per resource group (a k-d tree where the group is large; with
    ``block_pairs``, in blocks of about that many pairs); pairs a link makes are left to the link."""
    p = inputs.parameters
    sup, dem = inputs.supplies, inputs.demands
    nd = len(dem)
    xs, xd = _xyz(sup), _xyz(dem)
    max_chord = float(chord_of_km(p.max_distance_km, p.circuity))
    s_pos, d_pos = _by_resource(sup), _by_resource(dem)
    reach_s = sup["max_distance_km"].to_numpy(dtype=float)
    reach_d = dem["max_distance_km"].to_numpy(dtype=float)
    # where no stream has a reach of its own below the scenario's, one number bounds every pair
    uniform = bool((reach_s == p.max_distance_km).all() and (reach_d == p.max_distance_km).all())
    route = _route_resources(inputs)
    routes = Routes.of_frames(sup, dem, p.circuity) if route.size else None
    for sr, dr, ratio in groups.itertuples(index=False):  # one iteration per resource group
        si_all, di = s_pos[sr], d_pos[dr]
        if routes is not None and sr in route:
            yield from route_chunks(routes, sr, ratio, si_all, di, block_pairs)
            continue
        parts, tree_d = blocks(xs[si_all], xd[di], max_chord, block_pairs)
        for part in parts:  # one block of the group's supplies at a time
            si = si_all[part]
            i, j, chord = _within(xs[si], xd[di], max_chord, tree_d)
            s = si[i].astype(np.int32)
            d = di[j].astype(np.int32)
            km = km_of_chord(chord, p.circuity)  # great-circle km from the chords, without recomputing
            del i, j, chord
            keep = km <= (p.max_distance_km if uniform else np.minimum(reach_s[s], reach_d[d]))
            if linked_keys.size:
                keep &= ~np.isin(s.astype(np.int64) * nd + d, linked_keys)
            chunk = _Chunk(s, d, _one(ratio, s.size, float), km, _one(-1, s.size, np.int32), sr)
            chunk.keep(keep)
            yield chunk


def _route_resources(inputs: MatchInputs) -> np.ndarray:
    """Keys of the resources that travel by route (backhaul)."""
    mode = inputs.rates["mode"]
    return mode.index[mode.eq("route").to_numpy()].to_numpy()


def route_chunks(
    routes: Routes, sr: str, ratio: float, si: np.ndarray, di: np.ndarray, block_pairs: int | None = None
) -> Iterator[_Chunk]:
    """The backhaul pairs of supplies ``si`` and demands ``di`` whose detour is within the supply's limit.

    Every combination is tested, a block of supplies at a time (at most about ``block_pairs``,
    else :data:`BRUTE_FORCE_MAX`, pairs a block); a chunk's ``km`` is each pair's detour.
    """
    if not si.size or not di.size:
        return
    rows = max(1, (block_pairs or BRUTE_FORCE_MAX) // di.size)
    for start in range(0, si.size, rows):  # one block of supplies at a time; numpy over its pairs
        block = si[start : start + rows]
        s = np.repeat(block, di.size).astype(np.int32)
        d = np.tile(di, block.size).astype(np.int32)
        ok, detour = routes.pairs(s, d)
        chunk = _Chunk(s, d, _one(ratio, s.size, float), detour, _one(-1, s.size, np.int32), sr)
        chunk.keep(ok)
        yield chunk


def commitment_pairs(inputs: MatchInputs, pairs: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Table row ``row`` and positions ``s``, ``d`` of the pairs a table naming ``supply_stream,
    demand_stream`` (fixed exchanges, excluded pairs) means, for the rows whose two streams are in
    ``inputs``, in table order.

    Without periods a row is one pair. With periods (:func:`~matcher.engine.periods.expand`) a
    stream has a supply or demand row per period it is active in, and a table row means one pair
    per period both streams share (the row is repeated).
    """
    none = np.zeros(0, dtype=np.int64)
    if pairs is None or not len(pairs):
        return none, none, none
    sup, dem = inputs.supplies, inputs.demands
    if inputs.chains is None:
        s = sup.index.get_indexer(pd.Index(pairs["supply_stream"].astype(str)))
        d = dem.index.get_indexer(pd.Index(pairs["demand_stream"].astype(str)))
        on = (s >= 0) & (d >= 0)
        return np.flatnonzero(on), s[on].astype(np.int64), d[on].astype(np.int64)
    table = pd.DataFrame({"row": np.arange(len(pairs)), "sid": pairs["supply_stream"].astype(str).to_numpy()}).assign(
        did=pairs["demand_stream"].astype(str).to_numpy()
    )
    streams = [
        pd.DataFrame(
            {"sid" if side == 0 else "did": f["stream_id"].astype(str).to_numpy(), "t": f["t"].to_numpy()}
        ).assign(pos=np.arange(len(f)))[f["origin"].eq("stream").to_numpy()]
        for side, f in enumerate((sup, dem))
    ]
    both = table.merge(streams[0], on="sid").merge(streams[1], on=["did", "t"], suffixes=("_s", "_d"))
    both = both.sort_values(["row", "t"], kind="stable")
    return both["row"].to_numpy(np.int64), both["pos_s"].to_numpy(np.int64), both["pos_d"].to_numpy(np.int64)


def commitment_keys(inputs: MatchInputs, pairs: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions ``s``, ``d`` and keys ``s * n_demands + d`` of the pairs of :func:`commitment_pairs`."""
    _, s, d = commitment_pairs(inputs, pairs)
    return s, d, s * len(inputs.demands) + d


def with_fixed(linked: _Chunk, inputs: MatchInputs) -> _Chunk:
    """The linked pairs and the fixed exchanges (:attr:`models.Network.fixed_exchanges`) not among them.

    A fixed exchange runs in reality: it is a candidate whatever its distance, rules or
    gain (its link's values apply where its members have one).
    """
    fixed = inputs.network.fixed_exchanges
    row, s, d = commitment_pairs(inputs, fixed)
    if not row.size:
        return linked
    keys = s * len(inputs.demands) + d
    known = linked.s.astype(np.int64) * len(inputs.demands) + linked.d
    new = ~np.isin(keys, known)
    ratio = fixed["ratio"].to_numpy(dtype=float)[row[new]]
    n = int(new.sum())
    return _Chunk(
        np.concatenate([linked.s, s[new].astype(np.int32)]),
        np.concatenate([linked.d, d[new].astype(np.int32)]),
        np.concatenate([linked.ratio, ratio]),
        np.concatenate([linked.km, np.full(n, np.nan)]),
        np.concatenate([linked.link, np.full(n, -1, dtype=np.int32)]),
    )


def _link_chunk(inputs: MatchInputs, groups: pd.DataFrame, only: tuple[bool, int] | None = None) -> _Chunk:
    """Compatible pairs between the members of each link, with the link's row.

    ``only`` (``(is_supply, position)``) keeps the pairs of that one stream.
    """
    links = inputs.network.links
    none = np.zeros(0, dtype=np.int32)
    empty = _Chunk(none, none, np.zeros(0), np.zeros(0), none)
    groups = groups[~groups["supply_resource"].isin(_route_resources(inputs))]  # a route is no link's
    if links.empty or groups.empty:
        return empty
    sup = inputs.supplies[["member_id", "resource"]].assign(s=np.arange(len(inputs.supplies)))
    dem = inputs.demands[["member_id", "resource"]].assign(d=np.arange(len(inputs.demands)))
    if only is not None:
        sup, dem = (sup.iloc[[only[1]]], dem) if only[0] else (sup, dem.iloc[[only[1]]])
    lk = links[["from_member", "to_member"]].assign(link=np.arange(len(links)))
    e = lk.merge(sup, left_on="from_member", right_on="member_id")
    e = e.merge(dem, left_on="to_member", right_on="member_id", suffixes=("_s", "_d"))
    e = e.merge(groups, left_on=["resource_s", "resource_d"], right_on=["supply_resource", "demand_resource"])
    if inputs.parameters.candidates != "links":
        e = e.drop_duplicates(["s", "d"])
    return _Chunk(
        e["s"].to_numpy(dtype=np.int32),
        e["d"].to_numpy(dtype=np.int32),
        e["ratio"].to_numpy(dtype=float),
        np.full(len(e), np.nan),
        e["link"].to_numpy(dtype=np.int32),
    )


@dataclass(frozen=True)
class _Rates:
    """Transport rates and the pays test resolved once: per supply (its resource's mode), per link, per mode."""

    modes: list[str]
    resource: pd.DataFrame
    """Per supply resource: ``mode`` (code), ``cost_per_unit_km``, ``co2e_t_per_unit_km``."""
    supply_mode: np.ndarray
    supply_cost_km: np.ndarray
    supply_co2_km: np.ndarray
    link_distance: np.ndarray
    link_cost: np.ndarray
    link_capacity: np.ndarray
    link_fixed: np.ndarray
    link_mode: np.ndarray
    """Per link, the code of its mode (-1 where none)."""
    mode_cost_km: np.ndarray
    mode_co2_km: np.ndarray
    supply_route: np.ndarray
    """Per supply, whether it travels by route (backhaul)."""
    shipment_km: np.ndarray
    """Per demand, the road length of its shipment (NaN off a route)."""

    @classmethod
    def of(cls, inputs: MatchInputs) -> _Rates:
        sup, dem = inputs.supplies, inputs.demands
        # per supply, the row of its resource in the rates (-1 where none): arrays taken per supply, no frame
        at = inputs.rates.index.get_indexer(sup["resource"].to_numpy())
        has = at >= 0
        links = inputs.network.links.reindex(columns=["distance_km", "cost_per_unit", "capacity", "fixed_cost", "mode"])
        used = inputs.rates["mode"].iloc[np.unique(at[has])]
        labels = pd.concat([used, links["mode"], pd.Series(inputs.mode_rates.index)]).dropna()
        modes = sorted(set(labels.unique().astype(str)))
        index = pd.Index(modes)

        def codes(values: pd.Series) -> np.ndarray:
            return index.get_indexer(values.astype(object).where(values.notna(), None)).astype(np.int8)

        def per_supply(values: np.ndarray, missing: float) -> np.ndarray:
            return np.where(has, values[np.where(has, at, 0)] if values.size else missing, missing)

        mode_rates = inputs.mode_rates.reindex(modes)
        per_resource = inputs.rates.assign(mode=codes(inputs.rates["mode"]))
        return cls(
            modes=modes,
            resource=per_resource,
            supply_mode=per_supply(per_resource["mode"].to_numpy(), -1).astype(np.int8),
            supply_cost_km=per_supply(inputs.rates["cost_per_unit_km"].to_numpy(dtype=float), np.nan),
            supply_co2_km=per_supply(inputs.rates["co2e_t_per_unit_km"].to_numpy(dtype=float), np.nan),
            link_distance=links["distance_km"].to_numpy(dtype=float),
            link_cost=links["cost_per_unit"].to_numpy(dtype=float),
            link_capacity=links["capacity"].to_numpy(dtype=float),
            link_fixed=links["fixed_cost"].to_numpy(dtype=float),
            link_mode=codes(links["mode"]),
            mode_cost_km=mode_rates["cost_per_unit_km"].to_numpy(dtype=float),
            mode_co2_km=mode_rates["co2e_t_per_unit_km"].to_numpy(dtype=float),
            supply_route=sup["route"].to_numpy(dtype=bool),
            shipment_km=(
                Routes.of_frames(sup.iloc[:0], dem, inputs.parameters.circuity).shipment_km
                if dem["route"].any()
                else np.full(len(dem), np.nan)
            ),
        )


def _costs(inputs: MatchInputs, rates: _Rates, c: _Chunk) -> dict[str, np.ndarray]:
    """The chunk's columns of the pair table: distance, mode, transport cost and CO2e per unit of supply, savings."""
    p = inputs.parameters
    sup, dem = inputs.supplies, inputs.demands
    s, d = c.s, c.d
    dist = c.km
    missing = np.isnan(dist)
    if missing.any():
        dist = dist.copy()
        dist[missing] = _great_circle_km(_xyz(sup.iloc[s[missing]]), _xyz(dem.iloc[d[missing]])) * p.circuity
    linked = c.link >= 0
    on_links = bool(linked.any())
    capacity = np.full(s.size, np.inf) if on_links else _one(np.inf, s.size)  # off links: held once
    fixed_cost = np.zeros(s.size) if on_links else _one(0.0, s.size)
    per_km_cost: np.ndarray | float
    per_km_co2: np.ndarray | float
    if c.supply_resource is not None and not on_links:  # one resource: its rates are numbers
        r = rates.resource
        mode = _one(r.at[c.supply_resource, "mode"], s.size, np.int8)
        per_km_cost = float(r["cost_per_unit_km"].to_numpy(dtype=float)[r.index.get_loc(c.supply_resource)])
        per_km_co2 = float(r["co2e_t_per_unit_km"].to_numpy(dtype=float)[r.index.get_loc(c.supply_resource)])
    else:
        mode = rates.supply_mode[s]
        per_km_cost = rates.supply_cost_km[s]
        per_km_co2 = rates.supply_co2_km[s]
    if on_links:  # a link's values win over the distance rules for its pairs
        li = c.link[linked]
        link_dist = rates.link_distance[li]
        dist[linked] = np.where(np.isnan(link_dist), dist[linked], link_dist)
        link_mode = rates.link_mode[li]
        other = np.flatnonzero(linked)[(link_mode >= 0) & (link_mode != mode[linked])]
        if other.size:  # a link of another mode: that mode's rates (pairs of links: rates gathered per pair)
            m = rates.link_mode[c.link[other]]
            mode[other] = m
            per_km_cost = np.asarray(per_km_cost, dtype=float).copy()
            per_km_co2 = np.asarray(per_km_co2, dtype=float).copy()
            per_km_cost[other] = rates.mode_cost_km[m]
            per_km_co2[other] = rates.mode_co2_km[m]
        transport_cost = per_km_cost * dist
        link_cost = rates.link_cost[li]
        transport_cost[linked] = np.where(np.isnan(link_cost), transport_cost[linked], link_cost)
        cap = rates.link_capacity[li]
        capacity[linked] = np.where(np.isnan(cap), np.inf, cap)
        fixed = rates.link_fixed[li]
        fixed_cost[linked] = np.where(np.isnan(fixed), 0.0, fixed)
    else:
        transport_cost = per_km_cost * dist
    co2 = per_km_co2 * dist
    on_route = rates.supply_route[s]
    if on_route.any():  # backhaul: the shipment's tonnes (t*km over its length) driven over the detour
        per_unit = 1.0 / rates.shipment_km[d[on_route]]
        transport_cost = np.array(transport_cost, dtype=float)
        co2 = np.array(co2, dtype=float)
        transport_cost[on_route] *= per_unit
        co2[on_route] *= per_unit
    ratio = c.ratio
    link = c.link
    chains = inputs.chains
    if chains is not None and chains.n_periods > 1 and on_links:
        # a link's capacity is a yearly amount, split over the periods by their hours: one row per link and period
        t = sup["t"].to_numpy()[s]
        capacity[linked] *= (chains.hours / chains.hours.sum())[t[linked]]
        link = np.where(linked, c.link.astype(np.int64) * chains.n_periods + t, -1).astype(np.int32)
    u_s, u_d = sup["unit_cost"].to_numpy()[s], dem["unit_cost"].to_numpy()[d]
    h_s, h_d = sup["unit_co2e_t"].to_numpy()[s], dem["unit_co2e_t"].to_numpy()[d]
    waste = sup["waste_t"].to_numpy()[s]
    if chains is not None:  # a port's disposal or virgin purchase is no saving of a member's stream
        port_s, port_d = sup["port_code"].to_numpy()[s] >= 0, dem["port_code"].to_numpy()[d] >= 0
        u_s, h_s, waste = np.where(port_s, 0.0, u_s), np.where(port_s, 0.0, h_s), np.where(port_s, 0.0, waste)
        u_d, h_d = np.where(port_d, 0.0, u_d), np.where(port_d, 0.0, h_d)
    return {
        "s": s,
        "d": d,
        "ratio": ratio,
        "distance_km": dist,
        "link": link,
        "mode": mode,
        "transport_cost": transport_cost,
        "transport_co2e_t": co2,
        "capacity": capacity,
        "fixed_cost": fixed_cost,
        "unit_saving": u_s + ratio * u_d - transport_cost - p.carbon_price * co2,
        "unit_co2e_gain": h_s + ratio * h_d - co2,
        "unit_waste_gain": waste,
    }


def find_candidates(network: Network, scenario: Scenario, also: Iterable[str] = ()) -> Candidates:
    """The candidate pairs of a scenario: its inputs resolved (:func:`prepare`), then searched and filtered."""
    return build_candidates(prepare(network, scenario), also=also)


@dataclass
class _Search:
    """The filters and costs of the candidate stage, resolved once, applied to one chunk of pairs at a time."""

    inputs: MatchInputs
    rules: Rules
    rates: _Rates
    blended: np.ndarray
    objectives: list[dict[str, float]]
    fixed_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Sorted keys ``s * n_demands + d`` of the fixed exchanges: they pass every filter."""
    excluded_keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    """Sorted keys of the excluded pairs: they never pass the ``context`` stage."""
    ports: tuple[np.ndarray, np.ndarray] | None = None
    """Per supply and per demand, whether it is a port of a store or process (its pairs are always kept)."""

    @classmethod
    def of(cls, inputs: MatchInputs, also: Iterable[str] = ()) -> _Search:
        p = inputs.parameters
        sup, dem = inputs.supplies, inputs.demands
        net = inputs.network
        ports = None
        if inputs.chains is not None:
            ports = (sup["port_code"].to_numpy() >= 0, dem["port_code"].to_numpy() >= 0)
        return cls(
            inputs,
            Rules.of(sup, dem, net.catalog, p.allow_internal),
            _Rates.of(inputs),
            blend_limited(dem, net.catalog),
            [p.objective_weights, *({k: 1.0} for k in also)],
            np.unique(commitment_keys(inputs, net.fixed_exchanges)[2]),
            np.unique(commitment_keys(inputs, net.excluded_pairs)[2]),
            ports,
        )

    def _forced(self, c: _Chunk, mask: np.ndarray) -> np.ndarray:
        """``mask`` with the chunk's fixed exchanges set (they pass every filter)."""
        if not self.fixed_keys.size:
            return mask
        return mask | np.isin(c.s.astype(np.int64) * len(self.inputs.demands) + c.d, self.fixed_keys)

    @property
    def n_codes(self) -> int:
        """Quality failure codes: 0 (none) and one per limit."""
        return len(self.rules.limits) + 1

    def run(
        self, c: _Chunk
    ) -> tuple[dict[str, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]], list[np.ndarray]]:
        """The chunk's pairs that pass every stage, as columns of the pair table.

        Returns the columns, per stage after ``resource`` the partners each supply and
        demand kept, and the keys ``stream * n_codes + code`` of the quality failures
        (supplies ``0..ns-1``, then demands).
        """
        ns, nd = len(self.inputs.supplies), len(self.inputs.demands)
        counts: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        last = (np.bincount(c.s, minlength=ns), np.bincount(c.d, minlength=nd))

        def count(stage: str, dropped: bool) -> None:  # counted again only where the stage dropped pairs
            nonlocal last
            if dropped:
                last = (np.bincount(c.s, minlength=ns), np.bincount(c.d, minlength=nd))
            counts[stage] = last

        count("reach", False)
        context = self.rules.context(c.s, c.d)
        if self.excluded_keys.size:  # pairs a facilitator excluded (a company declined them)
            context &= ~np.isin(c.s.astype(np.int64) * nd + c.d, self.excluded_keys)
        count("context", c.keep(self._forced(c, context)))
        failed = []
        ok, code = self.rules.quality(c.s, c.d)
        ok = self._forced(c, ok)
        if not ok.all():
            bad = ~ok
            failed.append(np.unique(c.s[bad].astype(np.int64) * self.n_codes + code[bad]))
            failed.append(np.unique((ns + c.d[bad].astype(np.int64)) * self.n_codes + code[bad]))
        count("quality", c.keep(ok))
        count("permit", c.keep(self._forced(c, self.rules.permit(c.s, c.d))))
        cols = _costs(self.inputs, self.rates, c)
        gains = {k: cols[col] for k, col in GAIN_COLUMNS.items()}
        pays = self._forced(c, self.blended[c.d])  # into a blended limit: may pay through the mix; fixed: kept
        if self.ports is not None:  # a port's pairs pay through the chain they belong to
            pays = pays | self.ports[0][c.s] | self.ports[1][c.d]
        for weights in self.objectives:
            pays |= weighted(gains, weights) > 0
        every = bool(pays.all())
        out = {k: cols[k] if every else cols[k][pays] for k in EDGE_COLUMNS}
        c.keep(pays)
        count("pays", not every)
        return out, counts, failed


def build_candidates(inputs: MatchInputs, also: Iterable[str] = ()) -> Candidates:
    """Every candidate edge of the scenario, with transport cost, CO2e and saving per unit.

    An edge is kept when it improves the scenario's objective (for the cost
    objective: when it pays), or any objective named in ``also`` (a Pareto
    front needs the edges that help either of its two objectives).

    Returns
    -------
    Candidates
    """
    p = inputs.parameters
    nd = len(inputs.demands)
    groups = _group_pairs(inputs)
    res_s, res_d = _resource_counts(inputs, groups)
    search = _Search.of(inputs, also)

    linked = with_fixed(_link_chunk(inputs, groups), inputs)
    if inputs.chains is not None:  # ports exchange with their member's own streams, whatever the candidates rule
        linked = _joined(linked, _port_chunk(inputs, groups, linked, nd))
    chunks: Iterable[_Chunk] = [linked]
    if p.candidates != "links":
        linked_keys = np.unique(linked.s.astype(np.int64) * nd + linked.d)
        chunks = _chain(linked, inputs, groups, linked_keys)

    return collect(search, chunks, res_s, res_d)


def _joined(a: _Chunk, b: _Chunk) -> _Chunk:
    """Two chunks of pairs as one."""
    return _Chunk(*(np.concatenate([getattr(a, k), getattr(b, k)]) for k in ("s", "d", "ratio", "km", "link")))


def _port_chunk(inputs: MatchInputs, groups: pd.DataFrame, linked: _Chunk, nd: int) -> _Chunk:
    """Compatible pairs within one member and period where either end is a port of a store or process
    (at zero distance; never a store's or process's ports with each other), less those a link already made."""
    cols = ["member_code", "period_code", "resource", "port_code"]
    sup = inputs.supplies[cols].assign(s=np.arange(len(inputs.supplies)))
    dem = inputs.demands[cols].assign(d=np.arange(len(inputs.demands)))
    owners = set(sup.loc[sup["port_code"] >= 0, "member_code"]) | set(dem.loc[dem["port_code"] >= 0, "member_code"])
    sup, dem = sup[sup["member_code"].isin(owners)], dem[dem["member_code"].isin(owners)]
    e = sup.merge(dem, on=["member_code", "period_code"], suffixes=("_s", "_d"))
    e = e[((e["port_code_s"] >= 0) | (e["port_code_d"] >= 0)) & (e["port_code_s"] != e["port_code_d"])]
    e = e.merge(groups, left_on=["resource_s", "resource_d"], right_on=["supply_resource", "demand_resource"])
    s, d = e["s"].to_numpy(dtype=np.int32), e["d"].to_numpy(dtype=np.int32)
    keep = ~np.isin(s.astype(np.int64) * nd + d, linked.s.astype(np.int64) * nd + linked.d)
    return _Chunk(
        s[keep],
        d[keep],
        e["ratio"].to_numpy(dtype=float)[keep],
        np.zeros(int(keep.sum())),
        np.full(int(keep.sum()), -1, dtype=np.int32),
    )


#: Chooses which of a chunk's pairs (its columns of the pair table) to keep; ``None`` keeps them all.
Select = Callable[[dict[str, np.ndarray], bool], np.ndarray] | None


def collect(
    search: _Search, chunks: Iterable[_Chunk], res_s: np.ndarray, res_d: np.ndarray, select: Select = None
) -> Candidates:
    """Run every chunk through the stages, count each stream's partners after each stage, keep the pairs.

    ``select(columns, linked)`` (where given) returns the mask of a chunk's pairs to keep (``linked``:
    the chunk of the linked pairs, always first); every pair still counts in the stages.
    """
    inputs = search.inputs
    sup, dem = inputs.supplies, inputs.demands
    ns, nd = len(sup), len(dem)
    kept_s = {stage: np.zeros(ns, dtype=np.int64) for stage in STAGES[1:]}
    kept_d = {stage: np.zeros(nd, dtype=np.int64) for stage in STAGES[1:]}
    failed: list[np.ndarray] = []
    kept: list[_Chunk] = []  # each chunk's pairs that passed (``run`` keeps them in the chunk)
    columns: list[dict[str, np.ndarray]] | None = []  # their columns, kept only while the pairs are few
    n = 0
    for i, chunk in enumerate(chunks):
        cols, counts, bad = search.run(chunk)
        if select is not None:
            mask = select(cols, i == 0)
            chunk.keep(mask)
            cols = {k: v[mask] for k, v in cols.items()} if columns is not None else cols
        n += chunk.s.size
        if columns is not None and n < GROUPED_MIN:
            columns.append(cols)
        else:
            columns = None
        del cols
        kept.append(chunk)
        for stage, (per_s, per_d) in counts.items():
            kept_s[stage] += per_s
            kept_d[stage] += per_d
        failed += bad

    found = None
    if columns is not None:  # few pairs: the table from the stages' own columns
        edges = _assemble(iter(columns), n, search.rates.modes)
    else:  # many: in component order, costs computed again straight into the table
        one, *found = _grouped(search, kept)
        kept = [one]
        held_once = _held_once(one)
        del one  # `_costed` frees it once written
        edges = _assemble(_costed(search, kept), n, search.rates.modes, held_once)
    return Candidates(
        blocks=None if found is None else (edges, *found),
        inputs=inputs,
        edges=edges,
        kept_supply=pd.DataFrame({"resource": res_s, **kept_s}, index=sup.index)[list(STAGES)],
        kept_demand=pd.DataFrame({"resource": res_d, **kept_d}, index=dem.index)[list(STAGES)],
        quality_failed=_quality_failed(failed, search.n_codes, search.rules.attributes, sup.index, dem.index),
    )


def best_pairs(s: np.ndarray, d: np.ndarray, value: np.ndarray, ns: int, nd: int, k: int) -> np.ndarray:
    """Mask of each supply's and each demand's ``k`` pairs of highest ``value`` (ties may add a few more)."""
    chosen = np.zeros(s.size, dtype=bool)
    for group, n in ((s, ns), (d, nd)):
        left = value.astype(float, copy=True)
        for _ in range(k):  # k passes over the arrays: each stream's best pair not yet taken
            best = np.full(n, -np.inf)
            np.maximum.at(best, group, left)
            hit = (left == best[group]) & np.isfinite(left)
            chosen |= hit
            left[hit] = -np.inf
    return chosen


def stream_candidates(
    inputs: MatchInputs, position: int, supply: bool, also: Iterable[str] = ()
) -> tuple[pd.DataFrame, dict[str, tuple[np.ndarray, np.ndarray]], list[np.ndarray], _Search]:
    """The candidate pairs of one stream, searched against its partners only.

    The stream is ``inputs.supplies.iloc[position]`` (``supply``) or ``inputs.demands.iloc[position]``.
    Its partners of each compatible resource within reach (every one compared with it: one
    point against its resource group) and through its member's links are filtered by the
    same stages as in :func:`build_candidates`.

    Returns
    -------
    edges : DataFrame
        Its pairs that pass every stage (columns of ``Candidates.edges``, positions in ``inputs``).
    counts : dict
        Per stage after ``resource``, the partners each supply and demand kept through these pairs.
    failed : list of ndarray
        Keys ``stream * n_codes + code`` of its quality failures (supplies, then demands after them).
    search : the resolved filters (``n_codes``, ``rules.attributes``).
    """
    p = inputs.parameters
    sup, dem = inputs.supplies, inputs.demands
    nd = len(dem)
    groups = _group_pairs(inputs)
    own, other = (sup, dem) if supply else (dem, sup)
    resource = own["resource"].iat[position]
    mine = groups[groups["supply_resource" if supply else "demand_resource"] == resource]
    linked = _link_chunk(inputs, groups, (supply, position))
    chunks = [linked]
    if p.candidates != "links":
        linked_keys = linked.s.astype(np.int64) * nd + linked.d
        x = _xyz(own.iloc[[position]])
        max_chord = float(chord_of_km(p.max_distance_km, p.circuity))
        reach_own = float(own["max_distance_km"].to_numpy(dtype=float)[position])
        reach = other["max_distance_km"].to_numpy(dtype=float)
        partner_resource = other["resource"].to_numpy()
        routes = Routes.of_frames(sup, dem, p.circuity) if own["route"].iat[position] else None
        for sr, dr, ratio in mine.itertuples(index=False):
            partners = np.flatnonzero(partner_resource == (dr if supply else sr))
            if not partners.size:
                continue
            if routes is not None:  # backhaul: the detour test against every partner
                me = np.full(partners.size, position, dtype=np.int32)
                si, di = (me, partners.astype(np.int32)) if supply else (partners.astype(np.int32), me)
                ok, detour = routes.pairs(si, di)
                c = _Chunk(si, di, _one(ratio, si.size, float), detour, _one(-1, si.size, np.int32))
                c.keep(ok)
                chunks.append(c)
                continue
            chord = np.sqrt(((_xyz(other.iloc[partners]) - x) ** 2).sum(axis=1))
            near = chord <= max_chord
            partners, chord = partners[near], chord[near]
            km = km_of_chord(chord, p.circuity)
            ok = km <= np.minimum(reach_own, reach[partners])
            partners, km = partners[ok], km[ok]
            me = np.full(partners.size, position, dtype=np.int32)
            s_, d_ = (me, partners.astype(np.int32)) if supply else (partners.astype(np.int32), me)
            keep = ~np.isin(s_.astype(np.int64) * nd + d_, linked_keys)
            c = _Chunk(s_, d_, _one(ratio, s_.size, float), km, _one(-1, s_.size, np.int32))
            c.keep(keep)
            chunks.append(c)
    s_, d_, ratio_, km_, link_ = (
        np.concatenate([getattr(c, k) for c in chunks]) for k in ("s", "d", "ratio", "km", "link")
    )
    chunk = _Chunk(s_, d_, ratio_, km_, link_)
    search = _Search.of(inputs, also)
    cols, counts, failed = search.run(chunk)
    return _table({k: [cols[k]] for k in EDGE_COLUMNS}, search.rates.modes), counts, failed, search


def with_stream(
    cand: Candidates, inputs: MatchInputs, supply: bool, also: Iterable[str] = ()
) -> tuple[Candidates, pd.DataFrame]:
    """``cand`` with one stream more (the last row of ``inputs.supplies`` or ``inputs.demands``), and its pairs.

    Only that stream is searched (:func:`stream_candidates`); the partners' counts and quality
    failures take its pairs in. The returned candidates' ``edges`` are those of ``cand`` (the
    new pairs are returned apart, for a model that holds its pairs itself).
    """
    sup, dem = inputs.supplies, inputs.demands
    ns, nd = len(sup), len(dem)
    position = (ns if supply else nd) - 1
    table, counts, failed, search = stream_candidates(inputs, position, supply, also)
    res_s, res_d = _resource_counts(inputs, _group_pairs(inputs))
    kept_s, kept_d = cand.kept_supply.copy(), cand.kept_demand.copy()
    zero = pd.DataFrame(0, index=(sup if supply else dem).index[-1:], columns=list(STAGES))
    kept_s, kept_d = (pd.concat([kept_s, zero]), kept_d) if supply else (kept_s, pd.concat([kept_d, zero]))
    kept_s["resource"], kept_d["resource"] = res_s, res_d
    for stage, (per_s, per_d) in counts.items():
        kept_s[stage] += per_s
        kept_d[stage] += per_d
    failures = _quality_failed(failed, search.n_codes, search.rules.attributes, sup.index, dem.index)
    quality = _merge_failures(cand.quality_failed, failures)
    edges = cand.edges.iloc[:0] if len(cand.edges) else table.iloc[:0]
    return Candidates(inputs, edges, kept_s, kept_d, quality), table


def without_stream(cand: Candidates, position: int, supply: bool, also: Iterable[str] = ()) -> Candidates:
    """``cand`` without one stream: its partners' counts lose its pairs, their quality failures are found again.

    The returned candidates' ``edges`` are empty (a model that holds its pairs drops the stream's own).
    """
    inp = cand.inputs
    _, counts, failed, search = stream_candidates(inp, position, supply, also)
    kept_s, kept_d = cand.kept_supply.copy(), cand.kept_demand.copy()
    for stage, (per_s, per_d) in counts.items():
        kept_s[stage] -= per_s
        kept_d[stage] -= per_d
    ns = len(inp.supplies)
    # partners whose quality failures this stream took part in: their failures searched again without it
    keys = np.unique(np.concatenate(failed)) if failed else np.zeros(0, dtype=np.int64)
    stream = np.unique(keys // search.n_codes)
    gone = position if supply else ns + position
    partners = stream[stream != gone]
    after = replace(
        inp,
        supplies=inp.supplies.drop(index=inp.supplies.index[position]) if supply else inp.supplies,
        demands=inp.demands if supply else inp.demands.drop(index=inp.demands.index[position]),
    )
    quality = cand.quality_failed.drop(
        labels=[(inp.supplies if supply else inp.demands).index[position]], errors="ignore"
    )
    ids = np.concatenate([inp.supplies.index.to_numpy(), inp.demands.index.to_numpy()])[partners]
    quality = quality.drop(labels=list(ids), errors="ignore")
    for sid, pos_all in zip(ids, partners):
        is_supply = bool(pos_all < ns)
        frame = after.supplies if is_supply else after.demands
        where = int(frame.index.get_indexer(pd.Index([sid]))[0])
        _, _, f, sr = stream_candidates(after, where, is_supply, also)
        own = [k[(k // sr.n_codes) == (where if is_supply else len(after.supplies) + where)] for k in f]
        again = _quality_failed(own, sr.n_codes, sr.rules.attributes, after.supplies.index, after.demands.index)
        quality = pd.concat([quality, again])
    kept_s = kept_s.drop(index=inp.supplies.index[position]) if supply else kept_s
    kept_d = kept_d if supply else kept_d.drop(index=inp.demands.index[position])
    return Candidates(after, cand.edges.iloc[:0], kept_s, kept_d, quality)


def _merge_failures(a: pd.Series, b: pd.Series) -> pd.Series:
    """Two Series of ``", "``-joined attributes per stream id, joined (sorted, without repeats)."""
    if b.empty:
        return a
    merged = a.to_dict()
    for sid, attrs in b.items():
        known = str(merged.get(sid, "")).split(", ")
        merged[sid] = ", ".join(sorted({*known, *str(attrs).split(", ")} - {""}))
    return pd.Series(merged, dtype=object)


def _chain(linked: _Chunk, inputs: MatchInputs, groups: pd.DataFrame, linked_keys: np.ndarray) -> Iterator[_Chunk]:
    yield linked
    yield from _near_chunks(inputs, groups, linked_keys)


def _table(parts: dict[str, list[np.ndarray]], modes: list[str]) -> pd.DataFrame:
    """The pair table of the chunks of each column in ``parts`` (each chunk freed once written)."""

    def pieces() -> Iterator[dict[str, np.ndarray]]:
        for i in range(len(parts["s"])):
            piece = {k: parts[k][i] for k in EDGE_COLUMNS}
            for k in EDGE_COLUMNS:
                parts[k][i] = _NONE
            yield piece

    return _assemble(pieces(), sum(a.size for a in parts["s"]), modes)


_NONE = np.zeros(0)


#: Pairs from which the pair table is written in the order of its connected components (:func:`_grouped`), its
#: costs computed again from each pair's position, ratio, distance and link (:func:`_costed`); below, the
#: stages' own columns are kept and written as they come.
GROUPED_MIN = 150_000


def _grouped(search: _Search, kept: list[_Chunk]) -> tuple[_Chunk, np.ndarray, np.ndarray]:
    """The pairs of ``kept`` as one chunk, the pairs of each connected component together (in the order of
    :func:`~matcher.engine.graph.components`' labels; within a component, in the order found), and those
    components (label per stream, pairs per component).

    A model of one component (:mod:`matcher.solve.decompose`) then takes its pairs as a slice of the
    table, without a copy. Each chunk is freed as its arrays are joined; a ratio or link the same for
    every pair (:func:`_same`) is held once.
    """
    inputs, rates = search.inputs, search.rates
    cols: dict[str, np.ndarray] = {}
    for k in ("s", "d", "ratio", "km", "link"):
        arrays = [getattr(c, k) for c in kept]
        held = _same(arrays) if k in ("ratio", "link") else None
        cols[k] = np.concatenate(arrays) if held is None else held
        del arrays, held
        for c in kept:
            setattr(c, k, _NONE)
    s, link = cols["s"], cols["link"]
    on = np.flatnonzero(link >= 0)  # pairs on a link with a capacity row (as :func:`_costs` writes it)
    li = link[on]
    with np.errstate(invalid="ignore"):
        on = on[np.isfinite(rates.link_capacity[li]) | (rates.link_fixed[li] > 0)]
    row_link = np.full(s.size, -1, dtype=np.int64)
    row_link[on] = link[on]
    chains = inputs.chains
    if chains is not None and chains.n_periods > 1:  # a capacity row per link and period
        row_link[on] = row_link[on] * chains.n_periods + inputs.supplies["t"].to_numpy()[s[on]]
    label, pairs = pair_components(s, cols["d"], row_link, len(inputs.supplies), len(inputs.demands))
    del row_link
    order = np.argsort(label[s], kind="stable")
    for k in cols:
        if cols[k].strides != (0,):  # one value held once needs no order
            cols[k] = cols[k][order]
    return _Chunk(cols["s"], cols["d"], cols["ratio"], cols["km"], cols["link"]), label, pairs


def _same(arrays: list[np.ndarray]) -> np.ndarray | None:
    """The arrays joined as one read-only view of their one value (no memory per pair) where every element of
    every array is that value; else None."""
    n = sum(a.size for a in arrays)
    first = next((a[0] for a in arrays if a.size), None)
    if first is None or not all((a[:1] == first).all() if a.strides == (0,) else (a == first).all() for a in arrays):
        return None
    return _one(first, n)


def _held_once(chunk: _Chunk) -> dict[str, float]:
    """The columns of the table written from ``chunk`` that hold one value for every pair, and that value: its
    ratio and link where they are (:func:`_same`), and, where no pair is on a link, a capacity of inf and
    a fixed cost of 0 (as :func:`_costs` writes them off links)."""
    out: dict[str, float] = {}
    for k in ("ratio", "link"):
        a = getattr(chunk, k)
        if a.strides == (0,) and a.size:
            out[k] = a[0].item()
    if out.get("link") == -1:
        out.update(capacity=np.inf, fixed_cost=0.0)
    return out


def _costed(search: _Search, kept: list[_Chunk], rows: int = 1 << 16) -> Iterator[dict[str, np.ndarray]]:
    """The columns of the pair table of the chunks' pairs (those that passed every stage), ``rows`` at a time.

    Costs are computed again (:func:`_costs` is elementwise: the same values as in the stages), so
    that the stages keep only each pair's position, ratio, distance and link, and the table is
    written once; each chunk is freed once written.
    """
    for i, c in enumerate(kept):
        for a in range(0, c.s.size, rows):
            part = _Chunk(*(x[a : a + rows] for x in (c.s, c.d, c.ratio, c.km, c.link)), c.supply_resource)
            yield _costs(search.inputs, search.rates, part)
        kept[i] = _Chunk(_NONE, _NONE, _NONE, _NONE, _NONE)


def _assemble(
    pieces: Iterable[dict[str, np.ndarray]], n: int, modes: list[str], held_once: dict[str, float] | None = None
) -> pd.DataFrame:
    """The pair table of ``n`` pairs from ``pieces`` (columns of consecutive pairs), written into its final
    arrays: the float64 columns as the rows of one 2-D array (each row a column of its own to pandas; nothing
    is stacked or copied), int32 positions and links, the mode as a categorical of the modes in use.

    A column of ``held_once`` holds that one value for every pair: it is a read-only view of the value
    (no memory per pair; pandas keeps such a column as it is, and the table's columns are read-only
    anyway), and the pieces' values of it are not written.
    """
    held = held_once or {}
    floats = [k for k in EDGE_COLUMNS if k not in ("s", "d", "link", "mode") and k not in held]
    block = np.empty((len(floats), n))  # row i is column floats[i], contiguous
    s, d = np.empty(n, dtype=np.int32), np.empty(n, dtype=np.int32)
    link = np.empty(n, dtype=np.int32) if "link" not in held else _one(held["link"], n, np.int32)
    code = np.empty(n, dtype=np.int8)
    at = 0
    for piece in pieces:
        m = piece["s"].size
        for i, k in enumerate(floats):
            block[i, at : at + m] = piece[k]
        for a, k in ((s, "s"), (d, "d"), (link, "link"), (code, "mode")):
            if a.strides != (0,):
                a[at : at + m] = piece[k]
        at += m
    assert at == n, (at, n)
    used = np.flatnonzero(np.bincount(code[code >= 0], minlength=len(modes)))  # a handful: one byte per pair
    remap = np.full(len(modes) + 1, -1, dtype=np.int8)
    remap[used] = np.arange(used.size)
    mode = pd.Categorical.from_codes(remap[code], categories=pd.Index([modes[i] for i in used]))
    columns: dict[str, Any] = {"s": s, "d": d, "link": link, "mode": mode}
    columns.update(zip(floats, block))
    columns.update({k: _one(v, n, np.float64) for k, v in held.items() if k != "link"})
    # copy=False: each array is a block of its own (the float block's rows stay views of it, nothing is stacked)
    return pd.DataFrame({k: columns[k] for k in EDGE_COLUMNS}, copy=False)


def _quality_failed(
    failed: list[np.ndarray], n_codes: int, attributes: list[str], supply_ids: pd.Index, demand_ids: pd.Index
) -> pd.Series:
    """Per stream id, the quality attributes that ruled partners out (``", "``-joined, sorted)."""
    keys = np.unique(np.concatenate(failed)) if failed else np.zeros(0, dtype=np.int64)
    stream, code = np.divmod(keys, n_codes)
    ns = len(supply_ids)
    names = np.asarray(attributes, dtype=object)[code - 1] if keys.size else np.zeros(0, dtype=object)
    out = []
    for side, ids in ((stream < ns, supply_ids), (stream >= ns, demand_ids)):
        pos = stream[side] - (0 if ids is supply_ids else ns)
        bad = pd.DataFrame({"id": ids.to_numpy()[pos], "attr": names[side]})
        out.append(bad.groupby("id")["attr"].agg(lambda a: ", ".join(sorted(set(a)))))
    return pd.concat(out).rename_axis(None)
