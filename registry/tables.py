"""Between the registry's rows and the engine's tables: frames, catalog, scenario folders.

The registry keeps each validated row as a JSON object; here they become the
DataFrames and files the engine reads (:mod:`models`), and the folder that
``registry export`` writes and a match run is solved on. Text that a
spreadsheet would run as a formula is neutralised on the way out, as in every
export of the engine (:func:`matcher.results.export.neutralise`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import yaml

from matcher.results.export import neutralise
from models import Catalog
from models.readers import parse_yaml
from models.records import Link as LinkRecord
from models.records import Member as MemberRecord
from models.records import Stream as StreamRecord

__all__ = [
    "catalog_of",
    "folder_files",
    "frame_of",
    "plain",
    "records_of",
    "scenario_doc",
]

TABLE_FIELDS: dict[str, list[str]] = {
    "members": list(MemberRecord.model_fields),
    "streams": list(StreamRecord.model_fields),
    "links": list(LinkRecord.model_fields),
}


def plain(value: Any) -> Any:
    """A JSON-ready Python value: numpy scalars unwrapped, NaN, NA and NaT as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of a validated table as JSON objects, without the empty cells."""
    columns = [str(c) for c in frame.columns]
    values = frame.astype(object).to_numpy()
    return [{c: v for c, v in zip(columns, map(plain, row)) if v is not None and v != ""} for row in values]


def frame_of(rows: Iterable[Mapping[str, Any]], table: str) -> pd.DataFrame:
    """A table (members, streams, links) from JSON rows: its model's columns first, then extras by name."""
    frame = pd.DataFrame(list(rows), dtype=object)
    known = [c for c in TABLE_FIELDS[table] if c in frame.columns]
    extras = sorted(c for c in frame.columns if c not in TABLE_FIELDS[table])
    frame = frame.reindex(columns=known + extras)
    return frame.where(frame.notna(), None)


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return repr(value)
    return value


def csv_of(frame: pd.DataFrame) -> str:
    """A table as CSV text the engine reads back unchanged (numbers in full, yes/no), neutralised."""
    text = neutralise(frame).map(_cell) if not frame.empty else frame
    return str(text.to_csv(index=False, lineterminator="\n"))


def scenario_doc(network: Any, parameters: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The scenario.yaml of a network (``parameters`` merged over its own, one level deep)."""
    params = dict(network.scenario.get("parameters") or {})
    for key, value in (parameters or {}).items():
        if isinstance(value, Mapping) and isinstance(params.get(key), Mapping):
            params[key] = {**params[key], **value}
        else:
            params[key] = value
    doc: dict[str, Any] = {"name": network.name, "currency": network.currency}
    if network.description:
        doc["description"] = network.description
    doc.update({"members": "members.csv", "streams": "streams.csv"})
    return {
        **doc,
        **({"resources": [r["name"] for r in network.resources]} if network.resources else {}),
        **({"catalog": network.scenario["catalog"]} if network.scenario.get("catalog") else {}),
        **({"parameters": params} if params else {}),
    }


def folder_files(
    scenario: Mapping[str, Any],
    members: pd.DataFrame,
    streams: pd.DataFrame,
    links: pd.DataFrame,
    resources: list[dict[str, str]],
    commitments: Mapping[str, pd.DataFrame] | None = None,
) -> dict[str, str]:
    """The files of a scenario folder: file name -> text.

    ``commitments`` (``fixed_exchanges``, ``excluded_pairs``: the exchanges running and the pairs
    declined, :func:`registry.proposals.commitments`) are written where they have rows.
    """
    doc = dict(scenario)
    files = {"members.csv": csv_of(members), "streams.csv": csv_of(streams)}
    if not links.empty:
        files["links.csv"] = csv_of(links)
        doc = {**{k: v for k, v in doc.items() if k != "links"}, "links": "links.csv"}
    for name, frame in (commitments or {}).items():
        if not frame.empty:
            files[f"{name}.csv"] = csv_of(frame)
            doc[name] = f"{name}.csv"
    for item in resources:
        files[item["name"]] = item["text"]
    files["scenario.yaml"] = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    return files


def catalog_of(network: Any) -> Catalog:
    """The network's catalog: the built-in one with the scenario's resources files and catalog entries."""
    key = json.dumps([network.resources, network.scenario.get("catalog") or []], sort_keys=True)
    return _catalog(key)


@lru_cache(maxsize=32)
def _catalog(key: str) -> Catalog:
    resources, entries = json.loads(key)
    catalog = Catalog.builtin()
    for item in resources:
        catalog = catalog.extended(parse_yaml(item["text"], item["name"]), file=item["name"])
    if entries:
        catalog = catalog.extended({"resources": entries}, file="scenario.yaml (catalog)")
    return catalog
