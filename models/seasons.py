r"""Periods, profiles, storage and processes: the optional tables that give a network time and conversion.

``periods.csv`` (``period, hours``) cuts the year into periods, in time order, cyclic (after the
last comes the first). Without it the year is one period of :data:`~models.units.HOURS_PER_YEAR`
hours and everything is as before. A stream is active in every period, or only in the one its
``period`` names; its amount is split over its active periods in proportion to their hours, or by
its ``profile`` (``profiles.csv``: ``profile, period, weight``, normalised over the periods).

``storage.csv`` declares stores (level, charge and discharge per period); ``processes.csv`` and
``process_flows.csv`` conversion processes whose inputs and outputs are fixed multiples of their
throughput. The engine (:mod:`matcher.engine.periods`) writes their equations; this module reads
and checks the tables, each problem an :class:`~models.errors.Issue` with file, row and column,
and resolves every quantity to base units (capacities and hourly limits).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .catalog import Catalog
from .errors import Issue
from .numbers import limit_text, too_large
from .records import SEASON_TABLES
from .units import HOURS_PER_YEAR, UnitProblem, factor_to_base, is_rate

__all__ = ["Seasons", "check_seasons", "stream_period_shares"]


@dataclass
class Seasons:
    """The validated optional tables (as submitted, ``_row`` dropped) and their resolved numbers.

    Attributes
    ----------
    periods : DataFrame or None
        Indexed by ``period`` (time order), column ``hours``; None without a periods table.
    profiles : DataFrame
        ``profile, period, weight``.
    storage : DataFrame
        Indexed by ``storage_id``; the table's columns and ``base_unit``, ``capacity_base``,
        ``max_charge_base``, ``max_discharge_base`` (base units per hour, inf where unlimited),
        ``eta_in``, ``eta_out``, ``loss``, ``cost`` (defaults filled in).
    processes : DataFrame
        Indexed by ``process_id``; the table's columns and ``base_unit``, ``capacity_base``
        (base units of the reference per hour), ``cost``.
    process_flows : DataFrame
        ``process_id, resource, direction, ratio, disposal_cost, virgin_cost``.
    """

    periods: pd.DataFrame | None = None
    profiles: pd.DataFrame = field(default_factory=pd.DataFrame)
    storage: pd.DataFrame = field(default_factory=pd.DataFrame)
    processes: pd.DataFrame = field(default_factory=pd.DataFrame)
    process_flows: pd.DataFrame = field(default_factory=pd.DataFrame)
    given: tuple[str, ...] = ()
    """The tables that were given (even empty)."""

    @property
    def active(self) -> bool:
        """Whether the network has periods, storage or processes (a model with time or conversion)."""
        return self.periods is not None or len(self.storage) > 0 or len(self.processes) > 0

    @property
    def labels(self) -> list[str]:
        """The period labels in time order (one unnamed period without a periods table)."""
        return [] if self.periods is None else [str(p) for p in self.periods.index]

    @property
    def hours(self) -> np.ndarray:
        """Hours of each period (the year, without a periods table)."""
        if self.periods is None:
            return np.array([HOURS_PER_YEAR])
        return self.periods["hours"].to_numpy(dtype=float)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The tables as submitted, those that were given, ready to write back or to validate again."""
        out = {}
        for name, model in SEASON_TABLES.items():
            if name not in self.given:
                continue
            frame = getattr(self, name)
            frame = frame if frame is not None else pd.DataFrame(columns=list(model.model_fields))
            frame = frame.reset_index() if frame.index.name else frame
            fields = model.model_fields
            keep = [
                c
                for c in frame.columns
                if (c in fields and fields[c].is_required()) or (c not in _DERIVED and frame[c].notna().any())
            ]
            out[name] = frame[keep].reset_index(drop=True)
        return out


_DERIVED = {
    "base_unit",
    "capacity_base",
    "max_charge_base",
    "max_discharge_base",
    "eta_in",
    "eta_out",
    "loss",
    "cost",
}


def _issues(frame: pd.DataFrame, mask: pd.Series | np.ndarray, file: str, column: str, message: str) -> list[Issue]:
    rows = np.asarray(mask, dtype=bool)
    if not rows.any():
        return []
    return [Issue(file, int(r), column, message) for r in frame.loc[rows, "_row"]]


def _dupes(frame: pd.DataFrame, columns: list[str], file: str, what: str) -> list[Issue]:
    if frame.empty:  # (most networks give no periods, storage or processes)
        return []
    key = frame[columns[0]].astype(str)
    for col in columns[1:]:
        key = key + " / " + frame[col].astype(str)
    known = frame[columns].notna().all(axis=1)
    dup = key.duplicated(keep="first") & known
    first = pd.Series(frame["_row"].to_numpy(), index=key.to_numpy())
    first = first[~first.index.duplicated(keep="first")]
    return [
        Issue(file, int(r), columns[-1], f"{what} {k!r} is given again (first on row {first[k]})")
        for r, k in zip(frame.loc[dup, "_row"], key[dup])
    ]


