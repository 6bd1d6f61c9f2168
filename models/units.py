"""Unit handling: every quantity is converted to its resource's base unit (pint for any unit not in a table).

Quantities are amounts over the scenario horizon of one year. A rate
(``t/month``, ``MW``, ``m3/d``) is multiplied by one year; an amount (``t``,
``MWh``) is taken as the yearly amount. A resource that declares a density
(t per m3) or an energy content (MWh per t) also accepts volume or mass
units for a mass or energy base unit.

Conversion factors are computed once per distinct ``(unit, resource)`` pair,
never per row.
"""

from __future__ import annotations

import re
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .errors import SymbioseError
from .unit_table import KNOWN

if TYPE_CHECKING:
    import pint

__all__ = [
    "BASE_UNITS",
    "EARTH_RADIUS_KM",
    "HOURS_PER_YEAR",
    "UnitProblem",
    "factor_to_base",
    "is_rate",
    "unit_dimension",
]

#: Mean Earth radius (IUGG), km, for great-circle distances.
EARTH_RADIUS_KM = 6371.0088

#: Base units a resource may declare, with the dimension each stands for (materials, then capacities).
BASE_UNITS: dict[str, str] = {
    "t": "mass",
    "m3": "volume",
    "MWh": "energy",
    "t*km": "freight",
    "m2": "area",
    "h": "time",
    "seat": "seat",
}

_CANONICAL = {
    "mass": "t",
    "volume": "m3",
    "energy": "MWh",
    "freight": "t*km",
    "area": "m2",
    "time": "hour",
    "seat": "seat",
}
#: Dimensions of a stock available all year (floor area): only an amount or a rate per year reads as one.
_STOCKS = {"area"}
#: How messages name the dimensions of capacities.
_WHAT = {
    "freight": "freight work (t*km)",
    "area": "floor area (m2 or pallet)",
    "time": "time (h)",
    "seat": "training seats (seat)",
}
_ALIASES = [
    (re.compile(r"m³"), "m3"),
    (re.compile(r"m²"), "m2"),
    (re.compile(r"\s*[·×]\s*"), "*"),
    (re.compile(r"\b(timer|hours|hrs|timar|tim)\b", re.IGNORECASE), "hour"),
    (re.compile(r"\b(seats|places|place|pladser|plads|elevpladser|elevplads|platser|plass)\b", re.IGNORECASE), "seat"),
    (re.compile(r"\b(pallets|pallepladser|palleplads|paller|palle|pallplatser)\b", re.IGNORECASE), "pallet"),
    (re.compile(r"\b(år|aar|ar|yr|y)\b", re.IGNORECASE), "year"),
    (re.compile(r"\b(måned|maaned|mnd|md|mån|month|mo)\b", re.IGNORECASE), "month"),
    (re.compile(r"\b(tonn|tons|tonnes)\b", re.IGNORECASE), "tonne"),
    (re.compile(r"\b(uge|uger|vecka|veckor|uke|uker|wk)\b", re.IGNORECASE), "week"),
    (re.compile(r"\b(dag|dage|døgn|dygn)\b", re.IGNORECASE), "day"),
    (re.compile(r"\bper\b", re.IGNORECASE), "/"),
]


@lru_cache(maxsize=1)
def _pint() -> Any:
    """pint's unit registry, imported and built on first use (the units of :data:`KNOWN` need neither).

    pint imports ``dask.base`` whenever dask is installed (``pint.compat`` looks it up with
    ``importlib.util.find_spec``), which costs about as much as pint itself, only to support dask
    arrays of quantities; intake converts plain numbers. While pint is imported, a ``None`` entry in
    ``sys.modules`` makes dask look absent (Python's documented way to block an import); the entry
    is removed at once, so dask imports as usual afterwards. If dask is already imported, pint is
    imported as it is.
    """
    hide = "pint" not in sys.modules and "dask" not in sys.modules
    if hide:
        sys.modules["dask"] = None  # type: ignore[assignment]
    try:
        import pint
    finally:
        if hide and sys.modules.get("dask", 0) is None:
            del sys.modules["dask"]
    try:  # pint's parsed-definitions cache where the user cache is writable
        registry = pint.UnitRegistry(cache_folder=":auto:")
    except OSError:
        registry = pint.UnitRegistry(cache_folder=None)
    # In Scandinavian usage a "ton" is a metric tonne, never a short ton.
    registry.define("ton = tonne")
    registry.define("m3 = meter ** 3")
    registry.define("Nm3 = meter ** 3")
    # Capacities: freight work (t*km), floor area (m2; a pallet place is the floor footprint of one EUR pallet,
    # 1200 x 800 mm as EN 13698-1 sets it, stored one high), hours, and training or apprenticeship seats.
    registry.define("m2 = meter ** 2")
    registry.define("tkm = tonne * kilometer")
    registry.define("pallet = 0.96 * meter ** 2")
    registry.define("seat = [seat]")
    return registry


