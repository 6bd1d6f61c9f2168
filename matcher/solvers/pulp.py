"""PuLP backends: CBC (bundled with PuLP) and any other solver PuLP reaches.

PuLP builds its model in Python, one expression per row; it is here for
reach (GLPK, Gurobi, CPLEX, ...) and as an independent check of HiGHS, not
for speed.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pulp

from .base import Feature, Solution, Solver, Status

if TYPE_CHECKING:
    from ..formulation import LinearProgram

__all__ = ["PulpSolver"]

#: PuLP status (and solution status) -> project status.
STATUS_MAP: dict[int, Status] = {
    pulp.LpStatusOptimal: Status.OPTIMAL,
    pulp.LpStatusInfeasible: Status.INFEASIBLE,
    pulp.LpStatusUnbounded: Status.UNBOUNDED,
    pulp.LpStatusNotSolved: Status.TIME_LIMIT_NO_SOLUTION,
    pulp.LpStatusUndefined: Status.ERROR,
}


class PulpSolver(Solver):
    """A solver reached through PuLP, by its PuLP name (default ``PULP_CBC_CMD``)."""

    name: ClassVar[str] = "cbc"
    features = frozenset({Feature.LP, Feature.MILP, Feature.DUALS})

    def __init__(self, pulp_name: str = "PULP_CBC_CMD") -> None:
        self.pulp_name = pulp_name

    @classmethod
    def is_available(cls) -> bool:
        return "PULP_CBC_CMD" in pulp.listSolvers(onlyAvailable=True)

    def solve(self, lp: LinearProgram, time_limit: float | None = None) -> Solution:
        start = time.perf_counter()
        prob = pulp.LpProblem("symbiose", pulp.LpMinimize)
        n = lp.c.size
        cols = [
            pulp.LpVariable(
                f"c{j}",
                lowBound=None if np.isinf(lp.col_lower[j]) else float(lp.col_lower[j]),
                upBound=None if np.isinf(lp.col_upper[j]) else float(lp.col_upper[j]),
                cat=pulp.LpInteger if lp.integrality[j] else pulp.LpContinuous,
            )
            for j in range(n)
        ]
        prob += pulp.lpSum(float(cj) * v for cj, v in zip(lp.c, cols) if cj != 0)
        A = lp.A.tocsr()
        names = []
        for i in range(A.shape[0]):
            lo, hi = A.indptr[i], A.indptr[i + 1]
            expr = pulp.LpAffineExpression(zip((cols[j] for j in A.indices[lo:hi]), map(float, A.data[lo:hi])))
            lo_b, hi_b = lp.row_lower[i], lp.row_upper[i]
            if lo_b == hi_b:
                prob += (expr == float(lo_b)), f"r{i}"
                names.append([f"r{i}"])
                continue
            row = []
            if np.isfinite(lo_b):
                prob += (expr >= float(lo_b)), f"r{i}_lo"
                row.append(f"r{i}_lo")
            if np.isfinite(hi_b):
                prob += (expr <= float(hi_b)), f"r{i}_hi"
                row.append(f"r{i}_hi")
            names.append(row)
        solver = pulp.getSolver(self.pulp_name, msg=False, timeLimit=time_limit)
        try:
            prob.solve(solver)
        except pulp.PulpSolverError as exc:
            return Solution(Status.ERROR, message=str(exc), solver=self.name)
        status = STATUS_MAP.get(prob.status, Status.ERROR)
        has_values = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
        if status is Status.OPTIMAL and prob.sol_status == pulp.LpSolutionIntegerFeasible:
            status = Status.TIME_LIMIT_FEASIBLE
        if status is Status.TIME_LIMIT_NO_SOLUTION and has_values:
            status = Status.TIME_LIMIT_FEASIBLE
        sol = Solution(status, solver=self.name, solver_version=pulp.__version__, message=pulp.LpStatus[prob.status])
        if status.has_solution:
            sol.x = np.array([v.value() or 0.0 for v in cols])
            sol.objective = float(lp.c @ sol.x)
            if not lp.is_mip:
                pi = {k: c.pi for k, c in prob.constraints.items()}
                sol.row_duals = np.array([sum((pi.get(k) or 0.0) for k in row) for row in names])
        sol.seconds = time.perf_counter() - start
        return sol
