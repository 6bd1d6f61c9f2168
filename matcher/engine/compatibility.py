r"""Which supply may feed which demand: resource, quality, legal status.

All checks take whole edge arrays (supply positions ``s``, demand positions
``d``) and return boolean masks; nothing loops over edges. :class:`Rules`
resolves every rule once into arrays of numbers and integer codes (members,
periods, EWC codes), so that a check on a chunk of pairs only gathers and
compares numbers.

Rules
-----
* Resource: the same resource, or one the supply's resource ``substitutes``
  (one unit of supply then meets ``ratio`` units of demand).
* Quality: for each ``q_<x>_min``/``q_<x>_max`` limit of the demand, the
  supply's ``q_<x>`` must be known and within it, except for attributes the
  demand's resource lists in ``blend``: those limits hold for the mix the
  demand receives and become LP rows (:mod:`matcher.engine.formulation`).
* Legal status: a hazardous supply goes only to a demand whose
  ``accepts_ewc`` lists the supply's EWC code.
* A member never exchanges with itself unless ``allow_internal`` (a port of its
  own store or process always may, never one with itself); streams exchange only
  within the same ``period`` label (with a periods table: in the same period).
* Backhaul (a resource that travels by ``route``): a supply's truck drives from
  its member's site A to the end of its route B; a demand ships from its member's
  site C to D. The truck that carries the shipment drives A -> C -> D -> B, so the
  pair is compatible when the detour stays within the supply's limit
  (:class:`Routes`, road distances: great-circle km times circuity):

  .. math::

      \delta_{sd} = \ell(A_s, C_d) + \ell(C_d, D_d) + \ell(D_d, B_s) - \ell(A_s, B_s)
      \;\le\; \Delta_s
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models import Catalog
from models.units import EARTH_RADIUS_KM

__all__ = [
    "Permits",
    "QualityLimit",
    "Routes",
    "Rules",
    "blend_limited",
    "blend_mask",
    "road_km",
    "unit_vectors",
    "limit_columns",
    "permit_mask",
    "quality_mask",
    "resource_pairs",
    "same_context_mask",
]


def unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points (WGS84 degrees) as unit vectors, one row each."""
    la, lo = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def road_km(a: np.ndarray, b: np.ndarray, circuity: float) -> np.ndarray:
    """Road distance between rows of unit vectors ``a`` and ``b``: great-circle km times circuity."""
    chord = np.sqrt(((a - b) ** 2).sum(axis=-1))
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(np.clip(chord / 2.0, 0.0, 1.0)) * circuity


