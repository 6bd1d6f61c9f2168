"""HiGHS through highspy: the default backend.

The model is passed as one column-wise sparse matrix. A MILP's duals come
from the LP with its binaries fixed at the optimum.
"""

from __future__ import annotations

import os
import time
from functools import cache
from typing import TYPE_CHECKING

import highspy
import numpy as np
from numpy.typing import ArrayLike

from .base import Feature, Solution, Solver, Status

if TYPE_CHECKING:
    from ..formulation import LinearProgram

__all__ = ["HighsSession", "HighsSolver", "get_basis", "new_highs", "set_basis", "to_highs_lp"]

_MS = highspy.HighsModelStatus
#: HiGHS model status -> project status (time limit split by whether a solution exists).
STATUS_MAP: dict[object, Status] = {
    _MS.kOptimal: Status.OPTIMAL,
    _MS.kInfeasible: Status.INFEASIBLE,
    _MS.kUnbounded: Status.UNBOUNDED,
    _MS.kUnboundedOrInfeasible: Status.INFEASIBLE,
    _MS.kTimeLimit: Status.TIME_LIMIT_NO_SOLUTION,
    _MS.kIterationLimit: Status.TIME_LIMIT_NO_SOLUTION,
    _MS.kInterrupt: Status.TIME_LIMIT_NO_SOLUTION,
    _MS.kModelEmpty: Status.OPTIMAL,
}


@cache
def _banner_shown() -> bool:
    """Create the first Highs object with stdout closed: HiGHS prints a banner once per process."""
    fd = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(fd, 1)
        os.close(fd)
    return True


def new_highs(threads: int | None = None) -> highspy.Highs:
    """A silent Highs instance."""
    _banner_shown()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if threads:
        h.setOptionValue("threads", int(threads))
    return h


def to_highs_lp(lp: LinearProgram, names: bool = False) -> highspy.HighsLp:
    """The project's arrays as a :class:`highspy.HighsLp` (column-wise matrix)."""
    A = lp.A.tocsc()
    A.sort_indices()
    h = highspy.HighsLp()
    h.num_row_, h.num_col_ = A.shape
    h.col_cost_ = lp.c
    h.col_lower_ = lp.col_lower
    h.col_upper_ = lp.col_upper
    h.row_lower_ = lp.row_lower
    h.row_upper_ = lp.row_upper
    h.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    h.a_matrix_.start_ = A.indptr.astype(np.int32)
    h.a_matrix_.index_ = A.indices.astype(np.int32)
    h.a_matrix_.value_ = A.data
    if lp.is_mip:
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        h.integrality_ = [kinds[i] for i in lp.integrality.astype(int)]
    if names and lp.col_names is not None and lp.row_names is not None:
        h.col_names_ = [str(n) for n in lp.col_names]
        h.row_names_ = [str(n) for n in lp.row_names]
    return h


_STATUS = tuple(highspy.HighsBasisStatus.__members__.values())
#: Basis status codes used in :attr:`Solution.basis` (HiGHS's own).
AT_LOWER, BASIC = int(highspy.HighsBasisStatus.kLower), int(highspy.HighsBasisStatus.kBasic)


def set_basis(h: highspy.Highs, col_status: np.ndarray, row_status: np.ndarray) -> bool:
    """Start the next LP solve from a basis (statuses as in :attr:`Solution.basis`).

    The basis may come from a related model: it is passed as *alien*, so HiGHS
    completes or repairs it (a singular or incomplete set of basic columns is
    filled with row slacks) before the simplex starts. Returns whether HiGHS
    accepted it; if not, the solve simply starts cold.
    """
    b = highspy.HighsBasis()
    b.col_status = [_STATUS[i] for i in col_status]
    b.row_status = [_STATUS[i] for i in row_status]
    b.alien = True
    return bool(h.setBasis(b) == highspy.HighsStatus.kOk)


def get_basis(h: highspy.Highs) -> tuple[np.ndarray, np.ndarray] | None:
    """The current basis statuses as int8 arrays, or None where HiGHS has no valid basis."""
    b = h.getBasis()
    if not b.valid:
        return None
    col = np.fromiter(map(int, b.col_status), np.int8, h.getNumCol())
    row = np.fromiter(map(int, b.row_status), np.int8, h.getNumRow())
    return col, row