def _unknown(frame: pd.DataFrame, column: str, known: pd.Index, file: str, what: str) -> list[Issue]:
    if frame.empty:
        return []
    bad = frame[column].notna() & ~frame[column].isin(known)
    return [
        Issue(file, int(r), column, f"{v!r} is not {what}")
        for r, v in zip(frame.loc[bad, "_row"], frame.loc[bad, column])
    ]


def _factor(resource: str, unit: str, table: pd.DataFrame) -> tuple[float, str | None]:
    r = table.loc[resource]
    density = None if pd.isna(r["density"]) else float(r["density"])
    energy = None if pd.isna(r["energy"]) else float(r["energy"])
    try:
        return factor_to_base(unit, r["unit"], density, energy), None
    except UnitProblem as exc:
        return np.nan, str(exc)


def _unit_factors(
    frame: pd.DataFrame, resource: str, rate: bool, resources: pd.Index, table: pd.DataFrame, file: str
) -> tuple[pd.Series, list[Issue]]:
    """Per row, the factor from its ``unit`` to its resource's base unit, and the rows whose unit is of the
    wrong kind: a store's capacity is an amount, a process's a rate (``rate``). One conversion per row
    (stores and processes are a handful)."""
    factor = pd.Series(np.nan, index=frame.index)
    issues: list[Issue] = []
    known = frame[resource].isin(resources) & frame["unit"].notna()
    for i in frame.index[known]:
        unit = str(frame.at[i, "unit"])
        row = int(frame.at[i, "_row"])
        if is_rate(unit) != rate:
            wrong = (
                f"capacity is a rate (MW, t/h, m3/d), not the amount {unit!r}"
                if rate
                else f"capacity is an amount (MWh, t, m3), not the rate {unit!r}"
            )
            issues.append(Issue(file, row, "unit", wrong))
            continue
        factor[i], problem = _factor(frame.at[i, resource], unit, table)
        if problem:
            issues.append(Issue(file, row, "unit", problem))
    return factor, issues


def check_seasons(
    parsed: Mapping[str, pd.DataFrame],
    files: Mapping[str, str],
    members: pd.DataFrame,
    streams: pd.DataFrame,
    catalog: Catalog,
    given: tuple[str, ...],
) -> tuple[Seasons, list[Issue]]:
    """Check the optional tables against each other, the members, the streams and the catalog.

    Parameters
    ----------
    parsed : mapping
        Each table parsed by :func:`~models.validate.parse_table` (with ``_row``); tables not given are empty.
    files : mapping
        Each table's file label for messages (``streams`` included).
    members, streams : DataFrame
        The parsed members and streams (with ``_row``).
    given : tuple of str
        The tables that were given.

    Returns
    -------
    Seasons, list of Issue
    """
    if not given and streams["period"].isna().all() and streams["profile"].isna().all():
        return _without_seasons(parsed, files), []  # nothing to check against anything
    return _checked(parsed, files, members, streams, catalog, given)


