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
receives. Each end then, among those minimisers, maximises the other side's sum
(a second LP with the first sum bounded by its minimum), so that an end leaves
the other side the least rather than whatever vertex the solver picks: where a
side row's dual (a link's capacity, a big-M row of a MILP) can take up the
difference, the first objective alone leaves the other side's duals arbitrary.
The face is convex, so the midpoint of the two ends is an optimal dual too, and
the allocation it gives stays in the core.

A MILP (links with a fixed cost, streams with a minimum quantity) has no duals of
its own. Its binaries :math:`o` are fixed at their values :math:`o^*` in the optimum
(a link is open, a pair with a minimum quantity carries it, exactly where the
result exchanges anything over it), which leaves the LP

.. math::

    \min\; c'x \quad\text{s.t.}\quad \ell \le A x \le u,\; x_L \le x \le x_U,\; o = o^*

whose row duals are the marginal values the MILP path already reports
(:func:`~matcher.solve.base.with_fixed_integers`). The face above is taken over
that LP (a fixed column's reduced cost is free). The prices are thus the marginal
values *given the chosen configuration* of open links and minimum-quantity
decisions, and the core argument holds only for the game with that configuration
fixed: dual feasibility covers the flows it allows (over open links, on pairs
that carry their minimum), so no pair could save more on its own by such flows.
A closed link's or closed pair's flows are held at 0 by a row whose dual absorbs
any value, so a pair that would open a link the match left closed is not
covered (a MILP's core may be empty; nothing here claims otherwise). The fixed
costs and the value of a binding minimum are shared as
:mod:`matcher.results.prices` says. Where a minimum binds (one unit less of a
stream would break an exchange) the face can be unbounded on one side; the range
cannot be computed then and :func:`explained_dual_range` says why.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.candidates import find_candidates
from ..engine.formulation import LinearProgram, build_lp
from ..engine.sparse import Triplets
from ..solve import Status, get_solver
from ..solve.base import with_fixed_integers
from .reasons import TOL
from .result import MatchResult

__all__ = ["DualRange", "dual_range", "explained_dual_range"]


@dataclass(frozen=True)
class DualRange:
    """Balance-row duals per stream id at the two ends of the optimal dual face, and their midpoint.

    ``fixed_binaries`` says whether the face is that of a MILP's LP with its binaries fixed;
    ``rows`` holds the duals of every row of that LP (:func:`~matcher.engine.formulation.build_lp`'s
    order) at the supplier-optimal and the receiver-optimal end.
    """

    supplier_optimal: pd.Series
    receiver_optimal: pd.Series
    fixed_binaries: bool = False
    rows: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def midpoint(self) -> pd.Series:
        """Halfway between the two ends (an optimal dual, the face being convex)."""
        return (self.supplier_optimal + self.receiver_optimal) / 2

    @property
    def midpoint_rows(self) -> np.ndarray | None:
        """The duals of every row halfway between the two ends."""
        return None if self.rows is None else (self.rows[0] + self.rows[1]) / 2


def dual_range(result: MatchResult) -> DualRange | None:
    """The two ends of the optimal dual face of ``result``'s LP, or None where there is none to find.

    For a MILP, the face of its LP with the binaries fixed at the optimum (module docstring).
    None where the match has no pair, or where a dual LP fails (:func:`explained_dual_range` says why).
    """
    return explained_dual_range(result)[0]


def explained_dual_range(result: MatchResult) -> tuple[DualRange | None, str]:
    """:func:`dual_range` and, where it is None, why (else an empty string)."""
    cand = find_candidates(result.network, result.scenario)
    lp = build_lp(cand)
    if not len(cand.edges):
        return None, "no candidate pair"
    x = _primal(result, cand.inputs.supplies.index, cand.inputs.demands.index, cand.edges, lp)
    mip = lp.is_mip
    if mip:
        x[lp.integrality] = _opened(lp, x)
        lp = with_fixed_integers(lp, x)
    face = _face(lp, x)
    ns, nd = len(cand.inputs.supplies), len(cand.inputs.demands)
    exchanged = np.zeros(lp.shape[0])
    ratio = cand.edges["ratio"].to_numpy()
    flows = x[lp.blocks["x"]]
    np.add.at(exchanged, cand.edges["s"].to_numpy(), flows)
    np.add.at(exchanged, ns + cand.edges["d"].to_numpy(), flows * ratio)
    supply_w, demand_w = np.zeros(lp.shape[0]), np.zeros(lp.shape[0])
    supply_w[:ns], demand_w[ns : ns + nd] = exchanged[:ns], exchanged[ns : ns + nd]
    ends = []
    for name, first, then in (("supplier", supply_w, demand_w), ("receiver", demand_w, supply_w)):
        sol = get_solver("highs").solve(_with_objective(face, first))
        if sol.status == Status.OPTIMAL and sol.x is not None:  # then the other side's values as high as that allows
            sol = get_solver("highs").solve(_with_objective(_at_most(face, first, sol.objective), -then))
        if sol.status != Status.OPTIMAL or sol.x is None:
            of = "of the LP with the binaries fixed at the optimum " if mip else ""
            return None, f"the {name}-optimal end of the optimal dual face {of}is {sol.status.value}"
        ends.append(sol.x)
    ids = np.concatenate([cand.inputs.supplies.index.to_numpy(), cand.inputs.demands.index.to_numpy()])
    if result.seasonal:  # rows of a seasonal model are keyed by side and row key (a store has a row on each side)
        ids = np.concatenate(
            ["s:" + cand.inputs.supplies.index.astype(str), "d:" + cand.inputs.demands.index.astype(str)]
        )
    return (
        DualRange(
            pd.Series(ends[0][: ns + nd], index=ids, name="dual"),
            pd.Series(ends[1][: ns + nd], index=ids, name="dual"),
            fixed_binaries=mip,
            rows=(ends[0], ends[1]),
        ),
        "",
    )


def _primal(
    result: MatchResult, supplies: pd.Index, demands: pd.Index, edges: pd.DataFrame, lp: LinearProgram
) -> np.ndarray:
    """The result's optimum in the column order of the whole LP (flows by pair, disposal and virgin by stream)."""
    x = np.zeros(lp.shape[1])
    if result.primal is not None and lp.col_names is not None:  # a seasonal model: by column name
        named = pd.Series(np.asarray(lp.col_names, dtype=object)).map(result.primal).fillna(0.0)
        return np.array(named, dtype=float)  # a copy of its own: binaries are set on it
    ex = result.exchanges
    if len(ex):
        key = pd.MultiIndex.from_arrays([supplies[edges["s"].to_numpy()], demands[edges["d"].to_numpy()]])
        flow = ex.set_index(["supply_stream", "demand_stream"])["quantity"]
        x[lp.blocks["x"]] = flow.reindex(key).fillna(0.0).to_numpy()
    left = result.streams["left"]
    x[lp.blocks["y"]] = left.reindex(supplies).to_numpy(dtype=float)
    x[lp.blocks["z"]] = left.reindex(demands).to_numpy(dtype=float)
    return x


def _opened(lp: LinearProgram, x: np.ndarray) -> np.ndarray:
    """Each binary at 1 where a row it is in carries any of the result's flow, else 0.

    A link's binary is in its capacity row (with the flows over the link), a minimum-quantity
    pair's in its two minimum rows (with the pair's flow): a link is open and a pair carries its
    minimum exactly where the result exchanges anything over it.
    """
    a = abs(lp.A.matrix if isinstance(lp.A, Triplets) else lp.A).tocsc()
    carried = a[:, ~lp.integrality] @ np.abs(x[~lp.integrality])
    return (a[:, lp.integrality].T @ carried > 0).astype(float)


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


def _at_most(face: LinearProgram, weights: np.ndarray, value: float) -> LinearProgram:
    """``face`` with one more row: ``weights' pi <= value`` (a relative 1e-9 of slack)."""
    import scipy.sparse as sp

    slack = 1e-9 * max(1.0, abs(value))
    return LinearProgram(
        c=face.c,
        A=sp.vstack([face.A, sp.csr_matrix(weights.reshape(1, -1))], format="csr"),
        row_lower=np.append(face.row_lower, -np.inf),
        row_upper=np.append(face.row_upper, value + slack),
        col_lower=face.col_lower,
        col_upper=face.col_upper,
        integrality=face.integrality,
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
