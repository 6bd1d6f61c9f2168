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

__all__ = [
    "SEASON_TABLES",
    "TABLES",
    "Link",
    "Location",
    "Member",
    "Period",
    "Process",
    "ProcessFlow",
    "Profile",
    "Storage",
    "Stream",
]

_ID = r"^[^\s,;]+( [^\s,;]+)*$"


class Location(BaseModel):
    """A point in WGS84 degrees."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    lat: Number = Field(ge=-90, le=90, description="latitude, WGS84 degrees")
    lon: Number = Field(ge=-180, le=180, description="longitude, WGS84 degrees")


class Member(BaseModel):
    """A company, utility or institution in the network (one row of members.csv)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

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

    model_config = ConfigDict(extra="allow", defer_build=True)

    stream_id: str = Field(min_length=1, pattern=_ID, description="unique id, e.g. S001")
    member_id: str = Field(min_length=1, description="member_id of the member it belongs to")
    direction: Literal["supply", "demand"] = Field(description="supply (surplus) or demand (need)")
    resource: str = Field(min_length=1, description="catalog key, e.g. heat_low, wood_waste")
    quantity: Number = Field(gt=0, description="amount per year, or a rate in the unit given")
    unit: str = Field(min_length=1, description="t, kg, m3, L, MWh, kWh, GJ; per year (t/year) or per month")
    period: str | None = Field(
        None,
        description="the one period of periods.csv the stream is active in (default: every period); without"
        " a periods table a label: streams exchange only within the same label",
    )
    profile: str | None = Field(
        None, description="a profile of profiles.csv splitting the quantity over the periods (not with period)"
    )
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

    model_config = ConfigDict(extra="allow", defer_build=True)

    from_member: str = Field(min_length=1, description="supplying member_id")
    to_member: str = Field(min_length=1, description="receiving member_id")
    distance_km: Number | None = Field(None, ge=0, description="road or pipe distance")
    cost_per_unit: Number | None = Field(
        None, ge=0, description="transport cost per base unit, replaces distance x rate"
    )
    capacity: Number | None = Field(None, ge=0, description="most base units per year the link carries")
    fixed_cost: Number | None = Field(None, ge=0, description="yearly cost of using the link at all")
    mode: Literal["truck", "pipe", "grid"] | None = None


class Period(BaseModel):
    """One period of the year (one row of periods.csv); row order is time order, and the year is cyclic."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    period: str = Field(min_length=1, pattern=r"^[^@\s,;]+( [^@\s,;]+)*$", description="label, e.g. jan or winter")
    hours: Number = Field(gt=0, description="hours the period lasts (a year: 8766)")


class Profile(BaseModel):
    """The weight of one period in a profile (one row of profiles.csv)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    profile: str = Field(min_length=1, pattern=_ID, description="profile name, named in streams.csv")
    period: str = Field(min_length=1, description="a period of periods.csv")
    weight: Number = Field(ge=0, description="share of the stream's amount in this period (normalised)")


class Storage(BaseModel):
    """A store of one resource at a member (one row of storage.csv)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    storage_id: str = Field(min_length=1, pattern=_ID, description="unique id, e.g. TES1")
    member_id: str = Field(min_length=1, description="member_id of the member that runs it")
    resource: str = Field(min_length=1, description="catalog key of what it stores")
    capacity: Number = Field(ge=0, description="most it holds, an amount in unit")
    unit: str = Field(min_length=1, description="unit of capacity: an amount such as MWh, t, m3")
    max_charge: Number | None = Field(None, ge=0, description="most charged per hour, in unit (default: no limit)")
    max_discharge: Number | None = Field(None, ge=0, description="most discharged per hour, in unit")
    efficiency_in: Number | None = Field(None, gt=0, le=1, description="share of a charge stored (default 1)")
    efficiency_out: Number | None = Field(None, gt=0, le=1, description="share of the content drawn that is delivered")
    loss_per_hour: Number | None = Field(None, ge=0, lt=1, description="share of the content lost per hour")
    cost_per_unit: Number | None = Field(None, ge=0, description="currency per base unit discharged (default 0)")


class Process(BaseModel):
    """A conversion process at a member (one row of processes.csv), e.g. a biogas plant or a heat pump."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    process_id: str = Field(min_length=1, pattern=_ID, description="unique id, e.g. BIO1")
    member_id: str = Field(min_length=1, description="member_id of the member that runs it")
    reference: str = Field(min_length=1, description="catalog key of the resource its capacity is measured in")
    capacity: Number = Field(gt=0, description="most of the reference handled per hour, a rate in unit")
    unit: str = Field(min_length=1, description="a rate: MW, t/h, t/d, m3/h")
    cost_per_unit: Number | None = Field(None, ge=0, description="currency per base unit of the reference handled")


class ProcessFlow(BaseModel):
    """One input or output of a process, per unit of its reference (one row of process_flows.csv)."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    process_id: str = Field(min_length=1, description="a process of processes.csv")
    resource: str = Field(min_length=1, description="catalog key")
    direction: Literal["input", "output"] = Field(description="input (taken) or output (given)")
    ratio: Number = Field(gt=0, description="base units per base unit of the reference (1 on the reference's row)")
    disposal_cost: Number | None = Field(
        None, description="output: what disposing of it costs, per base unit (default: the catalog's)"
    )
    virgin_cost: Number | None = Field(
        None, ge=0, description="input: what buying it costs, per base unit (default: never bought)"
    )


#: Table name -> row model, in load order.
TABLES: dict[str, type[BaseModel]] = {"members": Member, "streams": Stream, "links": Link}

#: The optional tables of periods, storage and processes -> row model, in load order.
SEASON_TABLES: dict[str, type[BaseModel]] = {
    "periods": Period,
    "profiles": Profile,
    "storage": Storage,
    "processes": Process,
    "process_flows": ProcessFlow,
}
