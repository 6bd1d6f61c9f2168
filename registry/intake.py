"""A member's submitted streams, read and checked by the engine's own intake.

An upload (CSV or XLSX in the template format) is read through
:mod:`models.tables` (regular files, size and row limits, encodings, decimal
commas) and validated by :meth:`models.Network.from_tables` against the
member's own row and the network's catalog, so every mistake comes back as
the CLI lists it, with file, row and column. Rows of another member's id are
mistakes too. Nothing here writes to the database.
"""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from models import DataError, Issue, Network
from models.readers import shown
from models.tables import RawTable, read_csv, read_frame, read_workbook

from .tables import frame_of

__all__ = ["check_cells", "check_streams", "raw_from_json", "raw_to_json", "read_upload", "safe_file_name"]

_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")

#: Longest text the registry keeps in a column (the database's column sizes); other cells: MAX_CELL.
FIELD_LIMITS = {"stream_id": 100, "member_id": 100, "direction": 10, "resource": 100, "unit": 50, "name": 300}
MAX_CELL = 1000
#: An upload's workbook may unpack to at most this many times the largest upload.
XLSX_UNPACK_FACTOR = 10
#: Characters no id may hold: C0 and C1 controls, and the marks that reorder text on screen.
_HIDDEN = r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
_IDS = ("stream_id", "member_id", "from_member", "to_member")


def check_cells(frame: pd.DataFrame, rows: Any, file: str) -> list[Issue]:
    """What the registry cannot keep: cells longer than their column, ids with hidden characters.

    >>> frame = pd.DataFrame({"stream_id": ["S1", "S\u202e2"], "notes": ["ok", "x" * 2000]}, dtype=object)
    >>> [(i.row, i.column) for i in check_cells(frame, [2, 3], "s.csv")]
    [(3, 'stream_id'), (3, 'notes')]
    """
    issues = []
    numbers = np.asarray(rows, dtype=int)
    for column in frame.columns:
        text = frame[column].astype(object).where(frame[column].notna(), "").astype(str)
        name = str(column)
        limit = FIELD_LIMITS.get(name, MAX_CELL)
        lengths = text.str.len().to_numpy()
        hidden = text.str.contains(_HIDDEN, regex=True).to_numpy() if name in _IDS else np.zeros(len(text), bool)
        for i in np.flatnonzero(hidden | (lengths > limit)):
            if hidden[i]:
                message = _("holds hidden or control characters (%(shown)s); use letters, digits and punctuation") % {
                    "shown": shown(text.iloc[i], 40)
                }
            else:
                message = _("is %(length)s characters long; at most %(limit)s are kept") % {
                    "length": f"{int(lengths[i]):,}",
                    "limit": limit,
                }
            issues.append(Issue(file, int(numbers[i]), name, message))
    return issues


def _unpacked_size(data: bytes, label: str) -> None:
    import zipfile

    from django.conf import settings

    limit = XLSX_UNPACK_FACTOR * int(settings.MAX_UPLOAD_BYTES)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            size = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # the engine's reader names what is wrong with it
    if size > limit:
        raise DataError(
            [
                Issue(
                    label,
                    None,
                    "",
                    _("the workbook unpacks to %(size)s MB; uploads may unpack to at most %(limit)s MB")
                    % {"size": f"{size / 1e6:,.0f}", "limit": f"{limit / 1e6:,.0f}"},
                )
            ]
        )


def safe_file_name(name: str) -> str:
    """The upload's name as shown in messages: its last part, letters, digits and ``._-`` only.

    >>> safe_file_name("../../etc/My streams (v2).CSV")
    'My_streams_v2.CSV'
    """
    base = re.split(r"[\\/]", name or "")[-1]
    stem, dot, suffix = base.rpartition(".")
    clean = re.sub(r"[^A-Za-z0-9_-]+", "_", stem if dot else base).strip("._")[:80] or "upload"
    return f"{clean}.{re.sub(r'[^A-Za-z0-9]', '', suffix)[:5]}" if dot else clean


