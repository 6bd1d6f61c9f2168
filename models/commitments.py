"""Exchanges already running and pairs ruled out: two optional tables that a match respects.

``fixed_exchanges`` lists exchanges that are implemented in reality: the
match keeps each as a flow of exactly its quantity (a year, in the supply's
unit) and optimises everything else around it. ``excluded_pairs`` lists
supply/demand pairs that must never be proposed (a company declined them).
Both name streams by id; they are checked against the network's streams and
links here, with every mistake named by file, row and column.

=================  ==========================================================
fixed_exchanges    ``supply_stream, demand_stream, quantity, unit`` (+ ``note``)
excluded_pairs     ``supply_stream, demand_stream`` (+ ``reason``)
=================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from .catalog import Catalog
from .errors import Issue
from .numbers import Number
from .tables import RawTable
from .units import UnitProblem, factor_to_base
from .validate import parse_table

__all__ = [
    "COMMITMENT_TABLES",
    "ExcludedPair",
    "FixedExchange",
    "check_commitments",
    "empty_excluded",
    "empty_fixed",
    "split_over_periods",
]


class FixedExchange(BaseModel):
    """An exchange that runs in reality (one row of fixed_exchanges.csv); a match keeps it as it is."""

    model_config = ConfigDict(extra="forbid")

    supply_stream: str = Field(min_length=1, description="stream_id of the supply")
    demand_stream: str = Field(min_length=1, description="stream_id of the demand")
    quantity: Number = Field(gt=0, description="actual amount a year, of the supply")
    unit: str = Field(min_length=1, description="unit of the quantity (converted to the supply's base unit)")
    note: str | None = None


class ExcludedPair(BaseModel):
    """A supply/demand pair a match must never propose (one row of excluded_pairs.csv)."""

    model_config = ConfigDict(extra="forbid")

    supply_stream: str = Field(min_length=1, description="stream_id of the supply")
    demand_stream: str = Field(min_length=1, description="stream_id of the demand")
    reason: str | None = None


#: Table name -> row model.
COMMITMENT_TABLES: dict[str, type[BaseModel]] = {"fixed_exchanges": FixedExchange, "excluded_pairs": ExcludedPair}

_FIXED_COLUMNS = ["supply_stream", "demand_stream", "quantity", "unit", "note", "quantity_base", "ratio"]
_EXCLUDED_COLUMNS = ["supply_stream", "demand_stream", "reason"]


def empty_fixed() -> pd.DataFrame:
    """A fixed_exchanges table with no rows (its columns, derived ones included)."""
    return pd.DataFrame(
        {c: pd.Series(dtype=float if c in ("quantity", "quantity_base", "ratio") else object) for c in _FIXED_COLUMNS}
    )


def empty_excluded() -> pd.DataFrame:
    """An excluded_pairs table with no rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in _EXCLUDED_COLUMNS})


def check_commitments(
    tables: Mapping[str, RawTable],
    streams: pd.DataFrame | None,
    links: pd.DataFrame | None,
    catalog: Catalog,
    shares: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[Issue]]:
    """The fixed exchanges and excluded pairs of ``tables``, checked against the network.

    Parameters
    ----------
    tables
        Raw tables; ``fixed_exchanges`` and ``excluded_pairs`` are read where present.
    streams
        The network's validated streams indexed by ``stream_id`` (with ``direction``,
        ``resource``, ``member_id``, ``base_unit``, ``quantity_base``); ``None`` when the
        streams have problems of their own (then only each row's own cells are checked).
    links
        The network's links (capacities of the links a fixed exchange runs on).
    shares
        With periods: per stream (index ``stream_id``), the share of its amount in each period
        (columns: the period labels in time order; :func:`models.seasons.stream_period_shares`).
        A fixed exchange is then spread over the periods as :func:`split_over_periods` says, and
        what the fixed exchanges take from a stream in a period cannot exceed what it has there.

    Returns
    -------
    fixed : DataFrame
        ``supply_stream, demand_stream, quantity, unit, note``, and ``quantity_base`` (in
        the supply's base unit) and ``ratio`` (units of the demand met by one unit).
    excluded : DataFrame
        ``supply_stream, demand_stream, reason``.
    issues : list of Issue
    """
    issues: list[Issue] = []
    parsed: dict[str, pd.DataFrame] = {}
    files: dict[str, str] = {}
    for name, model in COMMITMENT_TABLES.items():
        raw = tables.get(name)
        if raw is None:
            continue
        frame, found = parse_table(raw, model)
        issues += found
        parsed[name], files[name] = frame, raw.file
    fixed = parsed.get("fixed_exchanges")
    excluded = parsed.get("excluded_pairs")
    if streams is None:
        return empty_fixed(), empty_excluded(), issues
    out_fixed, out_excluded = empty_fixed(), empty_excluded()
    if fixed is not None and len(fixed):
        checked, found = _check_fixed(fixed, streams, links, catalog, files["fixed_exchanges"], shares)
        issues += found
        out_fixed = checked
    if issues:
        out_fixed = empty_fixed()
    if excluded is not None and len(excluded):
        file = files["excluded_pairs"]
        issues += _check_pair_refs(excluded, streams, file)
        issues += _duplicate_pairs(excluded, file)
        if fixed is not None and len(fixed):
            both = _keys(excluded).isin(set(_keys(fixed)))
            issues += [
                Issue(file, int(r), "demand_stream", "this pair is also a fixed exchange; it cannot be excluded")
                for r in excluded.loc[both.to_numpy(), "_row"]
            ]
        out_excluded = excluded[_EXCLUDED_COLUMNS].reset_index(drop=True)
    if issues:
        return empty_fixed(), empty_excluded(), issues
    return out_fixed, out_excluded, issues


