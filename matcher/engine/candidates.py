"""Candidate edges: every supply->demand pair that could carry an exchange, as arrays.

Pairs come from a k-d tree per resource group (great-circle distance times
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
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from models import Network, Scenario
from models.units import EARTH_RADIUS_KM

from .compatibility import blend_limited, permit_mask, quality_mask, resource_pairs, same_context_mask
from .inputs import MatchInputs, prepare
from .objective import gain

__all__ = ["STAGES", "Candidates", "build_candidates", "find_candidates"]

#: Filter stages, in order; ``Candidates.kept`` counts partners left after each.
STAGES = ("resource", "reach", "context", "quality", "permit", "pays")


@dataclass
class Candidates:
    """Candidate edges and the bookkeeping that explains them.

    Attributes
    ----------
    edges : DataFrame
        One row per edge: ``s, d`` (positions in ``inputs.supplies`` /
        ``inputs.demands``), ``ratio``, ``distance_km``, ``mode``,
        ``transport_cost`` and ``transport_co2e_t`` per unit of supply,
        ``capacity`` (inf if none), ``link`` (row in links.csv or -1),
        ``unit_saving`` (currency per unit of supply at the carbon price).
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
    present_s = set(inputs.supplies["resource"])
    present_d = set(inputs.demands["resource"])
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


def _distance_pairs(inputs: MatchInputs, groups: pd.DataFrame) -> pd.DataFrame:
    """Pairs within reach, found with one k-d tree query per resource group."""
    p = inputs.parameters
    sup, dem = inputs.supplies, inputs.demands
    xs, xd = _xyz(sup), _xyz(dem)
    max_gc = p.max_distance_km / p.circuity
    max_chord = 2.0 * np.sin(min(max_gc / (2.0 * EARTH_RADIUS_KM), np.pi / 2))
    s_pos = pd.Series(np.arange(len(sup))).groupby(sup["resource"].to_numpy()).apply(np.asarray)
    d_pos = pd.Series(np.arange(len(dem))).groupby(dem["resource"].to_numpy()).apply(np.asarray)
    s_parts, d_parts, r_parts, c_parts = [], [], [], []
    for sr, dr, ratio in groups.itertuples(index=False):  # one iteration per resource group
        si, di = s_pos[sr], d_pos[dr]
        found = cKDTree(xs[si]).sparse_distance_matrix(cKDTree(xd[di]), max_chord, output_type="ndarray")
        s_parts.append(si[found["i"]])
        d_parts.append(di[found["j"]])
        r_parts.append(np.full(found.size, ratio))
        c_parts.append(found["v"])
    if not s_parts:
        return pd.DataFrame(
            {"s": np.zeros(0, np.int64), "d": np.zeros(0, np.int64), "ratio": np.zeros(0), "distance_km": np.zeros(0)}
        )
    s, d = np.concatenate(s_parts).astype(np.int64), np.concatenate(d_parts).astype(np.int64)
    # the tree gives chord lengths on the unit sphere: great-circle km without recomputing
    km = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(np.concatenate(c_parts) / 2.0, 0.0, 1.0)) * p.circuity
    keep = km <= np.minimum(sup["max_distance_km"].to_numpy()[s], dem["max_distance_km"].to_numpy()[d])
    return pd.DataFrame({"s": s[keep], "d": d[keep], "ratio": np.concatenate(r_parts)[keep], "distance_km": km[keep]})


def _link_pairs(inputs: MatchInputs, groups: pd.DataFrame) -> pd.DataFrame:
    """Compatible pairs between the members of each link, with the link's values."""
    links = inputs.network.links
    if links.empty:
        return pd.DataFrame(columns=["s", "d", "ratio", "link"])
    sup = inputs.supplies[["member_id", "resource"]].assign(s=np.arange(len(inputs.supplies)))
    dem = inputs.demands[["member_id", "resource"]].assign(d=np.arange(len(inputs.demands)))
    lk = links[["from_member", "to_member"]].assign(link=np.arange(len(links)))
    e = lk.merge(sup, left_on="from_member", right_on="member_id")
    e = e.merge(dem, left_on="to_member", right_on="member_id", suffixes=("_s", "_d"))
    e = e.merge(groups, left_on=["resource_s", "resource_d"], right_on=["supply_resource", "demand_resource"])
    return e[["s", "d", "ratio", "link"]].astype({"s": np.int64, "d": np.int64, "ratio": float, "link": np.int64})