def read_upload(name: str, data: bytes) -> RawTable:
    """The streams table of an uploaded CSV file or workbook (its ``streams`` sheet, else its only sheet).

    Raises
    ------
    DataError
        If the file is of another kind, unreadable or beyond the limits.
    """
    label = safe_file_name(name)
    suffix = Path(label).suffix.lower()
    if suffix not in _SUFFIXES:
        raise DataError([Issue(label, None, "", _("expected a .csv or .xlsx file (the streams template)"))])
    if suffix in (".xlsx", ".xlsm"):
        _unpacked_size(data, label)
    with tempfile.TemporaryDirectory(prefix="symbiose-upload-") as folder:
        path = Path(folder) / label
        path.write_bytes(data)
        if suffix in (".csv", ".txt"):
            return read_csv(path)
        sheets = read_workbook(path)
    if "streams" in sheets:
        return sheets["streams"]
    if len(sheets) == 1:
        return next(iter(sheets.values()))
    raise DataError([Issue(label, None, "", _("the workbook has no sheet named streams"))])


def check_streams(raw: RawTable, member: Any, catalog: Any) -> Network:
    """The member's streams validated as the engine validates them, or every mistake at once.

    Parameters
    ----------
    raw
        The submitted table.
    member
        The :class:`registry.models.Member` the streams belong to (a backhaul row's ``dest_member`` may
        name another active member of its network).
    catalog
        The network's catalog.

    Raises
    ------
    DataError
        Every problem with file, row and column; rows naming another member are among them.
    """
    issues: list[Issue] = check_cells(raw.frame, raw.rows, raw.file)
    flagged = {i.row for i in issues if i.column == "member_id"}
    if "member_id" in raw.frame.columns:
        ids = raw.frame["member_id"].astype(str).str.strip()
        wrong = np.flatnonzero((ids != member.member_id) & (ids != "")).tolist()
        for i in (i for i in wrong if int(raw.rows[i]) not in flagged):
            row = int(raw.rows[i])
            flagged.add(row)
            issues.append(
                Issue(
                    raw.file,
                    row,
                    "member_id",
                    _("%(given)s is not your member id; use %(own)s")
                    % {"given": shown(ids.iloc[i]), "own": shown(member.member_id)},
                )
            )
    rows = [{"member_id": member.member_id, "name": member.name, **member.data}]
    if "dest_member" in raw.frame.columns and raw.frame["dest_member"].astype(str).str.strip().ne("").any():
        # a backhaul route may end at another member's site: the network's active members are known by id
        # (as the members page shows them to every member), their sites only to the engine
        others = type(member).objects.filter(network_id=member.network_id, active=True).exclude(pk=member.pk)
        rows += [
            {"member_id": m.member_id, "name": m.name, "lat": m.data.get("lat"), "lon": m.data.get("lon")}
            for m in others
        ]
    own = read_frame(frame_of(rows, "members"), "members")
    try:
        network = Network.from_tables({"members": own, "streams": raw}, catalog)
    except DataError as exc:
        mine = {(i.row, i.column) for i in issues}
        issues += [
            i
            for i in exc.issues
            if not (i.column == "member_id" and i.row in flagged) and (i.row, i.column) not in mine
        ]
    else:
        if not issues:
            return network
    raise DataError(issues)


def raw_to_json(raw: RawTable) -> dict[str, Any]:
    """A table as read, for a draft: its file label, columns, text cells and row numbers."""
    return {
        "file": raw.file,
        "columns": [str(c) for c in raw.frame.columns],
        "cells": raw.frame.astype(str).to_numpy().tolist(),
        "rows": [int(r) for r in raw.rows],
    }


def raw_from_json(doc: dict[str, Any]) -> RawTable:
    """A draft's table back as the engine reads it."""
    frame = pd.DataFrame(doc["cells"], columns=doc["columns"], dtype=object).astype(str)
    return RawTable(frame, np.asarray(doc["rows"], dtype=int), str(doc["file"]))
