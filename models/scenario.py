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

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from .errors import DataError, Issue

__all__ = ["Parameters", "Scenario", "TransportParameters"]


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
    resources: str | None = None
    parameters: Parameters = Field(default_factory=Parameters)
    _folder: Path = PrivateAttr(default_factory=Path.cwd)

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

        Raises
        ------
        DataError
            With one issue per invalid key, naming the file.
        """
        path = Path(path)
        if path.is_dir():
            path = path / "scenario.yaml"
        file = path.name
        if not path.exists():
            raise DataError([Issue(str(path), None, "", "scenario file not found")])
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        except (OSError, yaml.YAMLError) as exc:
            mark = getattr(exc, "problem_mark", None)
            raise DataError(
                [Issue(file, None if mark is None else mark.line + 1, "", f"cannot read scenario: {exc}")]
            ) from None
        return cls.from_dict(doc, folder=path.parent, file=file)

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


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key"
    return str(err["msg"])
