"""Outputs under attack, through the command line: checked before the solve, whole or not at all, strict JSON, inert.

Every refused output is one line ``error: cannot write <path>: <reason>`` with
exit 1 (2 for a usage problem such as an extension that does not fit the
option), no traceback, and nothing on disk changed. A write that fails midway
(full disk, an exception, SIGTERM) leaves the previous output whole and no
temporary file behind.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result
from hostile import HOSTILE_NAMES, assert_inert_csv, assert_inert_xlsx, write_scenario

import matcher
from matcher.cli import main
from matcher.results.numbers import json_text
from matcher.results.result import RESULT_FILES
from models.files import CannotWrite, atomic_folder, atomic_write, check_writable

ROOT = Path(__file__).resolve().parents[1]


def _snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (hidden ones too) with a digest of its content."""
    out = {}
    for p in sorted(folder.rglob("*")):
        out[str(p.relative_to(folder))] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return out


def _clean_exit(r: Result, code: int) -> None:
    assert r.exit_code == code, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output


def _one_error_line(r: Result) -> str:
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot write "), r.stderr
    return lines[0]


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with a file, a folder, a folder of someone else's files and a small scenario."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("mine")
    (tmp_path / "adir").mkdir()
    (tmp_path / "plot-dir.html").mkdir()
    (tmp_path / "book.xlsx").mkdir()
    (tmp_path / "foreign").mkdir()
    (tmp_path / "foreign" / "notes.txt").write_text("mine too")
    write_scenario(tmp_path / "scen")
    return tmp_path


@pytest.fixture
def no_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if a command loads or solves anything."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the command started its work before checking its outputs")

    for name in ("run", "load", "compare"):
        monkeypatch.setattr(f"matcher.cli.{name}", refuse)


SWEEP = ["sweep", "scen", "--param", "parameters.carbon_price=0,10"]
REFUSED = [
    # (arguments, exit code, part of the message)
    (["match", "scen", "--out", "x", "--xlsx", "/nonexistent/y.xlsx"], 1, "folder /nonexistent does not exist"),
    (["match", "scen", "--xlsx", "out.csv"], 2, "--xlsx writes an XLSX workbook"),
    (["match", "scen", "--out", "afile"], 1, "it is a file, not a folder"),
    (["match", "scen", "--xlsx", "adir"], 2, "give a file name ending in .xlsx"),
    (["match", "scen", "--xlsx", "book.xlsx"], 1, "it is a folder"),
    (["match", "scen", "--xlsx", "afile/y.xlsx"], 1, "afile is not a folder"),
    (["match", "scen", "--out", "foreign"], 1, "holds files symbiose does not write there (notes.txt)"),
    (["match", "scen", "--out", "."], 1, "working folder"),
    (["match", "scen", "--out", "res", "--xlsx", "res/r.xlsx"], 2, "cannot go inside it"),
    (["match", "scen", "--write-mps", "model.lp"], 2, "MPS"),
    (["compare", "scen", "scen", "--out", "c.txt"], 2, ".csv or .xlsx"),
    (["compare", "scen", "scen", "--out", "c.xlsx", "--html", "plot-dir.html"], 1, "it is a folder"),
    (["report", "scen", "--out", "r.pdf"], 2, "an HTML page"),
    (["report", "scen", "--out", "r.html", "--png", "afile"], 1, "it is a file"),
    (["report", "scen", "--png", "imgs", "--out", "imgs/r.html"], 2, "cannot go inside it"),
    (["prices", "scen", "--out", "p.xlsx"], 2, "a CSV table"),
    (["pareto", "scen", "--plot", "p.txt"], 2, ".html or .png or .svg or .pdf"),
    (["pareto", "scen", "--out", "missing/p.csv"], 1, "folder missing does not exist"),
    ([*SWEEP, "--out", "s.json"], 2, "a CSV table"),
    ([*SWEEP, "--plot", "plot-dir.html"], 1, "it is a folder"),
    (["template", "afile"], 1, "it is a file"),
]


