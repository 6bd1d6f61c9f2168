"""Every command against hostile and careless input: a message and the documented exit code, never a traceback.

Each case is a scenario folder spoiled in one way (bytes no text encoding gives, nesting thousands
deep, a YAML bomb, a folder where a file belongs, numbers beyond any network, a header twice, a
foreign file named as a scenario, ...). Every command that reads a scenario gets every case and
must exit 1 (bad input) with a line naming the file, print no traceback, write nothing, and
finish promptly. A FIFO named as a table runs in a subprocess with a timeout: it must not block.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import scenarios
from matcher.cli import main

HILLEROD = scenarios.path("hillerod")


def _copy(tmp: Path) -> Path:
    folder = tmp / "case"
    shutil.copytree(HILLEROD, folder, ignore=shutil.ignore_patterns("reference", "*.png", "*.md"))
    return folder


def _edit_streams(folder: Path, edit: Callable[[list[str]], list[str]]) -> None:
    path = folder / "streams.csv"
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    path.write_text("\n".join(edit(lines)) + "\n", encoding="utf-8")


def _scenario(folder: Path, text: str) -> None:
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")


_BASE = "name: attack\ncurrency: DKK\nmembers: members.csv\nstreams: streams.csv\n"


def bad_bytes(folder: Path) -> str:
    data = (folder / "streams.csv").read_bytes()
    (folder / "streams.csv").write_bytes(data[:200] + b"\x81\x8d\x8f\x90\x9d" + data[200:])
    return "streams.csv"


def utf16_scenario(folder: Path) -> str:
    (folder / "scenario.yaml").write_bytes(_BASE.encode("utf-16"))
    return "scenario.yaml"


def binary_scenario(folder: Path) -> str:
    (folder / "scenario.yaml").write_bytes(bytes(range(256)) * 4)
    return "scenario.yaml"


def deep_json(folder: Path) -> str:
    (folder / "tables.json").write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    _scenario(folder, "name: attack\ncurrency: DKK\ntables: tables.json\n")
    return "tables.json"


def long_extends(folder: Path) -> str:
    for i in range(60):
        (folder / f"v{i}").mkdir()
        parent = ".." if i == 0 else f"../v{i - 1}"
        (folder / f"v{i}" / "scenario.yaml").write_text(f"extends: {parent}\nname: v{i}\n", encoding="utf-8")
    # the case is the last variant
    (folder / "scenario.yaml").rename(folder / "base.yaml")
    (folder / "v0" / "scenario.yaml").write_text("extends: ../base.yaml\nname: v0\n", encoding="utf-8")
    return "extends"


def extends_cycle(folder: Path) -> str:
    (folder / "a").mkdir()
    (folder / "a" / "scenario.yaml").write_text("extends: ..\nname: a\n", encoding="utf-8")
    _scenario(folder, "extends: a\nname: b\n")
    return "extends"


def yaml_bomb(folder: Path) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "a" if i == 0 else "bcdefghi"[i - 1]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    _scenario(folder, _BASE + "\n".join(lines) + "\n")
    return "scenario.yaml"


def folder_as_file(folder: Path) -> str:
    (folder / "members.csv").unlink()
    (folder / "members.csv").mkdir()
    return "members.csv"


def huge_quantity(folder: Path) -> str:
    _edit_streams(folder, lambda ls: [ls[0], ls[1].replace(";400000;", ";1e20;"), *ls[2:]])
    return "streams.csv"


def duplicate_header(folder: Path) -> str:
    _edit_streams(folder, lambda ls: [ls[0] + ";quantity", *[line + ";1" for line in ls[1:]]])
    return "streams.csv"


def table_in_a_role_it_does_not_hold(folder: Path) -> str:
    (folder / "people.json").write_text(json.dumps({"people": []}), encoding="utf-8")
    _scenario(folder, "name: attack\ncurrency: DKK\nmembers: people.json\nstreams: streams.csv\n")
    return "people.json"


def extends_a_system_file(folder: Path) -> str:
    _scenario(folder, "extends: /etc/passwd\nname: x\n")
    return "passwd"


def infinite_carbon_price(folder: Path) -> str:
    _scenario(folder, _BASE + "parameters: {carbon_price: .inf}\n")
    return "carbon_price"


def nan_weights(folder: Path) -> str:
    _scenario(folder, _BASE + "parameters: {objective: {cost: .nan}}\n")
    return "objective"


def negative_weights(folder: Path) -> str:
    _scenario(folder, _BASE + "parameters: {objective: {cost: -1, co2e: 1}}\n")
    return "objective"


def zero_weights(folder: Path) -> str:
    _scenario(folder, _BASE + "parameters: {objective: {cost: 0, co2e: 0}}\n")
    return "objective"


def duplicate_yaml_key(folder: Path) -> str:
    _scenario(folder, _BASE + "parameters: {carbon_price: 10}\nparameters: {carbon_price: 20}\n")
    return "parameters"


def boolean_as_number(folder: Path) -> str:
    _scenario(folder, _BASE + "parameters: {carbon_price: yes}\n")
    return "carbon_price"


def huge_catalog_cost(folder: Path) -> str:
    (folder / "resources.yaml").write_text(
        "resources:\n  - key: crushed_concrete\n"
        "    disposal_cost: {value: 1e308, unit: EUR/t, source: attack, year: 2026}\n",
        encoding="utf-8",
    )
    _scenario(folder, _BASE + "resources: resources.yaml\n")
    return "resources.yaml"


def huge_sheet(folder: Path) -> str:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "members"
    ws["A1"] = "member_id"
    ws["XFD1048576"] = 1
    wb.create_sheet("streams")["A1"] = "stream_id"
    wb.save(folder / "book.xlsx")
    _scenario(folder, "name: attack\ncurrency: DKK\ntables: book.xlsx\n")
    return "book.xlsx"


CASES = [
    bad_bytes,
    utf16_scenario,
    binary_scenario,
    deep_json,
    long_extends,
    extends_cycle,
    yaml_bomb,
    folder_as_file,
    huge_quantity,
    duplicate_header,
    table_in_a_role_it_does_not_hold,
    extends_a_system_file,
    infinite_carbon_price,
    nan_weights,
    negative_weights,
    zero_weights,
    duplicate_yaml_key,
    boolean_as_number,
    huge_catalog_cost,
    huge_sheet,
]


def _commands(path: str, out: Path) -> dict[str, list[str]]:
    return {
        "validate": ["validate", path],
        "show": ["show", path],
        "match": ["match", path, "--out", str(out / "m"), "--xlsx", str(out / "m.xlsx")],
        "match --json": ["match", path, "--json"],
        "report": ["report", path, "--out", str(out / "r.html")],
        "compare": ["compare", str(HILLEROD), path, "--html", str(out / "c.html")],
        "pareto": ["pareto", path, "--points", "3", "--out", str(out / "p.csv")],
        "resilience": ["resilience", path],
        "prices": ["prices", path, "--out", str(out / "t.csv")],
        "sweep": [
            "sweep",
            path,
            "--param",
            "parameters.carbon_price=0,100",
            "--workers",
            "1",
            "--out",
            str(out / "s.csv"),
        ],
    }


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.__name__)
def test_every_command_gives_a_message_and_exit_1(case: Callable[[Path], str], tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    where = case(folder)
    path = folder / "v59" if case is long_extends else folder
    out = tmp_path / "out"
    out.mkdir()
    runner = CliRunner()
    passwd = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").splitlines()
    for name, args in _commands(str(path), out).items():
        r = runner.invoke(main, args)
        said = r.output
        assert isinstance(r.exception, SystemExit), (name, case.__name__, r.exception, said)  # no traceback
        assert r.exit_code == 1, (name, case.__name__, said)
        assert "Traceback" not in said
        assert where in said, (name, case.__name__, said)
        assert list(out.iterdir()) == [], (name, case.__name__)  # nothing written
        assert not any(line and line in said for line in passwd[:3]), "a foreign file's content was echoed"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_as_a_table_does_not_block(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "members.csv").unlink()
    os.mkfifo(folder / "members.csv")
    for command in ("validate", "match"):
        done = subprocess.run(
            [sys.executable, "-m", "matcher.cli", command, str(folder)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        assert "members.csv" in done.stderr and "Traceback" not in done.stderr
