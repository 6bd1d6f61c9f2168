"""Loading a network from files: scenario folders, CSV files, workbooks, JSON.

:func:`load` is the one entry point: give it a scenario folder or file, a
workbook, a JSON file, or CSV files, and it returns the scenario and the
validated network, or raises one :class:`~models.errors.DataError` listing
every problem in every file.

Every file is read through :mod:`models.readers` (regular files only, within
the size limits of :mod:`models.limits`); a file named in a role it does not
hold (``members: people.json`` without a members list) is an error naming it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .catalog import Catalog
from .errors import DataError, Issue
from .network import Network
from .readers import load_yaml
from .scenario import SEASON_KEYS, Changes, Scenario
from .tables import RawTable, read_csv, read_json, read_workbook

__all__ = ["apply_changes", "load", "load_catalog", "load_network", "read_table_file", "read_tables"]

_TABLE_NAMES = ("members", "streams", "links", "fixed_exchanges", "excluded_pairs", *SEASON_KEYS)


def read_table_file(path: str | Path) -> dict[str, RawTable]:
    """The tables of one file: a CSV file's one table (named by its stem), a JSON file's lists, a workbook's
    members, streams and links sheets and those of periods, profiles, storage, processes and
    process_flows (others are not read).

    Raises
    ------
    DataError
        If the file is missing, unreadable, of another kind, or beyond the limits.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if not p.exists() and not p.is_symlink():
        raise DataError([Issue(str(p), None, "", "file not found")])
    if suffix in (".xlsx", ".xlsm"):
        return read_workbook(p, only=_TABLE_NAMES)
    if suffix == ".json":
        return read_json(p)
    if suffix in (".csv", ".txt", ".tsv"):
        return {_role_of(p): read_csv(p)}
    raise DataError([Issue(p.name, None, "", "expected a .csv, .xlsx or .json file")])


def read_tables(paths: Sequence[str | Path]) -> dict[str, RawTable]:
    """Read raw tables from CSV files (named by their stem), workbooks or JSON files."""
    tables: dict[str, RawTable] = {}
    issues: list[Issue] = []
    for p in map(Path, paths):
        try:
            found = read_table_file(p)
        except DataError as exc:
            issues += exc.issues
            continue
        for name, table in found.items():
            if name in tables and name in _TABLE_NAMES:
                issues.append(
                    Issue(table.file, None, "", f"the {name} table is given twice (also in {tables[name].file})")
                )
            tables.setdefault(name, table)
    if issues:
        raise DataError(issues)
    return tables


def load_catalog(scenario: Scenario) -> Catalog:
    """The built-in catalog extended by the scenario's ``resources`` files and ``catalog`` entries."""
    catalog = Catalog.builtin()
    for name in scenario.resources:
        path = scenario.path(name)
        if not path.exists():
            raise DataError([Issue(name, None, "", "resources file not found")])
        catalog = catalog.extended(load_yaml(path), file=path.name)
    if scenario.catalog:
        catalog = catalog.extended({"resources": scenario.catalog}, file="scenario.yaml (catalog)")
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
    """The validated network of a scenario.

    A CSV file named as ``members``, ``streams`` or ``links`` is that table whatever its
    name; a workbook or JSON file named so must hold a sheet or list of that name.
    """
    if scenario.tables:
        raw = read_tables([scenario.path(scenario.tables)])
        if any(getattr(scenario, key) for key in _TABLE_NAMES[3:]):  # optional tables named one by one
            raw = {**raw, **_tables_by_role(scenario)}
    else:
        raw = _tables_by_role(scenario)
    network = Network.from_tables(raw, catalog or load_catalog(scenario))
    return apply_changes(network, scenario.changes) if not scenario.changes.empty else network


