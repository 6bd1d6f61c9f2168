"""The validated network: members, their streams and known links, checked as a whole.

A :class:`Network` is built only when every table is valid; otherwise a
:class:`~models.errors.DataError` lists every problem, and nothing is loaded.
The tables stay as pandas DataFrames (one row per member, stream, link), so
everything downstream works on whole columns.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from pydantic import BaseModel

from .catalog import Catalog, ewc_table, hazardous_codes, normalise_ewc
from .commitments import check_commitments, empty_excluded, empty_fixed
from .errors import DataError, Issue
from .files import atomic_write_text
from .numbers import limit_text, too_large
from .records import SEASON_TABLES, TABLES, Link, Member, Stream
from .seasons import Seasons, check_seasons, stream_period_shares
from .tables import RawTable, tables_from_mapping
from .units import HOURS_PER_YEAR, UnitProblem, factor_to_base, is_rate
from .validate import parse_table

__all__ = ["Network"]

_DERIVED = ["base_unit", "category", "quantity_base", "min_quantity_base", "route_lat", "route_lon"]


class Network:
    """Members, streams and links of one symbiosis network, validated together.

    Attributes
    ----------
    members : DataFrame
        Indexed by ``member_id``; columns of :class:`~models.records.Member` and extras.
    streams : DataFrame
        Indexed by ``stream_id``; columns of :class:`~models.records.Stream`,
        extras (``q_*`` quality columns as floats), and the derived
        ``base_unit``, ``category``, ``quantity_base`` and ``min_quantity_base``
        (yearly amounts in the resource's base unit), ``route_lat`` and ``route_lon``
        (where a backhaul route or shipment ends: ``dest_lat/lon`` or ``dest_member``'s site).
    links : DataFrame
        One row per known connection (:class:`~models.records.Link`).
    catalog : Catalog
        The resource catalog the streams were checked against.
    fixed_exchanges : DataFrame
        Exchanges running in reality (:mod:`models.commitments`): ``supply_stream,
        demand_stream, quantity, unit, note``, ``quantity_base`` (supply base unit) and
        ``ratio``; a match keeps each at its quantity. Empty unless given.
    excluded_pairs : DataFrame
        Pairs a match never proposes: ``supply_stream, demand_stream, reason``.
    seasons : Seasons
        Periods, profiles, storage and processes (:mod:`models.seasons`); empty when none were given.
    """

    def __init__(
        self,
        members: pd.DataFrame,
        streams: pd.DataFrame,
        links: pd.DataFrame,
        catalog: Catalog,
        fixed_exchanges: pd.DataFrame | None = None,
        excluded_pairs: pd.DataFrame | None = None,
        seasons: Seasons | None = None,
    ):
        self.members = members
        self.streams = streams
        self.links = links
        self.catalog = catalog
        self.fixed_exchanges = empty_fixed() if fixed_exchanges is None else fixed_exchanges
        self.excluded_pairs = empty_excluded() if excluded_pairs is None else excluded_pairs
        self.seasons = seasons if seasons is not None else Seasons()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_frames(
        cls,
        members: pd.DataFrame,
        streams: pd.DataFrame,
        links: pd.DataFrame | None = None,
        catalog: Catalog | None = None,
        fixed_exchanges: pd.DataFrame | None = None,
        excluded_pairs: pd.DataFrame | None = None,
        **seasons: pd.DataFrame | None,
    ) -> Network:
        """Build a network from DataFrames with the columns of the CSV tables.

        ``fixed_exchanges`` and ``excluded_pairs`` (optional) are the tables of
        :mod:`models.commitments`; ``seasons`` the optional tables by name (``periods``,
        ``profiles``, ``storage``, ``processes``, ``process_flows``; :mod:`models.seasons`).

        Raises
        ------
        DataError
            Listing every problem; rows are counted from 0 (``iloc`` positions).

        Examples
        --------
        >>> import pandas as pd
        >>> m = pd.DataFrame({"member_id": ["A", "B"], "name": ["Alfa", "Beta"],
        ...                   "lat": [55.9, 55.93], "lon": [12.3, 12.31]})
        >>> s = pd.DataFrame({"stream_id": ["s1", "d1"], "member_id": ["A", "B"],
        ...                   "direction": ["supply", "demand"], "resource": ["heat_low"] * 2,
        ...                   "quantity": [500, 300], "unit": ["MWh", "MWh"]})
        >>> Network.from_frames(m, s).streams["quantity_base"].tolist()
        [500.0, 300.0]
        >>> s.loc[1, "unit"] = "t"
        >>> Network.from_frames(m, s)
        Traceback (most recent call last):
        ...
        models.errors.DataError: 1 problem(s) in the input:
        <streams DataFrame>:1:unit: unit 't' is a mass; this resource is measured in MWh (an energy) and declares no energy content to convert
        """
        unknown = sorted(set(seasons) - set(SEASON_TABLES))
        if unknown:
            raise TypeError(f"unknown tables {', '.join(unknown)}; expected {', '.join(SEASON_TABLES)}")
        tables = tables_from_mapping(
            {
                "members": members,
                "streams": streams,
                "links": links,
                "fixed_exchanges": fixed_exchanges,
                "excluded_pairs": excluded_pairs,
                **seasons,
            }
        )
        return cls.from_tables(tables, catalog)

    @classmethod
    def from_tables(cls, tables: Mapping[str, RawTable], catalog: Catalog | None = None) -> Network:
        """Build a network from raw tables (see :mod:`models.tables`), all checks at once."""
        catalog = catalog or Catalog.builtin()
        issues: list[Issue] = []
        for required in ("members", "streams"):
            if required not in tables:
                issues.append(Issue(required, None, "", f"the {required} table is missing"))
        if issues:
            raise DataError(issues)
        parsed: dict[str, pd.DataFrame] = {}
        files: dict[str, str] = {}
        for name, model in TABLES.items():
            raw = tables.get(name)
            frame, found = parse_table(raw, model) if raw is not None else _absent(name, model)
            parsed[name], files[name] = frame, name if raw is None else raw.file
            issues += found
            if name != "links" and frame.empty:
                issues.append(Issue(files[name], None, "", f"the {name} table has no rows"))
        given = tuple(name for name in SEASON_TABLES if name in tables)
        for name, model in SEASON_TABLES.items():
            raw = tables.get(name)
            frame, found = parse_table(raw, model) if raw is not None else _absent(name, model)
            parsed[name], files[name] = frame, name if raw is None else raw.file
            issues += found
        members, streams, links = parsed["members"], parsed["streams"], parsed["links"]
        issues += _check_members(members, files["members"])
        streams, found = _check_streams(streams, members, catalog, files)
        issues += found
        issues += _check_links(links, members, files)
        seasons, found = check_seasons(parsed, files, members, streams, catalog, given)
        issues += found
        if not issues and seasons.periods is not None:
            issues += _rates_over_periods(streams, seasons, files["streams"])
        shares = None
        if not issues and seasons.periods is not None:  # fixed exchanges then flow period by period
            by_id = streams.set_index("stream_id")
            shares = pd.DataFrame(stream_period_shares(by_id, seasons)[0], index=by_id.index, columns=seasons.labels)
        fixed, excluded, found = check_commitments(
            tables, None if issues else streams.set_index("stream_id"), None if issues else links, catalog, shares
        )
        issues += found
        if issues:
            raise DataError(issues)
        members = members.drop(columns="_row").set_index("member_id")
        streams = streams.drop(columns="_row").set_index("stream_id")
        links = links.drop(columns="_row").reset_index(drop=True)
        return cls(members, streams, links, catalog, fixed, excluded, seasons)

    def with_commitments(
        self, fixed_exchanges: pd.DataFrame | None = None, excluded_pairs: pd.DataFrame | None = None
    ) -> Network:
        """The network with these fixed exchanges and excluded pairs (replacing its own), checked.

        Raises
        ------
        DataError
            Naming each wrong row (``<fixed_exchanges DataFrame>:0:supply_stream: ...``).
        """
        frames = self.to_frames()
        return Network.from_frames(
            frames["members"],
            frames["streams"],
            frames["links"] if len(frames["links"]) else None,
            self.catalog,
            fixed_exchanges,
            excluded_pairs,
            **self.seasons.frames(),
        )

    # ------------------------------------------------------------------ access
    def member(self, member_id: str) -> Member:
        """One member as a model."""
        return Member.model_validate({"member_id": member_id, **_clean(self.members.loc[member_id])})

    def stream(self, stream_id: str) -> Stream:
        """One stream as a model (as submitted, without derived columns)."""
        row = _clean(self.streams.loc[stream_id].drop(_DERIVED))
        extras = {k for k in row if k not in Stream.model_fields and row[k] is None}
        return Stream.model_validate({"stream_id": stream_id, **{k: v for k, v in row.items() if k not in extras}})

    @property
    def supplies(self) -> pd.DataFrame:
        """Streams with direction ``supply``."""
        return self.streams[self.streams["direction"] == "supply"]

    @property
    def demands(self) -> pd.DataFrame:
        """Streams with direction ``demand``."""
        return self.streams[self.streams["direction"] == "demand"]

    def summary(self) -> str:
        """One line: members, and streams by category and direction."""
        counts = self.streams.groupby(["category", "direction"]).size()
        parts = [
            f"{cat} {counts.get((cat, 'supply'), 0)}/{counts.get((cat, 'demand'), 0)}"
            for cat in ("energy", "water", "waste", "material", "capacity")
            if cat in counts.index.get_level_values(0)
        ]
        text = (
            f"{len(self.members)} members, {len(self.streams)} streams "
            f"(supply/demand: {', '.join(parts)}), {len(self.links)} links"
        )
        sea = self.seasons
        if sea.active:
            text += f"; {len(sea.hours)} period(s), {len(sea.storage)} storage, {len(sea.processes)} process(es)"
        return text

    # ------------------------------------------------------------------ export
    def to_frames(self) -> dict[str, pd.DataFrame]:
        """The tables as submitted (no derived columns), ready to write back."""
        members = _drop_empty_optional(self.members.reset_index(), Member)
        streams = _drop_empty_optional(self.streams.drop(columns=_DERIVED).reset_index(), Stream)
        links = _drop_empty_optional(self.links, Link)
        frames = {"members": members, "streams": streams, "links": links}
        if len(self.fixed_exchanges):
            fixed = self.fixed_exchanges.drop(columns=["quantity_base", "ratio"])
            frames["fixed_exchanges"] = fixed.dropna(axis=1, how="all")
        if len(self.excluded_pairs):
            frames["excluded_pairs"] = self.excluded_pairs.dropna(axis=1, how="all")
        return {**frames, **self.seasons.frames()}

    def to_csv(self, folder: str | Path, sep: str = ",", decimal: str = ".") -> list[Path]:
        """Write members.csv, streams.csv and (if any) links.csv into ``folder``.

        Files are written completely or not at all (each goes through a
        temporary file that is renamed into place).
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in self.to_frames().items():
            if name != "streams" and name != "members" and frame.empty:
                continue
            text = _to_text(frame).to_csv(sep=sep, index=False)
            if decimal != ".":
                text = _to_text(frame, decimal).to_csv(sep=sep, index=False)
            written.append(atomic_write_text(folder / f"{name}.csv", text))
        return written

    def to_json(self, path: str | Path | None = None) -> str:
        """The tables as one JSON document (the form :func:`models.io.load_network` reads)."""
        doc = {
            name: json.loads(frame.to_json(orient="records", force_ascii=False))
            for name, frame in self.to_frames().items()
            if not (name == "links" and frame.empty)  # an empty list would read as a table without its columns
        }
        text = json.dumps(doc, ensure_ascii=False, indent=1)
        if path is not None:
            atomic_write_text(Path(path), text)
        return text

    def __repr__(self) -> str:
        return f"<Network: {self.summary()}>"


# ---------------------------------------------------------------------- checks
def _dupes(frame: pd.DataFrame, column: str, file: str, what: str) -> list[Issue]:
    key = frame[column]
    dup = key.duplicated(keep="first") & key.notna()
    first = frame.loc[~key.duplicated(keep="first")].set_index(column)["_row"]
    return [
        Issue(file, int(r), column, f"{what} {k!r} is used again (first on row {first[k]})")
        for r, k in zip(frame.loc[dup, "_row"], key[dup])
    ]


def _absent(name: str, model: type[BaseModel]) -> tuple[pd.DataFrame, list[Issue]]:
    """An absent table as :func:`~models.validate.parse_table` parses it with no rows (its own copy each time)."""
    frame, found = _parsed_absent(name, model)
    return frame.copy(), list(found)


@cache
def _parsed_absent(name: str, model: type[BaseModel]) -> tuple[pd.DataFrame, tuple[Issue, ...]]:
    # parsed once per process: most networks give none of the optional tables, and parsing costs even without rows
    raw = RawTable(pd.DataFrame(columns=list(model.model_fields)), np.array([], dtype=int), name)
    frame, found = parse_table(raw, model)
    return frame, tuple(found)


def _check_members(members: pd.DataFrame, file: str) -> list[Issue]:
    return _dupes(members, "member_id", file, "member_id")


def _suggest(value: str, options: list[str]) -> str:
    close = difflib.get_close_matches(value, options, n=2, cutoff=0.6)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _unknown_refs(frame: pd.DataFrame, column: str, known: pd.Index, file: str, what: str) -> list[Issue]:
    bad = frame[column].notna() & ~frame[column].isin(known)
    options = known.astype(str).tolist()
    hints = {v: _suggest(v, options) for v in frame.loc[bad, column].unique()}
    return [
        Issue(file, int(r), column, f"{v!r} is not a {what}{hints[v]}")
        for r, v in zip(frame.loc[bad, "_row"], frame.loc[bad, column])
    ]


def _check_streams(
    streams: pd.DataFrame, members: pd.DataFrame, catalog: Catalog, files: Mapping[str, str]
) -> tuple[pd.DataFrame, list[Issue]]:
    file = files["streams"]
    issues = _dupes(streams, "stream_id", file, "stream_id")
    issues += _unknown_refs(
        streams, "member_id", pd.Index(members["member_id"].dropna()), file, f"member_id in {files['members']}"
    )
    issues += _unknown_refs(streams, "resource", pd.Index(list(catalog.resources)), file, "resource in the catalog")

    def flag(mask: pd.Series, column: str, message: str) -> None:
        if mask.any():  # (selecting no rows costs as much as selecting some)
            issues.extend(Issue(file, int(r), column, message) for r in streams.loc[mask, "_row"])

    table = catalog.table("EUR")
    known = streams["resource"].isin(table.index)
    res = streams["resource"].where(known)
    streams["base_unit"] = res.map(table["unit"])
    streams["category"] = res.map(table["category"])

    # unit factors: one conversion per distinct (resource, unit) pair
    pairs = streams.loc[known & streams["unit"].notna(), ["resource", "unit"]].drop_duplicates()
    factors: dict[tuple[str, str], float] = {}
    problems: dict[tuple[str, str], str] = {}
    for resource, unit in pairs.itertuples(index=False):  # one conversion per distinct pair
        r = table.loc[resource]
        try:
            factors[(resource, unit)] = factor_to_base(unit, r["unit"], _opt(r["density"]), _opt(r["energy"]))
        except UnitProblem as exc:
            problems[(resource, unit)] = str(exc)
    keys = pd.MultiIndex.from_frame(streams[["resource", "unit"]].astype(object))
    factor = pd.Series(_lookup(factors, keys, np.nan), index=streams.index, dtype=float)
    message = pd.Series(_lookup(problems, keys, None), index=streams.index, dtype=object)
    for r, m in zip(streams.loc[message.notna(), "_row"], message.dropna()):
        issues.append(Issue(file, int(r), "unit", m))
    streams["quantity_base"] = streams["quantity"] * factor
    streams["min_quantity_base"] = streams["min_quantity"] * factor
    for col in ("quantity", "min_quantity"):  # a rate such as t/s multiplies by 31.5 million a year
        big = too_large(streams[f"{col}_base"])
        issues.extend(
            Issue(file, int(r), col, f"is {v:.3g} {u} a year in the base unit; must be below {limit_text()}")
            for r, v, u in zip(streams.loc[big, "_row"], streams.loc[big, f"{col}_base"], streams.loc[big, "base_unit"])
        )
    too_big = streams["min_quantity"] > streams["quantity"]
    flag(too_big, "min_quantity", "min_quantity is larger than quantity")

    supply = streams["direction"].eq("supply")
    demand = streams["direction"].eq("demand")
    flag(
        demand & streams["disposal_cost"].notna(),
        "disposal_cost",
        "disposal_cost applies to a supply; this row is a demand (use virgin_cost)",
    )
    flag(
        supply & streams["virgin_cost"].notna(),
        "virgin_cost",
        "virgin_cost applies to a demand; this row is a supply (use disposal_cost)",
    )
    flag(
        supply & streams["accepts_ewc"].notna(), "accepts_ewc", "accepts_ewc applies to a demand; this row is a supply"
    )
    for col in [c for c in streams.columns if c.startswith("q_")]:
        is_limit = col.endswith(("_min", "_max"))
        wrong = (supply if is_limit else demand) & streams[col].notna()
        flag(
            wrong,
            col,
            "a quality limit belongs on a demand; a supply gives q_<attribute>"
            if is_limit
            else "a quality value belongs on a supply; a demand gives q_<attribute>_min or _max",
        )

    # EWC codes: known, and a hazardous code makes the stream hazardous
    ewc = ewc_table()
    code = streams["ewc_code"].map(normalise_ewc, na_action="ignore")
    unknown = code.notna() & ~code.isin(ewc.index)
    for r, v in zip(streams.loc[unknown, "_row"], streams.loc[unknown, "ewc_code"]):
        issues.append(Issue(file, int(r), "ewc_code", f"{v!r} is not a code of the European List of Waste"))
    code_hazardous = hazardous_codes(code)
    flag(
        code_hazardous & streams["hazardous"].eq(False).fillna(False),
        "hazardous",
        "the EWC code is hazardous (marked *), but hazardous says no",
    )
    streams["ewc_code"] = code.where(~unknown).astype(object)
    streams["hazardous"] = (streams["hazardous"].astype("boolean").fillna(False) | code_hazardous).astype(bool)
    flag(
        streams["hazardous"] & code.isna() & supply & ~unknown,
        "ewc_code",
        "a hazardous supply needs its EWC code, so that a permitted receiver can be found",
    )
    accepts = streams["accepts_ewc"].str.findall(r"\d{2}\s*\d{2}\s*\d{2}\s*\*?|[^\s|,;/]+")
    tokens = accepts.explode().dropna()
    norm = tokens.map(normalise_ewc)
    bad_tok = ~norm.isin(ewc.index)
    for idx, v in zip(norm.index[bad_tok], tokens[bad_tok]):
        issues.append(
            Issue(
                file,
                cast(int, streams.at[idx, "_row"]),
                "accepts_ewc",
                f"{v!r} is not a code of the European List of Waste",
            )
        )
    streams["accepts_ewc"] = norm.groupby(level=0).agg(" ".join).reindex(streams.index).astype(object)
    issues += _check_routes(streams, members, res.map(table["transport"]).eq("route"), files)
    return streams, issues


def _check_routes(
    streams: pd.DataFrame, members: pd.DataFrame, route: pd.Series, files: Mapping[str, str]
) -> list[Issue]:
    """Where each backhaul route or shipment ends (``route_lat``, ``route_lon`` set in place), all at once.

    A stream on a route needs ``dest_lat`` and ``dest_lon`` or ``dest_member`` (not both); other
    streams none of them; ``max_detour_km`` belongs to a backhaul supply; a shipment that ends where
    it starts carries nothing anywhere.
    """
    file = files["streams"]
    issues: list[Issue] = []
    if not route.any() and streams[["dest_lat", "dest_lon", "dest_member", "max_detour_km"]].isna().all(axis=None):
        streams["route_lat"] = streams["route_lon"] = np.nan  # no route and nothing of one: nothing to check
        return issues

    def flag(mask: pd.Series, column: str, message: str) -> None:
        if mask.any():  # (selecting no rows costs as much as selecting some)
            issues.extend(Issue(file, int(r), column, message) for r in streams.loc[mask, "_row"])

    lat, lon, member = streams["dest_lat"], streams["dest_lon"], streams["dest_member"]
    has_point = lat.notna() | lon.notna()
    has_member = member.notna()
    known_member = has_member & member.isin(members["member_id"])
    issues += _unknown_refs(
        streams[route & has_member], "dest_member", pd.Index(members["member_id"].dropna()), file, "member_id"
    )
    what = "backhaul streams (resources that travel by route, such as backhaul); this resource does not"
    for col in ("dest_lat", "dest_lon", "dest_member"):
        flag(~route & streams[col].notna(), col, f"{col} belongs to {what}")
    flag(
        ~route & streams["max_detour_km"].notna(),
        "max_detour_km",
        "max_detour_km belongs to a backhaul supply; this resource does not travel by route",
    )
    flag(
        route & streams["direction"].eq("demand") & streams["max_detour_km"].notna(),
        "max_detour_km",
        "max_detour_km limits a route's detour: it belongs to the supply; a demand is a shipment",
    )
    flag(
        route & ~has_point & ~has_member,
        "dest_lat",
        "a backhaul stream needs where it goes: dest_lat and dest_lon, or dest_member",
    )
    flag(route & has_point & has_member, "dest_member", "give dest_member or dest_lat and dest_lon, not both")
    flag(route & lat.notna() & lon.isna() & ~has_member, "dest_lon", "dest_lat is given; dest_lon is missing")
    flag(route & lon.notna() & lat.isna() & ~has_member, "dest_lat", "dest_lon is given; dest_lat is missing")
    site = members.drop_duplicates("member_id").set_index("member_id")[["lat", "lon"]]
    at_member = known_member & ~has_point
    streams["route_lat"] = lat.where(route & ~has_member).astype(float)
    streams["route_lon"] = lon.where(route & ~has_member).astype(float)
    streams.loc[at_member, "route_lat"] = member[at_member].map(site["lat"]).to_numpy(dtype=float)
    streams.loc[at_member, "route_lon"] = member[at_member].map(site["lon"]).to_numpy(dtype=float)
    own_lat = streams["member_id"].map(site["lat"]).astype(float)
    own_lon = streams["member_id"].map(site["lon"]).astype(float)
    nowhere = (
        route
        & streams["direction"].eq("demand")
        & (streams["route_lat"] - own_lat).abs().lt(1e-5)
        & (streams["route_lon"] - own_lon).abs().lt(1e-5)
    )
    column = np.where(streams.loc[nowhere, "dest_member"].notna(), "dest_member", "dest_lat")
    issues.extend(
        Issue(file, int(r), c, "the shipment ends at its member's own site; a shipment goes somewhere else")
        for r, c in zip(streams.loc[nowhere, "_row"], column)
    )
    return issues


def _check_links(links: pd.DataFrame, members: pd.DataFrame, files: Mapping[str, str]) -> list[Issue]:
    if links.empty:
        return []
    file = files["links"]
    known = pd.Index(members["member_id"].dropna())
    issues = _unknown_refs(links, "from_member", known, file, f"member_id in {files['members']}")
    issues += _unknown_refs(links, "to_member", known, file, f"member_id in {files['members']}")
    pair = links["from_member"].astype(str) + " -> " + links["to_member"].astype(str)
    dup = pair.duplicated() & links["from_member"].notna() & links["to_member"].notna()
    issues += [
        Issue(file, int(r), "to_member", f"link {p} is given twice") for r, p in zip(links.loc[dup, "_row"], pair[dup])
    ]
    return issues


def _rates_over_periods(streams: pd.DataFrame, seasons: Seasons, file: str) -> list[Issue]:
    """A rate is multiplied by the hours of the periods the stream is active in (not by a year of 8,766 hours).

    ``quantity_base`` (and ``min_quantity_base``) are rescaled in place; amounts stay as given.
    """
    _, active = stream_period_shares(streams, seasons)
    rate = streams["unit"].map(lambda u: is_rate(str(u)), na_action="ignore").fillna(False).to_numpy(dtype=bool)
    scale = np.where(rate, active / HOURS_PER_YEAR, 1.0)
    streams["quantity_base"] = streams["quantity_base"] * scale
    streams["min_quantity_base"] = streams["min_quantity_base"] * scale
    big = too_large(streams["quantity_base"])
    return [
        Issue(file, int(r), "quantity", f"is {v:.3g} over its periods in the base unit; must be below {limit_text()}")
        for r, v in zip(streams.loc[big, "_row"], streams.loc[big, "quantity_base"])
    ]


# ---------------------------------------------------------------------- helpers
def _lookup(values: Mapping[tuple[str, str], Any], keys: pd.MultiIndex, default: Any) -> np.ndarray:
    """Values of a dict keyed by (resource, unit) for every row's key, vectorised."""
    if not values:
        return np.full(len(keys), default, dtype=object)
    series = pd.Series(list(values.values()), index=pd.MultiIndex.from_tuples(list(values)), dtype=object)
    return series.reindex(keys).to_numpy()


def _opt(x: Any) -> float | None:
    return None if pd.isna(x) else float(x)


def _clean(row: pd.Series | pd.DataFrame) -> dict[str, Any]:
    return {str(k): (None if _isna(v) else v) for k, v in row.items()}


def _isna(v: Any) -> bool:
    return bool(pd.isna(v)) if np.ndim(v) == 0 else False


def _drop_empty_optional(frame: pd.DataFrame, model: type) -> pd.DataFrame:
    """Drop optional columns that are empty everywhere (so output mirrors input)."""
    fields = model.model_fields  # type: ignore[attr-defined]
    keep = [c for c in frame.columns if (c in fields and fields[c].is_required()) or frame[c].notna().any()]
    return frame[keep]


def _to_text(frame: pd.DataFrame, decimal: str = ".") -> pd.DataFrame:
    out = frame.astype(object).copy()
    for col in out.columns:
        s = frame[col]
        if pd.api.types.is_bool_dtype(s) or str(s.dtype) == "boolean":
            out[col] = s.map({True: "yes", False: "no"}, na_action="ignore")
        elif pd.api.types.is_float_dtype(s):
            out[col] = s.map(lambda v: repr(float(v)).replace(".", decimal), na_action="ignore")
    return out.where(frame.notna(), None)
