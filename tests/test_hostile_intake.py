"""Intake under attack: hostile and careless files give a DataError naming file, row and column.

Never a traceback, never a hang, never a silent wrong result, never the content of a
file that is not what it should be. The limits are those of :mod:`models.limits`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import scenarios
from models import DataError, Issue, Network, ScenarioError, limits, load, readers, tables, validate
from models.records import TABLES
from models.scenario import Parameters, Scenario
from models.tables import read_csv, read_workbook

SECRET = "hunter2-do-not-print"


# ---------------------------------------------------------------------- helpers
def _copy_scenario(folder: Path, name: str = "hillerod") -> Path:
    """A copy of a bundled scenario's own files (scenario.yaml, tables, resources) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for f in scenarios.path(name).iterdir():
        if f.is_file() and f.suffix in (".csv", ".yaml"):
            shutil.copy(f, folder / f.name)
    return folder


def _with_yaml(folder: Path, extra: str) -> Path:
    """Append lines to the scenario.yaml of ``folder``."""
    path = folder / "scenario.yaml"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return folder


def _set_parameter(folder: Path, line: str) -> Path:
    """Set one parameter in the scenario.yaml of ``folder`` (replacing its line if it has one)."""
    path = folder / "scenario.yaml"
    text = path.read_text(encoding="utf-8")
    key = line.split(":")[0]
    if re.search(rf"^  {key}:", text, flags=re.M):
        text = re.sub(rf"^  {key}:.*$", lambda _: f"  {line}", text, count=1, flags=re.M)
    else:
        text = text.replace("  carbon_price: 0\n", f"  carbon_price: 0\n  {line}\n")
    path.write_text(text, encoding="utf-8")
    return folder


def _issues(target: Any) -> list[Any]:
    with pytest.raises(DataError) as exc:
        load(target)
    assert exc.value.issues
    return exc.value.issues


def _one(target: Any) -> Any:
    issues = _issues(target)
    assert len(issues) == 1, issues
    return issues[0]


def _network_json(**stream: Any) -> dict[str, Any]:
    row = {
        "stream_id": "s1",
        "member_id": "A",
        "direction": "supply",
        "resource": "heat_low",
        "quantity": 5,
        "unit": "MWh",
        **stream,
    }
    return {"members": [{"member_id": "A", "name": "Alfa", "lat": 55.9, "lon": 12.3}], "streams": [row]}


def _frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    members = pd.DataFrame(
        {"member_id": ["A", "B"], "name": ["Alfa", "Beta"], "lat": [55.9, 55.93], "lon": [12.3, 12.31]}
    )
    streams = pd.DataFrame(
        {
            "stream_id": ["s1", "d1"],
            "member_id": ["A", "B"],
            "direction": ["supply", "demand"],
            "resource": ["heat_medium", "heat_low"],
            "quantity": [500.0, 300.0],
            "unit": ["MWh", "MWh"],
            "q_temperature_c": [80.0, np.nan],
            "q_temperature_c_min": [np.nan, 55.0],
        }
    )
    links = pd.DataFrame({"from_member": ["A"], "to_member": ["B"], "distance_km": [1.5], "mode": ["pipe"]})
    return members, streams, links


def _cli(path: Path) -> Any:
    from click.testing import CliRunner

    from matcher.cli import main

    return CliRunner().invoke(main, ["validate", str(path)])


# ---------------------------------------------------------------------- 1. files that are not regular files
def test_a_folder_where_a_table_belongs(tmp_path: Path) -> None:
    folder = _copy_scenario(tmp_path / "s")
    (folder / "members.csv").unlink()
    (folder / "members.csv").mkdir()
    issue = _one(folder)
    assert (issue.file, issue.row, issue.message) == ("members.csv", None, "is a folder; expected a file")


def test_a_folder_where_scenario_yaml_belongs(tmp_path: Path) -> None:
    folder = _copy_scenario(tmp_path / "s")
    (folder / "scenario.yaml").unlink()
    (folder / "scenario.yaml").mkdir()
    with pytest.raises(ScenarioError, match="is a folder; expected a file"):
        load(folder)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("name", ["members.csv", "scenario.yaml", "resources.yaml"])
def test_a_fifo_is_refused_without_blocking(tmp_path: Path, name: str) -> None:
    folder = _copy_scenario(tmp_path / "s")
    if name == "resources.yaml":
        _with_yaml(folder, "resources: resources.yaml\n")
    (folder / name).unlink(missing_ok=True)
    os.mkfifo(folder / name)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            load(folder)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "reading a FIFO blocked"
    assert outcome and isinstance(outcome[0], DataError), outcome
    assert [i.message for i in outcome[0].issues] == [
        "is not a regular file (a pipe, device or socket); only regular files are read"
    ]