def _keys(frame: pd.DataFrame) -> pd.Series:
    return frame["supply_stream"].astype(str) + "\x00" + frame["demand_stream"].astype(str)


def _duplicate_pairs(frame: pd.DataFrame, file: str) -> list[Issue]:
    key = _keys(frame)
    dup = key.duplicated(keep="first")
    first = dict(zip(key[~dup], frame.loc[~dup, "_row"]))
    return [
        Issue(file, int(r), "demand_stream", f"the pair {s} -> {d} is given again (first on row {first[k]})")
        for r, s, d, k in zip(
            frame.loc[dup, "_row"], frame.loc[dup, "supply_stream"], frame.loc[dup, "demand_stream"], key[dup]
        )
    ]


def _check_pair_refs(frame: pd.DataFrame, streams: pd.DataFrame, file: str) -> list[Issue]:
    """Each side names a stream of the network in the right direction."""
    issues = []
    for column, direction in (("supply_stream", "supply"), ("demand_stream", "demand")):
        ids = frame[column].astype(str)
        known = ids.isin(streams.index)
        issues += [
            Issue(file, int(r), column, f"{v!r} is not a stream_id of the streams table")
            for r, v in zip(frame.loc[~known.to_numpy(), "_row"], ids[~known])
        ]
        found = streams["direction"].reindex(ids[known]).to_numpy()
        wrong = found != direction
        issues += [
            Issue(file, int(r), column, f"{v!r} is a {got}; this column names a {direction}")
            for r, v, got in zip(frame.loc[known.to_numpy(), "_row"][wrong], ids[known][wrong], found[wrong])
        ]
    return issues


def _check_fixed(
    fixed: pd.DataFrame,
    streams: pd.DataFrame,
    links: pd.DataFrame | None,
    catalog: Catalog,
    file: str,
    shares: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[Issue]]:
    issues = _check_pair_refs(fixed, streams, file) + _duplicate_pairs(fixed, file)
    if issues:
        return empty_fixed(), issues
    sup = streams.reindex(fixed["supply_stream"].astype(str))
    dem = streams.reindex(fixed["demand_stream"].astype(str))
    table = catalog.table("EUR")
    ratio = np.full(len(fixed), np.nan)
    factor = np.full(len(fixed), np.nan)
    for i, (sr, dr, unit, base, row) in enumerate(  # one row per running exchange: a network has few
        zip(sup["resource"], dem["resource"], fixed["unit"], sup["base_unit"], fixed["_row"])
    ):
        if sr == dr:
            ratio[i] = 1.0
        else:
            subs = {s.key: s.ratio for s in catalog.resources[sr].substitutes}
            if dr not in subs:
                issues.append(Issue(file, int(row), "demand_stream", f"{dr} cannot be met by {sr} (no substitute)"))
                continue
            ratio[i] = float(subs[dr])
        r = table.loc[sr]
        if pd.isna(unit):
            continue  # named by the row's own check
        try:
            factor[i] = factor_to_base(str(unit), str(base), _opt(r["density"]), _opt(r["energy"]))
        except UnitProblem as exc:
            issues.append(Issue(file, int(row), "unit", str(exc)))
    out = fixed.assign(quantity_base=fixed["quantity"].astype(float) * factor, ratio=ratio)
    if issues:
        return empty_fixed(), issues
    # what the fixed exchanges take from a stream cannot exceed it
    for column, use, side in (
        ("supply_stream", out["quantity_base"], sup),
        ("demand_stream", out["quantity_base"] * out["ratio"], dem),
    ):
        total = use.groupby(out[column].to_numpy()).transform("sum").to_numpy()
        have = side["quantity_base"].to_numpy(dtype=float)
        unit = side["base_unit"].to_numpy()
        over = total > have * (1 + 1e-9) + 1e-9
        issues += [
            Issue(file, int(r), "quantity", f"the fixed exchanges of {s} take {t:.6g} {u} a year; it has {h:.6g}")
            for r, s, t, h, u in zip(out.loc[over, "_row"], out.loc[over, column], total[over], have[over], unit[over])
        ]
    if links is not None and len(links) and "capacity" in links.columns:
        capped = links[links["capacity"].notna()]
        between = pd.DataFrame(
            {
                "from_member": sup["member_id"].to_numpy(),
                "to_member": dem["member_id"].to_numpy(),
                "q": out["quantity_base"].to_numpy(),
                "_row": out["_row"].to_numpy(),
            }
        )
        on = between.merge(capped[["from_member", "to_member", "capacity"]], on=["from_member", "to_member"])
        if len(on):
            used = on.groupby(["from_member", "to_member"])["q"].transform("sum")
            over = used > on["capacity"].astype(float) * (1 + 1e-9) + 1e-9
            issues += [
                Issue(
                    file,
                    int(r),
                    "quantity",
                    f"the fixed exchanges on the link {a} -> {b} carry {u:.6g} a year; its capacity is {c:.6g}",
                )
                for r, a, b, u, c in zip(
                    on.loc[over, "_row"],
                    on.loc[over, "from_member"],
                    on.loc[over, "to_member"],
                    used[over],
                    on.loc[over, "capacity"],
                )
            ]
    if not issues and shares is not None:
        issues += _check_periods(out, sup, dem, shares, file)
    if issues:
        return empty_fixed(), issues
    return out[_FIXED_COLUMNS].reset_index(drop=True), []


