"""Unit handling: every quantity is converted with pint to its resource's base unit.

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

from .errors import SymbioseError

# pint imports ``dask.base`` whenever dask is installed (``pint.compat`` looks it up with
# ``importlib.util.find_spec``), which costs about as much as pint itself, only to support dask
# arrays of quantities; intake converts plain numbers. While pint is imported, a ``None`` entry in
# ``sys.modules`` makes dask look absent (Python's documented way to block an import); the entry
# is removed at once, so dask imports as usual afterwards. If dask is already imported, pint is
# imported as it is.
_HIDE_DASK = "pint" not in sys.modules and "dask" not in sys.modules
if _HIDE_DASK:
    sys.modules["dask"] = None  # type: ignore[assignment]
try:
    import pint  # noqa: E402
finally:
    if _HIDE_DASK and sys.modules.get("dask", 0) is None:
        del sys.modules["dask"]

__all__ = ["BASE_UNITS", "EARTH_RADIUS_KM", "UnitProblem", "factor_to_base", "unit_dimension", "ureg"]

#: Mean Earth radius (IUGG), km, for great-circle distances.
EARTH_RADIUS_KM = 6371.0088


def _registry() -> pint.UnitRegistry:
    """A unit registry, with pint's parsed-definitions cache where the user cache is writable."""
    try:
        return pint.UnitRegistry(cache_folder=":auto:")
    except OSError:
        return pint.UnitRegistry(cache_folder=None)


ureg = _registry()
# In Scandinavian usage a "ton" is a metric tonne, never a short ton.
ureg.define("ton = tonne")
ureg.define("m3 = meter ** 3")
ureg.define("Nm3 = meter ** 3")

#: Base units a resource may declare, with the dimension each stands for.
BASE_UNITS: dict[str, str] = {"t": "mass", "m3": "volume", "MWh": "energy"}

_DIMENSIONS = {
    "mass": ureg.parse_units("t").dimensionality,
    "volume": ureg.parse_units("m3").dimensionality,
    "energy": ureg.parse_units("MWh").dimensionality,
}
_CANONICAL = {"mass": "t", "volume": "m3", "energy": "MWh"}
_ALIASES = [
    (re.compile(r"m³"), "m3"),
    (re.compile(r"\b(år|aar|ar|yr|y)\b", re.IGNORECASE), "year"),
    (re.compile(r"\b(måned|maaned|mnd|md|mån|month|mo)\b", re.IGNORECASE), "month"),
    (re.compile(r"\b(tonn|tons|tonnes)\b", re.IGNORECASE), "tonne"),
    (re.compile(r"\bper\b", re.IGNORECASE), "/"),
]
_YEAR = ureg.Quantity(1, "year")


class UnitProblem(SymbioseError, ValueError):
    """A unit string that cannot be read or converted; the message says why."""


def _normalise(text: str) -> str:
    out = text.strip()
    for pattern, repl in _ALIASES:
        out = pattern.sub(repl, out)
    return out


def _dimension_of(unit: pint.Unit) -> tuple[str, bool] | None:
    """Return (dimension name, is_rate) of a unit, or None when it is neither."""
    dims = unit.dimensionality
    per_year = (ureg.Quantity(1, unit) * _YEAR).dimensionality
    for name, ref in _DIMENSIONS.items():
        if dims == ref:
            return name, False
        if per_year == ref:
            return name, True
    return None


@lru_cache(maxsize=4096)
def unit_dimension(unit: str) -> str | None:
    """``mass``, ``volume`` or ``energy`` (an amount or a yearly rate of it), or None for anything else.

    >>> unit_dimension("t/month"), unit_dimension("m³/d"), unit_dimension("kWh"), unit_dimension("km")
    ('mass', 'volume', 'energy', None)
    """
    try:
        found = _dimension_of(ureg.parse_units(_normalise(str(unit))))
    except Exception:  # pint's parser raises assorted errors on junk
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
    try:
        parsed = ureg.parse_units(text)
    except Exception:  # pint's parser raises assorted errors (even AssertionError) on junk
        raise UnitProblem(
            f"unit {unit!r} is not known; expected e.g. t, kg, m3, L, MWh, kWh, GJ, "
            "optionally per year or per month (t/year, MWh/month)"
        ) from None
    found = _dimension_of(parsed)
    base_dim = BASE_UNITS[base_unit]
    if found is None:
        raise UnitProblem(
            f"unit {unit!r} is not an amount or a rate of mass, volume or energy; "
            f"this resource is measured in {base_unit}"
        )
    dim, is_rate = found
    magnitude = ureg.Quantity(1.0, parsed)
    if is_rate:
        magnitude = magnitude * _YEAR
    factor = float(magnitude.to(_CANONICAL[dim]).magnitude)
    if dim == base_dim:
        return _clean(factor * float(ureg.Quantity(1.0, _CANONICAL[dim]).to(base_unit).magnitude))
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
