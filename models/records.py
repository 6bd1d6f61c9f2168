"""One row of each table members submit, as pydantic models.

These models are the single source of truth for the table formats: the
vectorised validator (:mod:`models.validate`) reads their fields, types and
constraints column by column, and ``symbiose schema`` exports their JSON
Schema. Columns the models do not name are kept as attributes. Every numeric
field is a :data:`~models.numbers.Number`: finite, below 1e15 in absolute
value, never a yes/no.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .numbers import Number

__all__ = ["Link", "Location", "Member", "Stream", "TABLES"]

_ID = r"^[^\s,;]+( [^\s,;]+)*$"


class Location(BaseModel):
    """A point in WGS84 degrees."""

    model_config = ConfigDict(frozen=True)

    lat: Number = Field(ge=-90, le=90, description="latitude, WGS84 degrees")
    lon: Number = Field(ge=-180, le=180, description="longitude, WGS84 degrees")


class Member(BaseModel):
    """A company, utility or institution in the network (one row of members.csv)."""

    model_config = ConfigDict(extra="allow")

    member_id: str = Field(min_length=1, pattern=_ID, description="unique id, e.g. M01")
    name: str = Field(min_length=1, description="display name; confidential outside the network")
    sector: str | None = Field(
        None, pattern=r"^([A-U]|[A-U]?\d{2}(\.\d{1,2}){0,2})$", description="NACE Rev. 2 code, e.g. C10.51 or 35"
    )
    lat: Number = Field(ge=-90, le=90, description="latitude, WGS84 degrees")
    lon: Number = Field(ge=-180, le=180, description="longitude, WGS84 degrees")

    @property
    def location(self) -> Location:
        """The member's site."""
        return Location(lat=self.lat, lon=self.lon)


class Stream(BaseModel):
    """A surplus (supply) or a need (demand) of one resource (one row of streams.csv).

    Quality columns are extra: ``q_<attribute>`` on a supply gives its value,
    ``q_<attribute>_min`` / ``q_<attribute>_max`` on a demand its limits. A stream of a
    resource that travels by ``route`` (backhaul) names where it goes: a supply's route
    runs from its member's site to ``dest_lat``/``dest_lon`` (or ``dest_member``'s site),
    a demand's shipment likewise; the supply may limit its detour (``max_detour_km``).
    """

    model_config = ConfigDict(extra="allow")

    stream_id: str = Field(min_length=1, pattern=_ID, description="unique id, e.g. S001")
    member_id: str = Field(min_length=1, description="member_id of the member it belongs to")
    direction: Literal["supply", "demand"] = Field(description="supply (surplus) or demand (need)")
    resource: str = Field(min_length=1, description="catalog key, e.g. heat_low, wood_waste")
    quantity: Number = Field(gt=0, description="amount per year, or a rate in the unit given")
    unit: str = Field(min_length=1, description="t, kg, m3, L, MWh, kWh, GJ; per year (t/year) or per month")
    period: str | None = Field(None, description="label; streams exchange only within the same period")
    disposal_cost: Number | None = Field(
        None, description="supply: what disposal costs today, currency per base unit (t, m3, MWh)"
    )
    virgin_cost: Number | None = Field(
        None, ge=0, description="demand: what the virgin input costs today, currency per base unit"
    )
    max_distance_km: Number | None = Field(None, gt=0, description="farthest partner accepted")
    min_quantity: Number | None = Field(None, ge=0, description="smallest exchange worth making, in the stream's unit")
    hazardous: bool | None = Field(None, description="yes/no; a hazardous EWC code sets it")
    ewc_code: str | None = Field(None, description="European List of Waste code, e.g. 17 05 04")
    accepts_ewc: str | None = Field(
        None, description="demand: EWC codes it is permitted to receive, separated by spaces or |"
    )
    dest_lat: Number | None = Field(
        None, ge=-90, le=90, description="backhaul: latitude where the route (supply) or shipment (demand) ends"
    )
    dest_lon: Number | None = Field(
        None, ge=-180, le=180, description="backhaul: longitude where the route (supply) or shipment (demand) ends"
    )
    dest_member: str | None = Field(
        None, description="backhaul: member_id whose site the route or shipment goes to (instead of dest_lat/lon)"
    )
    max_detour_km: Number | None = Field(
        None, ge=0, description="backhaul supply: the longest detour its route takes to carry a shipment"
    )
    notes: str | None = None


class Link(BaseModel):
    """A known connection between two members (one row of links.csv).

    Its values override the computed ones for every exchange between the pair.
    """

    model_config = ConfigDict(extra="allow")

    from_member: str = Field(min_length=1, description="supplying member_id")
    to_member: str = Field(min_length=1, description="receiving member_id")
    distance_km: Number | None = Field(None, ge=0, description="road or pipe distance")
    cost_per_unit: Number | None = Field(
        None, ge=0, description="transport cost per base unit, replaces distance x rate"
    )
    capacity: Number | None = Field(None, ge=0, description="most base units per year the link carries")
    fixed_cost: Number | None = Field(None, ge=0, description="yearly cost of using the link at all")
    mode: Literal["truck", "pipe", "grid"] | None = None


#: Table name -> row model, in load order.
TABLES: dict[str, type[BaseModel]] = {"members": Member, "streams": Stream, "links": Link}