def apply_changes(network: Network, changes: Changes) -> Network:
    """The network with a variant's changes applied, validated again as a whole.

    Raises
    ------
    DataError
        Naming the change (``changes.remove_members[0]`` ...) that refers to
        nothing, or any problem in added rows.
    """
    frames = network.to_frames()
    members, streams, links = frames["members"], frames["streams"], frames["links"]
    seasons = {k: v for k, v in frames.items() if k in SEASON_KEYS}
    issues: list[Issue] = []

    def unknown(ids: list[str], known: pd.Index, key: str) -> None:
        issues.extend(
            Issue("scenario.yaml", None, f"changes.{key}[{i}]", f"{v!r} is not in the network")
            for i, v in enumerate(ids)
            if v not in known
        )

    unknown(changes.remove_members, pd.Index(members["member_id"]), "remove_members")
    unknown(changes.remove_streams, pd.Index(streams["stream_id"]), "remove_streams")
    unknown(list(changes.scale_streams), pd.Index(streams["stream_id"]), "scale_streams")
    issues.extend(
        Issue("scenario.yaml", None, f"changes.scale_streams.{k}", "factor must be positive")
        for k, v in changes.scale_streams.items()
        if not v > 0
    )
    if issues:
        raise DataError(issues)
    gone = set(changes.remove_members)
    members = members[~members["member_id"].isin(gone)]
    streams = streams[~streams["member_id"].isin(gone) & ~streams["stream_id"].isin(changes.remove_streams)]
    # a quality column only removed streams gave is gone with them (as the network's own tables would have it)
    streams = streams.drop(columns=[c for c in streams.columns if c.startswith("q_") and streams[c].isna().all()])
    if len(links):
        links = links[~links["from_member"].isin(gone) & ~links["to_member"].isin(gone)]
    for key in ("storage", "processes"):  # a member's stores and processes leave with it (and their flows)
        if key in seasons and len(seasons[key]):
            seasons[key] = seasons[key][~seasons[key]["member_id"].isin(gone)]
    if "process_flows" in seasons and "processes" in seasons and len(seasons["process_flows"]):
        flows = seasons["process_flows"]
        seasons["process_flows"] = flows[flows["process_id"].isin(seasons["processes"]["process_id"])]
    # scale before adding: the scaled streams are the network's own (numbers already checked);
    # added rows are text or numbers as written, checked with everything else below
    factor = streams["stream_id"].map(changes.scale_streams).fillna(1.0)
    streams = streams.assign(quantity=streams["quantity"].astype(float) * factor)
    # object columns: pandas would turn a YAML true beside numbers into 1.0
    members = pd.concat([members, pd.DataFrame(changes.add_members, dtype=object)], ignore_index=True)
    streams = pd.concat([streams, pd.DataFrame(changes.add_streams, dtype=object)], ignore_index=True)
    links = pd.concat([links, pd.DataFrame(changes.add_links, dtype=object)], ignore_index=True)
    # exchanges running and pairs excluded go with their streams: a stream removed takes its own along
    kept = pd.Index(streams["stream_id"].dropna().astype(str))
    commitments = []
    for name in ("fixed_exchanges", "excluded_pairs"):
        frame = frames.get(name)
        if frame is not None:
            frame = frame[frame["supply_stream"].isin(kept) & frame["demand_stream"].isin(kept)]
        commitments.append(frame if frame is not None and len(frame) else None)
    try:
        return Network.from_frames(
            members, streams, links if len(links) else None, network.catalog, *commitments, **seasons
        )
    except DataError as exc:
        raise DataError([Issue("scenario.yaml (changes)", i.row, i.column, i.message) for i in exc.issues]) from None


def _tables_by_role(scenario: Scenario) -> dict[str, RawTable]:
    """The tables a scenario names one by one, each file in the role the scenario gives it."""
    raw: dict[str, RawTable] = {}
    issues: list[Issue] = []
    roles = [
        ("members", scenario.members),
        ("streams", scenario.streams),
        ("links", scenario.links),
        ("fixed_exchanges", scenario.fixed_exchanges),
        ("excluded_pairs", scenario.excluded_pairs),
    ]
    roles += [(key, getattr(scenario, key)) for key in SEASON_KEYS]
    for role, name in roles:
        if not name:
            continue
        path = scenario.path(name)
        try:
            found = read_table_file(path)
        except DataError as exc:
            issues += exc.issues
            continue
        if path.suffix.lower() in (".csv", ".txt", ".tsv"):
            raw[role] = next(iter(found.values()))
        elif role in found:
            raw[role] = found[role]
        else:
            kind = "sheet" if path.suffix.lower() in (".xlsx", ".xlsm") else "list"
            issues.append(
                Issue(path.name, None, "", f"the scenario names this file as {role}, but it has no {role} {kind}")
            )
    if issues:
        raise DataError(issues)
    return raw


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
            files += _tables_in(p)
        else:
            files.append(p)
    network = Network.from_tables(read_tables(files), Catalog.builtin())
    return Scenario(name=first.stem or str(first), currency="EUR", tables=str(files[0])), network


def _tables_in(folder: Path) -> list[Path]:
    """The table files of a folder: its CSV files if it has any, else its one workbook or JSON file.

    A folder written by ``symbiose template`` holds CSV files and a workbook with the same
    tables; the CSV files are the ones read.
    """
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise DataError([Issue(str(folder), None, "", f"cannot list the folder: {exc.strerror or exc}")]) from None
    csvs = [q for q in entries if q.suffix.lower() == ".csv"]
    if csvs:
        return csvs
    others = [q for q in entries if q.suffix.lower() in (".xlsx", ".json")]
    if len(others) == 1:
        return others
    why = "several workbooks or JSON files; name the one to read" if others else "no .csv, .xlsx or .json tables"
    raise DataError([Issue(str(folder), None, "", f"folder has no scenario.yaml and {why}")])
