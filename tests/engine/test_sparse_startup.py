"""The model's matrix as triplets (no scipy on the small path), and what a small match imports."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.engine import sparse
from matcher.engine.sparse import Triplets, csc_arrays


@st.composite
def _entries(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
    n_rows, n_cols = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    n = draw(st.integers(0, 30))  # more entries than cells: repeats that must add up
    rows = draw(st.lists(st.integers(0, n_rows - 1), min_size=n, max_size=n))
    cols = draw(st.lists(st.integers(0, n_cols - 1), min_size=n, max_size=n))
    vals = draw(st.lists(st.floats(-1e6, 1e6), min_size=n, max_size=n))
    return np.array(rows, dtype=int), np.array(cols, dtype=int), np.array(vals), (n_rows, n_cols)


@settings(max_examples=200, deadline=None)
@given(_entries(), st.booleans())
def test_column_arrays_equal_scipys(entries, through_scipy: bool) -> None:  # type: ignore[no-untyped-def]
    rows, cols, vals, shape = entries
    reference = sp.csc_matrix((vals, (rows, cols)), shape=shape)
    reference.sum_duplicates()
    reference.sort_indices()
    old = sparse.NUMPY_UP_TO
    sparse.NUMPY_UP_TO = -1 if through_scipy else old  # both paths of csc_arrays
    try:
        start, index, value = Triplets(rows, cols, vals, shape).csc_arrays()
    finally:
        sparse.NUMPY_UP_TO = old
    assert start.tolist() == reference.indptr.tolist()
    assert index.tolist() == reference.indices.tolist()
    np.testing.assert_allclose(value, reference.data, rtol=1e-12, atol=1e-6)
    m = Triplets(rows, cols, vals, shape)
    x = np.arange(1.0, shape[1] + 1)
    np.testing.assert_allclose(m @ x, reference @ x, rtol=1e-12, atol=1e-6)
    np.testing.assert_allclose(m.T.toarray(), reference.T.toarray())
    s_start, s_index, s_value = csc_arrays(reference)
    assert (s_start.tolist(), s_index.tolist()) == (start.tolist(), index.tolist())
    np.testing.assert_allclose(s_value, value, rtol=1e-12, atol=1e-6)


def test_a_small_match_imports_neither_pint_nor_scipy_nor_pulp() -> None:
    code = (
        "import sys, io, contextlib\n"
        "heavy = set(sys.argv[1:])\n"
        "from matcher.cli import main\n"
        "sys.argv = ['symbiose', 'match', __import__('scenarios').path('hillerod').as_posix(), '--json']\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try: main()\n"
        "    except SystemExit as e: assert not e.code, e.code\n"
        'assert \'"status":"optimal"\' in out.getvalue()\n'
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    heavy = ["pint", "scipy", "pulp", "dask", "plotly", "jinja2", "openpyxl", "kaleido", "networkx"]
    done = subprocess.run([sys.executable, "-c", code, *heavy], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
