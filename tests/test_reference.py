"""Each bundled scenario matches as its stored reference results say (``scenarios/<name>/reference/``).

A coefficient bug that every solver shares (a cost, a unit factor, a KPI
formula) changes the numbers and fails here. The bundled scenarios have a
unique optimal flow plan (HiGHS and CBC give the same exchanges), so
exchanges are compared strictly, for both solvers. After an intended change,
regenerate with ``python -m scenarios.reference`` and review the diff.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
import pytest

import matcher
import scenarios
from scenarios import reference

NAMES = sorted(scenarios.names())


@cache
def _result(name: str, solver: str) -> matcher.MatchResult:
    return reference.run(name, solver)


def test_every_bundled_scenario_has_a_reference() -> None:
    lacking = reference.missing()
    assert not lacking, "\n".join(
        f"scenarios/{name}/reference/ lacks {', '.join(files)}: write it with "
        f"`python -m scenarios.reference {name}`, check the numbers and commit the folder"
        for name, files in lacking.items()
    )


@pytest.mark.parametrize("solver", ["highs", "cbc"])
@pytest.mark.parametrize("name", NAMES)
def test_match_agrees_with_reference(name: str, solver: str) -> None:
    if reference.missing([name]):
        pytest.fail(f"no reference for {name}: write it with `python -m scenarios.reference {name}`")
    differences = reference.compare(reference.read(reference.folder(name)), reference.tables(_result(name, solver)))
    assert not differences, (
        f"{name} ({solver}) differs from scenarios/{name}/reference/ "
        f"(rtol {reference.RTOL}, atol {reference.ATOL}); if the change is intended, "
        f"regenerate with `python -m scenarios.reference {name}` and review the diff:\n" + "\n".join(differences)
    )


@pytest.mark.parametrize("name", NAMES)
def test_references_read_back_as_written(name: str, tmp_path: Path) -> None:
    result = _result(name, "highs")
    reference.write(result, tmp_path)
    assert reference.compare(reference.read(tmp_path), reference.tables(result), rtol=1e-9, atol=0.0) == []


def test_stored_files_are_sorted_and_complete() -> None:
    for name in NAMES:
        for table, (keys, _, _) in reference.TABLES.items():
            frame = pd.read_csv(reference.folder(name) / f"{table}.csv", dtype=str, keep_default_na=False)
            assert list(frame.columns) == list(reference.tables(_result(name, "highs"))[table].columns), (name, table)
            if table != "kpis":
                assert frame[keys].equals(frame.sort_values(keys)[keys].reset_index(drop=True)), (name, table)
                assert not frame.duplicated(keys).any(), (name, table)
    kpis = reference.read(reference.folder(NAMES[0]))["kpis"]
    assert {"objective", "baseline_cost", "savings"} <= set(kpis["kpi"])


@pytest.mark.parametrize("table", list(reference.TABLES))
def test_a_one_percent_change_is_caught(table: str) -> None:
    live = reference.tables(_result(NAMES[0], "highs"))
    for column in reference.TABLES[table][2]:
        values = live[table][column].to_numpy(dtype=float, copy=True)
        values[abs(values).argmax()] *= 1.01  # the largest value, so that 1 % is far above atol
        frame = live[table].assign(**{column: values})
        differences = reference.compare(live, {**live, table: frame})
        assert len(differences) == 1 and f" {column} " in differences[0], (column, differences)
    dropped = reference.compare(live, {**live, table: live[table].iloc[1:]})
    assert len(dropped) == 1 and dropped[0].endswith("in the reference, not in the result"), dropped


def test_check_command_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert reference.main(["--check", NAMES[0]]) == 0
    with pytest.raises(SystemExit) as excinfo:
        reference.main(["--check", "no-such-scenario"])
    assert excinfo.value.code == 2
    capsys.readouterr()