@dataclass(frozen=True)
class Routes:
    """Backhaul routes and shipments as arrays, for the detour test on any chunk of pairs.

    Per supply: the start ``a`` (its member's site) and end ``b`` of its route (unit vectors),
    the route's road length and its detour limit; per demand: the start ``c`` and end ``e`` of
    its shipment and the shipment's road length. Rows of streams that are not on a route hold
    NaN (they never reach :meth:`detour`).

    Examples
    --------
    A route 10 km east along the equator, a shipment from 2 km to 7 km on the way: no detour.

    >>> import numpy as np
    >>> deg = 1 / 111.195  # about one km of longitude at the equator, in degrees
    >>> r = Routes.of(
    ...     np.array([[0.0, 0.0, 0.0, 10 * deg]]), np.array([5.0]),
    ...     np.array([[0.0, 2 * deg, 0.0, 7 * deg]]), circuity=1.0)
    >>> float(r.detour(np.array([0]), np.array([0]))[0]) < 1e-9, round(float(r.shipment_km[0]), 3)
    (True, 5.0)
    """

    a: np.ndarray
    b: np.ndarray
    route_km: np.ndarray
    limit_km: np.ndarray
    c: np.ndarray
    e: np.ndarray
    shipment_km: np.ndarray
    circuity: float

    @classmethod
    def of(cls, supply_points: np.ndarray, limit_km: np.ndarray, demand_points: np.ndarray, circuity: float) -> Routes:
        """From per-stream ``[lat, lon, end_lat, end_lon]`` rows (degrees) and each supply's detour limit."""
        sp = np.asarray(supply_points, dtype=float).reshape(-1, 4)
        dp = np.asarray(demand_points, dtype=float).reshape(-1, 4)
        a, b = unit_vectors(sp[:, 0], sp[:, 1]), unit_vectors(sp[:, 2], sp[:, 3])
        c, e = unit_vectors(dp[:, 0], dp[:, 1]), unit_vectors(dp[:, 2], dp[:, 3])
        return cls(
            a, b, road_km(a, b, circuity), np.asarray(limit_km, dtype=float), c, e, road_km(c, e, circuity), circuity
        )

    @classmethod
    def of_frames(cls, supplies: pd.DataFrame, demands: pd.DataFrame, circuity: float) -> Routes:
        """From the frames of :class:`~matcher.engine.inputs.MatchInputs` (``lat, lon, route_lat, route_lon``)."""
        cols = ["lat", "lon", "route_lat", "route_lon"]
        return cls.of(
            supplies[cols].to_numpy(dtype=float),
            supplies["max_detour_km"].to_numpy(dtype=float),
            demands[cols].to_numpy(dtype=float),
            circuity,
        )

    def detour(self, s: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Extra road km a supply's truck drives to carry a demand's shipment, per pair (at least 0)."""
        k = self.circuity
        extra = (
            road_km(self.a[s], self.c[d], k) + self.shipment_km[d] + road_km(self.e[d], self.b[s], k) - self.route_km[s]
        )
        return np.maximum(extra, 0.0)

    def pairs(self, s: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which pairs keep the detour within the supply's limit, and each pair's detour (km)."""
        detour = self.detour(s, d)
        return detour <= self.limit_km[s] * (1 + 1e-12) + 1e-9, detour


_PAIRS: weakref.WeakKeyDictionary[Catalog, tuple[tuple[Any, ...], pd.DataFrame]] = weakref.WeakKeyDictionary()


def resource_pairs(catalog: Catalog) -> pd.DataFrame:
    """Resource pairs that may exchange: ``supply_resource, demand_resource, ratio`` (kept per catalog while its
    resources stay the same: a kept match searches one stream's pairs many times)."""
    key = tuple(catalog.resources.items())
    kept = _PAIRS.get(catalog)
    if kept is None or kept[0] != key:
        kept = _PAIRS[catalog] = (key, _resource_pairs(catalog))
    return kept[1]


def _resource_pairs(catalog: Catalog) -> pd.DataFrame:
    keys = list(catalog.resources)
    same = pd.DataFrame({"supply_resource": keys, "demand_resource": keys, "ratio": 1.0})
    subs = pd.DataFrame(
        [(r.key, s.key, s.ratio) for r in catalog.resources.values() for s in r.substitutes],
        columns=["supply_resource", "demand_resource", "ratio"],
    )
    pairs = pd.concat([same, subs], ignore_index=True)
    return pairs.groupby(["supply_resource", "demand_resource"], as_index=False).agg(ratio=("ratio", "max"))


def limit_columns(demands: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Quality limits present: ``(attribute, "min"|"max", column)``."""
    out = []
    for col in demands.columns:
        m = re.fullmatch(r"q_(.+)_(min|max)", col)
        if m and demands[col].notna().any():
            out.append((m.group(1), m.group(2), col))
    return out


def blend_mask(demands: pd.DataFrame, catalog: Catalog, attribute: str) -> np.ndarray:
    """Demands whose resource blends ``attribute`` (limit holds for the mix)."""
    blended = {k for k, r in catalog.resources.items() if attribute in r.blend}
    return demands["resource"].isin(blended).to_numpy()


def blend_limited(demands: pd.DataFrame, catalog: Catalog) -> np.ndarray:
    """Demands with a limit on an attribute their resource blends (a quality row in the LP)."""
    out = np.zeros(len(demands), dtype=bool)
    for attr, _side, col in limit_columns(demands):
        out |= blend_mask(demands, catalog, attr) & demands[col].notna().to_numpy()
    return out


@dataclass(frozen=True)
class QualityLimit:
    """One quality limit (attribute and side) as arrays: per demand its limit, per supply its value."""

    attr: str
    side: str
    limit: np.ndarray
    """Per demand, the limit (NaN where none)."""
    value: np.ndarray
    """Per supply, its quality (NaN where unknown)."""
    blended: np.ndarray
    """Per demand, whether its resource blends the attribute (the limit holds for the mix, in the LP)."""


def _codes(supply: pd.Series, demand: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of two columns of labels, from one factorization of both (so equal labels have equal codes)."""
    codes, _ = pd.factorize(pd.concat([supply, demand], ignore_index=True), use_na_sentinel=True)
    codes = codes.astype(np.int32)
    return codes[: len(supply)], codes[len(supply) :]


def _limits(supplies: pd.DataFrame, demands: pd.DataFrame, catalog: Catalog) -> tuple[QualityLimit, ...]:
    out = []
    for attr, side, col in limit_columns(demands):
        vcol = f"q_{attr}"
        value = supplies[vcol].to_numpy(dtype=float) if vcol in supplies.columns else np.full(len(supplies), np.nan)
        out.append(
            QualityLimit(attr, side, demands[col].to_numpy(dtype=float), value, blend_mask(demands, catalog, attr))
        )
    return tuple(out)


def _quality(limits: tuple[QualityLimit, ...], s: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.ones(s.size, dtype=bool)
    failed = np.zeros(s.size, dtype=np.int8)
    for k, q in enumerate(limits, start=1):
        limit = q.limit[d]
        has_limit = ~np.isnan(limit)
        if not has_limit.any():
            continue
        value = q.value[s]
        blended = q.blended[d]
        with np.errstate(invalid="ignore"):
            within = value >= limit if q.side == "min" else value <= limit
        # unknown quality never meets a limit; blended limits are checked in the LP
        bad = has_limit & ~blended & ~within
        bad |= has_limit & blended & np.isnan(value)
        failed[bad & ok] = k
        ok &= ~bad
    return ok, failed


@dataclass(frozen=True)
class Permits:
    """Hazardous-waste permits as arrays: which supplies are hazardous, with which code, and who accepts it."""

    hazardous: np.ndarray
    """Per supply, whether it is hazardous."""
    supply_code: np.ndarray
    """Per supply, the code of its EWC code (-1 where none)."""
    accepted: np.ndarray
    """Sorted keys ``d * n_codes + code`` of the (demand, EWC code) pairs that ``accepts_ewc`` allows."""
    n_codes: int

    @classmethod
    def of(cls, supplies: pd.DataFrame, demands: pd.DataFrame) -> Permits:
        hazardous = supplies["hazardous"].to_numpy(dtype=bool)
        ewc = supplies["ewc_code"].where(hazardous).fillna("").astype(str)
        codes, labels = pd.factorize(ewc)
        supply_code = np.where(ewc.to_numpy() == "", -1, codes).astype(np.int32)
        n_codes = max(len(labels), 1)
        accepted = np.zeros(0, dtype=np.int64)
        if hazardous.any():
            tokens = demands["accepts_ewc"].fillna("").astype(str).str.split().explode()
            tokens = tokens[tokens.notna() & tokens.ne("")]
            code = pd.Index(labels).get_indexer(tokens.to_numpy())
            where = demands.index.get_indexer(tokens.index)
            known = code >= 0
            accepted = np.unique(where[known].astype(np.int64) * n_codes + code[known])
        return cls(hazardous, supply_code, accepted, n_codes)

    def check(self, s: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Pairs that respect the permits."""
        hazardous = self.hazardous[s]
        if not hazardous.any():
            return np.ones(s.size, dtype=bool)
        ok = ~hazardous
        h = np.flatnonzero(hazardous)
        code = self.supply_code[s[h]]
        ok[h] = (code >= 0) & np.isin(d[h].astype(np.int64) * self.n_codes + code, self.accepted)
        return ok


@dataclass(frozen=True)
class Rules:
    """The rules of this module resolved once for a set of supplies and demands, as arrays of codes and numbers.

    Built by :meth:`of`; :meth:`context`, :meth:`quality` and :meth:`permit` then check any
    chunk of pairs ``(s, d)`` (positions) by gathering and comparing numbers only.
    """

    supply_member: np.ndarray
    demand_member: np.ndarray
    supply_period: np.ndarray
    demand_period: np.ndarray
    allow_internal: bool
    limits: tuple[QualityLimit, ...]
    permits: Permits
    supply_owner: np.ndarray | None = None
    """Per supply, the code of the store or process whose port it is (-1 for a stream); None without ports."""
    demand_owner: np.ndarray | None = None

    @classmethod
    def of(cls, supplies: pd.DataFrame, demands: pd.DataFrame, catalog: Catalog, allow_internal: bool) -> Rules:
        """The rules for these supplies and demands (frames of :class:`~matcher.engine.inputs.MatchInputs`).

        Member and period codes are read from ``member_code`` and ``period_code`` where
        :func:`~matcher.engine.inputs.prepare` gave them, else factorized here.
        """
        if "member_code" in supplies.columns and "member_code" in demands.columns:
            sm, dm = supplies["member_code"].to_numpy(), demands["member_code"].to_numpy()
            sp, dp = supplies["period_code"].to_numpy(), demands["period_code"].to_numpy()
        else:
            sm, dm = _codes(supplies["member_id"], demands["member_id"])
            sp, dp = _codes(supplies["period"].fillna("").astype(str), demands["period"].fillna("").astype(str))
        so = do = None
        if "port_code" in supplies.columns and "port_code" in demands.columns:
            so, do = supplies["port_code"].to_numpy(), demands["port_code"].to_numpy()
        limits, permits = _limits(supplies, demands, catalog), Permits.of(supplies, demands)
        return cls(sm, dm, sp, dp, allow_internal, limits, permits, so, do)

    @property
    def attributes(self) -> list[str]:
        """The attribute of each limit, in order (a quality failure code ``k`` names ``attributes[k - 1]``)."""
        return [q.attr for q in self.limits]

    def context(self, s: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Pairs between different members (unless allowed) within the same period.

        A port of a store or process always exchanges with its own member's streams and ports,
        never with its own store or process.
        """
        ok = self.supply_period[s] == self.demand_period[d]
        if self.supply_owner is None or self.demand_owner is None:
            if not self.allow_internal:
                ok &= self.supply_member[s] != self.demand_member[d]
            return ok
        so, do = self.supply_owner[s], self.demand_owner[d]
        if not self.allow_internal:
            ok &= (self.supply_member[s] != self.demand_member[d]) | (so >= 0) | (do >= 0)
        return ok & ~((so >= 0) & (so == do))

    def quality(self, s: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs whose supply meets every per-pair quality limit of the demand.

        Returns
        -------
        ok : ndarray of bool
        failed : ndarray of int8
            Per pair, 0 where ok, else ``k``: the first limit that failed is ``limits[k - 1]``.
        """
        return _quality(self.limits, s, d)

    def permit(self, s: np.ndarray, d: np.ndarray) -> np.ndarray:
        """Pairs that respect hazardous-waste permits."""
        return self.permits.check(s, d)


def quality_mask(
    s: np.ndarray, d: np.ndarray, supplies: pd.DataFrame, demands: pd.DataFrame, catalog: Catalog
) -> tuple[np.ndarray, np.ndarray]:
    """Edges whose supply meets every per-edge quality limit of the demand.

    Returns
    -------
    ok : ndarray of bool
    failed : ndarray of object
        Per edge, the first attribute that failed (``""`` where ok).
    """
    limits = _limits(supplies, demands, catalog)
    ok, code = _quality(limits, s, d)
    return ok, np.array(["", *(q.attr for q in limits)], dtype=object)[code]


def permit_mask(s: np.ndarray, d: np.ndarray, supplies: pd.DataFrame, demands: pd.DataFrame) -> np.ndarray:
    """Edges that respect hazardous-waste permits."""
    return Permits.of(supplies, demands).check(s, d)


def same_context_mask(
    s: np.ndarray, d: np.ndarray, supplies: pd.DataFrame, demands: pd.DataFrame, allow_internal: bool
) -> np.ndarray:
    """Edges between different members (unless allowed) within the same period."""
    sm, dm = _codes(supplies["member_id"], demands["member_id"])
    sp, dp = _codes(supplies["period"].fillna("").astype(str), demands["period"].fillna("").astype(str))
    ok = sp[s] == dp[d]
    if not allow_internal:
        ok &= sm[s] != dm[d]
    return ok
