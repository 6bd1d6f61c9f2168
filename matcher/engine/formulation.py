r"""The linear program as neutral sparse arrays, built block by block (one builder per block).

Variables (columns, in this order): flows :math:`x_e` on candidate edges,
disposal :math:`y_s` of each supply, virgin purchase :math:`z_d` of each
demand, then binaries :math:`o_l` for links with a fixed cost and
:math:`o_e` for edges touching a stream with a minimum quantity.

.. math::

    \min\; & \sum_e (c_e + p\,g_e)\,x_e + \sum_s (w_s + p\,h_s)\,y_s
             + \sum_d (v_d + p\,u_d)\,z_d + \sum_l f_l\,o_l
             \quad\text{(objective ``cost``; ``co2e`` and ``waste`` weigh other components)} \\
    \text{s.t.}\; & \sum_{e \in \delta^+(s)} x_e + y_s = q_s
        && \forall s \quad\text{(supply balance)} \\
    & \sum_{e \in \delta^-(d)} a_e x_e + z_d = r_d
        && \forall d \quad\text{(demand balance)} \\
    & \sum_{e \in \delta^-(d)} a_e (k_{s(e)} - L_d)\,x_e + (k^0_d - L_d)\,z_d \le 0
        && \text{(blended max limit; } \ge 0 \text{ for a min limit)} \\
    & \sum_{e \in l} x_e \le \mathrm{cap}_l\,[o_l]
        && \text{(link capacity; times } o_l \text{ if the link has a fixed cost)} \\
    & m_e\,o_e \le x_e \le M_e\,o_e
        && \text{(minimum quantity, MILP only)} \\
    & 0 \le x_e \le \mathrm{cap}_e,\; y_s \ge 0,\; z_d \ge 0 \\
    & x_e = F_e && e \in \mathcal{F}\quad\text{(fixed exchanges: running in reality)}

With periods, storage or processes (:mod:`~matcher.engine.periods`) the supplies and demands are
the streams per period and the ports of stores and processes: a port's balance row holds its
store's charge or discharge column, or its process's throughput times the flow's ratio, in
place of a fixed quantity; each store adds a balance row per period (its level), and a link's
capacity row is one per link and period (a link with a fixed cost keeps one binary for the year).
Their columns come after the binaries, their rows after the link capacities.

:math:`k_s` is the supply's quality value, :math:`k^0_d` the virgin quality
of the demand's resource, :math:`L_d` the demand's limit. A fixed exchange
(:attr:`models.Network.fixed_exchanges`) is a candidate pair whatever the rules
(:func:`~matcher.engine.candidates.with_fixed`) whose column is bounded to its
actual quantity :math:`F_e` on both sides, so it counts in every row (balances,
blended limits, link capacities) and the rest is optimised around it; an
excluded pair is never a candidate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from models.commitments import split_over_periods

from .candidates import Candidates, commitment_pairs
from .compatibility import blend_mask, limit_columns
from .objective import flow_components, slack_components, weighted
from .sparse import Triplets

if TYPE_CHECKING:
    import scipy.sparse as sp

    from .periods import Chains

__all__ = [
    "BlendLimit",
    "capacity_links",
    "chain_balance_entries",
    "Columns",
    "fixed_flows",
    "LinearProgram",
    "RowLayout",
    "build_lp",
    "flow_entries",
    "pair_names",
    "row_layout",
]


@dataclass
class LinearProgram:
    """``min c'x  s.t.  row_lower <= A x <= row_upper,  col_lower <= x <= col_upper``.

    Attributes
    ----------
    components : dict of str to ndarray
        Objective components per column: ``cost`` (currency, carbon price
        included), ``co2e`` (t) and ``waste`` (t disposed); ``c`` is their
        weighted sum for the scenario's objective.
    blocks : dict of str to slice
        Column ranges of ``x`` (flows), ``y`` (disposal), ``z`` (virgin),
        ``open`` (binaries); row ranges of ``supply``, ``demand``,
        ``blend``, ``capacity``, ``minimum`` (keys prefixed ``row:``).
    col_names, row_names : ndarray of str
        Names that identify columns and rows across related models (for warm starts).
    """

    c: np.ndarray
    A: sp.csr_matrix | Triplets
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    blocks: dict[str, slice] = field(default_factory=dict)
    components: dict[str, np.ndarray] = field(default_factory=dict)
    col_names: np.ndarray | None = None
    row_names: np.ndarray | None = None

    @property
    def is_mip(self) -> bool:
        """Whether any column is integer."""
        return bool(self.integrality.any())

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return self.A.shape


@dataclass(frozen=True)
class Columns:
    """The column layout: flows ``x``, disposal ``y``, virgin purchase ``z``, then binaries.

    ``fixed_links`` are the links with a fixed cost (one binary each) and
    ``min_edges`` the pairs touching a stream with a minimum quantity (one
    binary each), in this order after ``z``.
    """

    n_pairs: int
    n_supplies: int
    n_demands: int
    fixed_links: np.ndarray
    min_edges: np.ndarray
    n_chain: int = 0
    """Columns of stores and processes after the binaries (:meth:`~matcher.engine.periods.Chains.n_columns`)."""

    @property
    def y0(self) -> int:
        """First disposal column."""
        return self.n_pairs

    @property
    def z0(self) -> int:
        """First virgin-purchase column."""
        return self.n_pairs + self.n_supplies

    @property
    def open0(self) -> int:
        """First binary column."""
        return self.z0 + self.n_demands

    @property
    def chain0(self) -> int:
        """First column of stores and processes."""
        return self.open0 + self.fixed_links.size + self.min_edges.size

    @property
    def n(self) -> int:
        """Number of columns."""
        return self.chain0 + self.n_chain

    def blocks(self) -> dict[str, slice]:
        """Column ranges by name (``chain``: stores' levels, charges, discharges, then processes' throughputs)."""
        return {
            "x": slice(0, self.n_pairs),
            "y": slice(self.y0, self.z0),
            "z": slice(self.z0, self.open0),
            "open": slice(self.open0, self.chain0),
            "chain": slice(self.chain0, self.n),
        }


_Coo = tuple[np.ndarray, np.ndarray, np.ndarray]


def _coo(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> _Coo:
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), np.asarray(vals, dtype=float)


@dataclass
class _Rows:
    """Row blocks appended in order; each block is named so warm starts find it again."""

    parts: list[_Coo] = field(default_factory=list)
    lower: list[np.ndarray] = field(default_factory=list)
    upper: list[np.ndarray] = field(default_factory=list)
    names: list[np.ndarray] = field(default_factory=list)
    blocks: dict[str, slice] = field(default_factory=dict)
    n: int = 0

    def add(self, block: str, coo: _Coo, names: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        rows, cols, vals = coo
        self.parts.append((rows + self.n, cols, vals))
        self.lower.append(lower)
        self.upper.append(upper)
        self.names.append(names)
        self.blocks[f"row:{block}"] = slice(self.n, self.n + names.size)
        self.n += names.size


def flow_entries(s: np.ndarray, d: np.ndarray, ratio: np.ndarray, n_supplies: int) -> _Coo:
    """Balance entries of flow columns ``0..len(s)-1``: 1 in their supply's row, ``a_e`` in their demand's row.

    Rows are numbered supplies first, then demands (the balance blocks). A model with side
    rows also has the entries of :meth:`RowLayout.side_entries`; :meth:`RowLayout.entries`
    gives both.
    """
    n = s.size
    cols = np.arange(n)
    return _coo(np.concatenate([s, n_supplies + d]), np.concatenate([cols, cols]), np.concatenate([np.ones(n), ratio]))


@dataclass(frozen=True)
class BlendLimit:
    """One blended quality limit (an attribute and a side): a row for each demand that has it.

    A pair ``e`` into such a demand has the entry ``a_e (k_s - L_d)`` in its row, the
    demand's virgin purchase ``k0_d - L_d``.
    """

    attr: str
    side: str
    demands: np.ndarray
    """Positions of the demands with a row, ascending (their rows follow in this order)."""
    row_of: np.ndarray
    """Per demand, the index of its row in the whole model, or -1."""
    value: np.ndarray
    """Per supply, its quality ``k_s`` (NaN where unknown)."""
    limit: np.ndarray
    """Per demand, its limit ``L_d`` (NaN where none)."""
    virgin: np.ndarray
    """Per demand, the virgin quality of its resource ``k0_d`` (the limit where unknown: neutral)."""

    @property
    def bad_virgin(self) -> np.ndarray:
        """Per demand with a row, whether virgin purchase alone breaks the limit (it then needs pairs)."""
        gap = self.virgin[self.demands] - self.limit[self.demands]
        return gap > 0 if self.side == "max" else gap < 0


@dataclass(frozen=True)
class RowLayout:
    """The rows of the LP of a candidate set, and the entries a pair's column has in them.

    Rows, in this order: supply balance, demand balance, blended quality limits (one row
    per demand and :class:`BlendLimit`, the limits in order), link capacities (one row per
    link in ``links``), then (MILPs only) minimum quantities. The layout depends on the
    streams and on which links carry candidate pairs, not on which pairs a model holds: a
    model over a subset of the pairs (pricing) built with the layout of the whole set has
    every row of the whole model, and a pair's column (:meth:`entries`) is the same in both.
    """

    n_supplies: int
    n_demands: int
    blends: tuple[BlendLimit, ...]
    links: np.ndarray
    """Links with a capacity row (a finite capacity or a fixed cost), ascending."""
    link_capacity: np.ndarray
    """Per row of ``links``, its capacity (inf if none)."""
    link_fixed: np.ndarray
    """Per row of ``links``, whether it has a fixed cost (its row then bounds ``x - cap o <= 0``)."""
    chains: Chains | None = None
    """Periods, stores and processes (their balance rows come after the capacity rows), or None."""

    @property
    def blend0(self) -> int:
        """First blend row."""
        return self.n_supplies + self.n_demands

    @property
    def n_blend(self) -> int:
        """Blend rows."""
        return sum(b.demands.size for b in self.blends)

    @property
    def capacity0(self) -> int:
        """First capacity row."""
        return self.blend0 + self.n_blend

    @property
    def chain0(self) -> int:
        """First store balance row."""
        return self.capacity0 + self.links.size

    @property
    def n_chain(self) -> int:
        """Store balance rows."""
        return 0 if self.chains is None else self.chains.n_rows

    @property
    def n_rows(self) -> int:
        """Rows of an LP (without the MILP's minimum-quantity rows)."""
        return self.chain0 + self.n_chain

    @property
    def n_side(self) -> int:
        """Side rows: blend and capacity rows."""
        return self.n_rows - self.blend0

    def link_rows(self, link: np.ndarray) -> np.ndarray:
        """Per pair (its ``link`` column: row in links.csv or -1), its capacity row, or -1."""
        if not self.links.size:
            return np.full(link.shape, -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.links, link), self.links.size - 1)
        hit = (link >= 0) & (self.links[pos] == link)
        return np.where(hit, self.capacity0 + pos, -1)

    def side_entries(self, s: np.ndarray, d: np.ndarray, ratio: np.ndarray, link: np.ndarray) -> _Coo:
        """Entries of flow columns ``0..len(s)-1`` in the side rows (blend limits, link capacities)."""
        rr, cc, vv = [], [], []
        for b in self.blends:  # one pass per limit
            row = b.row_of[d]
            on = np.flatnonzero(row >= 0)
            rr.append(row[on])
            cc.append(on)
            vv.append(np.nan_to_num(ratio[on] * (b.value[s[on]] - b.limit[d[on]])))
        if self.links.size:
            row = self.link_rows(link)
            on = np.flatnonzero(row >= 0)
            rr.append(row[on])
            cc.append(on)
            vv.append(np.ones(on.size))
        if not rr:
            return _coo(np.zeros(0), np.zeros(0), np.zeros(0))
        return _coo(np.concatenate(rr), np.concatenate(cc), np.concatenate(vv))

    def entries(self, s: np.ndarray, d: np.ndarray, ratio: np.ndarray, link: np.ndarray) -> _Coo:
        """Every entry of flow columns ``0..len(s)-1``: balance rows, then side rows (rows of the whole model)."""
        fr, fc, fv = flow_entries(s, d, ratio, self.n_supplies)
        if not self.n_side:
            return fr, fc, fv
        sr, sc, sv = self.side_entries(s, d, ratio, link)
        return np.concatenate([fr, sr]), np.concatenate([fc, sc]), np.concatenate([fv, sv])

    def column_duals(self, pi: np.ndarray, s: np.ndarray, d: np.ndarray, ratio: np.ndarray, side: _Coo) -> np.ndarray:
        """``A_e' pi`` for each pair at the row duals ``pi`` (its reduced cost is ``c_e`` minus this).

        ``side`` is :meth:`side_entries` of the same pairs (computed once by the caller).
        """
        out = pi[s] + ratio * pi[self.n_supplies + d]
        rows, cols, vals = side
        if rows.size:
            out += np.bincount(cols, weights=vals * pi[rows], minlength=s.size)
        return out

    def side_names(self, demand_ids: np.ndarray) -> np.ndarray:
        """Names of the side rows, in order (``blend_<attr>_<side>_<demand>``, ``capacity_link_<n>``)."""
        names = [np.char.add(f"blend_{b.attr}_{b.side}_", demand_ids[b.demands].astype(str)) for b in self.blends]
        names.append(np.char.add("capacity_link_", self.links.astype(str)))
        if self.chains is not None:
            names.append(self.chains.row_names().astype(str))
        return np.concatenate(names).astype(object) if names else np.zeros(0, dtype=object)

    def row_names(self, supply_ids: np.ndarray, demand_ids: np.ndarray) -> np.ndarray:
        """Names of every row, in order (``supply_<id>``, ``demand_<id>``, then :meth:`side_names`)."""
        return np.concatenate(
            [
                np.char.add("supply_", np.asarray(supply_ids, dtype=str)).astype(object),
                np.char.add("demand_", np.asarray(demand_ids, dtype=str)).astype(object),
                self.side_names(np.asarray(demand_ids)),
            ]
        )

    def slack_entries(self, supplies: np.ndarray, demands: np.ndarray) -> _Coo:
        """Entries of disposal columns of ``supplies`` then virgin-purchase columns of ``demands`` (local
        columns ``0..``): 1 in the stream's balance row, ``k0_d - L_d`` in a demand's blend rows."""
        ny = supplies.size
        rows = [supplies, self.n_supplies + demands]
        cols = [np.arange(ny), ny + np.arange(demands.size)]
        vals = [np.ones(ny), np.ones(demands.size)]
        for b in self.blends:
            row = b.row_of[demands]
            on = np.flatnonzero(row >= 0)
            rows.append(row[on])
            cols.append(ny + on)
            vals.append(np.nan_to_num(b.virgin[demands[on]] - b.limit[demands[on]]))
        return _coo(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals))

    def needs_pairs(self) -> np.ndarray:
        """Per demand, whether virgin purchase alone breaks one of its blended limits (the LP needs its pairs)."""
        out = np.zeros(self.n_demands, dtype=bool)
        for b in self.blends:
            out[b.demands[b.bad_virgin]] = True
        return out


