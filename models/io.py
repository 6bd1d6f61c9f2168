"""Loading a network from files: scenario folders, CSV files, workbooks, JSON.

:func:`load` is the one entry point: give it a scenario folder or file, a
workbook, a JSON file, or CSV files, and it returns the scenario and the
validated network, or raises one :class:`~models.errors.DataError` listing
every problem in every file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .catalog import Catalog
from .errors import DataError, Issue
from .network import Network
from .scenario import Scenario
from .tables import RawTable, read_csv, read_json, read_workbook

__all__ = ["load", "load_catalog", "load_network", "read_tables"]

_TABLE_NAMES = ("members", "streams", "links")


def read_tables(paths: Sequence[str | Path]) -> dict[str, RawTable]:
    """Read raw tables from CSV files (named by their stem), workbooks or JSON files."""
    tables: dict[str, RawTable] = {}
    issues: list[Issue] = []
    for p in map(Path, paths):
        if not p.exists():
            issues.append(Issue(str(p), None, "", "file not found"))
            continue
        try:
            suffix = p.suffix.lower()
            if suffix in (".xlsx", ".xlsm"):
                tables.update(read_workbook(p))
            elif suffix == ".json":
                tables.update(read_json(p))
            elif suffix in (".csv", ".txt", ".tsv"):
                name = next((n for n in _TABLE_NAMES if n in p.stem.lower()), p.stem.lower())
                tables[name] = read_csv(p)
            else:
                issues.append(Issue(p.name, None, "", "expected a .csv, .xlsx or .json file"))
        except DataError as exc:
            issues += exc.issues
    if issues:
        raise DataError(issues)
    return tables


def load_catalog(scenario: Scenario) -> Catalog:
    """The built-in catalog extended by the scenario's ``resources`` file, if any."""
    catalog = Catalog.builtin()
    if scenario.resources:
        path = scenario.path(scenario.resources)
        if not path.exists():
            raise DataError([Issue(scenario.resources, None, "", "resources file not found")])
        catalog = catalog.extended(_yaml(path), file=path.name)
    if scenario.currency not in catalog.currencies:
        raise DataError(
            [
                Issue(
                    "scenario.yaml",
                    None,
                    "currency",
                    f"{scenario.currency!r} has no exchange rate; add it under currencies in resources.yaml",
                )
            ]
        )
    return catalog


def load_network(scenario: Scenario, catalog: Catalog | None = None) -> Network:
    """The validated network of a scenario."""
    names = (
        [scenario.tables] if scenario.tables else [n for n in (scenario.members, scenario.streams, scenario.links) if n]
    )
    paths = [scenario.path(n) for n in names if n]
    raw = read_tables(paths)
    if not scenario.tables:
        # files named in the scenario play the role the scenario gives them
        raw = {
            role: raw[_role_of(scenario.path(name))]
            for role, name in (("members", scenario.members), ("streams", scenario.streams), ("links", scenario.links))
            if name
        }
    return Network.from_tables(raw, catalog or load_catalog(scenario))


def _role_of(path: Path) -> str:
    return next((n for n in _TABLE_NAMES if n in path.stem.lower()), path.stem.lower())


def load(*paths: str | Path) -> tuple[Scenario, Network]:
    """Load a scenario and its network from whatever the user points at.

    Parameters
    ----------
    *paths
        A scenario folder or ``scenario.yaml``; or a folder of CSV files; or
        one workbook or JSON file; or several CSV files (named after their table).

    Raises
    ------
    DataError
        Listing every problem found, with file, row and column.
    """
    if not paths:
        raise DataError([Issue("", None, "", "give a scenario folder, a scenario file or the table files")])
    first = Path(paths[0])
    if len(paths) == 1 and (first.is_dir() and (first / "scenario.yaml").exists() or first.suffix in (".yaml", ".yml")):
        scenario = Scenario.from_yaml(first)
        return scenario, load_network(scenario)
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.suffix.lower() in (".csv", ".xlsx", ".json"))
            if not found:
                raise DataError(
                    [Issue(str(p), None, "", "folder has no scenario.yaml and no .csv, .xlsx or .json tables")]
                )
            files += found
        else:
            files.append(p)
    scenario = Scenario(name=first.stem or str(first), currency="EUR", tables=str(files[0]))
    return scenario, Network.from_tables(read_tables(files), Catalog.builtin())


def _yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError) as exc:
        raise DataError([Issue(path.name, None, "", f"cannot read YAML: {exc}")]) from None
