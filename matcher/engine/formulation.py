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
    & 0 \le x_e \le \mathrm{cap}_e,\; y_s \ge 0,\; z_d \ge 0

:math:`k_s` is the supply's quality value, :math:`k^0_d` the virgin quality
of the demand's resource, :math:`L_d` the demand's limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .candidates import Candidates
from .compatibility import blend_mask, limit_columns
from .objective import flow_components, slack_components, weighted

__all__ = ["Columns", "LinearProgram", "build_lp", "flow_entries", "pair_names"]


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
    A: sp.csr_matrix
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
    def n(self) -> int:
        """Number of columns."""
        return self.open0 + self.fixed_links.size + self.min_edges.size

    def blocks(self) -> dict[str, slice]:
        """Column ranges by name."""
        return {
            "x": slice(0, self.n_pairs),
            "y": slice(self.y0, self.z0),
            "z": slice(self.z0, self.open0),
            "open": slice(self.open0, self.n),
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
    """Matrix entries of flow columns ``0..len(s)-1``: 1 in their supply's row, ``a_e`` in their demand's row.

    Rows are numbered supplies first, then demands (the balance blocks). Pricing adds
    columns with exactly these entries.
    """
    n = s.size
    cols = np.arange(n)
    return _coo(np.concatenate([s, n_supplies + d]), np.concatenate([cols, cols]), np.concatenate([np.ones(n), ratio]))


def pair_names(supply_ids: np.ndarray, demand_ids: np.ndarray) -> np.ndarray:
    """Column names of flows: ``x_<supply>_<demand>``."""
    return np.char.add(np.char.add(np.char.add("x_", supply_ids), "_"), demand_ids)


def build_lp(cand: Candidates) -> LinearProgram:
    """Build the LP (or MILP) of a candidate set; see the module docstring for the model.

    One builder per block, called in order: columns, balance rows, blended limits,
    link capacities, minimum quantities.
    """
    cols = _layout(cand)
    components = _objective(cand, cols)
    col_lower, col_upper = _column_bounds(cand, cols)
    x_upper = _flow_big_m(cand)
    rows = _Rows()
    _balance_rows(rows, cand, cols)
    _blend_rows(rows, cand, cols)
    _capacity_rows(rows, cand, cols, x_upper)
    _minimum_rows(rows, cand, cols, x_upper)
    all_rows, all_cols, all_vals = (np.concatenate(a) for a in zip(*rows.parts))
    integrality = np.zeros(cols.n, dtype=bool)
    integrality[cols.open0 :] = True
    return LinearProgram(
        components=components,
        c=weighted(components, cand.inputs.parameters.objective_weights),
        A=sp.csr_matrix((all_vals, (all_rows, all_cols)), shape=(rows.n, cols.n)),
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
    """Binaries: links with a fixed cost, pairs touching a stream with a minimum quantity."""
    inp, e = cand.inputs, cand.edges
    link = e["link"].to_numpy()
    fixed_links = np.unique(link[(link >= 0) & (e["fixed_cost"].to_numpy() > 0)])
    return Columns(len(e), len(inp.supplies), len(inp.demands), fixed_links, np.flatnonzero(_minimum(cand) > 0))


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
    link_fixed = pd.Series(fixed[on_link]).groupby(link[on_link]).max().reindex(cols.fixed_links).to_numpy(dtype=float)
    extra = {"cost": np.concatenate([link_fixed, np.zeros(cols.min_edges.size)])}
    n_bin = cols.fixed_links.size + cols.min_edges.size
    return {k: np.concatenate([flows[k], disposal[k], virgin[k], extra.get(k, np.zeros(n_bin))]) for k in flows}


def _column_bounds(cand: Candidates, cols: Columns) -> tuple[np.ndarray, np.ndarray]:
    """Flows carry only link capacities; disposal and virgin purchase are free above 0; binaries in [0, 1].

    The balance rows already bound x, y and z by q_s and r_d; repeating that as
    column bounds would hide a stream's marginal value in reduced costs instead of
    its row's dual.
    """
    n_slack = cols.n_supplies + cols.n_demands
    n_bin = cols.n - cols.open0
    lower = np.zeros(cols.n)
    upper = np.concatenate([cand.edges["capacity"].to_numpy(dtype=float), np.full(n_slack, np.inf), np.ones(n_bin)])
    return lower, upper


def _balance_rows(rows: _Rows, cand: Candidates, cols: Columns) -> None:
    """Supply balance ``sum_e x_e + y_s = q_s``, then demand balance ``sum_e a_e x_e + z_d = r_d``."""
    inp, e = cand.inputs, cand.edges
    ns, nd = cols.n_supplies, cols.n_demands
    s, d, ratio = e["s"].to_numpy(), e["d"].to_numpy(), e["ratio"].to_numpy()
    fr, fc, fv = flow_entries(s, d, ratio, ns)
    sup_entry, dem_entry = fr < ns, fr >= ns
    q, r = inp.supplies["q"].to_numpy(dtype=float), inp.demands["q"].to_numpy(dtype=float)
    rows.add(
        "supply",
        _coo(
            np.concatenate([fr[sup_entry], np.arange(ns)]),
            np.concatenate([fc[sup_entry], cols.y0 + np.arange(ns)]),
            np.concatenate([fv[sup_entry], np.ones(ns)]),
        ),
        np.char.add("supply_", inp.supplies.index.to_numpy(dtype=str)),
        q,
        q,
    )
    rows.add(
        "demand",
        _coo(
            np.concatenate([fr[dem_entry] - ns, np.arange(nd)]),
            np.concatenate([fc[dem_entry], cols.z0 + np.arange(nd)]),
            np.concatenate([fv[dem_entry], np.ones(nd)]),
        ),
        np.char.add("demand_", inp.demands.index.to_numpy(dtype=str)),
        r,
        r,
    )


def _blend_rows(rows: _Rows, cand: Candidates, cols: Columns) -> None:
    """Blended quality limits: one row per (demand, attribute, side) that has a limit."""
    inp, e = cand.inputs, cand.edges
    sup, dem = inp.supplies, inp.demands
    s, d, ratio = e["s"].to_numpy(), e["d"].to_numpy(), e["ratio"].to_numpy()
    did = dem.index.to_numpy(dtype=str)
    nd = len(dem)
    brows, bcols, bvals, blo, bhi, bnames, nb = [], [], [], [], [], [], 0
    for attr, side, col in limit_columns(dem):  # one iteration per quality attribute and side
        limit = dem[col].to_numpy(dtype=float)
        rows_d = np.flatnonzero(blend_mask(dem, inp.network.catalog, attr) & ~np.isnan(limit))
        if rows_d.size == 0:
            continue
        row_of = np.full(nd, -1)
        row_of[rows_d] = nb + np.arange(rows_d.size)
        vcol = f"q_{attr}"
        value = sup[vcol].to_numpy(dtype=float) if vcol in sup.columns else np.full(len(sup), np.nan)
        virgin = (
            dem["resource"]
            .map({k: res.virgin_quality.get(attr, np.nan) for k, res in inp.network.catalog.resources.items()})
            .to_numpy(dtype=float)
        )
        virgin = np.where(np.isnan(virgin), limit, virgin)  # unknown virgin quality: neutral
        on = row_of[d] >= 0
        brows += [row_of[d[on]], row_of[rows_d]]
        bcols += [np.flatnonzero(on), cols.z0 + rows_d]
        bvals += [ratio[on] * (value[s[on]] - limit[d[on]]), virgin[rows_d] - limit[rows_d]]
        inf = np.full(rows_d.size, np.inf)
        blo.append(-inf if side == "max" else np.zeros(rows_d.size))
        bhi.append(np.zeros(rows_d.size) if side == "max" else inf)
        bnames.append(np.char.add(f"blend_{attr}_{side}_", did[rows_d]))
        nb += rows_d.size
    if nb:
        rows.add(
            "blend",
            _coo(np.concatenate(brows), np.concatenate(bcols), np.nan_to_num(np.concatenate(bvals))),
            np.concatenate(bnames),
            np.concatenate(blo),
            np.concatenate(bhi),
        )


def _capacity_rows(rows: _Rows, cand: Candidates, cols: Columns, x_upper: np.ndarray) -> None:
    """Link capacity and fixed cost: ``sum_{e in l} x_e - cap_l o_l <= 0`` (or ``<= cap_l`` without ``o_l``)."""
    e = cand.edges
    link = e["link"].to_numpy()
    cap = e["capacity"].to_numpy()
    used = np.unique(link[(link >= 0) & (np.isfinite(cap) | (e["fixed_cost"].to_numpy() > 0))])
    if not used.size:
        return
    row_of = np.full(link.max() + 1, -1)
    row_of[used] = np.arange(used.size)
    on = (link >= 0) & (row_of[np.maximum(link, 0)] >= 0)
    cap_l = np.full(used.size, np.inf)
    np.minimum.at(cap_l, row_of[link[on]], cap[on])
    big_m = np.zeros(used.size)
    np.add.at(big_m, row_of[link[on]], x_upper[on])
    has_fixed = np.isin(used, cols.fixed_links)
    rr = [row_of[link[on]]]
    cc = [np.flatnonzero(on)]
    vv = [np.ones(on.sum())]
    if cols.fixed_links.size:
        rr.append(np.flatnonzero(has_fixed))
        cc.append(cols.open0 + np.searchsorted(cols.fixed_links, used[has_fixed]))
        vv.append(-np.minimum(cap_l, big_m)[has_fixed])
    rows.add(
        "capacity",
        _coo(np.concatenate(rr), np.concatenate(cc), np.concatenate(vv)),
        np.char.add("capacity_link_", used.astype(str)),
        np.full(used.size, -np.inf),
        np.where(has_fixed, 0.0, cap_l),
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
        ]
    ).astype(object)
