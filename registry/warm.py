"""Match runs re-solved warm: one :class:`matcher.WarmMatch` per network, kept by the server process.

A match run solves the scenario folder of :func:`registry.services.snapshot`. The first run of a
network (or of other parameters or another catalog) is solved cold, exactly as ``symbiose match``
solves the exported folder, and a :class:`~matcher.WarmMatch` of that folder is kept with the
files it reflects. The next run compares its folder with the kept one: where only members'
streams differ (added, removed, another quantity), the differences go through the WarmMatch
(``change_stream``, ``remove_stream``, ``add_stream``, or ``apply`` for many at once) and the
model is re-solved from its basis instead of from nothing. Anything else that differs (members,
links, implemented exchanges, declined pairs, a stream named by one of those, the parameters or
the catalog), or any failure on the way, is a cold solve, which starts a new entry.

The warm result is the cold one: the same optimum (the engine's warm paths are tested against
cold matches), read into the same ``match --json`` document, its lists of streams in the order a
cold solve of the folder gives them, its numbers equal to the solver's last digits. One limit:
where several exchange plans cost exactly the same (two interchangeable streams of one member,
say), a simplex started from the previous basis may stop at another of them than a cold solve
does; the objective is the same, the exchanges are one of the equally good plans. The same folder
again gives the very document of the run before. Each entry has its own lock: two runs of one network wait
for each other, runs of different networks do not. The cache lives in the process (each worker
of ``serve --workers`` keeps its own) and holds :data:`MAX_NETWORKS` networks, the least recently
matched leaving first.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["MAX_NETWORKS", "clear", "solve"]

log = logging.getLogger(__name__)

#: Networks whose WarmMatch a server process keeps.
MAX_NETWORKS = 4
#: More stream changes than this go through one ``WarmMatch.apply`` (one re-solve) instead of one call each.
ONE_BY_ONE = 5
#: The files of a scenario folder that name the catalog and the parameters (the key of an entry).
_KEY_FILES = ("scenario.yaml",)
#: The files that name streams by id: a stream they name is never changed warm.
_COMMITMENT_FILES = ("fixed_exchanges.csv", "excluded_pairs.csv")


@dataclass
class _Entry:
    """One network's kept match: the folder it reflects and its WarmMatch."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    key: str = ""
    version: int | None = None
    files: dict[str, str] = field(default_factory=dict)
    streams: pd.DataFrame | None = None
    warm: Any = None
    doc: dict[str, Any] | None = None


_ENTRIES: OrderedDict[int, _Entry] = OrderedDict()
_ENTRIES_LOCK = threading.Lock()


def clear() -> None:
    """Forget every kept match (tests; a process that wants its memory back)."""
    with _ENTRIES_LOCK:
        _ENTRIES.clear()


def _entry(network_id: int) -> _Entry:
    with _ENTRIES_LOCK:
        entry = _ENTRIES.pop(network_id, None) or _Entry()
        _ENTRIES[network_id] = entry
        while len(_ENTRIES) > MAX_NETWORKS:
            _ENTRIES.popitem(last=False)
        return entry


def _key(files: Mapping[str, str]) -> str:
    """The parameters and the catalog of a folder: its scenario file and every other file but the tables."""
    tables = {"members.csv", "streams.csv", "links.csv", *_COMMITMENT_FILES}
    parts = [(name, text) for name, text in sorted(files.items()) if name in _KEY_FILES or name not in tables]
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()