def __getattr__(name: str) -> Any:
    """``ureg``: pint's registry as configured here (built on first access)."""
    if name == "ureg":
        return _pint()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class UnitProblem(SymbioseError, ValueError):
    """A unit string that cannot be read or converted; the message says why."""


def _normalise(text: str) -> str:
    out = text.strip()
    for pattern, repl in _ALIASES:
        out = pattern.sub(repl, out)
    return out


def _dimension_of(unit: pint.Unit, text: str) -> tuple[str, bool] | None:
    """Return (dimension name, is_rate) of a unit, or None when it is neither.

    A time rate (``h/week``) is a plain number to pint: it counts as one only when its
    numerator is a time (so ``%`` or ``1`` is never read as hours a year).
    """
    ureg = _pint()
    dims = unit.dimensionality
    per_year = (ureg.Quantity(1, unit) * ureg.Quantity(1, "year")).dimensionality
    for name, canonical in _CANONICAL.items():
        ref = ureg.parse_units(canonical).dimensionality
        if dims == ref:
            return name, False
        if per_year == ref:
            if name == "time" and not _numerator_is_time(text):
                return None
            return name, True
    return None


def _numerator_is_time(text: str) -> bool:
    head = text.split("/", 1)[0].strip()
    if not head or "/" not in text:
        return False
    ureg = _pint()
    try:
        return bool(ureg.parse_units(head).dimensionality == ureg.parse_units("hour").dimensionality)
    except Exception:  # pint's parser raises assorted errors on junk
        return False


def _read(text: str, unit: str) -> tuple[str, bool, float] | None:
    """(dimension, is_rate, factor to the canonical unit over a year) of a normalised unit, by pint.

    None when the unit is neither an amount nor a rate of mass, volume or energy.
    """
    ureg = _pint()
    try:
        parsed = ureg.parse_units(text)
    except Exception:  # pint's parser raises assorted errors (even AssertionError) on junk
        raise UnitProblem(
            f"unit {unit!r} is not known; expected e.g. t, kg, m3, L, MWh, kWh, GJ, "
            "optionally per year or per month (t/year, MWh/month)"
        ) from None
    found = _dimension_of(parsed, text)
    if found is None:
        return None
    dim, is_rate = found
    magnitude = ureg.Quantity(1.0, parsed)
    if is_rate:
        magnitude = magnitude * ureg.Quantity(1, "year")
    return dim, is_rate, float(magnitude.to(_CANONICAL[dim]).magnitude)


#: Hours of the year a rate is multiplied by (pint's year: 365.25 days); one period of this length is the default.
HOURS_PER_YEAR = 8766.0


@lru_cache(maxsize=4096)
def is_rate(unit: str) -> bool:
    """Whether a unit is a rate (``t/month``, ``MW``, ``m3/d``) rather than an amount (``t``, ``MWh``).

    Units that are neither (or cannot be read) are not rates; :func:`factor_to_base` names their problem.

    >>> is_rate("MW"), is_rate("t/month"), is_rate("MWh")
    (True, True, False)
    """
    text = _normalise(str(unit))
    try:
        found = KNOWN.get(text) or _read(text, unit)
    except UnitProblem:  # not a unit pint can read
        return False
    return bool(found and found[1])


