r"""Candidate pairs searched as a priced solve needs them: the whole pair table is never built.

A region with 1e8 pairs within reach does not fit a pair table (about 100 bytes a
pair). :class:`PairSearch` finds pairs in blocks of about ``block_pairs`` through
the same stages, costs and savings as
:func:`~matcher.engine.candidates.build_candidates`, and keeps only what is asked:

* :meth:`PairSearch.census` walks every pair within reach once: it counts each
  stream's partners after each stage (the explanations of unmatched streams need
  them) and keeps the linked pairs, every pair into a demand that virgin purchase
  alone cannot serve (a blended limit it breaks) and each stream's ``keep`` best
  pairs by gain: the first candidates of a priced model;
* :meth:`PairSearch.below` finds the pairs that could enter that model at its
  row duals :math:`\pi`. A pair of a resource group, not on a link, costs
  :math:`c_e = \alpha\,\ell_e` per unit (:math:`\ell_e` its road distance,
  :math:`\alpha` the group's transport cost and CO2e per unit and km, weighted as
  the objective), so its reduced cost is bounded below:

  .. math::

      \bar c_e = \alpha\,\ell_e - \pi_s - a\,\pi_d - a \sum_{b \ni d} (k_s - L_b)\,\pi_b
      \;\ge\; \alpha\,\ell_e - P_s - Q_d,
      \qquad P_s = \pi_s,\quad
      Q_d = a\,\pi_d + a \sum_{b \ni d} \max_{k \in \{k_{\min}, k_{\max}, 0\}} (k - L_b)\,\pi_b

  (:math:`k_{\min}, k_{\max}` over the group's supplies' quality, 0 standing for an
  unknown one). A pair can enter only if :math:`\ell_e < (P_s + Q_d) / \alpha`: the
  supplies are searched in bands of :math:`P`, the demands in bands of :math:`Q`,
  each pair of bands within the distance their largest values allow. For a pure
  flow (no blend row) the bound is the reduced cost itself.

When :meth:`below` finds no pair, no candidate pair outside the model has a negative
reduced cost: the model's optimum is the optimum over every candidate pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .candidates import (
    BRUTE_FORCE_MAX,
    EDGE_COLUMNS,
    Candidates,
    _by_resource,
    _Chunk,
    _group_pairs,
    _link_chunk,
    _near_chunks,
    _one,
    _resource_counts,
    _Search,
    _table,
    _within,
    _xyz,
    best_pairs,
    chord_of_km,
    collect,
    kd_tree,
    km_of_chord,
    route_chunks,
    with_fixed,
)
from .compatibility import Routes
from .formulation import RowLayout, fixed_flows, row_layout
from .inputs import MatchInputs
from .objective import GAIN_COLUMNS, weighted

__all__ = ["BLOCK_PAIRS", "PairSearch", "pair_keys"]

#: Pairs searched and filtered at once (a block's arrays take about 100 bytes a pair).
BLOCK_PAIRS = 2_000_000

#: Bands of supplies (by :math:`P_s`) and of demands (by :math:`Q_d`) per resource group in :meth:`PairSearch.below`.
BANDS = 8

#: Streams per band at least: a small group is one band.
BAND_MIN = 2_000

#: At most this many pairs of each stream (by the bound on the reduced cost) are kept from each block that
#: :meth:`PairSearch.below` searches; the rest are found again in the next round if they still could enter.
PER_STREAM = 3


def pair_keys(s: np.ndarray, d: np.ndarray, n_demands: int) -> np.ndarray:
    """One int64 key per pair: ``s * n_demands + d``."""
    return s.astype(np.int64) * n_demands + d


@dataclass
class PairSearch:
    """The candidate search of a scenario, resolved once, run over blocks of pairs on demand."""

    inputs: MatchInputs
    search: _Search
    groups: pd.DataFrame
    linked: _Chunk
    linked_keys: np.ndarray
    block_pairs: int

    @classmethod
    def of(cls, inputs: MatchInputs, block_pairs: int = BLOCK_PAIRS) -> PairSearch:
        """The search of ``inputs``: rules, rates and the linked pairs resolved."""
        groups = _group_pairs(inputs)
        linked = with_fixed(_link_chunk(inputs, groups), inputs)
        keys = np.unique(pair_keys(linked.s, linked.d, len(inputs.demands)))
        return cls(inputs, _Search.of(inputs), groups, linked, keys, block_pairs)

    # ------------------------------------------------------------------ every pair once
    def estimate(self, enough: int | None = None) -> int:
        """Pairs of each resource group within the scenario's reach (before any stream's own reach or rule).

        With ``enough``, a network whose groups hold no more than ``enough`` pairs in all answers
        with that bound at once (no spatial count: a small network's question is only whether it is large).
        """
        inp = self.inputs
        p = inp.parameters
        if p.candidates == "links":
            return int(self.linked.s.size)
        if enough is not None:
            s_n, d_n = inp.supplies["resource"].value_counts(), inp.demands["resource"].value_counts()
            g = self.groups
            sizes = s_n.reindex(g["supply_resource"]).to_numpy() * d_n.reindex(g["demand_resource"]).to_numpy()
            bound = int(np.nansum(sizes)) + int(self.linked.s.size)
            if bound <= enough:
                return bound
        xs, xd = _xyz(inp.supplies), _xyz(inp.demands)
        s_pos, d_pos = _by_resource(inp.supplies), _by_resource(inp.demands)
        chord = float(chord_of_km(p.max_distance_km, p.circuity))
        total = 0
        for sr, dr, _ in self.groups.itertuples(index=False):
            si, di = s_pos[sr], d_pos[dr]
            if si.size * di.size <= self.block_pairs:
                total += si.size * di.size  # an upper bound is enough for a small group
                continue
            total += int(kd_tree(xs[si]).count_neighbors(kd_tree(xd[di]), chord))
        return total + int(self.linked.s.size)

    def census(self, keep: int = 3) -> Candidates:
        """Every pair through every stage, block by block; the pairs a priced model starts from are kept.

        Kept: the linked pairs, every pair into a demand that virgin purchase alone cannot serve,
        and each stream's ``keep`` best pairs by gain. The stage counts and quality failures are
        those of :func:`~matcher.engine.candidates.build_candidates`.
        """
        inp = self.inputs
        ns, nd = len(inp.supplies), len(inp.demands)
        needs = self.layout().needs_pairs()
        weights = inp.parameters.objective_weights

        def select(cols: dict[str, np.ndarray], linked: bool) -> np.ndarray:
            if linked:
                return np.ones(cols["s"].size, dtype=bool)
            value = weighted({k: cols[c] for k, c in GAIN_COLUMNS.items()}, weights)
            return needs[cols["d"]] | best_pairs(cols["s"], cols["d"], value, ns, nd, keep)

        chunks: list[_Chunk] | Iterator[_Chunk] = [_copy(self.linked)]
        if inp.parameters.candidates != "links":
            near = _near_chunks(inp, self.groups, self.linked_keys, self.block_pairs)
            chunks = _chained(_copy(self.linked), near)
        res_s, res_d = _resource_counts(inp, self.groups)
        cand = collect(self.search, chunks, res_s, res_d, select)
        # blocks split the supplies: a demand's best pairs were chosen in each block; choose once more
        e = cand.edges
        s, d, link = e["s"].to_numpy(), e["d"].to_numpy(), e["link"].to_numpy()
        value = weighted({k: e[c].to_numpy() for k, c in GAIN_COLUMNS.items()}, weights)
        mask = (link >= 0) | needs[d] | best_pairs(s, d, value, ns, nd, keep) | ~np.isnan(fixed_flows(cand))
        if not mask.all():
            cand.edges = e[mask].reset_index(drop=True)
        return cand

    def layout(self) -> RowLayout:
        """The rows of the whole LP: balance rows, blended limits, and the capacity rows of the linked pairs."""
        cols, _, _ = self.search.run(_copy(self.linked))
        table = _table({k: [cols[k]] for k in EDGE_COLUMNS}, self.search.rates.modes)
        empty = pd.DataFrame(index=pd.RangeIndex(0))
        return row_layout(Candidates(self.inputs, table, empty, empty))

    # ------------------------------------------------------------------ the pairs that could enter
    def below(self, pi: np.ndarray, layout: RowLayout, known: np.ndarray) -> pd.DataFrame:
        """The candidate pairs, not in ``known`` (sorted :func:`pair_keys`), that could enter at duals ``pi``.

        ``pi`` are the row duals in the order of ``layout`` (balance, blend, capacity rows).
        Every pair whose reduced cost could be negative is searched; of each block, each
        stream's :data:`PER_STREAM` pairs of lowest bound are returned (the rest, if they
        still could enter, are found in a later round). An empty table proves that no
        candidate pair outside ``known`` has a negative reduced cost.
        """
        inp = self.inputs
        if inp.parameters.candidates == "links":
            return self._empty()
        parts: dict[str, list[np.ndarray]] = {k: [] for k in EDGE_COLUMNS}
        ns, nd = len(inp.supplies), len(inp.demands)
        for chunk, bound in self._bounded_chunks(pi, layout):
            if known.size:
                keys = pair_keys(chunk.s, chunk.d, nd)
                at = np.minimum(np.searchsorted(known, keys), known.size - 1)
                fresh = known[at] != keys
                chunk.keep(fresh)
                bound = bound[fresh]
            if not chunk.s.size:
                continue
            s0, d0 = chunk.s.copy(), chunk.d.copy()
            cols, _, _ = self.search.run(chunk)  # the stages and costs of the candidate stage
            if not cols["s"].size:
                continue
            # the bound of each pair that passed (pairs keep their order through the stages)
            passed = np.isin(pair_keys(s0, d0, nd), pair_keys(cols["s"], cols["d"], nd))
            mask = best_pairs(cols["s"], cols["d"], -bound[passed], ns, nd, PER_STREAM)
            for k in EDGE_COLUMNS:
                parts[k].append(cols[k][mask])
        return _table(parts, self.search.rates.modes)

    def _empty(self) -> pd.DataFrame:
        return _table({k: [] for k in EDGE_COLUMNS}, self.search.rates.modes)

    def _bounded_chunks(self, pi: np.ndarray, layout: RowLayout) -> Iterator[tuple[_Chunk, np.ndarray]]:
        """Pairs (not linked) with :math:`\\alpha \\ell_e < P_s + Q_d`, and that bound's margin
        :math:`\\alpha \\ell_e - P_s - Q_d`, in blocks."""
        inp = self.inputs
        p = inp.parameters
        sup, dem = inp.supplies, inp.demands
        ns, nd = len(sup), len(dem)
        xs, xd = _xyz(sup), _xyz(dem)
        s_pos, d_pos = _by_resource(sup), _by_resource(dem)
        reach_s = sup["max_distance_km"].to_numpy(dtype=float)
        reach_d = dem["max_distance_km"].to_numpy(dtype=float)
        alpha_of = self._alpha()
        rates = self.search.rates
        routes = Routes.of_frames(sup, dem, p.circuity) if rates.supply_route.any() else None
        for sr, dr, ratio in self.groups.itertuples(index=False):
            si, di = s_pos[sr], d_pos[dr]
            alpha = float(alpha_of[sr])
            P = pi[si]
            Q = ratio * pi[ns + di] + ratio * _blend_bound(layout, pi, si, di)
            if not si.size or not di.size or P.max() + Q.max() <= 0:
                continue
            if routes is not None and rates.supply_route[si[0]]:
                # backhaul: cost alpha * detour / shipment length, every pair of the group's blocks tested
                for chunk in route_chunks(routes, sr, ratio, si, di, self.block_pairs):
                    s, d = chunk.s, chunk.d
                    bound = alpha * chunk.km / rates.shipment_km[d] - pi[s] - ratio * pi[ns + d]
                    keep = bound < 1e-9 * np.maximum(1.0, np.abs(pi[s]) + np.abs(ratio * pi[ns + d]))
                    chunk.keep(keep)
                    if chunk.s.size:
                        yield chunk, bound[keep]
                continue
            s_bands, d_bands = _band_pairs(si, P, di, Q)
            trees_d = [_tree(xd[db], si.size) for db, _ in d_bands]
            for sb, ps in s_bands:
                tree_s = _tree(xs[sb], di.size)
                for (db, qd), tree_d in zip(d_bands, trees_d):
                    if ps + qd <= 0:
                        break  # the demands' bands come by falling Q
                    margin = ps + qd
                    radius = p.max_distance_km if alpha <= 0 else min(p.max_distance_km, margin / alpha * (1 + 1e-9))
                    i, j, ch = _within(xs[sb], xd[db], float(chord_of_km(radius, p.circuity)), tree_d, tree_s)
                    s, d = sb[i].astype(np.int32), db[j].astype(np.int32)
                    km = km_of_chord(ch, p.circuity)
                    q = _q_of(Q, di, d)
                    bound = alpha * km - pi[s] - q
                    slack = 1e-9 * np.maximum(1.0, np.abs(pi[s]) + np.abs(q))
                    keep = (km <= np.minimum(reach_s[s], reach_d[d])) & (bound < slack)
                    if self.linked_keys.size:
                        keep &= ~np.isin(pair_keys(s, d, nd), self.linked_keys)
                    chunk = _Chunk(s, d, _one(ratio, s.size, float), km, _one(-1, s.size, np.int32), sr)
                    chunk.keep(keep)
                    if chunk.s.size:
                        yield chunk, bound[keep]

    def _alpha(self) -> pd.Series:
        """Per supply resource, the objective's cost of one unit over one km (transport cost, carbon, CO2e)."""
        p = self.inputs.parameters
        w = p.objective_weights
        r = self.search.rates.resource
        cost = r["cost_per_unit_km"].astype(float)
        co2 = r["co2e_t_per_unit_km"].astype(float)
        return w.get("cost", 0.0) * (cost + p.carbon_price * co2) + w.get("co2e", 0.0) * co2