def _checked(
    parsed: Mapping[str, pd.DataFrame],
    files: Mapping[str, str],
    members: pd.DataFrame,
    streams: pd.DataFrame,
    catalog: Catalog,
    given: tuple[str, ...],
) -> tuple[Seasons, list[Issue]]:
    issues: list[Issue] = []
    table = catalog.table("EUR")
    resources = pd.Index(list(catalog.resources))
    member_ids = pd.Index(members["member_id"].dropna())
    mfile = files.get("members", "members")

    periods = parsed["periods"]
    pfile = files["periods"]
    has_periods = "periods" in given
    if has_periods:
        if periods.empty:
            issues.append(Issue(pfile, None, "", "the periods table has no rows"))
        issues += _dupes(periods, ["period"], pfile, "period")
    labels = pd.Index(periods["period"].dropna()) if has_periods else pd.Index([])

    # profiles: known periods, one weight per (profile, period)
    profiles = parsed["profiles"]
    prfile = files["profiles"]
    if len(profiles) and not has_periods:
        issues.append(Issue(prfile, None, "", "profiles need a periods table (periods: periods.csv in scenario.yaml)"))
    elif len(profiles):
        issues += _unknown(profiles, "period", labels, prfile, f"a period in {pfile}")
        issues += _dupes(profiles, ["profile", "period"], prfile, "profile and period")

    # streams: period names a period (with a periods table), profile a profile, never both
    sfile = files["streams"]
    if has_periods:
        issues += _unknown(streams, "period", labels, sfile, f"a period in {pfile}")
    both = streams["period"].notna() & streams["profile"].notna()
    issues += _issues(streams, both, sfile, "profile", "give period or profile, not both")
    with_profile = streams["profile"].notna() & ~both
    if with_profile.any():
        if not has_periods:
            issues += _issues(streams, with_profile, sfile, "profile", f"a profile needs a periods table ({pfile})")
        else:
            names = pd.Index(profiles["profile"].dropna().unique())
            issues += _unknown(streams[with_profile], "profile", names, sfile, f"a profile in {prfile}")
            total = profiles.groupby("profile")["weight"].sum()
            empty = with_profile & streams["profile"].map(total).fillna(1.0).le(0)
            issues += _issues(streams, empty, sfile, "profile", "the profile's weights are all 0")

    storage, found = _check_storage(parsed["storage"], files["storage"], member_ids, mfile, resources, table)
    issues += found
    processes, flows, found = _check_processes(
        parsed["processes"], parsed["process_flows"], files, member_ids, mfile, resources, table, given
    )
    issues += found

    # storage and process ids stand beside stream ids in results: none may be another's
    taken = pd.Index(streams["stream_id"].dropna())
    for frame, col, file in ((storage, "storage_id", files["storage"]), (processes, "process_id", files["processes"])):
        clash = frame[col].isin(taken)
        issues += [
            Issue(file, int(r), col, f"{v!r} is already a stream_id in {sfile}")
            for r, v in zip(frame.loc[clash, "_row"], frame.loc[clash, col])
        ]
    clash = storage["storage_id"].isin(pd.Index(processes["process_id"].dropna()))
    issues += _issues(storage, clash, files["storage"], "storage_id", f"is also a process_id in {files['processes']}")

    def done(frame: pd.DataFrame, index: str | None = None) -> pd.DataFrame:
        frame = frame.drop(columns="_row")
        return frame.set_index(index) if index else frame.reset_index(drop=True)

    seasons = Seasons(
        periods=done(periods, "period")[["hours"]] if has_periods else None,
        profiles=done(profiles),
        storage=done(storage, "storage_id"),
        processes=done(processes, "process_id"),
        process_flows=done(flows),
        given=tuple(given),
    )
    return seasons, issues


def _without_seasons(parsed: Mapping[str, pd.DataFrame], files: Mapping[str, str]) -> Seasons:
    """The seasons of a network without any of the optional tables: what the checks make of their empty
    frames, found once (each frame copied each time)."""
    global _EMPTY
    if _EMPTY is None:
        members = pd.DataFrame({"member_id": pd.Series(dtype=object), "_row": pd.Series(dtype=int)})
        streams = pd.DataFrame({c: pd.Series(dtype=object) for c in ("stream_id", "period", "profile", "_row")})
        _EMPTY = _checked(parsed, files, members, streams, Catalog.builtin(), ())[0]
    frames = ("profiles", "storage", "processes", "process_flows")
    return replace(_EMPTY, **{name: getattr(_EMPTY, name).copy() for name in frames})


_EMPTY: Seasons | None = None


def _check_storage(
    storage: pd.DataFrame, file: str, member_ids: pd.Index, mfile: str, resources: pd.Index, table: pd.DataFrame
) -> tuple[pd.DataFrame, list[Issue]]:
    issues = _dupes(storage, ["storage_id"], file, "storage_id")
    issues += _unknown(storage, "member_id", member_ids, file, f"a member_id in {mfile}")
    issues += _unknown(storage, "resource", resources, file, "a resource in the catalog")
    storage = storage.copy()
    factor, found = _unit_factors(storage, "resource", False, resources, table, file)
    issues += found
    storage["base_unit"] = storage["resource"].map(table["unit"])
    storage["capacity_base"] = storage["capacity"] * factor
    storage["max_charge_base"] = (storage["max_charge"] * factor).fillna(np.inf)
    storage["max_discharge_base"] = (storage["max_discharge"] * factor).fillna(np.inf)
    for col in ("capacity", "max_charge", "max_discharge"):
        base = storage[f"{col}_base"].where(np.isfinite(storage[f"{col}_base"]))
        big = too_large(base)
        issues += _issues(storage, big, file, col, f"is beyond {limit_text()} in the base unit")
    storage["eta_in"] = storage["efficiency_in"].fillna(1.0)
    storage["eta_out"] = storage["efficiency_out"].fillna(1.0)
    storage["loss"] = storage["loss_per_hour"].fillna(0.0)
    storage["cost"] = storage["cost_per_unit"].fillna(0.0)
    return storage, issues


