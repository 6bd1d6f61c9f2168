"""The engine's messages about a member's upload, in the page's language.

The engine (:mod:`models`) knows no language and writes its messages in English, for the CLI as
for the registry. The mistakes a company user meets in an upload follow a few patterns; each is
matched here and written again from its translated template, with the values it quoted kept as
they are. A message of no known pattern is shown as the engine wrote it. A test feeds a sheet
with every kind of mistake through the engine's intake and checks that each message is known,
so a change of wording in the engine shows up as a failure, not as English on a Danish page.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _

from models import DataError, Issue

__all__ = ["PATTERNS", "translated", "translated_issues"]

_V = r"(?P<value>.+)"
#: (the engine's message as a regular expression, its template in the catalogs)
PATTERNS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(rf"expected a number, got {_V}"), _("expected a number, got %(value)s")),
    (re.compile(r"expected a number, not yes/no \(true/false\)"), _("expected a number, not yes/no (true/false)")),
    (re.compile(rf"expected yes or no, got {_V}"), _("expected yes or no, got %(value)s")),
    (
        re.compile(rf"expected one of (?P<choices>[^,]+(?:, [^,]+)*), got {_V}"),
        _("expected one of %(choices)s, got %(value)s"),
    ),
    (re.compile(r"value is required"), _("value is required")),
    (re.compile(r"required column is missing"), _("required column is missing")),
    (re.compile(r"column appears more than once"), _("column appears more than once")),
    (re.compile(rf"must be greater than 0, got {_V}"), _("must be greater than 0, got %(value)s")),
    (
        re.compile(rf"must be below (?P<limit>\S+) in absolute value, got {_V}"),
        _("must be below %(limit)s in absolute value, got %(value)s"),
    ),
    (
        re.compile(r"is (?P<value>\S+) (?P<unit>\S+) a year in the base unit; must be below (?P<limit>\S+)"),
        _("is %(value)s %(unit)s a year in the base unit; must be below %(limit)s"),
    ),
    (
        re.compile(rf"{_V} is not a resource in the catalog(?P<hint>; did you mean .+\?)?"),
        _("%(value)s is not a resource in the catalog%(hint)s"),
    ),
    (
        re.compile(rf"(?P<column>\w+) {_V} is used again \(first on row (?P<row>\d+)\)"),
        _("%(column)s %(value)s is used again (first on row %(row)s)"),
    ),
    (
        re.compile(rf"{_V} is not a code of the European List of Waste"),
        _("%(value)s is not a code of the European List of Waste"),
    ),
    (
        re.compile(r"unit is empty; expected e\.g\. t, kg, m3, MWh, t/year"),
        _("unit is empty; expected e.g. t, kg, m3, MWh, t/year"),
    ),
    (
        re.compile(
            rf"unit {_V} is not known; expected e\.g\. t, kg, m3, L, MWh, kWh, GJ, optionally per year or per month "
            r"\(t/year, MWh/month\)"
        ),
        _(
            "unit %(value)s is not known; expected e.g. t, kg, m3, L, MWh, kWh, GJ, optionally per year or per month "
            "(t/year, MWh/month)"
        ),
    ),
    (
        re.compile(
            rf"unit {_V} is not an amount or a rate of mass, volume or energy; "
            r"this resource is measured in (?P<base>\S+)"
        ),
        _("unit %(value)s is not an amount or a rate of mass, volume or energy; this resource is measured in %(base)s"),
    ),
    (
        re.compile(
            rf"unit {_V} is an? (?P<dim>mass|volume|energy); this resource is measured in (?P<base>\S+) "
            r"\(an? (?P<base_dim>mass|volume|energy)\) and declares no (?P<missing>.+) to convert"
        ),
        _(
            "unit %(value)s is a %(dim)s; this resource is measured in %(base)s (a %(base_dim)s) and declares no "
            "%(missing)s to convert"
        ),
    ),
    (re.compile(r"the streams table has no rows"), _("the streams table has no rows")),
    (re.compile(r"file is empty; expected a header row"), _("file is empty; expected a header row")),
    (
        re.compile(r"file is binary or UTF-16, not text \(byte 0x00 at line (?P<line>\d+)\); save it as UTF-8"),
        _("file is binary or UTF-16, not text (byte 0x00 at line %(line)s); save it as UTF-8"),
    ),
    (
        re.compile(r"not an \.xlsx workbook \(an old \.xls file, or damaged\); save it as \.xlsx"),
        _("not an .xlsx workbook (an old .xls file, or damaged); save it as .xlsx"),
    ),
    (
        re.compile(r"row has (?P<cells>\d+) cells, the header has (?P<width>\d+)"),
        _("row has %(cells)s cells, the header has %(width)s"),
    ),
    (
        re.compile(r"cannot parse the file as CSV \(an unclosed quote\?\)"),
        _("cannot parse the file as CSV (an unclosed quote?)"),
    ),
    (
        re.compile(r"table has (?P<columns>\d+) columns; at most (?P<limit>\d+) are read"),
        _("table has %(columns)s columns; at most %(limit)s are read"),
    ),
]

#: words inside a matched message that are translated too
_WORDS = {
    "mass": _("mass"),
    "volume": _("volume"),
    "energy": _("energy"),
    "density": _("density"),
    "energy content": _("energy content"),
    "density and energy content": _("density and energy content"),
}
_OR = _("or")
_HINT = re.compile(r"; did you mean (?P<names>.+)\?")


def translated(message: str) -> str:
    """The engine's ``message`` in the active language (unchanged if it follows no known pattern).

    >>> translated("expected a number, got 'lots'")
    "expected a number, got 'lots'"
    >>> translated("a message of no known pattern")
    'a message of no known pattern'
    """
    for pattern, template in PATTERNS:
        found = pattern.fullmatch(message)
        if found is None:
            continue
        values = {k: v or "" for k, v in found.groupdict().items()}
        for key in ("dim", "base_dim", "missing"):
            if key in values:
                values[key] = str(_WORDS.get(values[key], values[key]))
        hint = _HINT.fullmatch(values.get("hint", ""))
        if hint:
            names = hint["names"].replace(" or ", " " + str(_OR) + " ")
            values["hint"] = str(_("; did you mean %(names)s?") % {"names": names})
        return str(template) % values
    return message


def translated_issues(exc: DataError) -> list[Issue]:
    """The issues of ``exc`` with their messages in the active language."""
    return [Issue(i.file, i.row, i.column, translated(i.message)) for i in exc.issues]
