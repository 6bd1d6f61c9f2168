"""Units: every quantity converted to its resource's base unit, wrong dimensions rejected."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.unit_table import KNOWN
from models.units import UnitProblem, _read, factor_to_base


@pytest.mark.parametrize(
    ("unit", "base", "expected"),
    [
        ("t", "t", 1.0),
        ("kg", "t", 0.001),
        ("ton", "t", 1.0),  # a Scandinavian ton is a tonne
        ("t/month", "t", 12.0),
        ("t/måned", "t", 12.0),
        ("t/år", "t", 1.0),
        ("m3", "m3", 1.0),
        ("m³", "m3", 1.0),
        ("L", "m3", 0.001),
        ("m3/d", "m3", 365.25),
        ("MWh", "MWh", 1.0),
        ("kWh", "MWh", 0.001),
        ("GJ", "MWh", 1 / 3.6),
        ("MWh/month", "MWh", 12.0),
        ("MW", "MWh", 8766.0),  # a continuous megawatt over a Julian year
    ],
)
def test_conversions(unit: str, base: str, expected: float) -> None:
    assert factor_to_base(unit, base) == pytest.approx(expected, rel=1e-12)


def test_density_and_energy_content_bridge_dimensions() -> None:
    assert factor_to_base("m3", "t", density_t_per_m3=0.6) == pytest.approx(0.6)
    assert factor_to_base("t", "m3", density_t_per_m3=0.5) == pytest.approx(2.0)
    assert factor_to_base("t", "MWh", energy_mwh_per_t=4.33) == pytest.approx(4.33)
    assert factor_to_base("GJ", "t", energy_mwh_per_t=4.0) == pytest.approx(1 / 3.6 / 4.0)


@pytest.mark.parametrize(
    ("unit", "base", "words"),
    [
        ("MWh", "t", "energy content"),
        ("m3", "t", "density"),
        ("t", "MWh", "energy content"),
        ("km", "t", "not an amount or a rate"),
        ("furlongs of joy", "t", "not known"),
        ("", "t", "empty"),
    ],
)
def test_wrong_or_unknown_units_are_named(unit: str, base: str, words: str) -> None:
    with pytest.raises(UnitProblem, match=words):
        factor_to_base(unit, base)


@given(st.floats(min_value=1e-6, max_value=1e9), st.sampled_from(["kg", "t", "t/month", "kg/month"]))
def test_rescaling_is_exact_to_rounding(q: float, unit: str) -> None:
    """A quantity in kg equals the same quantity in t divided by 1000."""
    in_t = q * factor_to_base(unit, "t")
    in_kg = (q * 1000) * factor_to_base(unit.replace("t", "kg", 1) if unit.startswith("t") else unit, "t")
    if unit.startswith("t"):
        assert in_kg == pytest.approx(in_t, rel=1e-12)
    else:
        assert in_t == pytest.approx(q * factor_to_base(unit, "t"))


@pytest.mark.parametrize("text", sorted(KNOWN))
def test_every_unit_known_without_pint_is_what_pint_says(text: str) -> None:
    # the table that spares a small match pint's import must agree with pint, bit for bit
    assert KNOWN[text] == _read(text, text)


def test_known_units_convert_without_importing_pint() -> None:
    code = (
        "import sys, models; from models.units import factor_to_base as f; "
        "print(f('t/måned', 't'), f('MW', 'MWh'), f('m3', 't', 0.5), 'pint' in sys.modules); "
        "f('furlong/fortnight', 't')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["12.0", "8766.0", "0.5", "False"]
    assert "is not an amount or a rate of mass, volume or energy" in done.stderr  # pint read the unknown one
