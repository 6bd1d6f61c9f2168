"""The resource catalog: what can be exchanged, in which unit, at which default factors.

The built-in catalog (``models/data/resources.yaml``) lists common symbiosis
resources. Every number in it is a :class:`Factor` with its unit, source and
year; its value is a :data:`~models.numbers.Number` (finite, below 1e15, not a
yes/no). A scenario may add resources or override fields of existing ones.
A factor given with the ``estimate`` source (or ``estimate: true``) is an
estimate; results say how much of their figures rests on estimates. A cost
may name one of the catalog's ``taxes`` instead of giving a factor
(``disposal_cost: se_landfill_tax``). Catalog files are read with the bounded
YAML reader of :mod:`models.readers`.
The European List of Waste (``models/data/ewc_codes.csv``) backs EWC codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import DataError, Issue, pydantic_message
from .numbers import Number
from .readers import load_yaml, parse_yaml, shown

__all__ = [
    "CAPACITY_KINDS",
    "CAPACITY_UNITS",
    "Catalog",
    "Category",
    "Factor",
    "Mode",
    "Resource",
    "Substitute",
    "ewc_table",
    "hazardous_codes",
    "normalise_ewc",
    "read_yaml",
]

Category = Literal["energy", "water", "waste", "material", "capacity"]
#: How a resource travels: materials by truck, pipe or grid; capacities along a ``route`` (backhaul), where the
#: supplier is (``onsite``: storage, equipment, training places, within the reach of the entry) or anywhere
#: (``remote``: expertise).
Mode = Literal["truck", "pipe", "grid", "route", "onsite", "remote"]
#: Modes of material resources and of capacities.
MATERIAL_MODES = ("truck", "pipe", "grid")
CAPACITY_MODES = ("route", "onsite", "remote")
#: The kinds of shared capacity, with the base unit each is counted in.
CAPACITY_KINDS: dict[str, str] = {
    "backhaul": "t*km",
    "storage_space": "m2",
    "equipment_time": "h",
    "training_places": "seat",
    "expertise": "h",
}
#: Base units of capacities (materials are counted in t, m3 or MWh).
CAPACITY_UNITS = ("t*km", "m2", "h", "seat")
_DATA = importlib_resources.files("models") / "data"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Factor(_Frozen):
    """A number with its unit, source and year; the catalog holds no bare numbers.

    Examples
    --------
    >>> Factor(value=475, unit="DKK/t", source="Danish landfill tax", year=2024).currency
    'DKK'
    >>> Factor(value=40, unit="EUR/MWh", source="a rough guess", year=2026, estimate=True).estimate
    True
    >>> Factor(value=1, unit="EUR/t", source="", year=2024)
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.ValidationError: 1 validation error for Factor
    source
      String should have at least 1 character [type=string_too_short, input_value='', input_type=str]
        For further information visit https://errors.pydantic.dev/.../v/string_too_short
    """

    value: Number
    unit: str = Field(min_length=1)
    source: str = Field(min_length=1)
    year: int = Field(ge=1900, le=2100)
    note: str | None = None
    estimate: bool = False
    """Whether the figure is an estimate rather than a published one (the ``estimate`` source sets it)."""

    @property
    def currency(self) -> str | None:
        """Currency code of a monetary factor (``"EUR/t"`` -> ``"EUR"``), else None."""
        head = self.unit.split("/", 1)[0].strip()
        return head if re.fullmatch(r"[A-Z]{3}", head) else None


class Substitute(_Frozen):
    """This resource can replace ``key``: one unit of it meets ``ratio`` units of ``key``."""

    key: str
    ratio: Number = Field(gt=0)


class Resource(_Frozen):
    """One catalog entry.

    Costs are per base unit in the factor's currency; emissions are kg CO2e
    per base unit. ``quality`` lists the quality attributes streams may carry;
    limits on the attributes in ``blend`` apply to the flow-weighted mix a
    demand receives, virgin input counted at ``virgin_quality``.

    A ``capacity`` (category) is a share of something a member owns rather than a
    thing it gives away: its ``kind`` (one of :data:`CAPACITY_KINDS`) fixes its base
    unit; ``reach_km`` is how far its users may be (storage is local, training places
    within commuting reach); a ``route`` capacity (backhaul) carries shipments whose
    detour stays within ``max_detour_km`` (the supply's own limit wins), and its
    transport factors are per tonne of cargo and km of detour.
    """

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = ""
    category: Category
    unit: Literal["t", "m3", "MWh", "t*km", "m2", "h", "seat"]
    transport: Mode
    kind: Literal["backhaul", "storage_space", "equipment_time", "training_places", "expertise"] | None = None
    reach_km: Factor | None = None
    max_detour_km: Factor | None = None
    disposal_cost: Factor | None = None
    disposal_co2e: Factor | None = None
    virgin_cost: Factor | None = None
    virgin_co2e: Factor | None = None
    transport_cost_per_unit_km: Factor | None = None
    transport_co2e_kg_per_unit_km: Factor | None = None
    density_t_per_m3: Factor | None = None
    energy_mwh_per_t: Factor | None = None
    substitutes: tuple[Substitute, ...] = ()
    ewc: tuple[str, ...] = ()
    quality: tuple[str, ...] = ()
    blend: tuple[str, ...] = ()
    virgin_quality: dict[str, Number] = Field(default_factory=dict)

    @field_validator("ewc", mode="before")
    @classmethod
    def _ewc_codes(cls, value: Iterable[Any]) -> tuple[str, ...]:
        codes = tuple(normalise_ewc(v) for v in value)
        unknown = [c for c in codes if c not in ewc_table().index]
        if unknown:
            raise ValueError(f"unknown EWC code(s) {', '.join(unknown)}")
        return codes

    @model_validator(mode="after")
    def _factor_units(self) -> Resource:
        per = f"/{self.unit}"
        for name in ("disposal_cost", "virgin_cost", "transport_cost_per_unit_km"):
            f = getattr(self, name)
            if f is not None and f.currency is None:
                raise ValueError(f"{name} needs a currency unit such as EUR{per}, got {f.unit!r}")
        for name in ("disposal_cost", "virgin_cost", "disposal_co2e", "virgin_co2e"):
            f = getattr(self, name)
            if f is not None and not f.unit.replace(" ", "").endswith(per):
                raise ValueError(f"{name} must be per {self.unit} (the base unit), got {f.unit!r}")
        for name in ("density_t_per_m3", "energy_mwh_per_t"):
            f = getattr(self, name)
            if f is not None and not f.value > 0:
                raise ValueError(f"{name} must be greater than 0, got {f.value:g}")
        self._capacity_rules()
        return self

    def _capacity_rules(self) -> None:
        """A capacity has a kind, its kind's unit and a capacity mode; a material none of these."""
        if self.category != "capacity":
            if self.unit in CAPACITY_UNITS or self.transport in CAPACITY_MODES or self.kind is not None:
                raise ValueError(
                    f"unit {self.unit}, transport {self.transport} and kind belong to capacities; "
                    "a material resource is measured in t, m3 or MWh and travels by truck, pipe or grid"
                )
            if self.reach_km is not None or self.max_detour_km is not None:
                raise ValueError("reach_km and max_detour_km belong to capacities (category: capacity)")
            return
        if self.kind is None:
            raise ValueError(f"a capacity needs its kind, one of {', '.join(CAPACITY_KINDS)}")
        if self.unit != CAPACITY_KINDS[self.kind]:
            raise ValueError(f"a {self.kind} capacity is measured in {CAPACITY_KINDS[self.kind]}, got {self.unit!r}")
        if self.transport not in CAPACITY_MODES:
            raise ValueError(f"a capacity travels by {', '.join(CAPACITY_MODES)}, got {self.transport!r}")
        if (self.transport == "route") != (self.kind == "backhaul"):
            raise ValueError("transport: route belongs to backhaul capacities, and backhaul travels by route")
        for name in ("reach_km", "max_detour_km"):
            f = getattr(self, name)
            if f is not None and (f.unit != "km" or not f.value >= 0):
                raise ValueError(f"{name} is a distance in km, at least 0, got {f.value:g} {f.unit}")
        if self.max_detour_km is not None and self.kind != "backhaul":
            raise ValueError("max_detour_km belongs to backhaul capacities")
        if self.ewc or self.quality or self.density_t_per_m3 or self.energy_mwh_per_t:
            raise ValueError("a capacity has no EWC code, quality, density or energy content")

    @model_validator(mode="before")
    @classmethod
    def _quality_named(cls, data: Any) -> Any:
        """Attributes named in ``blend`` or ``virgin_quality`` are quality attributes without being listed again."""
        if not isinstance(data, dict):
            return data
        quality, blend, virgin = data.get("quality") or (), data.get("blend") or (), data.get("virgin_quality") or {}
        if not all(isinstance(v, list | tuple) for v in (quality, blend)) or not isinstance(virgin, dict):
            return data  # the field checks name what is wrong
        named = [a for a in (*blend, *virgin) if a not in quality]
        return {**data, "quality": (*quality, *dict.fromkeys(named))} if named else data


class Catalog:
    """Resources by key, with the currency table and transport defaults.

    Parameters
    ----------
    resources : mapping of str to Resource
    currencies : mapping of str to Factor
        Units of each currency per EUR.
    transport : mapping of mode to mapping of factor name to Factor
    taxes : mapping of str to Factor, optional
        Named taxes (per tonne) that a cost may name instead of giving a factor.
    """

    def __init__(
        self,
        resources: Mapping[str, Resource],
        currencies: Mapping[str, Factor],
        transport: Mapping[str, Mapping[str, Factor]],
        taxes: Mapping[str, Factor] | None = None,
    ) -> None:
        self.resources = dict(resources)
        self.currencies = dict(currencies)
        self.transport = {m: dict(v) for m, v in transport.items()}
        self.taxes = dict(taxes or {})

    def __contains__(self, key: object) -> bool:
        return key in self.resources

    def __getitem__(self, key: str) -> Resource:
        return self.resources[key]

    def __len__(self) -> int:
        return len(self.resources)

    @classmethod
    def builtin(cls) -> Catalog:
        """The catalog shipped with symbiose."""
        return _builtin()

    @classmethod
    def from_yaml(cls, path: str | Path) -> Catalog:
        """A catalog from a YAML file of the built-in catalog's form."""
        path = Path(path)
        return _parse(read_yaml(path), path.name, base=None)

    def extended(self, document: Mapping[str, Any], file: str = "resources.yaml") -> Catalog:
        """This catalog with the resources of ``document`` added or overridden.

        An entry whose ``key`` exists overrides only the fields it gives.

        Raises
        ------
        DataError
            Naming each invalid entry and field.
        """
        return _parse(document, file, base=self)

    def fx(self, frm: str, to: str) -> float:
        """Factor that converts an amount in currency ``frm`` into ``to``."""
        for code in (frm, to):
            if code not in self.currencies:
                raise KeyError(f"currency {code!r} is not in the catalog ({', '.join(self.currencies)})")
        return self.currencies[to].value / self.currencies[frm].value

    def table(self, currency: str) -> pd.DataFrame:
        """Numeric factors of every resource, one row per key, costs in ``currency``.

        Columns: ``category, unit, transport, disposal_cost, disposal_co2e_kg,
        virgin_cost, virgin_co2e_kg, transport_cost, transport_co2e_kg,
        density, energy, kind, reach_km, max_detour_km``; missing factors are NaN (transport ones fall back
        to the mode's defaults in the matcher).
        """
        # built once per currency while the resources and rates stay the same (a copy each time: callers may change it)
        key = (tuple(self.resources.items()), tuple(self.currencies.items()))
        tables: dict[str, tuple[tuple[Any, ...], pd.DataFrame]] = self.__dict__.setdefault("_tables", {})
        kept = tables.get(currency)
        if kept is None or kept[0] != key:
            kept = tables[currency] = (key, self._table(currency))
        return kept[1].copy()

    def _table(self, currency: str) -> pd.DataFrame:
        rows = []
        for r in self.resources.values():
            rows.append(
                {
                    "key": r.key,
                    "category": r.category,
                    "unit": r.unit,
                    "transport": r.transport,
                    "disposal_cost": self._money(r.disposal_cost, currency),
                    "disposal_co2e_kg": _val(r.disposal_co2e),
                    "virgin_cost": self._money(r.virgin_cost, currency),
                    "virgin_co2e_kg": _val(r.virgin_co2e),
                    "transport_cost": self._money(r.transport_cost_per_unit_km, currency),
                    "transport_co2e_kg": _val(r.transport_co2e_kg_per_unit_km),
                    "density": _val(r.density_t_per_m3),
                    "energy": _val(r.energy_mwh_per_t),
                    "kind": r.kind,
                    "reach_km": _val(r.reach_km),
                    "max_detour_km": _val(r.max_detour_km),
                }
            )
        return pd.DataFrame(rows).set_index("key")

    def transport_defaults(self, currency: str) -> dict[str, dict[str, float]]:
        """Default cost (in ``currency``) and kg CO2e per base unit and km, per mode."""
        return {
            mode: {
                "cost_per_unit_km": self._money(f["cost_per_unit_km"], currency),
                "co2e_kg_per_unit_km": f["co2e_kg_per_unit_km"].value,
            }
            for mode, f in self.transport.items()
        }

    def _money(self, f: Factor | None, currency: str) -> float:
        if f is None:
            return float("nan")
        return f.value * self.fx(f.currency or "EUR", currency)

    def to_dict(self) -> dict[str, Any]:
        """A plain, YAML-ready form of the whole catalog."""
        return {
            "currencies": {k: v.model_dump(exclude_none=True) for k, v in self.currencies.items()},
            "taxes": {k: v.model_dump(exclude_none=True) for k, v in self.taxes.items()},
            "transport": {
                m: {k: f.model_dump(exclude_none=True) for k, f in v.items()} for m, v in self.transport.items()
            },
            "resources": [
                r.model_dump(mode="json", exclude_none=True, exclude_defaults=True) for r in self.resources.values()
            ],
        }


def _val(f: Factor | None) -> float:
    return float("nan") if f is None else f.value


_BUILTIN = "resources.yaml (built-in)"


def _builtin_document(bounded: bool = False) -> Any:
    """The built-in catalog's YAML document. It ships with symbiose, so libyaml's safe loader reads it whole (the
    bounded reader of :mod:`models.readers`, for files users give, composes in Python and takes twice as long);
    ``bounded`` reads it as a user's file (``tests/engine/test_sparse_startup.py``: both read the same)."""
    text = (_DATA / "resources.yaml").read_text(encoding="utf-8")
    if bounded or not getattr(yaml, "__with_libyaml__", False):
        return parse_yaml(text, _BUILTIN)
    return yaml.load(text, Loader=yaml.CSafeLoader)


@cache
def _builtin() -> Catalog:
    return _parse(_builtin_document(), _BUILTIN, base=None)


def read_yaml(path: Path) -> Any:
    """A YAML file's content, read within the limits of :mod:`models.readers`.

    Raises
    ------
    DataError
        If the file is missing, unreadable, too large, not text, or not valid YAML, naming file and line.
    """
    return load_yaml(path)


#: The source key that marks a factor as an estimate.
ESTIMATE = "estimate"


def _resolve_sources(node: Any, sources: Mapping[str, str]) -> Any:
    """Replace a factor's ``source`` key by the full citation it names (the ``estimate`` key marks an estimate)."""
    if isinstance(node, dict):
        out = {k: _resolve_sources(v, sources) for k, v in node.items()}
        if "source" in out and "value" in out and isinstance(out["source"], str):
            if out["source"].strip() == ESTIMATE:
                out.setdefault("estimate", True)
            out["source"] = sources.get(out["source"], out["source"])
        return out
    if isinstance(node, list):
        return [_resolve_sources(v, sources) for v in node]
    return node


_CATALOG_KEYS = ("resources", "currencies", "transport", "sources", "taxes")
_COSTS = ("disposal_cost", "virgin_cost")


def _mapping(doc: Mapping[str, Any], key: str, file: str, issues: list[Issue], what: str) -> dict[Any, Any]:
    """``doc[key]`` when it is a mapping (or absent: empty); anything else is an issue."""
    value = doc.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        issues.append(Issue(file, None, key, f"expected a mapping of {what}"))
        return {}
    return value


def _parse(document: Any, file: str, base: Catalog | None) -> Catalog:
    """Validate a catalog document, collecting every problem before raising."""
    if not isinstance(document, dict) or not any(k in document for k in _CATALOG_KEYS):
        raise DataError(
            [Issue(file, None, "", "not a resource catalog (expected a YAML mapping with a resources list)")]
        )
    issues: list[Issue] = []
    sources = dict(_builtin_sources()) if base is not None else {}
    sources.update(_mapping(document, "sources", file, issues, "source keys to citations"))
    doc = _resolve_sources(document, sources)

    currencies = dict(base.currencies) if base else {}
    for code, raw in _mapping(doc, "currencies", file, issues, "currency codes to rates").items():
        try:
            currencies[code] = Factor.model_validate(raw)
        except ValidationError as exc:
            issues += _issues(exc, file, f"currencies.{code}")
            continue
        if not currencies[code].value > 0:
            issues.append(Issue(file, None, f"currencies.{code}.value", "a rate must be greater than 0"))
    taxes = dict(base.taxes) if base else {}
    for name, raw in _mapping(doc, "taxes", file, issues, "tax names to factors").items():
        try:
            taxes[name] = Factor.model_validate(raw)
        except ValidationError as exc:
            issues += _issues(exc, file, f"taxes.{name}")
    transport = {m: dict(v) for m, v in base.transport.items()} if base else {}
    for mode, raw in _mapping(doc, "transport", file, issues, "modes to factors").items():
        if not isinstance(raw, dict):
            issues.append(Issue(file, None, f"transport.{mode}", "expected a mapping of factors"))
            continue
        try:
            transport.setdefault(mode, {}).update({k: Factor.model_validate(v) for k, v in raw.items()})
        except ValidationError as exc:
            issues += _issues(exc, file, f"transport.{mode}")

    resources = dict(base.resources) if base else {}
    entries = doc.get("resources") or []
    if not isinstance(entries, list):
        issues.append(Issue(file, None, "resources", "expected a list of resource entries"))
        entries = []
    for i, raw in enumerate(entries):
        where = f"resources[{i}]"
        if not isinstance(raw, dict) or "key" not in raw:
            issues.append(Issue(file, None, where, "expected a mapping with at least 'key'"))
            continue
        if not isinstance(raw["key"], str):
            issues.append(
                Issue(file, None, f"{where}.key", f"expected a text key such as heat_low, got {shown(raw['key'])}")
            )
            continue
        raw = _named_taxes(raw, taxes, file, where, issues)
        merged = {**_dump(resources[raw["key"]]), **raw} if raw["key"] in resources else raw
        try:
            resources[raw["key"]] = Resource.model_validate(merged)
        except ValidationError as exc:
            issues += _issues(exc, file, f"{where} ({raw['key']})")
    for r in resources.values():
        for s in r.substitutes:
            if s.key not in resources:
                issues.append(Issue(file, None, f"resources ({r.key})", f"substitute {s.key!r} is not a resource"))
            elif (r.category == "capacity" or resources[s.key].category == "capacity") and (
                r.kind != resources[s.key].kind
            ):
                issues.append(
                    Issue(
                        file, None, f"resources ({r.key})", f"substitute {s.key!r}: a capacity replaces only its kind"
                    )
                )
    for mode in ("truck", "pipe", "grid"):
        if {"cost_per_unit_km", "co2e_kg_per_unit_km"} - set(transport.get(mode, {})):
            issues.append(Issue(file, None, f"transport.{mode}", "needs cost_per_unit_km and co2e_kg_per_unit_km"))
    if "EUR" not in currencies:
        issues.append(Issue(file, None, "currencies", "needs EUR (the reference currency)"))
    if issues:
        raise DataError(issues)
    return Catalog(resources, currencies, transport, taxes)


def _named_taxes(
    raw: dict[str, Any], taxes: Mapping[str, Factor], file: str, where: str, issues: list[Issue]
) -> dict[str, Any]:
    """A resource entry with each cost that names a tax (``disposal_cost: dk_landfill_tax``) replaced by that tax."""
    out = dict(raw)
    for name in _COSTS:
        value = out.get(name)
        if not isinstance(value, str):
            continue
        if value in taxes:
            out[name] = taxes[value].model_dump(exclude_none=True)
        else:
            known = ", ".join(sorted(taxes)) or "none"
            issues.append(Issue(file, None, f"{where}.{name}", f"unknown tax {shown(value)} (known: {known})"))
            out.pop(name)
    return out


def _builtin_sources() -> dict[str, str]:
    return dict(_builtin_document().get("sources") or {})


def _dump(r: Resource) -> dict[str, Any]:
    return r.model_dump(exclude_none=True)


def _issues(exc: ValidationError, file: str, where: str) -> list[Issue]:
    out = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        out.append(Issue(file, None, f"{where}.{loc}" if loc else where, pydantic_message(err)))
    return out


def normalise_ewc(code: Any) -> str:
    """EWC code as six digits: ``"17 05 03*"`` and ``170503`` both give ``"170503"``."""
    text = re.sub(r"[\s.*]", "", str(code))
    return text.zfill(6) if text.isdigit() else text


@cache
def ewc_table() -> pd.DataFrame:
    """The European List of Waste, indexed by six-digit code (``hazardous``, ``description``)."""
    with (_DATA / "ewc_codes.csv").open(encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=str)
    df["hazardous"] = df["is_hazardous"].str.lower().eq("true")
    return df.set_index("code")[["code_spaced", "hazardous", "entry_type", "description"]]


def hazardous_codes(codes: pd.Series) -> pd.Series:
    """Boolean mask of codes that the European List of Waste marks hazardous."""
    table = ewc_table()["hazardous"]
    return codes.map(table).astype("boolean").fillna(False).astype(bool)
