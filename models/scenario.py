"""Scenarios: which tables to load, in which currency, with which parameters.

A scenario folder holds ``scenario.yaml`` and the tables it names::

    name: Hillerød illustrative network
    currency: DKK
    members: members.csv
    streams: streams.csv
    links: links.csv            # optional
    resources: resources.yaml   # optional; adds to or overrides the built-in catalog
    parameters:
      carbon_price: 0
      circuity: 1.3
      max_distance_km: 100
      transport:
        truck: {cost_per_unit_km: 0.6, co2e_kg_per_unit_km: 0.1}
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from .errors import DataError, Issue

__all__ = ["Changes", "Parameters", "Scenario", "TransportParameters"]


class TransportParameters(BaseModel):
    """Cost (scenario currency) and kg CO2e per base unit and km for one mode."""

    model_config = ConfigDict(extra="forbid")

    cost_per_unit_km: float | None = Field(None, ge=0)
    co2e_kg_per_unit_km: float | None = Field(None, ge=0)


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
    """

    model_config = ConfigDict(extra="forbid")

    carbon_price: float = Field(0.0, ge=0)
    circuity: float = Field(1.3, ge=1)
    max_distance_km: float = Field(100.0, gt=0)
    transport: dict[Literal["truck", "pipe", "grid"], TransportParameters] = Field(default_factory=dict)
    candidates: Literal["distance", "links"] = "distance"
    allow_internal: bool = False
    objective: Literal["cost", "co2e", "waste"] | dict[Literal["cost", "co2e", "waste"], float] = "cost"

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
    scale_streams: dict[str, float] = Field(default_factory=dict, description="stream_id: factor on its quantity")
    add_links: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether nothing changes."""
        return not any(getattr(self, f) for f in type(self).model_fields)


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
    tables: str | None = None
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
        DataError
            With one issue per invalid key, naming the file.
        """
        return cls.from_dict(*_read_resolved(Path(path), ()))

    @classmethod
    def from_dict(cls, doc: Any, folder: str | Path = ".", file: str = "scenario") -> Scenario:
        """A scenario from a mapping, with relative paths taken from ``folder``."""
        if not isinstance(doc, dict):
            raise DataError([Issue(file, None, "", "expected a mapping of scenario keys")])
        try:
            scenario = cls.model_validate(doc)
        except ValidationError as exc:
            raise DataError(
                [Issue(file, None, ".".join(str(p) for p in e["loc"]), _message(e)) for e in exc.errors()]
            ) from None
        scenario._folder = Path(folder).resolve()
        return scenario

    def to_yaml(self) -> str:
        """The scenario as YAML, every parameter spelt out."""
        return yaml.safe_dump(self.model_dump(mode="json", exclude_none=True), sort_keys=False, allow_unicode=True)


_PATH_KEYS = ("members", "streams", "links", "tables")


def _read_doc(path: Path) -> tuple[dict[str, Any], Path]:
    if path.is_dir():
        path = path / "scenario.yaml"
    if not path.exists():
        raise DataError([Issue(str(path), None, "", "scenario file not found")])
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except (OSError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataError(
            [Issue(path.name, None if mark is None else mark.line + 1, "", f"cannot read scenario: {exc}")]
        ) from None
    if not isinstance(doc, dict):
        raise DataError([Issue(path.name, None, "", "expected a mapping of scenario keys")])
    return doc, path.resolve()


def _read_resolved(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], Path, str]:
    """The scenario document with every ``extends`` folded in; paths relative to its own folder."""
    doc, path = _read_doc(path)
    if path in seen:
        raise DataError([Issue(path.name, None, "extends", "scenarios extend each other in a circle")])
    base_ref = doc.pop("extends", None)
    if base_ref is None:
        return doc, path.parent, path.name
    base_doc, base_folder, _ = _read_resolved(path.parent / str(base_ref), (*seen, path))
    for key in _PATH_KEYS:
        if isinstance(base_doc.get(key), str):
            base_doc[key] = os.path.relpath(base_folder / base_doc[key], path.parent)
    base_res = base_doc.get("resources") or []
    base_doc["resources"] = [
        os.path.relpath(base_folder / r, path.parent) for r in ([base_res] if isinstance(base_res, str) else base_res)
    ]
    merged = _merge(base_doc, doc)
    merged["extends"] = os.path.relpath(
        base_folder / "scenario.yaml" if (path.parent / str(base_ref)).is_dir() else path.parent / str(base_ref),
        path.parent,
    )
    return merged, path.parent, path.name


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


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key"
    return str(err["msg"])