@lru_cache(maxsize=4096)
def unit_dimension(unit: str) -> str | None:
    """``mass``, ``volume`` or ``energy`` (an amount or a yearly rate of it; for capacities ``freight``,
    ``area``, ``time`` or ``seat``), or None for anything else.

    >>> unit_dimension("t/month"), unit_dimension("m³/d"), unit_dimension("kWh"), unit_dimension("km")
    ('mass', 'volume', 'energy', None)
    >>> unit_dimension("t*km/uge"), unit_dimension("pallet"), unit_dimension("h/week"), unit_dimension("%")
    ('freight', 'area', 'time', None)
    """
    text = _normalise(str(unit))
    try:
        found = KNOWN.get(text) or _read(text, unit)
    except UnitProblem:  # not a unit pint can read
        return None
    return None if found is None else found[0]


@lru_cache(maxsize=4096)
def factor_to_base(
    unit: str,
    base_unit: str,
    density_t_per_m3: float | None = None,
    energy_mwh_per_t: float | None = None,
) -> float:
    """Factor that turns a quantity in ``unit`` into yearly ``base_unit``.

    Parameters
    ----------
    unit : str
        The unit as a member wrote it (``"t/month"``, ``"kg"``, ``"m³/d"``).
    base_unit : str
        The resource's base unit, one of :data:`BASE_UNITS`.
    density_t_per_m3, energy_mwh_per_t : float, optional
        The resource's declared density and energy content, which allow
        mass<->volume and mass<->energy conversion.

    Returns
    -------
    float
        Multiply the quantity by this factor.

    Raises
    ------
    UnitProblem
        If the unit is unknown or of a dimension the resource cannot take.

    Examples
    --------
    >>> factor_to_base("t/month", "t")
    12.0
    >>> factor_to_base("kWh", "MWh")
    0.001
    >>> factor_to_base("MWh", "t")
    Traceback (most recent call last):
    ...
    models.units.UnitProblem: unit 'MWh' is an energy; this resource is measured in t (a mass) and declares no energy content to convert
    """
    text = _normalise(str(unit))
    if not text:
        raise UnitProblem("unit is empty; expected e.g. t, kg, m3, MWh, t/year")
    found = KNOWN.get(text) or _read(text, unit)
    base_dim = BASE_UNITS[base_unit]
    if found is None:
        what = _WHAT.get(base_dim, "mass, volume or energy")
        raise UnitProblem(
            f"unit {unit!r} is not an amount or a rate of {what}; this resource is measured in {base_unit}"
        )
    dim, is_rate, factor = found
    if dim != base_dim and (dim in _WHAT or base_dim in _WHAT):
        raise UnitProblem(
            f"unit {unit!r} measures {_WHAT.get(dim, dim)}; this resource is measured in {base_unit} "
            f"({_WHAT.get(base_dim, _article(base_dim) + ' ' + base_dim)})"
        )
    if is_rate and dim in _STOCKS and not re.search(r"/\s*year\s*$", text):
        raise UnitProblem(
            f"unit {unit!r} is a rate; floor space is an area available over the year: give m2 or pallet (or per year)"
        )
    if dim == base_dim:  # the canonical unit of a dimension is the base unit that stands for it
        return _clean(factor)
    bridge = _bridge(dim, base_dim, density_t_per_m3, energy_mwh_per_t)
    if bridge is None:
        need = {"volume": "density", "energy": "energy content"}
        missing = need.get(dim if base_dim == "mass" else base_dim, "density and energy content")
        raise UnitProblem(
            f"unit {unit!r} is {_article(dim)} {dim}; this resource is measured in {base_unit} "
            f"({_article(base_dim)} {base_dim}) and declares no {missing} to convert"
        )
    return _clean(factor * bridge)


def _clean(x: float) -> float:
    """Drop floating-point noise from a unit factor (0.0010000000000000002 -> 0.001)."""
    return float(f"{x:.14g}")


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _bridge(src: str, dst: str, density: float | None, energy: float | None) -> float | None:
    """Factor from the canonical unit of ``src`` to that of ``dst``."""
    to_mass = {"mass": 1.0, "volume": density, "energy": 1.0 / energy if energy else None}
    from_mass = {"mass": 1.0, "volume": 1.0 / density if density else None, "energy": energy}
    a, b = to_mass[src], from_mass[dst]
    if a is None or b is None:
        return None
    return float(a * b)
