r"""The linear program as neutral sparse arrays, built in one vectorised pass.

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
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from models.files import atomic_write

from .candidates import Candidates
from .compatibility import blend_mask, limit_columns
from .inputs import MatchInputs

__all__ = ["LinearProgram", "build_lp", "flow_components", "slack_components", "weighted", "write_mps"]


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


def flow_components(cand: Candidates) -> dict[str, np.ndarray]:
    """Objective components of each candidate pair's flow: money (carbon price included), t CO2e, waste."""
    e = cand.edges
    co2e = e["transport_co2e_t"].to_numpy(dtype=float)
    return {
        "cost": e["transport_cost"].to_numpy(dtype=float) + cand.inputs.parameters.carbon_price * co2e,
        "co2e": co2e,
        "waste": np.zeros(len(e)),
    }


def slack_components(inputs: MatchInputs) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Objective components of disposal (per supply) and of virgin purchase (per demand), per base unit."""
    sup, dem = inputs.supplies, inputs.demands
    disposal = {
        "cost": sup["unit_cost"].to_numpy(dtype=float),
        "co2e": sup["unit_co2e_t"].to_numpy(dtype=float),
        "waste": sup["waste_t"].to_numpy(dtype=float),
    }
    virgin = {
        "cost": dem["unit_cost"].to_numpy(dtype=float),
        "co2e": dem["unit_co2e_t"].to_numpy(dtype=float),
        "waste": np.zeros(len(dem)),
    }
    return disposal, virgin


def weighted(components: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """The objective vector for weights on the components (``{"cost": 1}``, ``{"co2e": 1, "cost": 1e-3}``)."""
    return sum((w * components[k] for k, w in weights.items()), np.zeros_like(components["cost"]))


def _coo(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), np.asarray(vals, dtype=float)


def build_lp(cand: Candidates) -> LinearProgram:
    """Build the LP (or MILP) of a candidate set; see the module docstring for the model."""
    inp = cand.inputs
    p = inp.parameters
    sup, dem, edges = inp.supplies, inp.demands, cand.edges
    ns, nd, ne = len(sup), len(dem), len(edges)
    s, d = edges["s"].to_numpy(), edges["d"].to_numpy()
    ratio = edges["ratio"].to_numpy()
    q, r = sup["q"].to_numpy(dtype=float), dem["q"].to_numpy(dtype=float)

    # columns: x | y | z
    x0, y0, z0 = 0, ne, ne + ns
    ncol = ne + ns + nd
    # objective components per column: money (carbon price included), t CO2e, t of waste disposed
    flows = flow_components(cand)
    y_components, z_components = slack_components(inp)
    components = {k: np.concatenate([flows[k], y_components[k], z_components[k]]) for k in flows}
    col_lower = np.zeros(ncol)
    # the balance rows already bound x, y and z by q_s and r_d; repeating that as column bounds
    # would hide a stream's marginal value in reduced costs instead of its row's dual, so
    # columns carry only link capacities (x_upper still serves as big-M for the MILP rows)
    x_upper = np.minimum(np.minimum(q[s], r[d] / ratio), edges["capacity"].to_numpy())
    col_upper = np.concatenate([edges["capacity"].to_numpy(dtype=float), np.full(ns + nd, np.inf)])

    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    lo: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    row_names: list[np.ndarray] = []
    blocks: dict[str, slice] = {}
    nrow = 0
    sid = sup.index.to_numpy(dtype=str)
    did = dem.index.to_numpy(dtype=str)

    def add_rows(
        name: str,
        coo: tuple[np.ndarray, np.ndarray, np.ndarray],
        names: np.ndarray,
        lower: np.ndarray,
        upper: np.ndarray,
    ) -> None:
        """Append a block of rows; ``names`` identify them across related models (for warm starts)."""
        nonlocal nrow
        n = names.size
        rr, cc, vv = coo
        parts.append((rr + nrow, cc, vv))
        lo.append(lower)
        hi.append(upper)
        row_names.append(names)
        blocks[f"row:{name}"] = slice(nrow, nrow + n)
        nrow += n

    # supply balance: sum_e x_e + y_s = q_s
    add_rows(
        "supply",
        _coo(
            np.concatenate([s, np.arange(ns)]),
            np.concatenate([x0 + np.arange(ne), y0 + np.arange(ns)]),
            np.ones(ne + ns),
        ),
        np.char.add("supply_", sid),
        q,
        q,
    )
    # demand balance: sum_e a_e x_e + z_d = r_d
    add_rows(
        "demand",
        _coo(
            np.concatenate([d, np.arange(nd)]),
            np.concatenate([x0 + np.arange(ne), z0 + np.arange(nd)]),
            np.concatenate([ratio, np.ones(nd)]),
        ),
        np.char.add("demand_", did),
        r,
        r,
    )

    # blended quality limits: one row per (demand, attribute, side) that has a limit
    brows, bcols, bvals, blo, bhi, bnames, nb = [], [], [], [], [], [], 0
    for attr, side, col in limit_columns(dem):
        limit = dem[col].to_numpy(dtype=float)
        rows_d = np.flatnonzero(blend_mask(dem, inp.network.catalog, attr) & ~np.isnan(limit))
        if rows_d.size == 0:
            continue
        row_of = np.full(nd, -1)
        row_of[rows_d] = nb + np.arange(rows_d.size)
        vcol = f"q_{attr}"
        value = sup[vcol].to_numpy(dtype=float) if vcol in sup.columns else np.full(ns, np.nan)
        virgin = (
            dem["resource"]
            .map({k: res.virgin_quality.get(attr, np.nan) for k, res in inp.network.catalog.resources.items()})
            .to_numpy(dtype=float)
        )
        virgin = np.where(np.isnan(virgin), limit, virgin)  # unknown virgin quality: neutral
        on = row_of[d] >= 0
        brows += [row_of[d[on]], row_of[rows_d]]
        bcols += [x0 + np.flatnonzero(on), z0 + rows_d]
        bvals += [ratio[on] * (value[s[on]] - limit[d[on]]), virgin[rows_d] - limit[rows_d]]
        inf = np.full(rows_d.size, np.inf)
        blo.append(-inf if side == "max" else np.zeros(rows_d.size))
        bhi.append(np.zeros(rows_d.size) if side == "max" else inf)
        bnames.append(np.char.add(f"blend_{attr}_{side}_", did[rows_d]))
        nb += rows_d.size
    if nb:
        add_rows(
            "blend",
            _coo(np.concatenate(brows), np.concatenate(bcols), np.nan_to_num(np.concatenate(bvals))),
            np.concatenate(bnames),
            np.concatenate(blo),
            np.concatenate(bhi),
        )

    # binaries: links with a fixed cost, edges touching a stream with a minimum quantity
    link = edges["link"].to_numpy()
    fixed = edges["fixed_cost"].to_numpy()
    fixed_links = np.unique(link[(link >= 0) & (fixed > 0)])
    m_s = np.nan_to_num(sup["min_quantity_base"].to_numpy(dtype=float))
    m_d = np.nan_to_num(dem["min_quantity_base"].to_numpy(dtype=float))
    m_e = np.maximum(m_s[s], m_d[d] / ratio)
    min_edges = np.flatnonzero(m_e > 0)
    nbin = fixed_links.size + min_edges.size
    open0 = ncol
    ncol += nbin
    on_link = link >= 0
    link_fixed = pd.Series(fixed[on_link]).groupby(link[on_link]).max().reindex(fixed_links).to_numpy(dtype=float)
    components["cost"] = np.concatenate([components["cost"], link_fixed, np.zeros(min_edges.size)])
    for key in ("co2e", "waste"):
        components[key] = np.concatenate([components[key], np.zeros(nbin)])
    c = weighted(components, p.objective_weights)
    col_lower = np.concatenate([col_lower, np.zeros(nbin)])
    col_upper = np.concatenate([col_upper, np.ones(nbin)])

    # link capacity and fixed cost: sum_{e in l} x_e - cap_l o_l <= 0  (or <= cap_l without o_l)
    cap = edges["capacity"].to_numpy()
    used = np.unique(link[(link >= 0) & (np.isfinite(cap) | (fixed > 0))])
    if used.size:
        row_of = np.full(link.max() + 1, -1)
        row_of[used] = np.arange(used.size)
        on = (link >= 0) & (row_of[np.maximum(link, 0)] >= 0)
        cap_l = np.full(used.size, np.inf)
        np.minimum.at(cap_l, row_of[link[on]], cap[on])
        big_m = np.zeros(used.size)
        np.add.at(big_m, row_of[link[on]], x_upper[on])
        has_fixed = np.isin(used, fixed_links)
        rr = [row_of[link[on]]]
        cc = [x0 + np.flatnonzero(on)]
        vv = [np.ones(on.sum())]
        upper = np.where(has_fixed, 0.0, cap_l)
        if fixed_links.size:
            bin_col = open0 + np.searchsorted(fixed_links, used[has_fixed])
            rr.append(np.flatnonzero(has_fixed))
            cc.append(bin_col)
            vv.append(-np.minimum(cap_l, big_m)[has_fixed])
        add_rows(
            "capacity",
            _coo(np.concatenate(rr), np.concatenate(cc), np.concatenate(vv)),
            np.char.add("capacity_link_", used.astype(str)),
            np.full(used.size, -np.inf),
            upper,
        )

    # minimum quantity: x_e - m_e o_e >= 0  and  x_e - M_e o_e <= 0
    if min_edges.size:
        k = min_edges.size
        pair = _pair_names(sid[s[min_edges]], did[d[min_edges]])
        o = open0 + fixed_links.size + np.arange(k)
        xe = x0 + min_edges
        rows = np.concatenate([np.arange(k), np.arange(k), k + np.arange(k), k + np.arange(k)])
        cols = np.concatenate([xe, o, xe, o])
        vals = np.concatenate([np.ones(k), -m_e[min_edges], np.ones(k), -x_upper[min_edges]])
        add_rows(
            "minimum",
            _coo(rows, cols, vals),
            np.concatenate([np.char.add("min_", pair), np.char.add("max_", pair)]),
            np.concatenate([np.zeros(k), np.full(k, -np.inf)]),
            np.concatenate([np.full(k, np.inf), np.zeros(k)]),
        )

    all_rows, all_cols, all_vals = (np.concatenate(a) for a in zip(*parts))
    A = sp.csr_matrix((all_vals, (all_rows, all_cols)), shape=(nrow, ncol))
    integrality = np.zeros(ncol, dtype=bool)
    integrality[open0:] = True
    blocks.update({"x": slice(x0, ne), "y": slice(y0, y0 + ns), "z": slice(z0, z0 + nd), "open": slice(open0, ncol)})
    return LinearProgram(
        components=components,
        c=c,
        A=A,
        row_lower=np.concatenate(lo),
        row_upper=np.concatenate(hi),
        col_lower=col_lower,
        col_upper=col_upper,
        integrality=integrality,
        blocks=blocks,
        col_names=_col_names(cand, fixed_links, min_edges),
        row_names=np.concatenate(row_names).astype(object),
    )


def _pair_names(supply_ids: np.ndarray, demand_ids: np.ndarray) -> np.ndarray:
    return np.char.add(np.char.add(np.char.add("x_", supply_ids), "_"), demand_ids)


def _col_names(cand: Candidates, fixed_links: np.ndarray, min_edges: np.ndarray) -> np.ndarray:
    inp, e = cand.inputs, cand.edges
    sid = inp.supplies.index.to_numpy(dtype=str)
    did = inp.demands.index.to_numpy(dtype=str)
    x = _pair_names(sid[e["s"].to_numpy()], did[e["d"].to_numpy()])
    return np.concatenate(
        [
            x,
            np.char.add("y_", sid),
            np.char.add("z_", did),
            np.char.add("open_link_", fixed_links.astype(str)),
            np.char.add("open_", x[min_edges]),
        ]
    ).astype(object)


def write_mps(lp: LinearProgram, path: str | Path) -> Path:
    """Write the model as (free) MPS through HiGHS, so any solver can read it."""
    import highspy

    from .solvers.highs import new_highs, to_highs_lp

    h = new_highs()
    h.passModel(to_highs_lp(lp, names=True))

    def write(tmp: Path) -> None:
        if h.writeModel(str(tmp)) != highspy.HighsStatus.kOk:
            raise OSError(f"HiGHS could not write {path}")

    return atomic_write(Path(path).with_suffix(Path(path).suffix or ".mps"), write)