def solve(network_id: int, version: int, files: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``match --json`` document of a scenario folder (file name -> text), and how it was solved.

    Returns
    -------
    doc : dict
        What a cold ``symbiose match`` of the folder gives.
    timings : dict
        ``path`` (``"warm"`` or ``"cold"``), ``why`` a cold solve was needed, ``changes`` (streams
        added, removed, changed) on the warm path, ``seconds`` and the engine's own timings.

    Raises
    ------
    DataError
        If the folder cannot be matched (as a cold match would say).
    """
    entry = _entry(network_id)
    with entry.lock:
        began = time.perf_counter()
        key = _key(files)
        why = "first run of this network in this process"
        if entry.warm is not None:
            why = "parameters or catalog changed" if entry.key != key else ""
        if not why:
            try:
                done = _warm(entry, files)
            except Exception as exc:  # the cold solve is always right: a warm path that fails falls back to it
                log.warning("warm match of network %s failed, solving cold: %s", network_id, exc, exc_info=True)
                done, why = None, f"warm path failed: {type(exc).__name__}"
            else:
                why = "" if done is not None else "members, links or commitments changed"
            if done is not None:
                doc, changes, engine = done
                entry.version, entry.files, entry.doc = version, dict(files), doc
                return doc, {
                    "path": "warm",
                    "changes": changes,
                    "seconds": time.perf_counter() - began,
                    **{k: round(v, 6) for k, v in engine.items()},
                }
        entry.warm, entry.files, entry.streams, entry.version, entry.doc = None, {}, None, None, None
        doc, engine = _cold(entry, files)
        entry.key, entry.version, entry.files, entry.doc = key, version, dict(files), doc
        return doc, {
            "path": "cold",
            "why": why,
            "seconds": time.perf_counter() - began,
            **{k: round(v, 6) for k, v in engine.items()},
        }


def _cold(entry: _Entry, files: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, float]]:
    """Solve the folder as ``symbiose match`` does, and keep a WarmMatch of it."""
    from matcher.api import WarmMatch, match
    from models import load

    with tempfile.TemporaryDirectory(prefix="symbiose-run-") as folder:
        for name, text in files.items():
            (Path(folder) / name).write_text(text, encoding="utf-8")
        scenario, network = load(folder)
        streams = _streams_table(Path(folder) / "streams.csv") if "streams.csv" in files else None
    result = match(network, scenario)
    doc = json.loads(result.to_json())
    try:
        entry.warm = WarmMatch(network, scenario)
        entry.streams = streams
    except Exception as exc:  # nothing kept: the next run is cold again
        log.warning("no warm match kept: %s", exc, exc_info=True)
        entry.warm = entry.streams = None
    return doc, dict(result.timings)


def _streams_table(path: Path) -> pd.DataFrame:
    """A streams file as the engine reads it (text cells), indexed by stream id."""
    from models.tables import read_csv

    frame = read_csv(path).frame.astype(object)
    frame = frame.where(frame.notna(), "")
    frame.index = pd.Index(frame["stream_id"].astype(str).str.strip(), name=None)
    return frame


def _warm(entry: _Entry, files: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, int], dict[str, float]] | None:
    """The document of ``files`` through the kept WarmMatch, or None where only a cold solve will do."""
    from models.scenario import Changes

    old = entry.files
    if set(old) != set(files) or "streams.csv" not in files or entry.streams is None:
        return None
    if any(old[name] != files[name] for name in files if name != "streams.csv"):
        return None
    if old["streams.csv"] == files["streams.csv"] and entry.doc is not None:
        return copy.deepcopy(entry.doc), {}, {}  # the same folder: the same document
    with tempfile.TemporaryDirectory(prefix="symbiose-warm-") as folder:
        (Path(folder) / "streams.csv").write_text(files["streams.csv"], encoding="utf-8")
        new = _streams_table(Path(folder) / "streams.csv")
    before = entry.streams
    if list(new.columns) != list(before.columns) or new.index.has_duplicates:
        return None  # another set of columns (or a file the engine refuses): cold
    removed = [s for s in before.index if s not in new.index]
    added = [s for s in new.index if s not in before.index]
    common = [s for s in new.index if s in before.index]
    differ = before.loc[common].ne(new.loc[common]).to_numpy()
    changed = [s for s, row in zip(common, differ) if row.any()]
    named = _named_by_commitments(files)
    if named & {*removed, *added, *changed}:
        return None  # an implemented exchange or a declined pair rests on it
    quantity = list(new.columns).index("quantity")
    scaled: dict[str, float] = {}
    for s, row in zip(common, differ):
        if row.any() and row.sum() == 1 and row[quantity]:
            try:
                scaled[s] = float(new.at[s, "quantity"])
            except ValueError:
                continue
    moved = [s for s in changed if s not in scaled]  # other cells changed: out and in again
    warm = entry.warm
    began = time.perf_counter()
    count = len(removed) + len(added) + len(changed)
    rows = {s: _row(new.loc[s]) for s in [*added, *moved]}
    if count <= ONE_BY_ONE:
        result = None
        for s in [*removed, *moved]:
            result = warm.remove_stream(s)
        for s, q in scaled.items():
            result = warm.change_stream(s, q)
        for s in [*moved, *added]:
            result = warm.add_stream(rows[s])
    else:
        result = warm.apply(
            Changes(
                remove_streams=[*removed, *moved, *scaled],
                add_streams=[*(rows[s] for s in moved), *(_row(new.loc[s]) for s in scaled), *(rows[s] for s in added)],
            )
        )
    seconds = time.perf_counter() - began
    entry.streams = new
    assert result is not None
    doc = _canonical(json.loads(result.to_json()), new, bool(added or moved or (count > ONE_BY_ONE)))
    changes = {"added": len(added), "removed": len(removed), "quantity": len(scaled), "replaced": len(moved)}
    return doc, changes, {**dict(result.timings), "warm": seconds}


def _row(cells: pd.Series) -> dict[str, Any]:
    """A stream's row as the engine reads it: its cells that hold text."""
    return {str(k): v for k, v in cells.items() if isinstance(v, str) and v.strip() != ""}


def _named_by_commitments(files: Mapping[str, str]) -> set[str]:
    """The stream ids the folder's fixed exchanges and excluded pairs name."""
    import csv
    import io

    named: set[str] = set()
    for name in _COMMITMENT_FILES:
        if files.get(name):
            for row in csv.DictReader(io.StringIO(files[name])):
                named |= {str(row.get(k) or "").strip() for k in ("supply_stream", "demand_stream")}
    return named - {""}


def _canonical(doc: dict[str, Any], streams: pd.DataFrame, reordered: bool) -> dict[str, Any]:
    """The document with its lists in the order a cold solve of the folder gives them.

    A cold solve lists streams as the folder does, supplies first; a stream added warm comes last
    in the WarmMatch. Exchanges come by saving, largest first; among equal savings (where streams
    were added or built again) by supply and then demand, as the folder lists them.
    """
    direction = streams["direction"].astype(str).str.strip()
    order = [*streams.index[direction.eq("supply")], *streams.index[~direction.eq("supply")]]
    position = {s: i for i, s in enumerate(order)}
    last = len(position)
    for key in ("unmatched", "virgin_purchases", "disposals"):
        if isinstance(doc.get(key), list):
            doc[key] = sorted(doc[key], key=lambda r: position.get(r.get("stream_id"), last))
    if reordered and isinstance(doc.get("exchanges"), list):
        doc["exchanges"] = sorted(
            doc["exchanges"],
            key=lambda e: (
                -(e.get("saving") or 0.0),
                position.get(e.get("supply_stream"), last),
                position.get(e.get("demand_stream"), last),
            ),
        )
    return doc
