"""Limits on what intake reads, in one place.

Every file symbiose reads comes from someone else: a member's spreadsheet, a
planner's scenario, a catalog downloaded from a colleague. These bounds keep a
careless or hostile file from hanging the program, exhausting memory or
reaching the solver with numbers it cannot handle; a file beyond them is
refused with a :class:`~models.errors.DataError` that names the limit.

The readers look the values up here at call time (``limits.MAX_TABLE_BYTES``),
so a test or an embedding application may change them.
"""

from __future__ import annotations

__all__ = [
    "MAX_ABS_NUMBER",
    "MAX_COLUMNS",
    "MAX_EXTENDS",
    "MAX_NESTING",
    "MAX_ROWS",
    "MAX_TABLE_BYTES",
    "MAX_XLSX_UNPACKED_BYTES",
    "MAX_YAML_BYTES",
    "MAX_YAML_NODES",
    "describe_bytes",
]

#: Largest table file read (CSV, XLSX, JSON), in bytes: 200 MB.
MAX_TABLE_BYTES = 200_000_000

#: Largest scenario or resource-catalog YAML file read, in bytes: 1 MB.
MAX_YAML_BYTES = 1_000_000

#: Largest total size of the parts of an XLSX workbook once unpacked, in bytes: 1 GB.
MAX_XLSX_UNPACKED_BYTES = 1_000_000_000

#: Most data rows in one table (CSV file, workbook sheet, JSON list); the header is not counted.
MAX_ROWS = 1_000_000

#: Most columns in one table.
MAX_COLUMNS = 200

#: Deepest nesting of lists and mappings in a JSON or YAML document (counted after YAML aliases).
MAX_NESTING = 64

#: Most nodes (scalars, lists, mappings) in a YAML document once its aliases are expanded.
MAX_YAML_NODES = 100_000

#: Longest chain of scenarios that ``extends`` one another (the file itself counts as one).
MAX_EXTENDS = 16

#: Every number read (quantities, costs, capacities, distances, factors, parameters) must be
#: finite and below this in absolute value; larger values overflow the solver's tolerances.
MAX_ABS_NUMBER = 1e15


def describe_bytes(n: int) -> str:
    """A byte count as people say it: ``200 MB``, ``1 MB``, ``1.5 kB``."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} bytes"
