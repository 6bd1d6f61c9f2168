"""Pseudonyms and rounding for reports that leave the network (one definition for reports and comparisons).

Pseudonyms are numbers (``Member 07``, ``Stream 112``) dealt out in an order
set by a keyed hash of each id under a random salt drawn for every report
(:func:`secrets.token_bytes`): no two ids share one, and hashing guessed ids
tells nothing, since the salt never leaves the process. Resources of the
built-in catalog keep their keys; resources a scenario defines itself become
``Resource 01``... Money and quantities are rounded to two significant
figures, coordinates to 0.1 degree, NACE codes to their section letter.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.catalog import Catalog

from ..results.result import MatchResult

__all__ = [
    "ROUNDED_COLUMNS",
    "Pseudonyms",
    "nace_section",
    "numbered",
    "pseudonymise_exchanges",
    "round_sig",
]

#: Exchange columns holding quantities or money, rounded to two significant figures when anonymised.
ROUNDED_COLUMNS = (
    "quantity",
    "delivered",
    "saving",
    "transport_cost",
    "co2e_avoided_t",
    "co2e_t",
    "avoided_disposal_cost",
    "avoided_virgin_cost",
    "fixed_cost",
)

# NACE Rev. 2: the first division of each section, A (01) to U (99)
_SECTIONS = (
    (1, "A"), (5, "B"), (10, "C"), (35, "D"), (36, "E"), (41, "F"), (45, "G"), (49, "H"), (55, "I"), (58, "J"),
    (64, "K"), (68, "L"), (69, "M"), (77, "N"), (84, "O"), (85, "P"), (86, "Q"), (90, "R"), (94, "S"), (97, "T"),
    (99, "U"),
)  # fmt: skip


def numbered(kind: str, keys: Iterable[str], salt: bytes) -> dict[str, str]:
    """Number ``keys`` in the order of their hash keyed by ``salt``: one distinct pseudonym each.

    >>> m = numbered("Member", ["M01", "M02", "M03"], b"salt")
    >>> sorted(m.values())
    ['Member 01', 'Member 02', 'Member 03']
    """
    unique = sorted({str(k) for k in keys})
    order = sorted(unique, key=lambda k: hashlib.blake2b(k.encode(), key=salt[:64], digest_size=16).digest())
    width = max(2, len(str(len(order))))
    return {k: f"{kind} {i:0{width}d}" for i, k in enumerate(order, start=1)}


@dataclass(frozen=True)
class Pseudonyms:
    """The pseudonyms of one anonymised report or comparison page (the same member, the same label throughout).

    Attributes
    ----------
    members, streams, resources : dict of str to str
        Id (or resource key) -> pseudonym; built-in catalog resources are not renamed.
    """

    members: dict[str, str]
    streams: dict[str, str]
    resources: dict[str, str]

    @classmethod
    def of(cls, results: Sequence[MatchResult], salt: bytes | None = None) -> Pseudonyms:
        """Pseudonyms for every member, stream and scenario-defined resource of ``results``.

        ``salt`` defaults to 16 fresh random bytes, so two reports of the same
        network give different pseudonyms.
        """
        salt = secrets.token_bytes(16) if salt is None else salt
        builtin = set(Catalog.builtin().resources)
        members = {m for r in results for m in r.network.members.index}
        streams = {s for r in results for s in r.network.streams.index}
        for r in results:  # stores and processes stand beside streams in exchanges
            streams |= set(r.network.seasons.storage.index) | set(r.network.seasons.processes.index)
        resources = {k for r in results for k in r.network.streams["resource"] if k not in builtin}
        return cls(
            members=numbered("Member", members, salt + b"m"),
            streams=numbered("Stream", streams, salt + b"s"),
            resources=numbered("Resource", resources, salt + b"r"),
        )

    def resource(self, key: str) -> str:
        """A resource as an anonymised report shows it."""
        return self.resources.get(key, key)


def round_sig(values: pd.Series | np.ndarray, digits: int = 2) -> np.ndarray:
    """Values rounded to ``digits`` significant figures (zeros and non-finite values kept)."""
    v = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(v == 0, 0, np.floor(np.log10(np.abs(v))))
        scale = 10.0 ** (digits - 1 - mag)
        return np.where(np.isfinite(v) & (v != 0), np.round(v * scale) / scale, v)


def round_one(value: float, digits: int = 2) -> float:
    """One number rounded to ``digits`` significant figures."""
    return float(round_sig(np.array([value]), digits)[0])


def nace_section(code: object) -> object:
    """The NACE section letter of a code (``C10.51`` -> ``C``, ``35`` -> ``D``); anything else as missing.

    >>> nace_section("C10.51"), nace_section("35.11"), nace_section("F"), nace_section(None)
    ('C', 'D', 'F', None)
    """
    if not isinstance(code, str):
        return None
    match = re.fullmatch(r"([A-U])?(\d{2})?(?:\.\d{1,2}){0,2}", code.strip())
    if match is None or not (match.group(1) or match.group(2)):
        return None
    if match.group(1):
        return match.group(1)
    division = int(match.group(2))
    section = [s for first, s in _SECTIONS if first <= division]
    return section[-1] if section else None


def pseudonymise_exchanges(exchanges: pd.DataFrame, names: Pseudonyms) -> pd.DataFrame:
    """A copy of an exchange table with member and stream ids (and scenario-defined resources) replaced."""
    out = exchanges.copy()
    for cols, mapping in (
        (("from_member", "to_member"), names.members),
        (("supply_stream", "demand_stream"), names.streams),
    ):
        for col in cols:
            if col in out:
                out[col] = out[col].map(mapping)
    for col in ("resource", "demand_resource"):
        if col in out:
            out[col] = out[col].map(names.resource)
    return out
