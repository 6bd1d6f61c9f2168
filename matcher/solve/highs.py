"""HiGHS through highspy: the default backend, with warm starts and models kept between solves.

The model is passed as one column-wise sparse matrix. :class:`HighsModel`
keeps a model between solves (the :class:`~matcher.solve.base.IncrementalModel`
protocol), so each re-solve starts from the last basis.
"""

from __future__ import annotations

import os
import time
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from ..engine.sparse import csc_arrays
from .base import Feature, Solution, Solver, Status

if TYPE_CHECKING:
    import highspy

    from ..engine.formulation import LinearProgram

__all__ = ["STATUS_MAP", "HighsModel", "HighsSolver"]

#: Every HiGHS model status (by name) -> project status. A stop before optimality (time, iterations,
#: interrupt, a bound or solution limit) is refined by whether a feasible solution exists.
STATUS_MAP: dict[str, Status] = {
    "kNotset": Status.ERROR,
    "kLoadError": Status.ERROR,
    "kModelError": Status.ERROR,
    "kPresolveError": Status.ERROR,
    "kSolveError": Status.ERROR,
    "kPostsolveError": Status.ERROR,
    "kModelEmpty": Status.OPTIMAL,
    "kOptimal": Status.OPTIMAL,
    "kInfeasible": Status.INFEASIBLE,
    "kUnboundedOrInfeasible": Status.INFEASIBLE,
    "kUnbounded": Status.UNBOUNDED,
    "kObjectiveBound": Status.TIME_LIMIT_NO_SOLUTION,
    "kObjectiveTarget": Status.TIME_LIMIT_NO_SOLUTION,
    "kTimeLimit": Status.TIME_LIMIT_NO_SOLUTION,
    "kIterationLimit": Status.TIME_LIMIT_NO_SOLUTION,
    "kUnknown": Status.ERROR,
    "kSolutionLimit": Status.TIME_LIMIT_NO_SOLUTION,
    "kInterrupt": Status.TIME_LIMIT_NO_SOLUTION,
    "kMemoryLimit": Status.ERROR,
    "kHighsInterrupt": Status.TIME_LIMIT_NO_SOLUTION,
}
_FEASIBLE = 2  # HiGHS's primal_solution_status for a feasible point


@cache
def _highspy() -> Any:
    """highspy, imported once; the first Highs object is created with stdout closed (HiGHS prints a banner)."""
    import highspy

    fd = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(fd, 1)
        os.close(fd)
    return highspy


def new_highs(threads: int | None = None) -> highspy.Highs:
    """A silent Highs instance."""
    h = _highspy().Highs()
    h.setOptionValue("output_flag", False)
    if threads:
        h.setOptionValue("threads", int(threads))
    return h


def to_highs_lp(lp: LinearProgram, names: bool = False) -> highspy.HighsLp:
    """The project's arrays as a :class:`highspy.HighsLp` (column-wise matrix)."""
    hs = _highspy()
    start, index, value = csc_arrays(lp.A)
    h = hs.HighsLp()
    h.num_row_, h.num_col_ = lp.A.shape
    h.col_cost_ = lp.c
    h.col_lower_ = lp.col_lower
    h.col_upper_ = lp.col_upper
    h.row_lower_ = lp.row_lower
    h.row_upper_ = lp.row_upper
    h.a_matrix_.format_ = hs.MatrixFormat.kColwise
    h.a_matrix_.start_ = start.astype(np.int32)
    h.a_matrix_.index_ = index.astype(np.int32)
    h.a_matrix_.value_ = value
    if lp.is_mip:
        kinds = (hs.HighsVarType.kContinuous, hs.HighsVarType.kInteger)
        h.integrality_ = [kinds[i] for i in lp.integrality.astype(int)]
    if names and lp.col_names is not None and lp.row_names is not None:
        h.col_names_ = [str(n) for n in lp.col_names]
        h.row_names_ = [str(n) for n in lp.row_names]
    return h


def _set_basis(h: highspy.Highs, col_status: np.ndarray, row_status: np.ndarray) -> bool:
    """Start the next LP solve from a basis (:class:`BasisStatus` codes).

    The basis may come from a related model: it is passed as *alien*, so HiGHS
    completes or repairs it (a singular or incomplete set of basic columns is
    filled with row slacks) before the simplex starts. Returns whether HiGHS
    accepted it; if not, the solve simply starts cold.
    """
    hs = _highspy()
    codes = tuple(hs.HighsBasisStatus.__members__.values())
    b = hs.HighsBasis()
    b.col_status = [codes[i] for i in col_status]
    b.row_status = [codes[i] for i in row_status]
    b.alien = True
    return bool(h.setBasis(b) == hs.HighsStatus.kOk)


def _get_basis(h: highspy.Highs) -> tuple[np.ndarray, np.ndarray] | None:
    """The current basis as int8 arrays of :class:`BasisStatus` codes, or None where HiGHS has none."""
    b = h.getBasis()
    if not b.valid:
        return None
    col = np.array([v.value for v in b.col_status], dtype=np.int8)  # .value: 5x faster than int() here
    row = np.array([v.value for v in b.row_status], dtype=np.int8)
    return col, row


