"""The model's matrix as triplets (no scipy on the small path), what a small match imports, and the cheaper paths
it takes (each the same as the path it replaces)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.engine import sparse
from matcher.engine.sparse import Triplets, csc_arrays
from models import catalog, network, tables
from models.records import SEASON_TABLES, TABLES
from models.tables import RawTable
from models.validate import parse_numbers, parse_table


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
        "import sys, io, contextlib, subprocess\n"
        "heavy = set(sys.argv[1:])\n"
        "def refuse(*args, **kwargs): raise AssertionError(f'a program was started: {args}')\n"
        "subprocess.Popen = refuse  # no probe of CBC when HiGHS solves\n"
        "from matcher.cli import main\n"
        "sys.argv = ['symbiose', 'match', __import__('scenarios').path('hillerod').as_posix(), '--json']\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try: main()\n"
        "    except SystemExit as e: assert not e.code, e.code\n"
        'assert \'"status":"optimal"\' in out.getvalue()\n'
        "print(sorted({m for m in sys.modules for m in (m, m.split('.')[0])} & heavy))\n"
    )
    heavy = [
        *("pint", "scipy", "pulp", "dask", "plotly", "jinja2", "openpyxl", "kaleido", "networkx", "numba"),
        # the registry's commands are entry points, loaded only when called
        *("django", "registry", "argon2", "waitress", "psycopg"),
        # the planning tools, the HTML report and transfer prices: their commands import them
        *("matcher.planning.sweep", "matcher.planning.pareto", "matcher.planning.resilience"),
        *("matcher.report.html", "matcher.report.figures", "matcher.results.prices", "multiprocessing"),
    ]
    done = subprocess.run([sys.executable, "-c", code, *heavy], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_lazy_names_of_matcher_are_there() -> None:
    import matcher
    import matcher.report

    for name in matcher.__all__:
        assert getattr(matcher, name) is not None, name
    for name in matcher.report.__all__:
        assert callable(getattr(matcher.report, name)), name
    with pytest.raises(AttributeError):
        _ = matcher.no_such_name


def _parse_numbers_by_pandas(text: pd.Series) -> pd.Series:
    """:func:`parse_numbers` as it was, with pandas string methods (the reference of the loop that replaced it)."""
    t = text.astype(str).str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    has_comma = t.str.contains(",", regex=False)
    if has_comma.any():
        has_point = t.str.contains(".", regex=False)
        comma_last = t.str.rfind(",") > t.str.rfind(".")
        both = has_comma & has_point
        t = t.mask(both & comma_last, t.str.replace(".", "", regex=False))
        t = t.mask(both & ~comma_last, t.str.replace(",", "", regex=False))
        t = t.str.replace(",", ".", regex=False)
    out = pd.to_numeric(t.where(t.ne("")), errors="coerce").astype(float)
    return out.where(np.isfinite(out))


_CELL = st.one_of(
    st.text(alphabet=st.sampled_from(list("0123456789.,' -+eE\u00a0\u202f\tinfa_x")), max_size=12),
    st.text(max_size=6),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELL, max_size=12), st.booleans())
def test_parse_numbers_reads_as_the_pandas_string_methods_did(cells: list[str], with_missing: bool) -> None:
    text = pd.Series(cells + ([None] if with_missing else []), dtype=str, name="quantity")
    pd.testing.assert_series_equal(parse_numbers(text), _parse_numbers_by_pandas(text))


_TEXT = st.one_of(
    st.none(), st.text(alphabet=st.sampled_from(list("ab #;\x00\x01\x1f\x7f\t\u00a0\u2003\u3000\u0085é")), max_size=5)
)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 4), st.integers(0, 5), st.data())
def test_text_cells_cleaned_together_as_one_by_one(n_rows: int, n_cols: int, data: st.DataObject) -> None:
    cells = {f"c{j}": data.draw(st.lists(_TEXT, min_size=n_rows, max_size=n_rows)) for j in range(n_cols)}
    frame = pd.DataFrame({c: pd.Series(v, dtype=str) for c, v in cells.items()}, index=pd.RangeIndex(n_rows) + 3)
    columns = list(frame.columns)
    cleaned, blank = tables._clean_texts(frame, columns, dict(zip(columns, frame.dtypes)))
    expected = {c: tables._clean_text(frame[c]) for c in columns}
    assert list(cleaned) == columns
    for c in columns:
        pd.testing.assert_series_equal(cleaned[c], expected[c])
    every = np.ones(n_rows, dtype=bool)
    for c in columns:
        every &= expected[c].eq("").to_numpy(dtype=bool)
    assert blank.tolist() == every.tolist()


def test_the_builtin_catalog_reads_the_same_as_a_users_file() -> None:
    # the bounded reader refuses repeated keys, deep nesting and alias bombs: the shipped file passes it
    assert catalog._builtin_document() == catalog._builtin_document(bounded=True)


@pytest.mark.parametrize("name", [*TABLES, *SEASON_TABLES])
def test_an_absent_table_is_parsed_once_and_copied(name: str) -> None:
    model = {**TABLES, **SEASON_TABLES}[name]
    raw = RawTable(pd.DataFrame(columns=list(model.model_fields)), np.array([], dtype=int), name)
    fresh, issues = parse_table(raw, model)
    first, found = network._absent(name, model)
    pd.testing.assert_frame_equal(first, fresh)
    assert found == issues == []
    first["_row"] = first["_row"].astype(float)  # a caller changing its copy changes no other
    first.attrs["x"] = 1
    again, _ = network._absent(name, model)
    pd.testing.assert_frame_equal(again, fresh)