def test_permission_denied_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy_scenario(tmp_path / "s")
    real_open = os.open

    def deny(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("streams.csv"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(readers.os, "open", deny)
    issue = _one(folder)
    assert (issue.file, issue.message) == ("streams.csv", "cannot read file: permission denied")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_file_swapped_for_a_fifo_after_stat_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is repeated on the open file, so a swap between stat and open is caught."""
    path = tmp_path / "members.csv"
    path.write_text("member_id,name,lat,lon\n", encoding="utf-8")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    real_open = os.open
    monkeypatch.setattr(readers.os, "open", lambda p, flags, *a: real_open(fifo, flags, *a))
    with pytest.raises(DataError, match="not a regular file"):
        read_csv(path)


@pytest.mark.parametrize(
    ("name", "limit", "kind"),
    [("streams.csv", limits.MAX_TABLE_BYTES, "tables"), ("scenario.yaml", limits.MAX_YAML_BYTES, "YAML files")],
)
def test_files_beyond_the_size_limit_are_refused_unread(tmp_path: Path, name: str, limit: int, kind: str) -> None:
    folder = _copy_scenario(tmp_path / "s")
    with open(folder / name, "r+b") as fh:
        fh.truncate(limit + 1)  # sparse: costs no disk
    issues = _issues(folder)
    assert [(i.file, i.message) for i in issues] == [
        (name, f"file is {limit + 1:,} bytes; the limit for {kind} is {limits.describe_bytes(limit)}")
    ]


def test_limits_are_documented_constants() -> None:
    assert limits.MAX_TABLE_BYTES == 200_000_000 and limits.MAX_YAML_BYTES == 1_000_000
    assert (limits.MAX_ROWS, limits.MAX_COLUMNS) == (1_000_000, 200)
    assert (limits.MAX_NESTING, limits.MAX_EXTENDS, limits.MAX_ABS_NUMBER) == (64, 16, 1e15)


# ---------------------------------------------------------------------- 2. text that is not text
@pytest.mark.parametrize("byte", [0x81, 0x8D, 0x8F, 0x90, 0x9D])
def test_bytes_neither_utf8_nor_cp1252_name_byte_and_line(tmp_path: Path, byte: int) -> None:
    path = tmp_path / "members.csv"
    path.write_bytes(b"member_id;name;lat;lon\nA;\xc6r\xf8;55;12\nB;x" + bytes([byte]) + b";55;12\n")
    with pytest.raises(DataError) as exc:
        read_csv(path)
    message = f"not UTF-8 or Windows-1252 text (byte 0x{byte:02X} at line 3); save it as UTF-8"
    assert [(i.file, i.row, i.message) for i in exc.value.issues] == [("members.csv", 3, message)]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_a_utf16_scenario_is_refused_without_echo(tmp_path: Path, encoding: str) -> None:
    folder = _copy_scenario(tmp_path / "s")
    path = folder / "scenario.yaml"
    path.write_bytes((path.read_text(encoding="utf-8") + f"# {SECRET}\n").encode(encoding))
    with pytest.raises(ScenarioError) as exc:
        load(folder)
    (issue,) = exc.value.issues
    assert issue.file == "scenario.yaml" and "save it as UTF-8" in issue.message
    assert SECRET not in str(exc.value)


def test_a_binary_scenario_is_refused_without_echo(tmp_path: Path) -> None:
    folder = _copy_scenario(tmp_path / "s")
    (folder / "scenario.yaml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + SECRET.encode() + b"\xff" * 50)
    with pytest.raises(ScenarioError) as exc:
        load(folder)
    assert [i.message for i in exc.value.issues] == [
        "file is binary or UTF-16, not text (byte 0x00 at line 3); save it as UTF-8"
    ]
    assert SECRET not in str(exc.value)


def test_control_characters_in_yaml_name_their_line(tmp_path: Path) -> None:
    folder = _with_yaml(_copy_scenario(tmp_path / "s"), "description: bell \x07 here\n")
    issue = _one(folder)
    assert issue.message == "not valid YAML: the character 0x07 is not allowed"
    assert issue.row == len((folder / "scenario.yaml").read_text(encoding="utf-8").splitlines())


def test_messages_never_drive_the_terminal() -> None:
    issue = Issue("a\x1b[2J.csv", 3, "x\ny", "bad\tvalue")
    assert str(issue) == "a\\x1b[2J.csv:3:x\\x0ay: bad\\x09value"


# ---------------------------------------------------------------------- 3. nesting
def _nested_json(depth: int) -> str:
    return json.dumps({"members": [], "streams": []})[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"


@settings(max_examples=25)
@given(st.integers(1, 5000))
def test_json_nesting_is_bounded(depth: int) -> None:
    text = _nested_json(depth)
    if depth + 1 > limits.MAX_NESTING:
        with pytest.raises(DataError, match=f"nested more than {limits.MAX_NESTING} levels deep"):
            readers.parse_json(text, "n.json")
    else:
        assert readers.parse_json(text, "n.json")["members"] == []


@settings(max_examples=25)
@given(st.integers(1, 3000), st.sampled_from(["flow", "block"]))
def test_yaml_nesting_is_bounded(depth: int, style: str) -> None:
    if style == "flow":
        text = "catalog: " + "[" * depth + "]" * depth + "\n"
    else:
        text = "catalog:\n" + "".join(" " * i + "- \n" for i in range(min(depth, 400)))
    levels = depth + 1 if style == "flow" else min(depth, 400) + 1
    if levels > limits.MAX_NESTING:
        with pytest.raises(DataError, match="nested more than"):
            readers.parse_yaml(text, "scenario.yaml")
    else:
        assert "catalog" in readers.parse_yaml(text, "scenario.yaml")


def test_a_10kb_json_of_brackets_is_refused_fast(tmp_path: Path) -> None:
    path = tmp_path / "network.json"
    path.write_text("[" * 5000 + "]" * 5000)
    start = time.perf_counter()
    issue = _one(path)
    assert time.perf_counter() - start < 5
    assert (issue.file, issue.message) == ("network.json", "nested more than 64 levels deep")


def test_brackets_inside_json_strings_do_not_count() -> None:
    doc = readers.parse_json(json.dumps({"notes": "[" * 500 + '\\"{' * 100}), "n.json")
    assert doc["notes"].startswith("[[[")


# ---------------------------------------------------------------------- 4. extends chains
def _chain(tmp_path: Path, length: int) -> Path:
    previous = scenarios.path("hillerod")
    for i in range(length):
        folder = tmp_path / f"v{i}"
        folder.mkdir()
        (folder / "scenario.yaml").write_text(f"extends: {previous}\nname: variant {i}\n", encoding="utf-8")
        previous = folder
    return previous


def test_an_extends_chain_up_to_the_limit_loads(tmp_path: Path) -> None:
    scenario, _ = load(_chain(tmp_path, limits.MAX_EXTENDS - 1))
    assert scenario.name == f"variant {limits.MAX_EXTENDS - 2}"


def test_a_longer_extends_chain_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as exc:
        load(_chain(tmp_path, limits.MAX_EXTENDS + 20))
    (issue,) = exc.value.issues
    assert issue.column == "extends" and f"more than {limits.MAX_EXTENDS} scenarios" in issue.message


def test_a_scenario_that_extends_itself_is_a_circle(tmp_path: Path) -> None:
    folder = _copy_scenario(tmp_path / "s")
    _with_yaml(folder, "extends: .\n")
    with pytest.raises(ScenarioError, match="circle"):
        load(folder)


@pytest.mark.parametrize("value", ["[a, b]", "{x: 1}", "42", '""', "' '"])
def test_extends_must_name_a_path(tmp_path: Path, value: str) -> None:
    folder = _with_yaml(_copy_scenario(tmp_path / "s"), f"extends: {value}\n")
    issue = _one(folder)
    assert (issue.file, issue.column) == ("scenario.yaml", "extends")


def test_an_error_in_a_base_names_the_base(tmp_path: Path) -> None:
    _set_parameter(_copy_scenario(tmp_path / "base"), "carbon_price: .inf")
    variant = tmp_path / "variant"
    variant.mkdir()
    (variant / "scenario.yaml").write_text("extends: ../base\nname: v\nparameters: {circuity: 1.4}\n")
    issue = _one(variant)
    assert issue.file.endswith(str(Path("base") / "scenario.yaml")), issue
    assert issue.column == "parameters.carbon_price"


# ---------------------------------------------------------------------- 5. YAML aliases and keys
def _laughs(levels: int) -> str:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_in_milliseconds(tmp_path: Path) -> None:
    folder = _copy_scenario(tmp_path / "s")
    path = folder / "scenario.yaml"
    path.write_text(_laughs(9) + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert path.stat().st_size < 2000
    start = time.perf_counter()
    issue = _one(folder)
    assert time.perf_counter() - start < 2
    assert issue.row == 1 and "aliases expand it to more than 100,000 values" in issue.message


def test_an_alias_inside_its_own_anchor_is_refused() -> None:
    with pytest.raises(DataError, match="refers to the node that contains it|nested more than"):
        readers.parse_yaml("a: &a [1, *a]\n", "r.yaml")


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    folder = _copy_scenario(tmp_path / "s", "kalundborg")
    path = folder / "resources.yaml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + "  - key: steam_residue\n    category: energy\n    unit: MWh\n    transport: pipe\n"
        + "    disposal_cost: &cost {value: 3, unit: EUR/MWh, source: estimate, year: 2026}\n"
        + "    virgin_cost: *cost\n",
        encoding="utf-8",
    )
    _, network = load(folder)
    assert network.catalog["steam_residue"].virgin_cost == network.catalog["steam_residue"].disposal_cost
    _, network = load(scenarios.path("hillerod"))  # the built-in catalog shares factors by alias
    assert len(network.catalog) > 10


@pytest.mark.parametrize(
    ("extra", "key", "line_from_end"),
    [
        ("name: again\n", "'name'", 0),
        ("changes:\n  remove_members: [M01]\n  remove_members: [M02]\n", "'remove_members'", 0),
    ],
)
def test_a_yaml_key_given_twice_is_refused(tmp_path: Path, extra: str, key: str, line_from_end: int) -> None:
    folder = _with_yaml(_copy_scenario(tmp_path / "s"), extra)
    issue = _one(folder)
    lines = (folder / "scenario.yaml").read_text(encoding="utf-8").splitlines()
    assert issue.row == len(lines) - line_from_end
    assert issue.message == f"key {key} is given twice in one mapping"


def test_a_catalog_key_given_twice_is_refused(tmp_path: Path) -> None:
    folder = _copy_scenario(tmp_path / "s", "kalundborg")
    (folder / "resources.yaml").write_text("resources: []\nresources: []\n", encoding="utf-8")
    issue = _one(folder)
    assert (issue.file, issue.row) == ("resources.yaml", 2)


@pytest.mark.parametrize(
    ("value", "words"),
    [("2024-13-45", "month must be in 1..12"), ("9" * 5000, "exceeds the limit (4300 digits)")],
)
def test_yaml_values_that_cannot_be_built_name_their_line(tmp_path: Path, value: str, words: str) -> None:
    folder = _set_parameter(_copy_scenario(tmp_path / "s"), f"carbon_price: {value}")
    issue = _one(folder)
    assert issue.file == "scenario.yaml" and issue.row is not None
    assert issue.message.startswith("cannot read this value: ") and words in issue.message


# ---------------------------------------------------------------------- 6. workbooks
def _book(path: Path, cells: dict[str, Any], dimension: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "members"
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)
    if dimension is not None:  # make the dimension record lie
        data = {}
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                data[info.filename] = z.read(info.filename)
        sheet = "xl/worksheets/sheet1.xml"
        data[sheet] = re.sub(rb'<dimension ref="[^"]*" */>', f'<dimension ref="{dimension}"/>'.encode(), data[sheet])
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, content in data.items():
                z.writestr(name, content)
    return path


def test_a_sheet_with_one_cell_at_xfd1048576_is_refused_from_its_dimension(tmp_path: Path) -> None:
    book = _book(tmp_path / "n.xlsx", {"A1": "member_id", "XFD1048576": 1})
    start = time.perf_counter()
    issue = _one(book)
    assert time.perf_counter() - start < 5
    assert issue.file == "n.xlsx[members]"
    assert issue.message == (
        "sheet spans 1,048,576 rows x 16,384 columns; at most 1,000,000 rows x 200 columns are read"
    )


def test_a_lying_dimension_is_caught_while_streaming_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_ROWS", 1000)
    book = _book(tmp_path / "n.xlsx", {"A1": "member_id", "A50000": "x"}, dimension="A1:A2")
    with pytest.raises(DataError) as exc:
        read_workbook(book)
    assert [i.message for i in exc.value.issues] == ["table has 1,001 rows or more; at most 1,000 are read"]


def test_a_lying_dimension_is_caught_on_wide_rows(tmp_path: Path) -> None:
    book = _book(tmp_path / "n.xlsx", {"A1": "member_id", "XFD5": 1}, dimension="A1:B2")
    with pytest.raises(DataError) as exc:
        read_workbook(book)
    assert [(i.row, i.message) for i in exc.value.issues] == [(5, "row has cells beyond column 200")]


def test_not_a_workbook_and_a_zip_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "old.xlsx").write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    assert "not an .xlsx workbook" in _one(tmp_path / "old.xlsx").message
    book = _book(tmp_path / "n.xlsx", {"A1": "member_id"})
    monkeypatch.setattr(limits, "MAX_XLSX_UNPACKED_BYTES", 1000)
    assert "workbook unpacks to" in _one(book).message


def test_workbook_rows_keep_the_sheets_numbering(tmp_path: Path) -> None:
    book = _book(
        tmp_path / "n.xlsx",
        {"A2": "member_id", "B2": "name", "C2": "lat", "D2": "lon", "A3": "A", "B3": "a", "C3": 55, "D3": 12}
        | {"A5": "B", "B5": "b", "C5": 95, "D5": 12},
    )
    raw = read_workbook(book)["members"]
    assert raw.rows.tolist() == [3, 5]
    assert raw.frame["lat"].tolist() == ["55", "95"]


# ---------------------------------------------------------------------- 7. numbers at the edges
EDGES = [1e15, -1e15, 1e20, 1e308, -1e308, float("inf"), float("-inf"), float("nan")]


@pytest.mark.parametrize(
    ("table", "column"),
    [
        (t, name)
        for t, m in TABLES.items()
        for name, f in m.model_fields.items()
        if validate._kind(f.annotation)[0] == "float"
    ]
    + [("streams", "q_temperature_c"), ("streams", "q_temperature_c_min")],
)
@pytest.mark.parametrize("value", [1e15, -1e20, 1e308, "1e308", "1e400", "inf", "-Infinity", "nan", True, False])
def test_every_numeric_column_refuses_huge_and_non_finite_numbers(table: str, column: str, value: Any) -> None:
    m, s, lk = _frames()
    frame = {"members": m, "streams": s, "links": lk}[table]
    row = 1 if (table, column) == ("streams", "q_temperature_c_min") else 0
    frame[column] = frame.get(column, pd.Series([None] * len(frame))).astype(object)
    frame.loc[row, column] = value
    with pytest.raises(DataError) as exc:
        Network.from_frames(m, s, lk)
    assert (row, column) in {(i.row, i.column) for i in exc.value.issues}, exc.value.issues


@pytest.mark.parametrize("value", ["999999999999999", "1e15", "1000000000000000", "1,5e15", "-1e15"])
def test_the_number_limit_in_a_csv(tmp_path: Path, value: str) -> None:
    (tmp_path / "members.csv").write_text("member_id;name;lat;lon\nA;a;55;12\n", encoding="utf-8")
    (tmp_path / "streams.csv").write_text(
        f"stream_id;member_id;direction;resource;quantity;unit\ns1;A;supply;wood_waste;{value};t\n", encoding="utf-8"
    )
    if value == "999999999999999":
        _, net = load(tmp_path)
        assert net.streams.loc["s1", "quantity"] == 999999999999999.0
        return
    issue = _one(tmp_path)
    assert (issue.file, issue.row, issue.column) == ("streams.csv", 2, "quantity")
    assert issue.message.startswith("must be below 1e15 in absolute value") or "greater than 0" in issue.message


def test_a_rate_that_becomes_too_large_a_year_is_refused(tmp_path: Path) -> None:
    (tmp_path / "n.json").write_text(json.dumps(_network_json(quantity=1e9, unit="MWh/s")), encoding="utf-8")
    issue = _one(tmp_path / "n.json")
    assert (issue.file, issue.row, issue.column) == ("n.json[streams]", 1, "quantity")
    assert "a year in the base unit; must be below 1e15" in issue.message


@pytest.mark.parametrize(
    ("document", "words"),
    [
        ('{"quantity": NaN}', "NaN is not a JSON number"),
        ('{"quantity": -Infinity}', "-Infinity is not a JSON number"),
        ('{"quantity": 1e400}', "expected a number, got 'inf'"),
        ('{"quantity": ' + "9" * 5000 + "}", "expected a number, got 'inf'"),
        ('{"quantity": 1e20}', "must be below 1e15 in absolute value, got 1e+20"),
        ('{"quantity": true}', "expected a number, got 'True'"),
        ('{"disposal_cost": false}', "expected a number, got 'False'"),
    ],
)
def test_json_numbers_at_the_edges(tmp_path: Path, document: str, words: str) -> None:
    base = json.dumps(_network_json())
    key = document[2 : document.index('"', 2)]
    value = document[document.index(":") + 1 : -1].strip()
    text = base.replace('"quantity": 5', f'"{key}": {value}' + (', "quantity": 5' if key != "quantity" else ""))
    (tmp_path / "n.json").write_text(text, encoding="utf-8")
    issues = _issues(tmp_path / "n.json")
    assert any(words in i.message for i in issues), issues


@pytest.mark.parametrize(
    ("line", "column", "words"),
    [
        ("carbon_price: .inf", "parameters.carbon_price", "expected a finite number, got inf"),
        ("carbon_price: .nan", "parameters.carbon_price", ""),
        ("carbon_price: yes", "parameters.carbon_price", "expected a number, not yes/no"),
        ("carbon_price: 1e20", "parameters.carbon_price", "must be below 1e15 in absolute value"),
        ("circuity: -.inf", "parameters.circuity", ""),
        ("max_distance_km: true", "parameters.max_distance_km", "not yes/no"),
        ("transport: {truck: {cost_per_unit_km: 1e300}}", "parameters.transport.truck", "1e15"),
        ("objective: {cost: .nan}", "parameters.objective", "the weight of cost must be a finite number"),
        ("objective: {cost: -1}", "parameters.objective", "must not be negative"),
        ("objective: {cost: 0, co2e: 0}", "parameters.objective", "at least one objective weight must be positive"),
        ("objective: {}", "parameters.objective", "at least one objective weight must be positive"),
        ("objective: {cost: yes}", "parameters.objective", "the weight of cost must be a number"),
        ("objective: {profit: 1}", "parameters.objective", "unknown objective 'profit'"),
        ("objective: speed", "parameters.objective", "expected cost, co2e, waste"),
    ],
)
def test_scenario_parameters_are_checked(tmp_path: Path, line: str, column: str, words: str) -> None:
    folder = _set_parameter(_copy_scenario(tmp_path / "s"), line)
    issue = _one(folder)
    assert issue.file == "scenario.yaml" and issue.column.startswith(column), issue
    assert words in issue.message


@pytest.mark.parametrize("weights", [{"cost": 1, "co2e": 200}, {"waste": 0.5}, {"cost": 0, "co2e": 1e-3}])
def test_valid_objective_weights(weights: dict[str, float]) -> None:
    assert Parameters(objective=weights).objective_weights == {k: float(v) for k, v in weights.items()}


@given(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([1e15, -1e15, 1e15 - 1, 1e308, -0.0, 0.0, True, False, "yes", 10**400, -(10**20)]),
        st.integers(),
    )
)
def test_a_parameter_is_finite_below_the_limit_or_refused(value: Any) -> None:
    doc = {"name": "x", "members": "m.csv", "streams": "s.csv", "parameters": {"carbon_price": value}}
    try:
        number = float(value)
    except (OverflowError, ValueError):
        number = float("inf")
    ok = not isinstance(value, bool | str) and 0 <= number < limits.MAX_ABS_NUMBER
    try:
        scenario = Scenario.from_dict(doc)
    except ScenarioError as exc:
        assert not ok, exc
        assert [i.column for i in exc.issues] == ["parameters.carbon_price"]
    else:
        assert ok and scenario.parameters.carbon_price == float(value)


@pytest.mark.parametrize(
    ("factor", "column", "words"),
    [
        ("disposal_cost: {value: 1e308, unit: EUR/t, source: x, year: 2024}", "disposal_cost.value", "1e15"),
        ("disposal_cost: {value: .nan, unit: EUR/t, source: x, year: 2024}", "disposal_cost.value", "finite"),
        ("virgin_cost: {value: yes, unit: EUR/t, source: x, year: 2024}", "virgin_cost.value", "yes/no"),
        ("density_t_per_m3: {value: 0, unit: t/m3, source: x, year: 2024}", "", "greater than 0"),
        ("substitutes: [{key: wood_chips, ratio: .inf}]", "substitutes.0.ratio", "finite"),
    ],
)
def test_catalog_factors_are_checked(tmp_path: Path, factor: str, column: str, words: str) -> None:
    folder = _with_yaml(_copy_scenario(tmp_path / "s"), "resources: extra.yaml\n")
    (folder / "extra.yaml").write_text(f"resources:\n  - key: wood_waste\n    {factor}\n", encoding="utf-8")
    issue = _one(folder)
    assert issue.file == "extra.yaml" and issue.column.startswith("resources[0] (wood_waste)")
    assert issue.column.endswith(column) and words in issue.message, issue


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("currencies:\n  DKK: {value: 0, unit: DKK/EUR, source: x, year: 2024}\n", "currencies.DKK.value"),
        ("sources: [a, b]\nresources: []\n", "sources"),
        ("currencies: [1, 2]\n", "currencies"),
        ("transport: {truck: [1]}\n", "transport.truck"),
        ("resources:\n  - key: [a]\n", "resources[0].key"),
    ],
)
def test_catalog_documents_of_the_wrong_shape(tmp_path: Path, text: str, column: str) -> None:
    folder = _with_yaml(_copy_scenario(tmp_path / "s"), "resources: extra.yaml\n")
    (folder / "extra.yaml").write_text(text, encoding="utf-8")
    issue = _one(folder)
    assert (issue.file, issue.column) == ("extra.yaml", column)


# ---------------------------------------------------------------------- 8. a file in a role it does not hold
@pytest.mark.parametrize("content", [{"people": [{"a": 1}]}, {"streams": []}, [1, 2]])
def test_a_json_file_named_as_members_without_members(tmp_path: Path, content: Any) -> None:
    folder = _copy_scenario(tmp_path / "s")
    (folder / "people.json").write_text(json.dumps(content), encoding="utf-8")
    text = (folder / "scenario.yaml").read_text(encoding="utf-8").replace("members.csv", "people.json")
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")
    issue = _one(folder)
    assert issue.file == "people.json"


def test_a_json_file_named_as_members_with_members(tmp_path: Path) -> None:
    folder = _copy_scenario(tmp_path / "s")
    members = pd.read_csv(folder / "members.csv", sep=";", decimal=",", dtype={"sector": str}, encoding="utf-8-sig")
    (folder / "people.json").write_text(
        json.dumps({"members": json.loads(members.to_json(orient="records"))}), encoding="utf-8"
    )
    text = (folder / "scenario.yaml").read_text(encoding="utf-8").replace("members.csv", "people.json")
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")
    _, network = load(folder)
    assert len(network.members) == len(members)


def test_a_workbook_named_as_streams_without_streams(tmp_path: Path) -> None:
    folder = _copy_scenario(tmp_path / "s")
    _book(folder / "book.xlsx", {"A1": "member_id"})
    text = (folder / "scenario.yaml").read_text(encoding="utf-8").replace("streams.csv", "book.xlsx")
    (folder / "scenario.yaml").write_text(text, encoding="utf-8")
    issue = _one(folder)
    assert (issue.file, issue.message) == (
        "book.xlsx",
        "the scenario names this file as streams, but it has no streams sheet",
    )


# ---------------------------------------------------------------------- 9. a column named twice
@pytest.mark.parametrize("second", ["quantity", "Quantity", " quantity "])
def test_a_csv_header_naming_a_column_twice(tmp_path: Path, second: str) -> None:
    path = tmp_path / "streams.csv"
    path.write_text(
        f"# note\nstream_id,member_id,direction,resource,quantity,unit,{second}\ns1,A,supply,heat_low,1,MWh,2\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as exc:
        read_csv(path)
    assert [(i.row, i.column, i.message) for i in exc.value.issues] == [
        (2, "quantity", "column appears more than once")
    ]


def test_a_workbook_header_naming_a_column_twice(tmp_path: Path) -> None:
    book = _book(tmp_path / "n.xlsx", {"A1": "member_id", "B1": "lat", "C1": "LAT", "A2": "x"})
    with pytest.raises(DataError) as exc:
        read_workbook(book)
    assert [(i.file, i.row, i.column) for i in exc.value.issues] == [("n.xlsx[members]", 1, "lat")]


def test_a_json_item_giving_a_key_twice(tmp_path: Path) -> None:
    text = json.dumps(_network_json()).replace('"quantity": 5', '"quantity": 5, "quantity": 500')
    (tmp_path / "n.json").write_text(text, encoding="utf-8")
    issue = _one(tmp_path / "n.json")
    assert (issue.file, issue.row, issue.column) == ("n.json[streams]", 1, "quantity")
    (tmp_path / "n.json").write_text('{"members": [], "members": []}', encoding="utf-8")
    issue = _one(tmp_path / "n.json")
    assert (issue.file, issue.column) == ("n.json", "members")


def test_blank_headers_are_not_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text("member_id,name,lat,lon,,\nA,a,55,12,,\n", encoding="utf-8")
    assert read_csv(path).frame.columns.tolist() == ["member_id", "name", "lat", "lon"]


# ---------------------------------------------------------------------- 10. yes/no where a number belongs
def test_booleans_are_never_read_as_numbers(tmp_path: Path) -> None:
    m, s, lk = _frames()
    s["quantity"] = [True, True]
    with pytest.raises(DataError) as exc:
        Network.from_frames(m, s, lk)
    assert {(i.row, i.column) for i in exc.value.issues} == {(0, "quantity"), (1, "quantity")}
    hillerod = scenarios.path("hillerod")
    variant = tmp_path / "v"
    variant.mkdir()
    (variant / "scenario.yaml").write_text(
        f"extends: {hillerod}\nname: v\nchanges:\n  add_streams:\n"
        "    - {stream_id: Z1, member_id: M01, direction: supply, resource: heat_low, quantity: true, unit: MWh}\n"
        "    - {stream_id: Z2, member_id: M01, direction: supply, resource: heat_low, quantity: lots, unit: MWh}\n",
        encoding="utf-8",
    )
    assert {(i.column, i.message) for i in _issues(variant)} == {
        ("quantity", "expected a number, got 'True'"),
        ("quantity", "expected a number, got 'lots'"),
    }
    (variant / "scenario.yaml").write_text(
        f"extends: {hillerod}\nname: v\nchanges: {{scale_streams: {{S01: yes}}}}\n", encoding="utf-8"
    )
    assert _one(variant).column == "changes.scale_streams.S01"


# ---------------------------------------------------------------------- 11. files that are not what they should be
SHADOW = f"root:$6${SECRET}$xyz:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"


@pytest.mark.parametrize(
    "content",
    [SHADOW, f"secret_key: {SECRET}\npassword: {SECRET}\n", f"- {SECRET}\n", f"{SECRET}\n", "[1, 2]\n"],
)
def test_extends_of_a_file_that_is_not_a_scenario_echoes_nothing(tmp_path: Path, content: str) -> None:
    shadow = tmp_path / "etc" / "shadow"
    shadow.parent.mkdir()
    shadow.write_text(content, encoding="utf-8")
    folder = tmp_path / "v"
    folder.mkdir()
    (folder / "scenario.yaml").write_text(f"extends: {shadow}\nname: v\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load(folder)
    assert [(i.file, i.message) for i in exc.value.issues] == [
        (str(shadow), "not a scenario file (expected a YAML mapping with name, members, streams)")
    ]
    assert SECRET not in str(exc.value) and "daemon" not in str(exc.value)
    r = _cli(folder)
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit)
    assert SECRET not in r.output and "daemon" not in r.output


def test_a_resources_file_that_is_not_a_catalog_echoes_nothing(tmp_path: Path) -> None:
    folder = _with_yaml(_copy_scenario(tmp_path / "s"), "resources: members.csv\n")
    issue = _one(folder)
    assert issue.message == "not a resource catalog (expected a YAML mapping with a resources list)"


def test_a_scenario_with_a_typo_still_lists_its_unknown_keys(tmp_path: Path) -> None:
    folder = _set_parameter(_copy_scenario(tmp_path / "s"), "carbon_prise: 5")
    _with_yaml(folder, "membres: x.csv\n")
    assert {(i.column, i.message) for i in _issues(folder)} == {
        ("parameters.carbon_prise", "unknown key"),
        ("membres", "unknown key"),
    }


@pytest.mark.parametrize("content", ["", "# only a comment\n", "null\n"])
def test_an_empty_scenario_file(tmp_path: Path, content: str) -> None:
    folder = _copy_scenario(tmp_path / "s")
    (folder / "scenario.yaml").write_text(content, encoding="utf-8")
    assert "file is empty" in _one(folder).message


# ---------------------------------------------------------------------- 12. one definition, ScenarioError used
def test_one_definition_of_a_number_column() -> None:
    assert validate.is_number_column is tables.is_number_column
    assert not hasattr(validate, "_is_number_column") and not hasattr(tables, "_is_number_column")


def test_scenario_errors_are_data_errors(tmp_path: Path) -> None:
    assert issubclass(ScenarioError, DataError)
    with pytest.raises(ScenarioError):
        Scenario.from_yaml(tmp_path / "nowhere")
    with pytest.raises(ScenarioError):
        Scenario.from_dict({"name": "x"})


# ---------------------------------------------------------------------- more careless input
def test_an_unclosed_quote_and_a_huge_field(tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text('member_id,name,lat,lon\nA,"' + "x" * 300_000 + ",55,12\n", encoding="utf-8")
    with pytest.raises(DataError):
        read_csv(path)


def test_table_rows_and_columns_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_ROWS", 5)
    monkeypatch.setattr(limits, "MAX_COLUMNS", 10)
    path = tmp_path / "members.csv"
    path.write_text("member_id,name,lat,lon\n" + "A,a,55,12\n" * 6, encoding="utf-8")
    with pytest.raises(DataError, match="at most 5 are read"):
        read_csv(path)
    path.write_text("member_id,name,lat,lon\n" + "\n" * 2000, encoding="utf-8")
    with pytest.raises(DataError, match="at most 5 are read"):
        read_csv(path)
    path.write_text(",".join(f"c{i}" for i in range(11)) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="more than 10 cells"):
        read_csv(path)
    path.write_text("a,b\n1," + "," * 50 + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="more than 10 cells"):
        read_csv(path)
    js = tmp_path / "n.json"
    js.write_text(json.dumps({"members": [{f"k{i}": 1, f"j{i}": 2, f"m{i}": 3} for i in range(4)]}), encoding="utf-8")
    with pytest.raises(DataError, match="more than 10 different keys"):
        load(js)
    js.write_text(json.dumps({"members": [{"a": 1}] * 6}), encoding="utf-8")
    with pytest.raises(DataError, match="at most 5 are read"):
        load(js)


@pytest.mark.parametrize("key", ["tables", "extends", "resources", "members"])
def test_a_file_name_with_a_nul_character(tmp_path: Path, key: str) -> None:
    folder = _copy_scenario(tmp_path / "s")
    text = re.sub(rf"^{key}:.*\n", "", (folder / "scenario.yaml").read_text(encoding="utf-8"), flags=re.M)
    (folder / "scenario.yaml").write_text(text + f'{key}: "a\\0b.csv"\n', encoding="utf-8")
    issue = _one(folder)
    assert (issue.file, issue.column) == ("scenario.yaml", key)
    assert issue.message == "expected a file or folder name" if key != "resources" else "file name" in issue.message


def test_a_nul_in_a_path_given_to_load() -> None:
    assert _one("a\0b.csv").message == "file not found"


# ---------------------------------------------------------------------- the CLI: no traceback, exit 1
HOSTILE = {
    "folder as table": lambda f: ((f / "links.csv").unlink(), (f / "links.csv").mkdir()),
    "cp1252 gap": lambda f: (f / "members.csv").write_bytes((f / "members.csv").read_bytes() + b"\x8f\n"),
    "utf-16 scenario": lambda f: (f / "scenario.yaml").write_bytes(
        (f / "scenario.yaml").read_text(encoding="utf-8").encode("utf-16")
    ),
    "laughs": lambda f: (f / "scenario.yaml").write_text(
        _laughs(9) + (f / "scenario.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    ),
    "deep yaml": lambda f: _with_yaml(f, "catalog: " + "[" * 5000 + "]" * 5000 + "\n"),
    "carbon inf": lambda f: _set_parameter(f, "carbon_price: .inf"),
    "big quantity": lambda f: (f / "streams.csv").write_text(
        (f / "streams.csv").read_text(encoding="utf-8-sig").replace(";3000;", ";1e20;", 1), encoding="utf-8"
    ),
    "people.json": lambda f: (
        (f / "people.json").write_text('{"members": [], "members": []}', encoding="utf-8"),
        (f / "scenario.yaml").write_text(
            (f / "scenario.yaml").read_text(encoding="utf-8").replace("members.csv", "people.json"),
            encoding="utf-8",
        ),
    ),
    "duplicate key": lambda f: _with_yaml(f, "name: twice\n"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_validate_prints_problems_and_exits_1(tmp_path: Path, case: str) -> None:
    folder = _copy_scenario(tmp_path / "s")
    HOSTILE[case](folder)
    r = _cli(folder)
    assert r.exit_code == 1 and isinstance(r.exception, SystemExit), r.output
    assert "Traceback" not in r.output
    lines = r.stderr.strip().splitlines()
    assert lines[-1].endswith("problem(s); nothing was loaded.")
    assert all(re.match(r"^[^:]+:\d*:[^:]*: \S", ln) for ln in lines[:-1]), lines


# ---------------------------------------------------- hypothesis: anything in, a network or a DataError out
def _only_data_errors(call: Any) -> None:
    try:
        call()
    except DataError as exc:
        assert exc.issues and all(isinstance(i.message, str) and i.message for i in exc.issues)


@given(st.binary(max_size=400))
def test_random_bytes_as_a_csv(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "members.csv"
        path.write_bytes(data)
        _only_data_errors(lambda: read_csv(path))


@given(st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
def test_random_bytes_as_yaml_and_json(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "scenario.yaml").write_bytes(data)
        _only_data_errors(lambda: Scenario.from_yaml(folder))
        (folder / "n.json").write_bytes(data)
        _only_data_errors(lambda: load(folder / "n.json"))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.sampled_from(["members", "streams", "links", "x"]), JSON_VALUES, max_size=3))
def test_random_json_documents(doc: dict[str, Any]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "n.json"
        path.write_text(json.dumps(doc), encoding="utf-8")
        _only_data_errors(lambda: load(path))


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12,
)


@given(
    st.dictionaries(
        st.sampled_from(
            ["name", "members", "streams", "tables", "extends", "resources", "parameters", "changes", "catalog", "x"]
        ),
        YAML_VALUES,
        max_size=5,
    )
)
def test_random_scenario_documents(doc: dict[str, Any]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "scenario.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
        _only_data_errors(lambda: load(folder))