def _count(idx: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(idx, minlength=n)


def find_candidates(network: Network, scenario: Scenario, also: Iterable[str] = ()) -> Candidates:
    """The candidate pairs of a scenario: its inputs resolved (:func:`prepare`), then searched and filtered."""
    return build_candidates(prepare(network, scenario), also=also)


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
    sup, dem = inputs.supplies, inputs.demands
    ns, nd = len(sup), len(dem)
    groups = _group_pairs(inputs)
    res_s, res_d = _resource_counts(inputs, groups)

    linked = _link_pairs(inputs, groups)
    if p.candidates == "links":
        edges = linked.assign(distance_km=np.nan)
    else:
        near = _distance_pairs(inputs, groups)
        near["link"] = -1
        if len(linked):  # a link's values win over the distance rules for its pairs
            key = near["s"].to_numpy() * nd + near["d"].to_numpy()
            linked = linked.drop_duplicates(["s", "d"])
            taken = np.isin(key, linked["s"].to_numpy() * nd + linked["d"].to_numpy())
            edges = pd.concat([linked.assign(distance_km=np.nan), near[~taken]], ignore_index=True)
        else:
            edges = near
    edges = edges.astype({"s": np.int64, "d": np.int64, "link": np.int64, "ratio": float, "distance_km": float})
    kept_s = {"resource": res_s, "reach": _count(edges["s"].to_numpy(), ns)}
    kept_d = {"resource": res_d, "reach": _count(edges["d"].to_numpy(), nd)}

    s, d = edges["s"].to_numpy(), edges["d"].to_numpy()
    keep = same_context_mask(s, d, sup, dem, p.allow_internal)
    edges, s, d = edges[keep], s[keep], d[keep]
    kept_s["context"], kept_d["context"] = _count(s, ns), _count(d, nd)

    q_ok, failed = quality_mask(s, d, sup, dem, inputs.network.catalog)
    bad = pd.DataFrame({"s": sup.index[s][~q_ok], "d": dem.index[d][~q_ok], "attr": failed[~q_ok]})
    quality_failed = pd.concat(
        [
            bad.groupby("s")["attr"].agg(lambda a: ", ".join(sorted(set(a)))),
            bad.groupby("d")["attr"].agg(lambda a: ", ".join(sorted(set(a)))),
        ]
    )
    edges, s, d = edges[q_ok], s[q_ok], d[q_ok]
    kept_s["quality"], kept_d["quality"] = _count(s, ns), _count(d, nd)

    ok = permit_mask(s, d, sup, dem)
    edges, s, d = edges[ok], s[ok], d[ok]
    kept_s["permit"], kept_d["permit"] = _count(s, ns), _count(d, nd)

    edges = _costs(inputs, edges.reset_index(drop=True))
    pays = _useful(edges, p.objective_weights, also)
    # an edge into a demand with a blended limit may pay through the mix: keep it
    pays |= blend_limited(dem, inputs.network.catalog)[edges["d"].to_numpy()]
    edges = edges[pays].reset_index(drop=True)
    kept_s["pays"], kept_d["pays"] = _count(edges["s"].to_numpy(), ns), _count(edges["d"].to_numpy(), nd)
    return Candidates(
        inputs=inputs,
        edges=edges,
        kept_supply=pd.DataFrame(kept_s, index=sup.index)[list(STAGES)],
        kept_demand=pd.DataFrame(kept_d, index=dem.index)[list(STAGES)],
        quality_failed=quality_failed,
    )


def _costs(inputs: MatchInputs, edges: pd.DataFrame) -> pd.DataFrame:
    """Distance, mode, transport cost and CO2e per unit of supply, and the saving per unit."""
    p = inputs.parameters
    sup, dem = inputs.supplies, inputs.demands
    s, d = edges["s"].to_numpy(), edges["d"].to_numpy()
    links = inputs.network.links.reindex(columns=["distance_km", "cost_per_unit", "capacity", "fixed_cost", "mode"])
    has_link = edges["link"].to_numpy() >= 0
    li = np.where(has_link, edges["link"].to_numpy(), 0)

    def from_link(col: str) -> np.ndarray:
        if links.empty:
            return np.full(len(edges), np.nan, dtype=object if col == "mode" else float)
        vals = links[col].to_numpy()[li]
        return np.where(has_link, vals, np.nan)

    missing = np.isnan(edges["distance_km"].to_numpy())
    if missing.any():
        gc = _great_circle_km(_xyz(sup.iloc[s[missing]]), _xyz(dem.iloc[d[missing]])) * p.circuity
        edges.loc[missing, "distance_km"] = gc
    if has_link.any():
        link_dist = from_link("distance_km").astype(float)
        edges["distance_km"] = np.where(np.isnan(link_dist), edges["distance_km"], link_dist)

    # rates per supply (its resource's mode and factors), gathered per pair; a link of another mode overrides
    rates = inputs.rates.reindex(sup["resource"].to_numpy())
    mode = rates["mode"].to_numpy(dtype=object)[s]
    per_km_cost = rates["cost_per_unit_km"].to_numpy(dtype=float)[s]
    per_km_co2 = rates["co2e_t_per_unit_km"].to_numpy(dtype=float)[s]
    dist = edges["distance_km"].to_numpy()
    transport_cost = per_km_cost * dist
    capacity = np.full(len(edges), np.inf)
    fixed_cost = np.zeros(len(edges))
    if has_link.any():
        link_mode = from_link("mode")
        other = has_link & pd.notna(link_mode) & (link_mode != mode)
        if other.any():
            mr = inputs.mode_rates.reindex(link_mode[other])
            mode[other] = link_mode[other]
            per_km_cost[other] = mr["cost_per_unit_km"].to_numpy(dtype=float)
            per_km_co2[other] = mr["co2e_t_per_unit_km"].to_numpy(dtype=float)
        link_cost = from_link("cost_per_unit").astype(float)
        transport_cost = np.where(np.isnan(link_cost), per_km_cost * dist, link_cost)
        cap = from_link("capacity").astype(float)
        capacity = np.where(np.isnan(cap), np.inf, cap)
        fixed = from_link("fixed_cost").astype(float)
        fixed_cost = np.where(np.isnan(fixed), 0.0, fixed)
    edges["mode"] = pd.Categorical(mode)  # a handful of modes: one byte per pair, not a string
    edges["transport_cost"] = transport_cost
    edges["transport_co2e_t"] = per_km_co2 * dist
    edges["capacity"] = capacity
    edges["fixed_cost"] = fixed_cost
    unit_cost_s = sup["unit_cost"].to_numpy()[s]
    unit_cost_d = dem["unit_cost"].to_numpy()[d]
    ratio = edges["ratio"].to_numpy()
    edges["unit_saving"] = (
        unit_cost_s
        + ratio * unit_cost_d
        - edges["transport_cost"].to_numpy()
        - p.carbon_price * edges["transport_co2e_t"].to_numpy()
    )
    edges["unit_co2e_gain"] = (
        sup["unit_co2e_t"].to_numpy()[s]
        + ratio * dem["unit_co2e_t"].to_numpy()[d]
        - edges["transport_co2e_t"].to_numpy()
    )
    edges["unit_waste_gain"] = sup["waste_t"].to_numpy()[s]
    return edges


def _useful(edges: pd.DataFrame, weights: dict[str, float], also: Iterable[str]) -> np.ndarray:
    """Edges that improve the weighted objective, or any objective in ``also``."""
    keep = gain(edges, weights) > 0
    for k in also:
        keep |= gain(edges, {k: 1.0}) > 0
    return keep