def _status(h: highspy.Highs) -> Status:
    name = h.getModelStatus().name
    status = STATUS_MAP.get(name, Status.ERROR)
    if status is Status.TIME_LIMIT_NO_SOLUTION and h.getInfo().primal_solution_status == _FEASIBLE:
        status = Status.TIME_LIMIT_FEASIBLE
    return status


def _read(h: highspy.Highs, lp: LinearProgram, version: str, began: float, basis: bool = True) -> Solution:
    """The solution HiGHS holds now: values and (for an LP) duals and (with ``basis``) the basis, only when
    one exists."""
    status = _status(h)
    sol = Solution(status, solver="highs", solver_version=version, message=h.modelStatusToString(h.getModelStatus()))
    if status.has_solution:
        s = h.getSolution()
        sol.x = np.asarray(s.col_value, dtype=float)
        sol.objective = float(h.getInfo().objective_function_value)
        if not lp.is_mip and s.dual_valid:
            sol.row_duals = np.asarray(s.row_dual, dtype=float)
            sol.basis = _get_basis(h) if basis else None
    sol.seconds = time.perf_counter() - began
    return sol


class HighsSolver(Solver):
    """HiGHS (simplex / IPM / branch and cut) through highspy."""

    name = "highs"
    features = frozenset({Feature.LP, Feature.MILP, Feature.DUALS, Feature.WARM_START, Feature.INCREMENTAL})

    def __init__(self, threads: int | None = None) -> None:
        self.threads = threads

    @classmethod
    def is_available(cls) -> bool:
        try:
            new_highs()
        except Exception:  # not installed, or its library does not load here
            return False
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
                _set_basis(h, *start)
            h.run()
        except Exception as exc:  # highspy raises on malformed input
            return Solution(Status.ERROR, message=f"HiGHS failed: {exc}", solver=self.name, solver_version=version)
        return _read(h, lp, version, began)

    def incremental(
        self,
        lp: LinearProgram,
        time_limit: float | None = None,
        start: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> HighsModel:
        return HighsModel(lp, threads=self.threads, time_limit=time_limit, start=start)

    def write_model(self, lp: LinearProgram, path: str) -> None:
        """Write ``lp`` as (free) MPS, with names, to ``path``."""
        h = new_highs()
        h.passModel(to_highs_lp(lp, names=True))
        if h.writeModel(path) != _highspy().HighsStatus.kOk:
            raise OSError(f"HiGHS could not write {path}")


class HighsModel:
    """One HiGHS model kept between solves (:class:`~matcher.solve.base.IncrementalModel`).

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
            _set_basis(self.h, *start)
        self.version = self.h.version()

    @property
    def n_columns(self) -> int:
        return int(self.h.getNumCol())

    def set_time_limit(self, seconds: float) -> None:
        self.h.setOptionValue("time_limit", max(float(seconds), 1e-3))

    def set_objective(self, c: np.ndarray) -> None:
        idx = np.arange(c.size, dtype=np.int32)
        self.h.changeColsCost(c.size, idx, np.asarray(c, dtype=float))

    def add_row(self, coefficients: np.ndarray, lower: float, upper: float) -> int:
        nz = np.flatnonzero(coefficients).astype(np.int32)
        self.h.addRow(float(lower), float(upper), nz.size, nz, np.asarray(coefficients, dtype=float)[nz])
        return int(self.h.getNumRow() - 1)

    def add_columns(
        self, cost: np.ndarray, upper: np.ndarray, rows: np.ndarray, cols: np.ndarray, values: np.ndarray
    ) -> None:
        n = cost.size
        order = np.argsort(cols, kind="stable")
        starts = np.searchsorted(cols[order], np.arange(n)).astype(np.int32)
        self.h.addCols(
            n,
            np.asarray(cost, dtype=float),
            np.zeros(n),
            np.asarray(upper, dtype=float),
            int(order.size),
            starts,
            np.asarray(rows, dtype=np.int32)[order],
            np.asarray(values, dtype=float)[order],
        )

    def set_row_bounds(self, rows: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> None:
        idx = np.asarray(rows, dtype=np.int32)
        lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        self.h.changeRowsBounds(idx.size, idx, lo, hi)  # type: ignore[attr-defined]

    def set_col_bounds(self, cols: ArrayLike, lower: ArrayLike, upper: ArrayLike) -> None:
        idx = np.asarray(cols, dtype=np.int32)
        self.h.changeColsBounds(idx.size, idx, np.asarray(lower, dtype=float), np.asarray(upper, dtype=float))

    def set_basis(self, col_status: np.ndarray, row_status: np.ndarray) -> bool:
        return _set_basis(self.h, col_status, row_status)

    def solve(self) -> Solution:
        began = time.perf_counter()
        self.h.run()
        return _read(self.h, self.lp, self.version, began, basis=False)  # read when asked: `basis()`

    def basis(self) -> tuple[np.ndarray, np.ndarray] | None:
        return _get_basis(self.h)
