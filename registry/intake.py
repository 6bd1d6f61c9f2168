"""A member's submitted streams, read and checked by the engine's own intake.

An upload (CSV or XLSX in the template format) is read through
:mod:`models.tables` (regular files, size and row limits, encodings, decimal
commas) and validated by :meth:`models.Network.from_tables` against the
member's own row and the network's catalog, so every mistake comes back as
the CLI lists it, with file, row and column. Rows of another member's id are
mistakes too. Nothing here writes to the database.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.utils.translation import gettext as _

from models import DataError, Issue, Network
from models.tables import RawTable, read_csv, read_frame, read_workbook

from .tables import frame_of

__all__ = ["check_streams", "raw_from_json", "raw_to_json", "read_upload", "safe_file_name"]

_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")


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
    issues: list[Issue] = []
    flagged: set[int] = set()
    if "member_id" in raw.frame.columns:
        ids = raw.frame["member_id"].astype(str).str.strip()
        wrong = np.flatnonzero((ids != member.member_id) & (ids != "")).tolist()
        for i in wrong:
            row = int(raw.rows[i])
            flagged.add(row)
            issues.append(
                Issue(
                    raw.file,
                    row,
                    "member_id",
                    _("%(given)s is not your member id; use %(own)s")
                    % {"given": repr(ids.iloc[i]), "own": repr(member.member_id)},
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
        issues += [i for i in exc.issues if not (i.column == "member_id" and i.row in flagged)]
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