@pytest.mark.parametrize(("args", "code", "reason"), REFUSED, ids=[" ".join(a[0]) for a in REFUSED])
@pytest.mark.usefixtures("no_solve")
def test_a_bad_output_is_refused_before_anything_runs_or_is_written(
    runner: CliRunner, place: Path, args: list[str], code: int, reason: str
) -> None:
    before = _snapshot(place)
    r = runner.invoke(main, args)
    _clean_exit(r, code)
    assert reason in _one_error_line(r)
    assert _snapshot(place) == before


@pytest.mark.usefixtures("no_solve")
def test_a_read_only_folder_is_refused_before_the_solve(
    runner: CliRunner, place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (place / "ro").mkdir()
    if os.geteuid() != 0:  # root writes anywhere: there the refusal is simulated below
        (place / "ro").chmod(0o555)
        r = runner.invoke(main, ["match", "scen", "--xlsx", "ro/r.xlsx"])
        _clean_exit(r, 1)
        assert "Permission denied" in _one_error_line(r)
        (place / "ro").chmod(0o755)

    def denied(folder: Path) -> None:
        raise PermissionError(errno.EROFS, "Read-only file system", str(folder))

    monkeypatch.setattr("models.files._probe", denied)
    before = _snapshot(place)
    for args in (["match", "scen", "--xlsx", "ro/r.xlsx"], ["match", "scen", "--out", "ro/res"], ["template", "ro"]):
        r = runner.invoke(main, args)
        _clean_exit(r, 1)
        assert _one_error_line(r).endswith(": Read-only file system")
    assert _snapshot(place) == before


def test_a_full_disk_midway_leaves_the_previous_results_whole(
    runner: CliRunner, place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = runner.invoke(main, ["match", "scen", "--out", "res", "--xlsx", "r.xlsx"])
    _clean_exit(r, 0)
    assert {p.name for p in (place / "res").iterdir()} == set(RESULT_FILES)
    first = _snapshot(place)

    import matcher.results.export as export
    import matcher.results.result as result_module

    calls = {"n": 0}
    real_csv, real_neutralise = result_module.csv_text, export.neutralise

    def csv_then_full(*args: Any, **kwargs: Any) -> str:
        calls["n"] += 1
        if calls["n"] == 2:  # exchanges.csv is written (in the temporary folder), members.csv fails
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_csv(*args, **kwargs)

    monkeypatch.setattr(result_module, "csv_text", csv_then_full)
    r = runner.invoke(main, ["match", "scen", "--out", "res"])
    _clean_exit(r, 1)
    assert _one_error_line(r) == "error: cannot write res: No space left on device"
    assert _snapshot(place) == first  # previous run intact, no temporary folder left

    monkeypatch.setattr(result_module, "csv_text", real_csv)
    calls["n"] = 0

    def sheet_then_full(*args: Any, **kwargs: Any) -> pd.DataFrame:
        calls["n"] += 1
        if calls["n"] == 3:  # two sheets are in the temporary workbook
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_neutralise(*args, **kwargs)

    monkeypatch.setattr(export, "neutralise", sheet_then_full)
    r = runner.invoke(main, ["match", "scen", "--xlsx", "r.xlsx"])
    _clean_exit(r, 1)
    assert _one_error_line(r) == "error: cannot write r.xlsx: No space left on device"
    assert _snapshot(place) == first


@pytest.mark.parametrize("exc", [RuntimeError("bug"), KeyboardInterrupt()])
def test_any_exception_midway_leaves_the_previous_folder_and_no_temporary_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException
) -> None:
    result = matcher.run(write_scenario(tmp_path / "scen"))
    result.to_csv(tmp_path / "res")
    first = _snapshot(tmp_path)
    calls = {"n": 0}

    def fail(frame: pd.DataFrame, index: bool = False) -> str:
        calls["n"] += 1
        if calls["n"] == 3:
            raise exc
        return "a,b\n"

    monkeypatch.setattr("matcher.results.result.csv_text", fail)
    with pytest.raises(type(exc)):
        result.to_csv(tmp_path / "res")
    assert _snapshot(tmp_path) == first
    calls["n"] = 0

    def half(p: Path) -> None:
        p.write_text("half")
        for _ in range(3):
            fail(pd.DataFrame())

    with pytest.raises(type(exc)):
        atomic_write(tmp_path / "res" / "kpis.json", half)
    assert _snapshot(tmp_path) == first


def test_a_second_run_replaces_the_folder_whole(tmp_path: Path) -> None:
    folder = tmp_path / "res"
    owns = {"exchanges.csv", "kpis.json", "members.csv"}.__contains__
    atomic_folder(
        folder, lambda tmp: [_write(tmp / "exchanges.csv", "one"), _write(tmp / "kpis.json", "{}")], owns=owns
    )
    atomic_folder(folder, lambda tmp: [_write(tmp / "members.csv", "two")], owns=owns)
    assert {p.name: p.read_text() for p in folder.iterdir()} == {"members.csv": "two"}  # no file of the first run
    assert [p.name for p in tmp_path.iterdir()] == ["res"]
    with pytest.raises(CannotWrite, match="does not write there"):
        atomic_folder(folder, lambda tmp: [], owns=lambda name: False)


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_temporary_names_are_unique_and_keep_the_suffix(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    seen: list[Path] = []

    def outer(tmp: Path) -> None:
        seen.append(tmp)
        atomic_write(target, lambda inner: (seen.append(inner), inner.write_text("inner")))
        tmp.write_text("outer")

    atomic_write(target, outer)  # two writers of one path at once (as two processes would be) never share a file
    assert len(set(seen)) == 2 and all(p.suffix == ".html" and p.parent == tmp_path for p in seen)
    assert target.read_text() == "outer" and [p.name for p in tmp_path.iterdir()] == ["report.html"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_check_writable_names_the_reason(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    cases = {
        tmp_path / "nope" / "a.csv": "does not exist",
        tmp_path / "f" / "a.csv": "is not a folder",
        tmp_path: "it is a folder",
        Path("/"): "not a file name",
    }
    for path, reason in cases.items():
        with pytest.raises(CannotWrite, match=reason) as info:
            check_writable(path)
        assert str(info.value).startswith(f"cannot write {path}: ")
    with pytest.raises(CannotWrite, match="NUL"):
        check_writable(tmp_path / "a\x00.csv")
    check_writable(tmp_path / "new.csv")
    check_writable(tmp_path / "newdir", folder=True)
    assert [p.name for p in tmp_path.iterdir()] == ["f"]  # checking wrote nothing


def test_sigterm_during_a_write_leaves_no_temporary_files(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys, time
        import matcher.cli

        def slow(folder):
            (folder / "members.csv").write_text("half")
            print("writing", flush=True)
            time.sleep(60)

        matcher.cli.write_templates = slow
        matcher.cli.main(["template", sys.argv[1]])
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "tpl")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "writing"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its temporary twin


def _refuse_constant(token: str) -> None:
    raise AssertionError(f"not strict JSON: {token}")


def test_every_json_document_is_strict(runner: CliRunner, place: Path) -> None:
    commands = [
        ["match", "scen"],
        ["compare", "scen", "scen"],
        ["prices", "scen"],
        ["resilience", "scen", "--exchanges"],
        ["pareto", "scen", "--points", "3"],
        [*SWEEP, "--param", "scale.nope=1,2"],  # failed runs: NaN figures become null
    ]
    for args in commands:
        r = runner.invoke(main, [*args, "--json"])
        _clean_exit(r, 0)
        json.loads(r.stdout, parse_constant=_refuse_constant)
    doc = {"a": float("inf"), "b": [float("nan")], "c": np.float64("-inf")}
    assert json_text(doc) == '{"a":null,"b":[null],"c":null}'


def test_spreadsheets_written_by_every_command_hold_no_formula(
    runner: CliRunner, place: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_scenario(place / "bad", HOSTILE_NAMES)
    r = runner.invoke(main, ["match", "bad", "--out", "res", "--xlsx", "r.xlsx"])
    _clean_exit(r, 0)
    members = pd.read_csv(place / "res" / "members.csv")
    assert set(members["name"]) >= {"'" + HOSTILE_NAMES[0], "'" + HOSTILE_NAMES[3]}  # neutralised, not dropped
    for name in ("exchanges.csv", "members.csv", "streams.csv"):
        assert assert_inert_csv(place / "res" / name) > 0
    assert assert_inert_xlsx(place / "r.xlsx") > 0
    import openpyxl

    sheet = openpyxl.load_workbook(place / "r.xlsx")["members"]
    header = [c.value for c in sheet[1]]
    saving = [row[header.index("saving")] for row in sheet.iter_rows(min_row=2)]
    assert all(c.data_type == "n" for c in saving)  # numbers stay numbers

    # the planning tools' tables: a text column as an attacker would fill it
    evil = ["=1+1", "+cmd", "-cmd", "@cmd", "\tcmd", "\rcmd"]

    def with_text(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(note=[evil[i % len(evil)] for i in range(len(frame))])

    from matcher.planning.pareto import ParetoFront
    from matcher.planning.sweep import Sweep
    from matcher.results.prices import TransferPrices

    for cls in (ParetoFront, Sweep, TransferPrices):
        real = cls.to_frame
        monkeypatch.setattr(cls, "to_frame", lambda self, real=real: with_text(real(self)))
    for args, out in (
        (["prices", "bad", "--out", "p.csv"], "p.csv"),
        ([*SWEEP[:1], "bad", *SWEEP[2:], "--out", "s.csv"], "s.csv"),
        (["pareto", "bad", "--points", "3", "--out", "f.csv"], "f.csv"),
        (["compare", "bad", "scen", "--out", "c.csv"], "c.csv"),
    ):
        r = runner.invoke(main, args)
        _clean_exit(r, 0)
        assert assert_inert_csv(place / out) > 0
    r = runner.invoke(main, ["compare", "bad", "bad", "--out", "c.xlsx"])
    _clean_exit(r, 0)
    assert assert_inert_xlsx(place / "c.xlsx") > 0
    assert "'=1+1" in (place / "p.csv").read_text()


def test_terminal_text_escapes_control_sequences() -> None:
    from matcher.report.text import table

    text = table(pd.DataFrame({"name": ["\x1b]8;;http://evil.example\x07link\x1b]8;;\x07", "ok\u202eevil"]}))
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b]8;;http://evil.example\\x07link" in text


def test_chromium_failing_to_render_is_one_line_and_exit_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import plotly.basedatatypes
    import plotly.io

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("Chromium failed to start: no usable sandbox\nsecond line of a long trace")

    monkeypatch.setattr(plotly.io, "write_images", broken)
    monkeypatch.setattr(plotly.basedatatypes.BaseFigure, "write_image", broken)
    path = str(matcher_scenario("kalundborg"))
    cases = {
        "report --png": ["report", path, "--out", str(tmp_path / "r.html"), "--png", str(tmp_path / "img")],
        "pareto --plot": ["pareto", path, "--points", "3", "--plot", str(tmp_path / "p.png")],
    }
    for name, args in cases.items():
        r = CliRunner().invoke(main, args)
        assert r.exit_code == 1 and isinstance(r.exception, SystemExit), (name, r.output)
        assert "could not render" in r.output and "Chromium failed to start" in r.output, name
        assert "second line" not in r.output
    assert not (tmp_path / "img").exists() and not (tmp_path / "p.png").exists()
    assert not (tmp_path / "r.html").exists()  # the images are rendered first: a failure leaves nothing
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary files left


def matcher_scenario(name: str) -> Path:
    import scenarios

    return scenarios.path(name)