def split_over_periods(quantity: np.ndarray, ratio: np.ndarray, supply: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Each fixed exchange's yearly quantity spread over the periods.

    A fixed exchange is a yearly amount; with periods it flows in the periods both its streams
    are active in, in proportion to what the pair can carry in each: the least of the supply's
    amount there and the demand's divided by ``ratio``.

    Parameters
    ----------
    quantity, ratio : ndarray, shape (n,)
        Per fixed exchange, its amount (supply base unit) and the units of the demand one unit meets.
    supply, demand : ndarray, shape (n, periods)
        The amount of its supply and of its demand in each period (each its own base unit).

    Returns
    -------
    ndarray, shape (n, periods)
        Its amount in each period; a row of zeros where the streams share no period.
    """
    cap = np.minimum(supply, demand / ratio[:, None])
    total = cap.sum(axis=1, keepdims=True)
    return quantity[:, None] * cap / np.where(total > 0, total, 1.0)


def _check_periods(
    out: pd.DataFrame, sup: pd.DataFrame, dem: pd.DataFrame, shares: pd.DataFrame, file: str
) -> list[Issue]:
    """What the fixed exchanges take from a stream in each period is within what it has there."""
    labels = np.asarray(shares.columns, dtype=str)
    sq = shares.reindex(sup.index).to_numpy(dtype=float) * sup["quantity_base"].to_numpy(dtype=float)[:, None]
    dq = shares.reindex(dem.index).to_numpy(dtype=float) * dem["quantity_base"].to_numpy(dtype=float)[:, None]
    ratio = out["ratio"].to_numpy(dtype=float)
    parts = split_over_periods(out["quantity_base"].to_numpy(dtype=float), ratio, sq, dq)
    rows = out["_row"].to_numpy()
    apart = (np.minimum(sq, dq / ratio[:, None]).sum(axis=1) <= 0).nonzero()[0]
    issues = [
        Issue(
            file,
            int(rows[i]),
            "demand_stream",
            f"{out['supply_stream'].iat[i]} and {out['demand_stream'].iat[i]} are active in no common period",
        )
        for i in apart
    ]
    if issues:
        return issues
    for column, use, have in (("supply_stream", parts, sq), ("demand_stream", parts * ratio[:, None], dq)):
        ids = out[column].astype(str).to_numpy()
        total = pd.DataFrame(use).groupby(ids).transform("sum").to_numpy()
        over = total > have * (1 + 1e-9) + 1e-9
        units = (sup if column == "supply_stream" else dem)["base_unit"].to_numpy()
        for i, t in zip(*np.nonzero(over)):
            issues.append(
                Issue(
                    file,
                    int(rows[i]),
                    "quantity",
                    f"in period {labels[t]} the fixed exchanges of {ids[i]} take {total[i, t]:.6g} {units[i]}; "
                    f"it has {have[i, t]:.6g} then (a fixed exchange flows in the periods both streams share, "
                    "in proportion to what the pair can carry in each)",
                )
            )
    return issues


def _opt(x: object) -> float | None:
    return None if pd.isna(x) else float(x)  # type: ignore[arg-type]
