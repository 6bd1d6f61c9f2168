"""Scenarios: which tables to load, in which currency, with which parameters.

A scenario folder holds ``scenario.yaml`` and the tables it names::

    name: Hillerød illustrative network
    currency: DKK
    members: members.csv
    streams: streams.csv
    links: links.csv            # optional
    fixed_exchanges: fixed_exchanges.csv   # optional: exchanges running, kept as they are
    excluded_pairs: excluded_pairs.csv     # optional: pairs never to propose
    periods: periods.csv        # optional, and so are profiles, storage, processes, process_flows
    resources: resources.yaml   # optional; adds to or overrides the built-in catalog
    parameters:
      carbon_price: 0
      circuity: 1.3
      max_distance_km: 100
      transport:
        truck: {cost_per_unit_km: 0.6, co2e_kg_per_unit_km: 0.1}

Scenario files are read with the bounded YAML reader of :mod:`models.readers`
(at most :data:`~models.limits.MAX_YAML_BYTES`, nesting and aliases bounded, a
key given twice refused). A chain of files that ``extends`` one another holds
at most :data:`~models.limits.MAX_EXTENDS` files and no circle. A file that is
not a scenario at all (not a mapping, or without a single scenario key) is
refused as such, without quoting its content. Every number is a
:data:`~models.numbers.Number`. Problems in scenario files raise
:class:`~models.errors.ScenarioError` (a :class:`~models.errors.DataError`),
each issue naming the file of the chain that holds the offending key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from . import limits
from .errors import DataError, Issue, ScenarioError, pydantic_message
from .numbers import Number, check_number, limit_text
from .readers import load_yaml, shown

__all__ = [
    "OBJECTIVE_NAMES",
    "PATH_KEYS",
    "SEASON_KEYS",
    "Changes",
    "ObjectiveName",
    "Parameters",
    "Scenario",
    "TransportParameters",
]

#: What a match may minimise: money, emissions, or waste left to disposal (the one list of these words).
ObjectiveName = Literal["cost", "co2e", "waste"]
OBJECTIVE_NAMES: tuple[str, ...] = get_args(ObjectiveName)


class TransportParameters(BaseModel):
    """Cost (scenario currency) and kg CO2e per base unit and km for one mode."""

    model_config = ConfigDict(extra="forbid")

    cost_per_unit_km: Number | None = Field(None, ge=0)
    co2e_kg_per_unit_km: Number | None = Field(None, ge=0)


class Parameters(BaseModel):
    """Scenario parameters; every one has a documented default.

    Attributes
    ----------
    carbon_price : float
        Currency per t CO2e, applied to transport, disposal and virgin emissions.
    circuity : float
        Road distance over great-circle distance.
    max_distance_km : float
        No exchange farther than this (a stream's own limit may be smaller).
    transport : dict
        Per mode (truck, pipe, grid), overrides of the catalog's transport factors.
    candidates : {"distance", "links"}
        ``links``: only the member pairs in links.csv may exchange.
    allow_internal : bool
        Whether a member may exchange with itself.
    objective : str or dict
        ``cost``, ``co2e``, ``waste``, or weights of them such as ``{cost: 1, co2e: 200}``:
        each weight finite and not negative, at least one positive.
    """

    model_config = ConfigDict(extra="forbid")

    carbon_price: Number = Field(0.0, ge=0)
    circuity: Number = Field(1.3, ge=1)
    max_distance_km: Number = Field(100.0, gt=0)
    transport: dict[Literal["truck", "pipe", "grid"], TransportParameters] = Field(default_factory=dict)
    candidates: Literal["distance", "links"] = "distance"
    allow_internal: bool = False
    objective: ObjectiveName | dict[ObjectiveName, float] = "cost"

    @field_validator("objective", mode="before")
    @classmethod
    def _objective(cls, value: Any) -> Any:
        """One name, or weights that are finite numbers, none negative, at least one positive."""
        expected = "expected cost, co2e, waste, or weights such as {cost: 1, co2e: 200}"
        if isinstance(value, str):
            if value not in OBJECTIVE_NAMES:
                raise PydanticCustomError("objective", f"{expected}, got {{value}}", {"value": shown(value)})
            return value
        if not isinstance(value, dict):
            raise PydanticCustomError("objective", expected)
        weights = {}
        for key, weight in value.items():
            if key not in OBJECTIVE_NAMES:
                raise PydanticCustomError(
                    "objective", "unknown objective {key}; expected " + ", ".join(OBJECTIVE_NAMES), {"key": shown(key)}
                )
            if isinstance(weight, bool) or not isinstance(weight, int | float):
                raise PydanticCustomError("objective", "the weight of {key} must be a number", {"key": key})
            try:
                check_number(float(weight))
            except (PydanticCustomError, OverflowError):
                raise PydanticCustomError(
                    "objective",
                    "the weight of {key} must be a finite number below {limit}, got {value}",
                    {"key": key, "limit": limit_text(), "value": shown(weight)},
                ) from None
            if weight < 0:
                raise PydanticCustomError(
                    "objective", "the weight of {key} must not be negative, got {value}", {"key": key, "value": weight}
                )
            weights[key] = float(weight)
        if not any(w > 0 for w in weights.values()):
            raise PydanticCustomError("objective", "at least one objective weight must be positive")
        return weights

    @property
    def objective_weights(self) -> dict[str, float]:
        """The objective as weights of cost (currency), CO2e (t) and waste left to disposal (t)."""
        if isinstance(self.objective, str):
            return {self.objective: 1.0}
        return {str(k): float(v) for k, v in self.objective.items()}


class Changes(BaseModel):
    """Changes a variant makes to the network of the scenario it extends.

    Applied in this order: remove members (with their streams and links),
    remove streams, add members, add streams, scale streams, add links.
    Added rows have the columns of the tables.
    """

    model_config = ConfigDict(extra="forbid")

    remove_members: list[str] = Field(default_factory=list)
    remove_streams: list[str] = Field(default_factory=list)
    add_members: list[dict[str, Any]] = Field(default_factory=list)
    add_streams: list[dict[str, Any]] = Field(default_factory=list)
    scale_streams: dict[str, Number] = Field(default_factory=dict, description="stream_id: factor on its quantity")
    add_links: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether nothing changes."""
        return not any(getattr(self, f) for f in type(self).model_fields)


#: The optional tables of periods, storage and processes a scenario may name (:mod:`models.seasons`).
SEASON_KEYS = ("periods", "profiles", "storage", "processes", "process_flows")
#: The keys of a scenario file that name a table file (each relative to the scenario's folder; ``extends`` too).
PATH_KEYS = ("members", "streams", "links", *SEASON_KEYS, "tables", "fixed_exchanges", "excluded_pairs")


class Scenario(BaseModel):
    """A scenario file: a name, a currency, the tables and the parameters.

    Paths are relative to the folder of the scenario file. ``tables`` may name
    one workbook (``.xlsx``) or JSON file holding members, streams and links,
    instead of separate ``members``/``streams``/``links`` files.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str | None = None
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    members: str | None = None
    streams: str | None = None
    links: str | None = None
    periods: str | None = None
    profiles: str | None = None
    storage: str | None = None
    processes: str | None = None
    process_flows: str | None = None
    tables: str | None = None
    fixed_exchanges: str | None = Field(None, description="exchanges running in reality, kept as they are")
    excluded_pairs: str | None = Field(None, description="supply/demand pairs never to propose")
    resources: list[str] = Field(default_factory=list, description="catalog files, applied in order")
    catalog: list[dict[str, Any]] = Field(default_factory=list, description="catalog entries added or overridden")
    parameters: Parameters = Field(default_factory=Parameters)
    changes: Changes = Field(default_factory=Changes)
    extends: str | None = Field(None, description="the scenario this one varies (resolved: its path)")
    _folder: Path = PrivateAttr(default_factory=Path.cwd)

    @field_validator("resources", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator(*PATH_KEYS, "extends")
    @classmethod
    def _file_name(cls, value: str | None) -> str | None:
        if value is not None:
            _check_file_name(value)
        return value

    @field_validator("resources")
    @classmethod
    def _file_names(cls, value: list[str]) -> list[str]:
        for name in value:
            _check_file_name(name)
        return value

    @model_validator(mode="after")
    def _has_tables(self) -> Scenario:
        if self.tables is None and (self.members is None or self.streams is None):
            raise ValueError("name the tables: members and streams, or one workbook/JSON file as tables")
        return self

    @property
    def folder(self) -> Path:
        """The folder that relative paths start from."""
        return self._folder

    def path(self, name: str) -> Path:
        """A path of the scenario, resolved against its folder."""
        return (self._folder / name).resolve()

    @classmethod
    def from_yaml(cls, path: str | Path) -> Scenario:
        """Read and check a scenario file (or the ``scenario.yaml`` of a folder).

        A file with ``extends: <path>`` is resolved against the scenario it
        names: its parameters merge into the base's, its ``resources`` and
        ``catalog`` entries apply after the base's, and its ``changes`` add to
        the base's.

        Raises
        ------
        ScenarioError
            A :class:`~models.errors.DataError` with one issue per problem, each naming
            the file of the chain that holds it.
        """
        resolved = _resolve(Path(path), (), None)
        return cls._checked(resolved.doc, resolved.folder, resolved.file, resolved.layers)

    @classmethod
    def from_dict(cls, doc: Any, folder: str | Path = ".", file: str = "scenario") -> Scenario:
        """A scenario from a mapping, with relative paths taken from ``folder``.

        Raises
        ------
        ScenarioError
            With one issue per invalid key, naming ``file``.
        """
        return cls._checked(doc, Path(folder), file, ())

    @classmethod
    def _checked(cls, doc: Any, folder: Path, file: str, layers: tuple[tuple[str, dict[str, Any]], ...]) -> Scenario:
        if not isinstance(doc, dict):
            raise ScenarioError([Issue(file, None, "", "expected a mapping of scenario keys")])
        try:
            scenario = cls.model_validate(doc)
        except ValidationError as exc:
            raise ScenarioError(
                [
                    Issue(_owner(e["loc"], layers, file), None, _where(e["loc"]), pydantic_message(e))
                    for e in exc.errors()
                ]
            ) from None
        scenario._folder = folder.resolve()
        return scenario

    def to_yaml(self) -> str:
        """The scenario as YAML, every parameter spelt out."""
        return yaml.safe_dump(self.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)


_KEYS = frozenset(Scenario.model_fields)
_NOT_A_SCENARIO = "not a scenario file (expected a YAML mapping with name, members, streams)"
_BAD_NAME = re.compile("\x00")  # the one character no file name may hold


def _check_file_name(name: str) -> None:
    if not name.strip() or _BAD_NAME.search(name):
        raise PydanticCustomError("file_name", "not a valid file name: {name}", {"name": shown(name)})


def _where(loc: tuple[Any, ...]) -> str:
    """A pydantic location as a key path (``parameters.carbon_price``), kept short."""
    text = ".".join(str(p) for p in loc)
    return text if len(text) <= 80 else text[:79] + "…"


def _owner(loc: tuple[Any, ...], layers: tuple[tuple[str, dict[str, Any]], ...], default: str) -> str:
    """The file of an ``extends`` chain that sets the key at ``loc`` (the nearest one), else ``default``."""
    keys = []
    for part in loc:
        if not isinstance(part, str):
            break
        keys.append(part)
    for label, own in layers:
        node: Any = own
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                break
            node = node[key]
        else:
            if keys:
                return label
    return default


@dataclass
class _Resolved:
    """A scenario document with its ``extends`` folded in, and each file's own document (nearest first)."""

    doc: dict[str, Any]
    folder: Path
    file: str
    layers: tuple[tuple[str, dict[str, Any]], ...] = field(default_factory=tuple)


def _display(path: Path) -> str:
    """A path for messages: relative to the working folder when inside it, else absolute."""
    absolute = Path(os.path.abspath(path))
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def _read_doc(path: Path, label: str | None = None) -> tuple[dict[str, Any], Path]:
    """One scenario file's own document, checked for the shape that merging relies on."""
    if path.is_dir():
        path = path / "scenario.yaml"
    if not path.exists():
        raise ScenarioError([Issue(str(path) if label is None else label, None, "", "scenario file not found")])
    label = path.name if label is None else label
    try:
        doc = load_yaml(path, label)
    except DataError as exc:
        raise ScenarioError(exc.issues) from None
    if doc is None:
        raise ScenarioError(
            [Issue(label, None, "", "file is empty; expected a YAML mapping with name, members, streams")]
        )
    if not isinstance(doc, dict) or not any(isinstance(k, str) and k in _KEYS for k in doc):
        raise ScenarioError([Issue(label, None, "", _NOT_A_SCENARIO)])
    issues = [Issue(label, None, _where((k,)), "unknown key (keys are text)") for k in doc if not isinstance(k, str)]
    for key in ("extends", *PATH_KEYS):
        if doc.get(key) is not None and not _is_name(doc[key]):
            issues.append(Issue(label, None, key, "expected a file or folder name"))
    res = doc.get("resources")
    if not (res is None or _is_name(res) or (isinstance(res, list) and all(_is_name(r) for r in res))):
        issues.append(Issue(label, None, "resources", "expected a file name or a list of file names"))
    if issues:
        raise ScenarioError(issues)
    return doc, path.resolve()


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip()) and not _BAD_NAME.search(value)