class HighsSolver(Solver):
    """HiGHS (simplex / IPM / branch and cut) through highspy."""

    name = "highs"
    features = frozenset({Feature.LP, Feature.MILP, Feature.DUALS, Feature.WARM_START})

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads

    @classmethod
    def is_available(cls) -> bool:
        return True

    def solve(
        self, lp: LinearProgram, time_limit: float | None = None, start: tuple[np.ndarray, np.ndarray] | None = None
    ) -> Solution:
        began = time.perf_counter()
        h = new_highs(self.threads)
        version = h.version()
        if time_limit is not None:
            h.setOptionValue("time_limit", float(time_limit))
        try:
            h.passModel(to_highs_lp(lp))
            if start is not None and not lp.is_mip:
                set_basis(h, *start)
            h.run()
        except Exception as exc:  # highspy raises on malformed input
            return Solution(Status.ERROR, message=f"HiGHS failed: {exc}", solver=self.name, solver_version=version)
        status = _status(h)
        sol = Solution(
            status, solver=self.name, solver_version=version, message=h.modelStatusToString(h.getModelStatus())
        )
        if status.has_solution:
            s = h.getSolution()
            sol.x = np.asarray(s.col_value, dtype=float)
            sol.objective = float(h.getInfo().objective_function_value)
            if not lp.is_mip and s.dual_valid:
                sol.row_duals = np.asarray(s.row_dual, dtype=float)
                sol.basis = get_basis(h)
        sol.seconds = time.perf_counter() - began
        return sol


def _status(h: highspy.Highs) -> Status:
    ms = h.getModelStatus()
    status = STATUS_MAP.get(ms, Status.ERROR)
    if ms in (_MS.kTimeLimit, _MS.kIterationLimit, _MS.kInterrupt) and h.getInfo().primal_solution_status == 2:
        status = Status.TIME_LIMIT_FEASIBLE
    return status


class HighsSession:
    """One HiGHS model kept between solves, so each re-solve starts from the last basis.

    Used where a model changes a little between solves: pricing (columns
    added), Pareto fronts (a new bound on one row), resilience (one member's
    rows set to zero), a changed stream (one row's bounds).
    """

    def __init__(
        self,
        lp: LinearProgram,
        threads: int | None = None,
        time_limit: float | None = None,
        start: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.lp = lp
        self.h = new_highs(threads)
        if time_limit is not None:
            self.set_time_limit(time_limit)
        self.h.passModel(to_highs_lp(lp))
        if start is not None and not lp.is_mip:
            set_basis(self.h, *start)
        self.version = self.h.version()

    def set_time_limit(self, seconds: float) -> None:
        """Limit the next solves to ``seconds`` each."""
        self.h.setOptionValue("time_limit", max(float(seconds), 1e-3))

    def set_objective(self, c: np.ndarray) -> None:
        """Replace the objective vector."""
        idx = np.arange(c.size, dtype=np.int32)
        self.h.changeColsCost(c.size, idx, np.asarray(c, dtype=float))

    def add_row(self, coefficients: np.ndarray, lower: float, upper: float) -> int:
        """Add a dense row; returns its index."""
        nz = np.flatnonzero(coefficients).astype(np.int32)
        self.h.addRow(float(lower), float(upper), nz.size, nz, np.asarray(coefficients, dtype=float)[nz])
        return int(self.h.getNumRow() - 1)

    def set_row_bounds(self, rows: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> None:
        """Change the bounds of some rows."""
        rows = np.asarray(rows, dtype=np.int32)
        lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        self.h.changeRowsBounds(rows.size, rows, lo, hi)  # type: ignore[attr-defined]

    def set_col_bounds(self, cols: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> None:
        """Change the bounds of some columns."""
        cols = np.asarray(cols, dtype=np.int32)
        self.h.changeColsBounds(cols.size, cols, np.asarray(lower, dtype=float), np.asarray(upper, dtype=float))

    def solve(self) -> Solution:
        """Solve from the current basis; duals only for an LP."""
        start = time.perf_counter()
        self.h.run()
        status = _status(self.h)
        sol = Solution(
            status,
            solver="highs",
            solver_version=self.version,
            message=self.h.modelStatusToString(self.h.getModelStatus()),
        )
        if status.has_solution:
            s = self.h.getSolution()
            sol.x = np.asarray(s.col_value, dtype=float)[: self.lp.c.size]
            sol.objective = float(self.h.getInfo().objective_function_value)
            if not self.lp.is_mip and s.dual_valid:
                sol.row_duals = np.asarray(s.row_dual, dtype=float)[: self.lp.A.shape[0]]
        sol.seconds = time.perf_counter() - start
        return sol
