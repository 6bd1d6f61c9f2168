"""Empty tables a company can fill in: CSV files and one XLSX workbook.

Row 1 holds the column names, row 2 an explanation of each column (its first
cell starts with ``#``, so the reader skips it). The explanations come from the
field descriptions of :mod:`models.records`, so they never drift from what
the validator checks.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from .catalog import Catalog
from .files import atomic_write, atomic_write_text
from .records import TABLES

__all__ = ["TEMPLATE_FILES", "template_frames", "write_templates"]

TEMPLATE_FILES = ("members.csv", "streams.csv", "links.csv", "template.xlsx")
_EXAMPLE_QUALITY = ["q_temperature_c", "q_temperature_c_min", "q_temperature_c_max"]
_QUALITY_HELP = {
    "q_temperature_c": "supply: its temperature, C (any q_<attribute> column gives a quality value)",
    "q_temperature_c_min": "demand: lowest temperature accepted, C (q_<attribute>_min)",
    "q_temperature_c_max": "demand: highest temperature accepted, C (q_<attribute>_max)",
}


def _explain(model: type[BaseModel]) -> dict[str, str]:
    out = {}
    for name, f in model.model_fields.items():
        need = "required" if f.is_required() else "optional"
        out[name] = f"{need}: {f.description or name}"
    return out


def template_frames() -> dict[str, pd.DataFrame]:
    """One frame per table: the header and the ``#`` explanation row."""
    frames = {}
    for name, model in TABLES.items():
        explain = _explain(model)
        if name == "streams":
            explain.update(_QUALITY_HELP)
        row = {k: v for k, v in explain.items()}
        first = next(iter(row))
        row[first] = "# " + row[first]
        frames[name] = pd.DataFrame([row], columns=list(row))
    return frames


def write_templates(folder: str | Path, overwrite: bool = False) -> list[Path]:
    """Write members.csv, streams.csv, links.csv and template.xlsx into ``folder``.

    Raises
    ------
    FileExistsError
        If a template file exists already and ``overwrite`` is false (nothing is written).
    """
    folder = Path(folder)
    targets = [folder / f for f in TEMPLATE_FILES]
    existing = [t for t in targets if t.exists()]
    if existing and not overwrite:
        raise FileExistsError(f"{existing[0]} exists; choose an empty folder or overwrite")
    folder.mkdir(parents=True, exist_ok=True)
    frames = template_frames()
    written = []
    for name, frame in frames.items():
        text = frame.to_csv(index=False, quoting=csv.QUOTE_MINIMAL)
        written.append(atomic_write_text(folder / f"{name}.csv", text, encoding="utf-8-sig"))

    def workbook(path: Path) -> None:
        with pd.ExcelWriter(path, engine="openpyxl") as xl:
            for name, frame in frames.items():
                frame.to_excel(xl, sheet_name=name, index=False)
            table = Catalog.builtin().table("EUR").reset_index()[["key", "category", "unit", "transport"]]
            names = pd.Series({k: r.name for k, r in Catalog.builtin().resources.items()})
            table.insert(1, "name", table["key"].map(names))
            table.to_excel(xl, sheet_name="resources (read only)", index=False)

    written.append(atomic_write(folder / "template.xlsx", workbook))
    return written
