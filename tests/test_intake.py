"""Members' tables in: formats, every error kind with file/row/column, nothing half-loaded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import scenarios
from models import DataError, Network, load
from models.tables import read_csv

HERE = Path(__file__).parent


def _frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    members = pd.DataFrame(
        {
            "member_id": ["A", "B", "C"],
            "name": ["Ærø Øl", "Bæk & Søn", "Glasværket"],
            "sector": ["C11.05", None, "C23.13"],
            "lat": [55.93, 55.94, 55.95],
            "lon": [12.30, 12.31, 12.29],
            "contact": ["ann@example.org", None, None],  # an extra column
        }
    )
    streams = pd.DataFrame(
        {
            "stream_id": ["s1", "s2", "d1", "d2"],
            "member_id": ["A", "A", "B", "C"],
            "direction": ["supply", "supply", "demand", "demand"],
            "resource": ["heat_medium", "used_oil", "heat_low", "used_oil"],
            "quantity": [1200.5, 5.0, 500.0, 8.0],
            "unit": ["MWh", "t", "MWh", "t"],
            "ewc_code": [None, "13 02 05*", None, None],
            "accepts_ewc": [None, None, None, "13 02 05"],
            "q_temperature_c": [80.0, np.nan, np.nan, np.nan],
            "q_temperature_c_min": [np.nan, np.nan, 55.0, np.nan],
            "notes": ["ok", None, "søndag", None],
        }
    )
    links = pd.DataFrame({"from_member": ["A"], "to_member": ["B"], "distance_km": [1.5], "mode": ["pipe"]})
    return members, streams, links


def _issues(exc: pytest.ExceptionInfo[DataError]) -> set[tuple[int | None, str]]:
    return {(i.row, i.column) for i in exc.value.issues}


# ---------------------------------------------------------------------- the ten mistakes
def test_ten_seeded_mistakes_are_all_listed() -> None:
    with pytest.raises(DataError) as exc:
        load(HERE / "data" / "ten_mistakes")
    found = {(i.file, i.row, i.column) for i in exc.value.issues}
    assert found == {
        ("members.csv", 3, "lat"),
        ("members.csv", 5, "member_id"),
        ("streams.csv", 4, "resource"),
        ("streams.csv", 5, "unit"),
        ("streams.csv", 6, "member_id"),
        ("streams.csv", 7, "quantity"),
        ("streams.csv", 8, "direction"),
        ("streams.csv", 9, "disposal_cost"),
        ("streams.csv", 10, "ewc_code"),
        ("streams.csv", 11, "quantity"),
    }
    typo = next(i for i in exc.value.issues if i.column == "resource")
    assert "did you mean 'wood_waste'" in typo.message


# ---------------------------------------------------------------------- formats
def _write_nordic_csv(folder: Path, frames: dict[str, pd.DataFrame], encoding: str = "utf-8-sig") -> None:
    for name, frame in frames.items():
        text = frame.to_csv(sep=";", index=False, decimal=",")
        (folder / f"{name}.csv").write_bytes(text.encode(encoding))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp1252"])
def test_semicolon_decimal_comma_csv_in_any_nordic_encoding(tmp_path: Path, encoding: str) -> None:
    m, s, lk = _frames()
    reference = Network.from_frames(m, s, lk)
    _write_nordic_csv(tmp_path, {"members": m, "streams": s, "links": lk}, encoding)
    _, net = load(tmp_path)
    pd.testing.assert_frame_equal(net.streams, reference.streams)
    assert net.members.loc["A", "name"] == "Ærø Øl"
    assert net.members.loc["A", "contact"] == "ann@example.org"  # extra column kept


def test_workbook_and_json_give_the_same_network(tmp_path: Path) -> None:
    m, s, lk = _frames()
    reference = Network.from_frames(m, s, lk)
    book = tmp_path / "network.xlsx"
    with pd.ExcelWriter(book) as xl:
        m.to_excel(xl, sheet_name="members", index=False)
        s.to_excel(xl, sheet_name="Streams", index=False)
        lk.to_excel(xl, sheet_name="links", index=False)
    _, from_book = load(book)
    pd.testing.assert_frame_equal(from_book.streams, reference.streams)
    pd.testing.assert_frame_equal(from_book.members, reference.members)
    js = tmp_path / "network.json"
    reference.to_json(js)
    _, from_json = load(js)
    pd.testing.assert_frame_equal(from_json.streams, reference.streams)
    pd.testing.assert_frame_equal(from_json.links, reference.links)


def test_workbook_errors_name_sheet_and_row(tmp_path: Path) -> None:
    m, s, _ = _frames()
    s.loc[2, "unit"] = "t"
    book = tmp_path / "bad.xlsx"
    with pd.ExcelWriter(book) as xl:
        m.to_excel(xl, sheet_name="members", index=False)
        s.to_excel(xl, sheet_name="streams", index=False)
    with pytest.raises(DataError) as exc:
        load(book)
    assert [(i.file, i.row, i.column) for i in exc.value.issues] == [("bad.xlsx[streams]", 4, "unit")]


def test_rows_are_counted_as_the_spreadsheet_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "streams.csv"
    path.write_text(
        "# comment line above the header\n"
        "stream_id,member_id,direction,resource,quantity,unit\n"
        "# explanation row\n"
        "s1,A,supply,heat_low,1,MWh\n"
        "\n"
        "s2,A,supply,heat_low,x,MWh\n",
        encoding="utf-8",
    )
    raw = read_csv(path)
    assert raw.rows.tolist() == [4, 6]


def test_a_row_with_too_many_cells_is_named(tmp_path: Path) -> None:
    (tmp_path / "members.csv").write_text("member_id,name,lat,lon\nA,x,55,12\nB,y,55,12,99,1\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        read_csv(tmp_path / "members.csv")
    assert _issues(exc) == {(3, "")}


# ---------------------------------------------------------------------- every error kind
def _mutate(table: str, row: int, column: str, value: object, **more: object):
    def apply(m: pd.DataFrame, s: pd.DataFrame, lk: pd.DataFrame) -> None:
        frame = {"members": m, "streams": s, "links": lk}[table]
        for col, val in {column: value, **more}.items():
            if col not in frame.columns:
                frame[col] = pd.Series([None] * len(frame), dtype=object)
            frame.loc[row, col] = val

    return apply


ERROR_KINDS = {
    "missing required value": (_mutate("members", 0, "name", None), (0, "name"), "required"),
    "latitude out of range": (_mutate("members", 1, "lat", 95.0), (1, "lat"), "at most 90"),
    "bad NACE code": (_mutate("members", 0, "sector", "brewery"), (0, "sector"), "expected form"),
    "duplicate member": (_mutate("members", 2, "member_id", "A"), (2, "member_id"), "used again"),
    "duplicate stream": (_mutate("streams", 1, "stream_id", "s1"), (1, "stream_id"), "used again"),
    "unknown member": (_mutate("streams", 0, "member_id", "Z"), (0, "member_id"), "not a member_id"),
    "unknown resource": (_mutate("streams", 0, "resource", "heat_mediun"), (0, "resource"), "did you mean"),
    "wrong direction": (_mutate("streams", 0, "direction", "offer"), (0, "direction"), "supply, demand"),
    "not a number": (_mutate("streams", 0, "quantity", "lots"), (0, "quantity"), "expected a number"),
    "zero quantity": (_mutate("streams", 0, "quantity", 0.0), (0, "quantity"), "greater than 0"),
    "unknown unit": (_mutate("streams", 0, "unit", "bananas"), (0, "unit"), "not known"),
    "wrong dimension": (_mutate("streams", 0, "unit", "kg"), (0, "unit"), "mass"),
    "unknown EWC": (_mutate("streams", 1, "ewc_code", "13 99 99"), (1, "ewc_code"), "List of Waste"),
    "hazardous said no": (_mutate("streams", 1, "hazardous", "no"), (1, "hazardous"), "hazardous"),
    "hazardous without code": (
        _mutate("streams", 1, "ewc_code", None, hazardous="yes"),
        (1, "ewc_code"),
        "needs its EWC",
    ),
    "bad permit code": (_mutate("streams", 3, "accepts_ewc", "13 02 05 | 99"), (3, "accepts_ewc"), "List of Waste"),
    "permit on a supply": (_mutate("streams", 0, "accepts_ewc", "13 02 05"), (0, "accepts_ewc"), "demand"),
    "disposal cost on a demand": (_mutate("streams", 2, "disposal_cost", 4.0), (2, "disposal_cost"), "supply"),
    "virgin cost on a supply": (_mutate("streams", 0, "virgin_cost", 4.0), (0, "virgin_cost"), "demand"),
    "limit on a supply": (_mutate("streams", 0, "q_temperature_c_min", 50.0), (0, "q_temperature_c_min"), "limit"),
    "value on a demand": (_mutate("streams", 2, "q_temperature_c", 50.0), (2, "q_temperature_c"), "value"),
    "quality not a number": (_mutate("streams", 0, "q_temperature_c", "hot"), (0, "q_temperature_c"), "number"),
    "minimum above quantity": (_mutate("streams", 2, "min_quantity", 900.0), (2, "min_quantity"), "larger"),
    "bad yes/no": (_mutate("streams", 0, "hazardous", "maybe"), (0, "hazardous"), "yes or no"),
    "link to nobody": (_mutate("links", 0, "to_member", "Q"), (0, "to_member"), "not a member_id"),
    "negative link cost": (_mutate("links", 0, "cost_per_unit", -1.0), (0, "cost_per_unit"), "at least 0"),
    "unknown link mode": (_mutate("links", 0, "mode", "ship"), (0, "mode"), "truck, pipe, grid"),
}


@pytest.mark.parametrize("kind", sorted(ERROR_KINDS))
def test_each_error_kind_names_row_and_column(kind: str) -> None:
    mutate, where, words = ERROR_KINDS[kind]
    m, s, lk = _frames()
    for frame in (m, s, lk):
        for col in frame.columns:
            frame[col] = frame[col].astype(object)
    mutate(m, s, lk)
    with pytest.raises(DataError) as exc:
        Network.from_frames(m, s, lk)
    assert where in _issues(exc), exc.value.issues
    assert any(words in i.message for i in exc.value.issues if (i.row, i.column) == where), exc.value.issues


def test_missing_required_column_and_empty_table() -> None:
    m, s, _ = _frames()
    with pytest.raises(DataError) as exc:
        Network.from_frames(m.drop(columns="lon"), s.iloc[0:0])
    messages = {(i.file, i.column, i.message) for i in exc.value.issues}
    assert ("<members DataFrame>", "lon", "required column is missing") in messages
    assert any("no rows" in msg for _, _, msg in messages)


# ---------------------------------------------------------------------- round trips
def test_bundled_scenarios_round_trip_csv_and_json(tmp_path: Path, bundled: Path) -> None:
    scenario, net = load(bundled)
    folder = tmp_path / "csv"
    net.to_csv(folder)
    _, again = load(folder)
    for name in ("members", "streams", "links"):
        pd.testing.assert_frame_equal(getattr(again, name), getattr(net, name), check_dtype=False)
    net.to_json(tmp_path / "n.json")
    _, from_json = load(tmp_path / "n.json")
    pd.testing.assert_frame_equal(from_json.streams, net.streams, check_dtype=False)
    # written with Danish conventions, read back the same
    nordic = tmp_path / "nordic"
    net.to_csv(nordic, sep=";", decimal=",")
    _, from_nordic = load(nordic)
    pd.testing.assert_frame_equal(from_nordic.streams, net.streams, check_dtype=False)


def test_models_give_back_records() -> None:
    m, s, lk = _frames()
    net = Network.from_frames(m, s, lk)
    assert net.member("A").location.lat == pytest.approx(55.93)
    stream = net.stream("s2")
    assert stream.hazardous is True and stream.ewc_code == "130205"
    assert stream.model_extra == {}


# ---------------------------------------------------------------------- robustness
CELLS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(
        [
            "",
            "-1",
            "0",
            "1,5",
            "1.234,5",
            "nan",
            "inf",
            "t",
            "MWh",
            "supply",
            "demand",
            "heat_low",
            "A",
            "B",
            "13 02 05*",
            "yes",
            "nej",
            "1e400",
            "ﬀ",
            "\x00",
            "=1+1",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True),
)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "stream_id",
                    "member_id",
                    "direction",
                    "resource",
                    "quantity",
                    "unit",
                    "ewc_code",
                    "hazardous",
                    "q_temperature_c",
                    "min_quantity",
                ]
            ),
            CELLS,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_malformed_rows_never_raise_anything_but_data_error(changes: list[tuple[str, object]]) -> None:
    m, s, lk = _frames()
    s = s.astype(object)
    for col, value in changes:
        if col not in s.columns:
            s[col] = pd.Series([None] * len(s), dtype=object)
        s.loc[0, col] = value
    try:
        net = Network.from_frames(m, s, lk)
    except DataError as exc:
        assert exc.issues and all(i.file == "<streams DataFrame>" or i.file.startswith("<") for i in exc.issues)
    else:  # nothing half-loaded: a network that loads has every stream, all converted
        assert len(net.streams) == 4
        assert net.streams["quantity_base"].notna().all()


def test_validate_never_writes_into_the_folder(tmp_path: Path) -> None:
    shutil.copytree(HERE / "data" / "ten_mistakes", tmp_path / "t")
    before = sorted(p.name for p in (tmp_path / "t").iterdir())
    with pytest.raises(DataError):
        load(tmp_path / "t")
    assert sorted(p.name for p in (tmp_path / "t").iterdir()) == before


def test_every_bundled_scenario_validates() -> None:
    for name in scenarios.names():
        _, net = load(scenarios.path(name))
        assert 10 <= len(net.members) <= 40
        materials = {"energy", "water", "waste", "material"}
        assert set(net.streams["category"]) == (
            materials | {"capacity"} if name in ("hillerod", "hillerod_seasonal") else materials
        )
        assert json.loads(net.to_json())["members"]