def _copy(c: _Chunk) -> _Chunk:
    """A chunk of the same pairs (the stages filter a chunk in place)."""
    return _Chunk(c.s, c.d, c.ratio, c.km, c.link, c.supply_resource)


def _chained(first: _Chunk, rest: Iterable[_Chunk]) -> Iterator[_Chunk]:
    yield first
    yield from rest


def _q_of(Q: np.ndarray, di: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``Q`` (per demand of ``di``, ascending positions) of demands ``d``."""
    return Q[np.searchsorted(di, d)]


def _blend_bound(layout: RowLayout, pi: np.ndarray, si: np.ndarray, di: np.ndarray) -> np.ndarray:
    """Per demand of ``di``, the largest :math:`\\sum_b (k_s - L_b) \\pi_b` over the supplies ``si`` (an unknown
    quality counts as 0 in a blend row, as in :meth:`~matcher.engine.formulation.RowLayout.side_entries`)."""
    out = np.zeros(di.size)
    for b in layout.blends:
        row = b.row_of[di]
        on = row >= 0
        if not on.any():
            continue
        k = b.value[si]
        known = k[~np.isnan(k)]
        lim = b.limit[di[on]]
        dual = pi[row[on]]
        cands = [np.zeros(on.sum())] if known.size < k.size else []
        if known.size:
            cands += [(known.min() - lim) * dual, (known.max() - lim) * dual]
        out[on] += np.nan_to_num(np.max(cands, axis=0))
    return out


def _tree(x: np.ndarray, n_other: int) -> object | None:
    """A k-d tree of ``x`` where its pairs with ``n_other`` points are too many to compare each."""
    return kd_tree(x) if x.shape[0] * n_other > BRUTE_FORCE_MAX else None


def _band_pairs(
    si: np.ndarray, P: np.ndarray, di: np.ndarray, Q: np.ndarray
) -> tuple[list[tuple[np.ndarray, float]], list[tuple[np.ndarray, float]]]:
    """Bands of the supplies by ``P`` and of the demands by ``Q`` that could make a pair with a positive
    ``P + Q``, each band ascending in position with its largest value, the bands by falling value."""
    s_live = P + Q.max() > 0
    d_live = Q + P.max() > 0
    return _bands(si[s_live], P[s_live]), _bands(di[d_live], Q[d_live])


def _bands(pos: np.ndarray, value: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """``pos`` split into at most :data:`BANDS` bands of equal size by falling ``value``, each with its
    largest value (one band per :data:`BAND_MIN` streams at least)."""
    if not pos.size:
        return []
    order = np.argsort(-value, kind="stable")
    n = int(np.clip(pos.size // BAND_MIN, 1, BANDS))
    return [(np.sort(pos[part]), float(value[part[0]])) for part in np.array_split(order, n)]