def _read_resolved(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], Path, str]:
    """The scenario document with every ``extends`` folded in; paths relative to its own folder."""
    resolved = _resolve(path, seen, None)
    return resolved.doc, resolved.folder, resolved.file


def _resolve(path: Path, seen: tuple[Path, ...], label: str | None) -> _Resolved:
    doc, path = _read_doc(path, label)
    label = path.name if label is None else label
    if path in seen:
        raise ScenarioError([Issue(label, None, "extends", "scenarios extend each other in a circle")])
    own = dict(doc)
    base_ref = doc.pop("extends", None)
    if base_ref is None:
        return _Resolved(doc, path.parent, path.name, ((label, own),))
    if len(seen) + 1 >= limits.MAX_EXTENDS:
        raise ScenarioError(
            [Issue(label, None, "extends", f"more than {limits.MAX_EXTENDS} scenarios extend one another")]
        )
    target = path.parent / str(base_ref)
    base_label = _display(target / "scenario.yaml" if target.is_dir() else target)
    base = _resolve(target, (*seen, path), base_label)
    base_doc, base_folder = base.doc, base.folder
    for key in PATH_KEYS:
        if isinstance(base_doc.get(key), str):
            base_doc[key] = os.path.relpath(base_folder / base_doc[key], path.parent)
    base_res = base_doc.get("resources") or []
    base_doc["resources"] = [
        os.path.relpath(base_folder / r, path.parent) for r in ([base_res] if isinstance(base_res, str) else base_res)
    ]
    merged = _merge(base_doc, doc)
    merged["extends"] = os.path.relpath(
        base_folder / "scenario.yaml" if target.is_dir() else target,
        path.parent,
    )
    return _Resolved(merged, path.parent, path.name, ((label, own), *base.layers))


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Mappings merge key by key; lists (catalog entries, changes, resources) add up; scalars are replaced."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        elif isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = [*out[key], *value]
        elif key == "resources" and isinstance(value, str):
            out[key] = [*(out.get(key) or []), value]
        else:
            out[key] = value
    return out
