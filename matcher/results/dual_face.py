r"""The optimal dual face of a match: every set of stream values that prices its optimum.

A solver returns one vertex of the optimal dual face, so one side of most
exchanges takes the whole saving. Every optimal dual :math:`\pi` is dual
feasible and complementary to the primal optimum :math:`x^*`:

.. math::

    A_j^\top \pi \;\begin{cases} \le c_j & x^*_j = 0 \\ = c_j & 0 < x^*_j < u_j \\ \ge c_j & x^*_j = u_j
    \end{cases}
    \qquad
    \pi_i \;\begin{cases} \text{free} & \text{equality row} \\ \le 0 & \text{binding} \le \text{row} \\
    \ge 0 & \text{binding} \ge \text{row} \\ = 0 & \text{slack row} \end{cases}

Over that face, the *supplier-optimal* duals minimise :math:`\sum_s X_s \pi_s`
(each supply's marginal value as low as the optimum allows, so suppliers keep
the most) and the *receiver-optimal* duals minimise :math:`\sum_d D_d \pi_d`,
with :math:`X_s` the quantity a supply exchanges and :math:`D_d` what a demand
receives. The face is convex, so their midpoint is an optimal dual too, and the
allocation it gives stays in the core.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.candidates import find_candidates
from ..engine.formulation import LinearProgram, build_lp
from ..solve import Status, get_solver
from .reasons import TOL
from .result import MatchResult

__all__ = ["DualRange", "dual_range"]


@dataclass(frozen=True)
class DualRange:
    """Balance-row duals per stream id at the two ends of the optimal dual face, and their midpoint."""

    supplier_optimal: pd.Series
    receiver_optimal: pd.Series

    @property
    def midpoint(self) -> pd.Series:
        """Halfway between the two ends (an optimal dual, the face being convex)."""
        return (self.supplier_optimal + self.receiver_optimal) / 2


def dual_range(result: MatchResult) -> DualRange | None:
    """The two ends of the optimal dual face of ``result``'s LP, or None where there is none to find.

    None for a MILP (fixed link costs, minimum quantities: its duals are those of
    the LP with the binaries fixed, one vertex) and where a dual LP fails.
    """
    cand = find_candidates(result.network, result.scenario)
    lp = build_lp(cand)
    if lp.is_mip or not len(cand.edges):
        return None
    x = _primal(result, cand.inputs.supplies.index, cand.inputs.demands.index, cand.edges, lp)
    face = _face(lp, x)
    ns, nd = len(cand.inputs.supplies), len(cand.inputs.demands)
    exchanged = np.zeros(lp.shape[0])
    ratio = cand.edges["ratio"].to_numpy()
    flows = x[lp.blocks["x"]]
    np.add.at(exchanged, cand.edges["s"].to_numpy(), flows)
    np.add.at(exchanged, ns + cand.edges["d"].to_numpy(), flows * ratio)
    ends = []
    for side in (slice(0, ns), slice(ns, ns + nd)):
        weights = np.zeros(lp.shape[0])
        weights[side] = exchanged[side]
        sol = get_solver("highs").solve(_with_objective(face, weights))
        if sol.status != Status.OPTIMAL or sol.x is None:
            return None
        ends.append(sol.x)
    ids = np.concatenate([cand.inputs.supplies.index.to_numpy(), cand.inputs.demands.index.to_numpy()])
    if result.seasonal:  # rows of a seasonal model are keyed by side and row key (a store has a row on each side)
        ids = np.concatenate(
            ["s:" + cand.inputs.supplies.index.astype(str), "d:" + cand.inputs.demands.index.astype(str)]
        )
    return DualRange(
        pd.Series(ends[0][: ns + nd], index=ids, name="dual"),
        pd.Series(ends[1][: ns + nd], index=ids, name="dual"),
    )


def _primal(
    result: MatchResult, supplies: pd.Index, demands: pd.Index, edges: pd.DataFrame, lp: LinearProgram
) -> np.ndarray:
    """The result's optimum in the column order of the whole LP (flows by pair, disposal and virgin by stream)."""
    x = np.zeros(lp.shape[1])
    if result.primal is not None and lp.col_names is not None:  # a seasonal model: by column name
        return pd.Series(np.asarray(lp.col_names, dtype=object)).map(result.primal).fillna(0.0).to_numpy(dtype=float)
    ex = result.exchanges
    if len(ex):
        key = pd.MultiIndex.from_arrays([supplies[edges["s"].to_numpy()], demands[edges["d"].to_numpy()]])
        flow = ex.set_index(["supply_stream", "demand_stream"])["quantity"]
        x[lp.blocks["x"]] = flow.reindex(key).fillna(0.0).to_numpy()
    left = result.streams["left"]
    x[lp.blocks["y"]] = left.reindex(supplies).to_numpy(dtype=float)
    x[lp.blocks["z"]] = left.reindex(demands).to_numpy(dtype=float)
    return x


def _face(lp: LinearProgram, x: np.ndarray) -> LinearProgram:
    """The optimal dual face as an LP over the row duals (objective left to :func:`_with_objective`)."""
    scale = TOL * np.maximum(1.0, np.abs(x))
    at_lower = x <= lp.col_lower + scale
    at_upper = np.isfinite(lp.col_upper) & (x >= lp.col_upper - scale)
    lower = np.where(at_upper & ~at_lower, lp.c, np.where(at_lower, -np.inf, lp.c))
    upper = np.where(at_lower & ~at_upper, lp.c, np.where(at_upper, np.inf, lp.c))
    activity = lp.A @ x
    tol = TOL * np.maximum(1.0, np.abs(activity))
    equality = lp.row_lower == lp.row_upper
    at_row_upper = np.isfinite(lp.row_upper) & (activity >= lp.row_upper - tol)
    at_row_lower = np.isfinite(lp.row_lower) & (activity <= lp.row_lower + tol)
    pi_lower = np.where(equality | at_row_upper, -np.inf, 0.0)
    pi_upper = np.where(equality | at_row_lower, np.inf, 0.0)
    m = lp.shape[0]
    return LinearProgram(
        c=np.zeros(m),
        A=_transposed(lp),
        row_lower=lower,
        row_upper=upper,
        col_lower=pi_lower,
        col_upper=pi_upper,
        integrality=np.zeros(m, dtype=bool),
    )


def _with_objective(face: LinearProgram, weights: np.ndarray) -> LinearProgram:
    return LinearProgram(
        c=weights,
        A=face.A,
        row_lower=face.row_lower,
        row_upper=face.row_upper,
        col_lower=face.col_lower,
        col_upper=face.col_upper,
        integrality=face.integrality,
    )


def _transposed(lp: LinearProgram) -> object:
    """``A'`` of ``lp`` as a CSR matrix (scipy.sparse imported here: a match that prices nothing never loads it)."""
    import scipy.sparse as sp

    return sp.csr_matrix(lp.A.T)