def _check_processes(
    processes: pd.DataFrame,
    flows: pd.DataFrame,
    files: Mapping[str, str],
    member_ids: pd.Index,
    mfile: str,
    resources: pd.Index,
    table: pd.DataFrame,
    given: tuple[str, ...],
) -> tuple[pd.DataFrame, pd.DataFrame, list[Issue]]:
    file, ffile = files["processes"], files["process_flows"]
    issues = _dupes(processes, ["process_id"], file, "process_id")
    issues += _unknown(processes, "member_id", member_ids, file, f"a member_id in {mfile}")
    issues += _unknown(processes, "reference", resources, file, "a resource in the catalog")
    if len(processes) and "process_flows" not in given:
        issues.append(
            Issue(file, None, "", "processes need their inputs and outputs (process_flows: process_flows.csv)")
        )
    if len(flows) and "processes" not in given:
        issues.append(Issue(ffile, None, "", "process flows need a processes table (processes: processes.csv)"))
    processes = processes.copy()
    factor, found = _unit_factors(processes, "reference", True, resources, table, file)
    issues += found
    processes["base_unit"] = processes["reference"].map(table["unit"])
    processes["capacity_base"] = processes["capacity"] * factor / HOURS_PER_YEAR  # per hour
    processes["cost"] = processes["cost_per_unit"].fillna(0.0)

    issues += _unknown(
        flows, "process_id", pd.Index(processes["process_id"].dropna()), ffile, f"a process_id in {file}"
    )
    issues += _unknown(flows, "resource", resources, ffile, "a resource in the catalog")
    issues += _dupes(flows, ["process_id", "direction", "resource"], ffile, "flow")
    inputs, outputs = flows["direction"].eq("input"), flows["direction"].eq("output")
    issues += _issues(
        flows,
        inputs & flows["disposal_cost"].notna(),
        ffile,
        "disposal_cost",
        "disposal_cost applies to an output; this row is an input (use virgin_cost)",
    )
    issues += _issues(
        flows,
        outputs & flows["virgin_cost"].notna(),
        ffile,
        "virgin_cost",
        "virgin_cost applies to an input; this row is an output (use disposal_cost)",
    )
    reference = flows["process_id"].map(processes.drop_duplicates("process_id").set_index("process_id")["reference"])
    own = flows["resource"].eq(reference)
    issues += _issues(
        flows,
        own & flows["ratio"].ne(1.0) & flows["ratio"].notna(),
        ffile,
        "ratio",
        "the reference's own row has ratio 1",
    )
    counted = flows.loc[own].groupby("process_id").size()
    twice = flows["process_id"].map(counted).fillna(0).gt(1) & own
    issues += _issues(flows, twice, ffile, "resource", "the reference is both an input and an output; give it once")
    if "process_flows" in given:
        missing = processes["process_id"].notna() & ~processes["process_id"].isin(flows.loc[own, "process_id"])
        issues += [
            Issue(file, int(r), "reference", f"{ref!r} has no row in {ffile} (give it as an input or output, ratio 1)")
            for r, ref in zip(processes.loc[missing, "_row"], processes.loc[missing, "reference"])
        ]
    return processes, flows, issues


def stream_period_shares(streams: pd.DataFrame, seasons: Seasons) -> tuple[np.ndarray, np.ndarray]:
    """Per stream, the share of its amount in each period, and the hours it is active (rates multiply by these).

    Parameters
    ----------
    streams : DataFrame
        With ``period`` and ``profile`` (checked by :func:`check_seasons`).

    Returns
    -------
    shares : ndarray, shape (streams, periods)
        Rows sum to 1: the active periods' hours, or the profile's weights, normalised.
    active_hours : ndarray
        Per stream, the hours of the periods it is active in.
    """
    hours = seasons.hours
    n = len(streams)
    if seasons.periods is None:
        return np.ones((n, 1)), np.full(n, float(hours.sum()))
    labels = pd.Index(seasons.labels)
    at = labels.get_indexer(streams["period"].fillna("").astype(str))
    weights = np.tile(hours, (n, 1))
    one = at >= 0
    weights[one] = 0.0
    weights[np.flatnonzero(one), at[one]] = hours[at[one]]
    active = weights.sum(axis=1)
    prof = streams["profile"].notna().to_numpy() & ~one
    if prof.any() and len(seasons.profiles):
        table = seasons.profiles.pivot_table(index="profile", columns="period", values="weight", aggfunc="sum")
        table = table.reindex(columns=labels).fillna(0.0)
        w = table.reindex(streams["profile"].to_numpy()[prof]).fillna(0.0).to_numpy(dtype=float)
        weights[prof] = w
    total = weights.sum(axis=1, keepdims=True)
    return weights / np.where(total > 0, total, 1.0), active
