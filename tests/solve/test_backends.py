"""The solver interface: declared features, one status table per backend, probes that really probe."""

from __future__ import annotations

import highspy
import numpy as np
import pulp
import pytest
import scipy.sparse as sp

import matcher
from matcher.engine.formulation import LinearProgram
from matcher.errors import UnknownSolver, Unsupported
from matcher.solve import Feature, Status, available_solvers, get_solver
from matcher.solve import pulp as pulp_backend
from matcher.solve.base import BasisStatus
from matcher.solve.highs import STATUS_MAP as HIGHS_STATUS
from matcher.solve.highs import HighsSolver
from matcher.solve.pulp import STATUS_MAP as PULP_STATUS
from matcher.solve.pulp import PulpSolver
from models import load


def test_every_native_status_has_a_project_status() -> None:
    assert set(HIGHS_STATUS) == set(highspy.HighsModelStatus.__members__)
    assert set(PULP_STATUS) == set(pulp.LpStatus)
    assert all(isinstance(s, Status) for s in [*HIGHS_STATUS.values(), *PULP_STATUS.values()])


def test_basis_codes_are_those_highs_uses() -> None:
    assert [int(v) for v in highspy.HighsBasisStatus.__members__.values()] == [int(b) for b in BasisStatus]


def test_a_cbc_that_does_not_start_is_not_available(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "cbc"
    broken.write_text("#!/bin/sh\nexit 7\n")
    broken.chmod(0o755)
    pulp_backend._cbc_runs.cache_clear()
    monkeypatch.setattr(pulp_backend, "cbc_path", lambda: str(broken))
    try:
        assert not PulpSolver.is_available()
        assert "cbc" not in available_solvers()
        with pytest.raises(UnknownSolver):
            get_solver("cbc")
    finally:
        monkeypatch.undo()
        pulp_backend._cbc_runs.cache_clear()
    assert PulpSolver.is_available()  # the real one answers


def test_unknown_pulp_solver_is_refused_up_front() -> None:
    with pytest.raises(UnknownSolver, match="not available"):
        get_solver("pulp:NO_SUCH_SOLVER")


def test_a_backend_without_incremental_solving_says_so(hillerod) -> None:  # type: ignore[no-untyped-def]
    scenario, network = load(hillerod)
    cbc = get_solver("cbc")
    assert Feature.INCREMENTAL not in cbc.features and Feature.INCREMENTAL in HighsSolver.features
    lp = LinearProgram(
        c=np.array([1.0]),
        A=sp.csr_matrix(np.array([[1.0]])),
        row_lower=np.array([1.0]),
        row_upper=np.array([1.0]),
        col_lower=np.array([0.0]),
        col_upper=np.array([np.inf]),
        integrality=np.array([False]),
    )
    with pytest.raises(Unsupported):
        cbc.incremental(lp)
    with pytest.raises(Unsupported):
        matcher.match(network, scenario, solver="cbc", method="pricing")
    with pytest.raises(Unsupported):
        matcher.pareto_front(network, scenario, solver=cbc)


def test_columns_added_to_a_kept_model_solve_as_if_built_whole() -> None:
    # min x0 + 2 x1 + 0.5 x2  s.t.  x0 + x1 + x2 = 3,  x2 <= 1 ; x2 added later
    whole = LinearProgram(
        c=np.array([1.0, 2.0, 0.5]),
        A=sp.csr_matrix(np.array([[1.0, 1.0, 1.0]])),
        row_lower=np.array([3.0]),
        row_upper=np.array([3.0]),
        col_lower=np.zeros(3),
        col_upper=np.array([np.inf, np.inf, 1.0]),
        integrality=np.zeros(3, dtype=bool),
    )
    first = LinearProgram(
        c=whole.c[:2],
        A=sp.csr_matrix(np.array([[1.0, 1.0]])),
        row_lower=whole.row_lower,
        row_upper=whole.row_upper,
        col_lower=np.zeros(2),
        col_upper=np.full(2, np.inf),
        integrality=np.zeros(2, dtype=bool),
    )
    kept = HighsSolver().incremental(first)
    assert kept.solve().objective == pytest.approx(3.0)
    kept.add_columns(np.array([0.5]), np.array([1.0]), np.array([0]), np.array([0]), np.array([1.0]))
    again = kept.solve()
    assert kept.n_columns == 3
    assert again.objective == pytest.approx(HighsSolver().solve(whole).objective) == pytest.approx(2.5)
    assert again.x is not None and again.x[2] == pytest.approx(1.0)
    basis = kept.basis()
    assert basis is not None and basis[0].size == 3