def capacity_links(
    link: np.ndarray, capacity: np.ndarray, fixed_cost: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Links with a capacity row among pairs (their ``link``, ``capacity``, ``fixed_cost``): ascending, with
    each one's capacity and whether it has a fixed cost."""
    cap = np.asarray(capacity, dtype=float)
    fixed = np.asarray(fixed_cost, dtype=float) > 0
    on = link >= 0
    used = np.unique(link[on & (np.isfinite(cap) | fixed)]).astype(np.int64)
    cap_l = np.full(used.size, np.inf)
    fixed_l = np.zeros(used.size, dtype=bool)
    if used.size:
        pos = np.searchsorted(used, link[on])
        hit = (pos < used.size) & (used[np.minimum(pos, used.size - 1)] == link[on])
        np.minimum.at(cap_l, pos[hit], cap[on][hit])
        np.logical_or.at(fixed_l, pos[hit], fixed[on][hit])
    return used, cap_l, fixed_l


def row_layout(cand: Candidates, links: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> RowLayout:
    """The rows of the LP of ``cand`` (:class:`RowLayout`).

    ``links`` (:func:`capacity_links`) gives the capacity rows instead of the links of ``cand.edges``
    (a model whose pairs are held elsewhere).
    """
    inp = cand.inputs
    sup, dem = inp.supplies, inp.demands
    ns, nd = len(sup), len(dem)
    blends, n = [], ns + nd
    for attr, side, col in limit_columns(dem):  # one iteration per quality attribute and side
        limit = dem[col].to_numpy(dtype=float)
        rows_d = np.flatnonzero(blend_mask(dem, inp.network.catalog, attr) & ~np.isnan(limit))
        if rows_d.size == 0:
            continue
        row_of = np.full(nd, -1, dtype=np.int64)
        row_of[rows_d] = n + np.arange(rows_d.size)
        vcol = f"q_{attr}"
        value = sup[vcol].to_numpy(dtype=float) if vcol in sup.columns else np.full(ns, np.nan)
        virgin = (
            dem["resource"]
            .map({k: res.virgin_quality.get(attr, np.nan) for k, res in inp.network.catalog.resources.items()})
            .to_numpy(dtype=float)
        )
        virgin = np.where(np.isnan(virgin), limit, virgin)  # unknown virgin quality: neutral
        blends.append(BlendLimit(attr, side, rows_d, row_of, value, limit, virgin))
        n += rows_d.size
    if links is None:
        e = cand.edges
        links = capacity_links(e["link"].to_numpy(), e["capacity"].to_numpy(), e["fixed_cost"].to_numpy())
    return RowLayout(ns, nd, tuple(blends), *links, chains=inp.chains)


def pair_names(supply_ids: np.ndarray, demand_ids: np.ndarray) -> np.ndarray:
    """Column names of flows: ``x_<supply>_<demand>``."""
    return np.char.add(np.char.add(np.char.add("x_", supply_ids), "_"), demand_ids)


def build_lp(cand: Candidates, layout: RowLayout | None = None) -> LinearProgram:
    """Build the LP (or MILP) of a candidate set; see the module docstring for the model.

    One builder per block, called in order: columns, balance rows, blended limits,
    link capacities, minimum quantities. ``layout`` gives the rows (default: those of
    ``cand``); with the layout of a larger candidate set, the model over these pairs has
    every row of the larger one (pricing).
    """
    layout = row_layout(cand) if layout is None else layout
    cols = _layout(cand)
    components = _objective(cand, cols)
    col_lower, col_upper = _column_bounds(cand, cols)
    x_upper = _flow_big_m(cand)
    e = cand.edges
    entries = layout.entries(
        e["s"].to_numpy(), e["d"].to_numpy(), e["ratio"].to_numpy(dtype=float), e["link"].to_numpy()
    )
    rows = _Rows()
    _balance_rows(rows, cand, cols, entries)
    _blend_rows(rows, cand, cols, layout, entries)
    _capacity_rows(rows, cand, cols, layout, entries, x_upper)
    _storage_rows(rows, cols, layout)
    _minimum_rows(rows, cand, cols, x_upper)
    all_rows, all_cols, all_vals = (np.concatenate(a) for a in zip(*rows.parts))
    integrality = np.zeros(cols.n, dtype=bool)
    integrality[cols.open0 : cols.chain0] = True
    return LinearProgram(
        components=components,
        c=weighted(components, cand.inputs.parameters.objective_weights),
        A=Triplets(all_rows, all_cols, all_vals, (rows.n, cols.n)),
        row_lower=np.concatenate(rows.lower),
        row_upper=np.concatenate(rows.upper),
        col_lower=col_lower,
        col_upper=col_upper,
        integrality=integrality,
        blocks={**rows.blocks, **cols.blocks()},
        col_names=_col_names(cand, cols),
        row_names=np.concatenate(rows.names).astype(object),
    )


def _layout(cand: Candidates) -> Columns:
    """Binaries: links with a fixed cost (one for the year), pairs touching a stream with a minimum quantity;
    then the columns of stores and processes."""
    inp, e = cand.inputs, cand.edges
    link = e["link"].to_numpy()
    fixed_links = np.unique(link[(link >= 0) & (e["fixed_cost"].to_numpy() > 0)] // inp.periods)
    n_chain = 0 if inp.chains is None else inp.chains.n_columns
    return Columns(
        len(e), len(inp.supplies), len(inp.demands), fixed_links, np.flatnonzero(_minimum(cand) > 0), n_chain
    )


def _minimum(cand: Candidates) -> np.ndarray:
    """Per pair, the minimum flow if it carries any (the larger of its streams' minima, in supply units)."""
    inp, e = cand.inputs, cand.edges
    m_s = np.nan_to_num(inp.supplies["min_quantity_base"].to_numpy(dtype=float))
    m_d = np.nan_to_num(inp.demands["min_quantity_base"].to_numpy(dtype=float))
    return np.maximum(m_s[e["s"].to_numpy()], m_d[e["d"].to_numpy()] / e["ratio"].to_numpy())


def _flow_big_m(cand: Candidates) -> np.ndarray:
    """An upper bound on each pair's flow (its streams' quantities, its link's capacity): the MILP's big M."""
    inp, e = cand.inputs, cand.edges
    q, r = inp.supplies["q"].to_numpy(dtype=float), inp.demands["q"].to_numpy(dtype=float)
    s, d = e["s"].to_numpy(), e["d"].to_numpy()
    return np.minimum(np.minimum(q[s], r[d] / e["ratio"].to_numpy()), e["capacity"].to_numpy())


def _objective(cand: Candidates, cols: Columns) -> dict[str, np.ndarray]:
    """Objective components of every column: money (carbon price included), t CO2e, t of waste disposed."""
    flows = flow_components(cand.edges, cand.inputs.parameters.carbon_price)
    disposal, virgin = slack_components(cand.inputs)
    e = cand.edges
    link = e["link"].to_numpy()
    on_link = link >= 0
    fixed = e["fixed_cost"].to_numpy()
    yearly = link[on_link] // cand.inputs.periods
    link_fixed = pd.Series(fixed[on_link]).groupby(yearly).max().reindex(cols.fixed_links).to_numpy(dtype=float)
    chain = np.zeros(cols.n_chain)
    ch = cand.inputs.chains
    if ch is not None and cols.n_chain:  # per unit discharged and per unit of throughput
        kt, pt = ch.n_storage * ch.n_periods, ch.n_processes * ch.n_periods
        chain[2 * kt : 3 * kt] = np.repeat(ch.storage_cost, ch.n_periods)
        chain[3 * kt : 3 * kt + pt] = np.repeat(ch.process_cost, ch.n_periods)
    extra = {"cost": np.concatenate([link_fixed, np.zeros(cols.min_edges.size), chain])}
    n_more = cols.fixed_links.size + cols.min_edges.size + cols.n_chain
    return {k: np.concatenate([flows[k], disposal[k], virgin[k], extra.get(k, np.zeros(n_more))]) for k in flows}


def fixed_flows(cand: Candidates) -> np.ndarray:
    """Per pair of ``cand.edges``, the quantity of its fixed exchange (supply base units), NaN where none.

    With periods a fixed exchange's yearly quantity is spread over the periods both its streams
    share, in proportion to what the pair can carry in each
    (:func:`models.commitments.split_over_periods`; the network's check keeps every stream's
    fixed exchanges within what it has in each period).
    """
    out = np.full(len(cand.edges), np.nan)
    inp = cand.inputs
    fixed = inp.network.fixed_exchanges
    if not len(fixed) or not len(cand.edges):
        return out
    row, s, d = commitment_pairs(inp, fixed)
    if not row.size:
        return out
    quantity = fixed["quantity_base"].to_numpy(dtype=float)[row]
    if inp.chains is not None:  # the pair's amount in each period both streams share, as the network's check has it
        t = inp.supplies["t"].to_numpy(dtype=np.int64)[s]
        supply, demand = np.zeros((len(fixed), inp.periods)), np.zeros((len(fixed), inp.periods))
        supply[row, t] = inp.supplies["q"].to_numpy(dtype=float)[s]
        demand[row, t] = inp.demands["q"].to_numpy(dtype=float)[d]
        whole = fixed["quantity_base"].to_numpy(dtype=float)
        quantity = split_over_periods(whole, fixed["ratio"].to_numpy(dtype=float), supply, demand)[row, t]
    keys = s * len(inp.demands) + d
    e = cand.edges
    edge_keys = e["s"].to_numpy().astype(np.int64) * len(inp.demands) + e["d"].to_numpy()
    order = np.argsort(keys)
    pos = np.minimum(np.searchsorted(keys[order], edge_keys), keys.size - 1)
    hit = keys[order][pos] == edge_keys
    out[hit] = quantity[order][pos[hit]]
    return out


def _column_bounds(cand: Candidates, cols: Columns) -> tuple[np.ndarray, np.ndarray]:
    """Flows carry only link capacities (a fixed exchange: exactly its quantity); disposal and virgin purchase
    are free above 0; binaries in [0, 1].

    The balance rows already bound x, y and z by q_s and r_d; repeating that as
    column bounds would hide a stream's marginal value in reduced costs instead of
    its row's dual.
    """
    n_bin = cols.chain0 - cols.open0
    lower = np.zeros(cols.n)
    inp = cand.inputs
    slack = [np.full(cols.n_supplies, np.inf), np.full(cols.n_demands, np.inf)]
    if inp.chains is not None:  # a store's ports have no disposal or virgin purchase, a process input only if priced
        slack = [np.where(f["slack_open"].to_numpy(dtype=bool), np.inf, 0.0) for f in (inp.supplies, inp.demands)]
    upper = np.concatenate(
        [cand.edges["capacity"].to_numpy(dtype=float), *slack, np.ones(n_bin), _chain_upper(inp.chains)]
    )
    fixed = fixed_flows(cand)
    on = np.flatnonzero(~np.isnan(fixed))
    lower[on] = upper[on] = fixed[on]
    return lower, upper


def _chain_upper(ch: Chains | None) -> np.ndarray:
    """Bounds of the columns of stores and processes: capacity, hourly limits times hours, throughput capacity."""
    if ch is None:
        return np.zeros(0)
    h = ch.hours[None, :]
    return np.concatenate(
        [
            np.repeat(ch.capacity, ch.n_periods),
            (ch.max_charge[:, None] * h).ravel(),
            (ch.max_discharge[:, None] * h).ravel(),
            (ch.process_capacity[:, None] * h).ravel(),
        ]
    )


def chain_balance_entries(ch: Chains, cols: Columns) -> _Coo:
    """Entries of the store and process columns in the ports' balance rows (supplies first, then demands):
    ``-C`` in a charge port's row, ``-D`` in a discharge port's, ``-ratio P`` in a process port's."""
    t, k = ch.n_periods, ch.n_storage
    kt = k * t
    grid = np.arange(kt).reshape(k, t)
    charge, discharge = ch.charge_at.ravel(), ch.discharge_at.ravel()
    on_c, on_d = charge >= 0, discharge >= 0
    rows = [cols.n_supplies + charge[on_c], discharge[on_d]]
    cc = [cols.chain0 + kt + grid.ravel()[on_c], cols.chain0 + 2 * kt + grid.ravel()[on_d]]
    vals = [-np.ones(int(on_c.sum())), -np.ones(int(on_d.sum()))]
    if ch.port_process.size:
        rows.append(np.where(ch.port_supply, ch.port_position, cols.n_supplies + ch.port_position))
        cc.append(cols.chain0 + 3 * kt + ch.port_process * t + ch.port_t)
        vals.append(-ch.port_ratio)
    return _coo(np.concatenate(rows), np.concatenate(cc), np.concatenate(vals))


def _in_rows(entries: _Coo, lo: int, hi: int) -> _Coo:
    """The entries of rows ``lo..hi-1``, renumbered from 0."""
    r, c, v = entries
    on = (r >= lo) & (r < hi)
    return r[on] - lo, c[on], v[on]


def _balance_rows(rows: _Rows, cand: Candidates, cols: Columns, entries: _Coo) -> None:
    """Supply balance ``sum_e x_e + y_s = q_s``, then demand balance ``sum_e a_e x_e + z_d = r_d``."""
    inp = cand.inputs
    ns, nd = cols.n_supplies, cols.n_demands
    q, r = inp.supplies["q"].to_numpy(dtype=float), inp.demands["q"].to_numpy(dtype=float)
    chain = _coo(np.zeros(0), np.zeros(0), np.zeros(0))
    if inp.chains is not None and inp.chains.has_ports:
        chain = chain_balance_entries(inp.chains, cols)
    for block, (fr, fc, fv), (cr, cc, cv), n, first, ids, rhs in (
        ("supply", _in_rows(entries, 0, ns), _in_rows(chain, 0, ns), ns, cols.y0, inp.supplies.index, q),
        ("demand", _in_rows(entries, ns, ns + nd), _in_rows(chain, ns, ns + nd), nd, cols.z0, inp.demands.index, r),
    ):
        rows.add(
            block,
            _coo(
                np.concatenate([fr, np.arange(n), cr]),
                np.concatenate([fc, first + np.arange(n), cc]),
                np.concatenate([fv, np.ones(n), cv]),
            ),
            np.char.add(f"{block}_", ids.to_numpy(dtype=str)),
            rhs,
            rhs,
        )


def _blend_rows(rows: _Rows, cand: Candidates, cols: Columns, layout: RowLayout, entries: _Coo) -> None:
    """Blended quality limits: one row per (demand, attribute, side) that has a limit."""
    if not layout.blends:
        return
    did = cand.inputs.demands.index.to_numpy(dtype=str)
    fr, fc, fv = _in_rows(entries, layout.blend0, layout.capacity0)
    zr, zc, zv, lo, hi = [], [], [], [], []
    for b in layout.blends:
        zr.append(b.row_of[b.demands] - layout.blend0)
        zc.append(cols.z0 + b.demands)
        zv.append(b.virgin[b.demands] - b.limit[b.demands])
        inf = np.full(b.demands.size, np.inf)
        lo.append(-inf if b.side == "max" else np.zeros(b.demands.size))
        hi.append(np.zeros(b.demands.size) if b.side == "max" else inf)
    rows.add(
        "blend",
        _coo(
            np.concatenate([fr, *zr]),
            np.concatenate([fc, *zc]),
            np.nan_to_num(np.concatenate([fv, *zv])),
        ),
        layout.side_names(did)[: layout.n_blend],
        np.concatenate(lo),
        np.concatenate(hi),
    )


def _capacity_rows(
    rows: _Rows, cand: Candidates, cols: Columns, layout: RowLayout, entries: _Coo, x_upper: np.ndarray
) -> None:
    """Link capacity and fixed cost: ``sum_{e in l} x_e - cap_l o_l <= 0`` (or ``<= cap_l`` without ``o_l``)."""
    if not layout.links.size:
        return
    r, c, v = _in_rows(entries, layout.capacity0, layout.n_rows)
    rr, cc, vv = [r], [c], [v]
    has_fixed = layout.link_fixed
    if cols.fixed_links.size:
        link = cand.edges["link"].to_numpy()
        row = layout.link_rows(link) - layout.capacity0
        on = row >= 0
        big_m = np.zeros(layout.links.size)
        np.add.at(big_m, row[on], x_upper[on])
        yearly = layout.links // cand.inputs.periods  # one binary per link for the whole year
        fixed_here = has_fixed & np.isin(yearly, cols.fixed_links)
        rr.append(np.flatnonzero(fixed_here))
        cc.append(cols.open0 + np.searchsorted(cols.fixed_links, yearly[fixed_here]))
        vv.append(-np.minimum(layout.link_capacity, big_m)[fixed_here])
    rows.add(
        "capacity",
        _coo(np.concatenate(rr), np.concatenate(cc), np.concatenate(vv)),
        np.char.add("capacity_link_", layout.links.astype(str)),
        np.full(layout.links.size, -np.inf),
        np.where(has_fixed, 0.0, layout.link_capacity),
    )


def _storage_rows(rows: _Rows, cols: Columns, layout: RowLayout) -> None:
    """Store balance per period: ``L_t - (1 - loss)^{h_t} L_{t-1} - eta_in C_t + D_t / eta_out = 0`` (cyclic)."""
    ch = layout.chains
    if ch is None or not ch.n_storage:
        return
    k, t = ch.n_storage, ch.n_periods
    kt = k * t
    grid = np.arange(kt).reshape(k, t)
    before = np.roll(grid, 1, axis=1)  # the period before, the last before the first
    rows.add(
        "storage",
        _coo(
            np.tile(np.arange(kt), 4),
            cols.chain0 + np.concatenate([grid.ravel(), before.ravel(), kt + grid.ravel(), 2 * kt + grid.ravel()]),
            np.concatenate(
                [
                    np.ones(kt),
                    -ch.decay().ravel(),
                    -np.repeat(ch.eta_in, t),
                    np.repeat(1.0 / ch.eta_out, t),
                ]
            ),
        ),
        ch.row_names(),
        np.zeros(kt),
        np.zeros(kt),
    )


def _minimum_rows(rows: _Rows, cand: Candidates, cols: Columns, x_upper: np.ndarray) -> None:
    """Minimum quantity: ``x_e - m_e o_e >= 0`` and ``x_e - M_e o_e <= 0``."""
    k = cols.min_edges.size
    if not k:
        return
    inp, e = cand.inputs, cand.edges
    edges = cols.min_edges
    sid, did = inp.supplies.index.to_numpy(dtype=str), inp.demands.index.to_numpy(dtype=str)
    pair = pair_names(sid[e["s"].to_numpy()[edges]], did[e["d"].to_numpy()[edges]])
    o = cols.open0 + cols.fixed_links.size + np.arange(k)
    rows.add(
        "minimum",
        _coo(
            np.concatenate([np.arange(k), np.arange(k), k + np.arange(k), k + np.arange(k)]),
            np.concatenate([edges, o, edges, o]),
            np.concatenate([np.ones(k), -_minimum(cand)[edges], np.ones(k), -x_upper[edges]]),
        ),
        np.concatenate([np.char.add("min_", pair), np.char.add("max_", pair)]),
        np.concatenate([np.zeros(k), np.full(k, -np.inf)]),
        np.concatenate([np.full(k, np.inf), np.zeros(k)]),
    )


def _col_names(cand: Candidates, cols: Columns) -> np.ndarray:
    inp, e = cand.inputs, cand.edges
    sid = inp.supplies.index.to_numpy(dtype=str)
    did = inp.demands.index.to_numpy(dtype=str)
    x = pair_names(sid[e["s"].to_numpy()], did[e["d"].to_numpy()])
    return np.concatenate(
        [
            x,
            np.char.add("y_", sid),
            np.char.add("z_", did),
            np.char.add("open_link_", cols.fixed_links.astype(str)),
            np.char.add("open_", x[cols.min_edges]),
            np.zeros(0, dtype=str) if inp.chains is None else inp.chains.column_names().astype(str),
        ]
    ).astype(object)
