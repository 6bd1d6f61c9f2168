"""The outputs a command writes, checked all at once before the first is written (and before any solve).

Each option that writes names its kind of output: the format comes from the
option, and a file name whose extension says otherwise is a usage error
(:class:`~matcher.errors.InvalidOption`, exit 2). Then every output is checked
on disk (:func:`models.files.check_writable`: the folder exists, is a folder
and accepts files, the target is not a folder...); a problem is a
:class:`~models.files.CannotWrite` (exit 1). Nothing is written until every
output of the command has passed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from models.files import check_writable

from .errors import InvalidOption
from .results.result import result_file

__all__ = [
    "CSV",
    "HTML",
    "IMAGES",
    "MPS",
    "Kind",
    "PLOT",
    "RESULTS",
    "TABLE",
    "TEMPLATES",
    "XLSX",
    "check_outputs",
]


@dataclass(frozen=True)
class Kind:
    """A kind of output.

    Attributes
    ----------
    what : str
        What the option writes, for messages (``an XLSX workbook``).
    suffixes : tuple of str
        The file name extensions it accepts (lower case); none for a folder.
    folder : bool
        Whether the output is a folder of files.
    owns : callable, optional
        For a folder replaced whole: the names it writes (anything else in an existing folder is refused).
    """

    what: str
    suffixes: tuple[str, ...] = ()
    folder: bool = False
    owns: Callable[[str], bool] | None = None


XLSX = Kind("an XLSX workbook", (".xlsx",))
CSV = Kind("a CSV table", (".csv",))
TABLE = Kind("a CSV table or an XLSX workbook", (".csv", ".xlsx"))
HTML = Kind("an HTML page", (".html", ".htm"))
PLOT = Kind("a plot (HTML page or PNG, SVG, PDF image)", (".html", ".png", ".svg", ".pdf"))
MPS = Kind("an MPS model", (".mps",))
RESULTS = Kind("a folder of result tables", folder=True, owns=result_file)


def image_name(name: str) -> bool:
    """Whether ``name`` is a file :func:`~matcher.report.html.write_images` writes (``map.png``,
    ``sankey-MWh.svg``...); here, not in the report, so checking outputs never imports the report."""
    stem, _, fmt = name.rpartition(".")
    return fmt in ("png", "svg", "pdf", "jpeg", "webp") and (stem == "map" or stem.startswith("sankey-"))


IMAGES = Kind("a folder of images", folder=True, owns=image_name)
TEMPLATES = Kind("a folder of templates", folder=True, owns=None)


def _check_kind(option: str, path: Path, kind: Kind) -> None:
    if kind.folder or path.suffix.lower() in kind.suffixes:
        return
    allowed = " or ".join(kind.suffixes)
    raise InvalidOption(f"cannot write {path}: {option} writes {kind.what}; give a file name ending in {allowed}")


def check_outputs(*outputs: tuple[str, Path | None, Kind]) -> None:
    """Check every ``(option, path, kind)`` output of one command (``None`` paths are not asked for).

    Raises
    ------
    InvalidOption
        If a file name's extension does not fit its option, two options name
        the same file, or a file would land inside an output folder (exit 2).
    CannotWrite
        If an output cannot be written where it is named (exit 1).
    """
    given = [(option, Path(path), kind) for option, path, kind in outputs if path is not None]
    for option, path, kind in given:
        _check_kind(option, path, kind)
    seen: dict[str, str] = {}
    for option, path, _kind in given:
        key = os.path.normcase(os.path.abspath(path))
        if key in seen:
            raise InvalidOption(f"cannot write {path}: {seen[key]} and {option} name the same file")
        seen[key] = option
    for option, path, kind in given:
        if kind.owns is None:
            continue
        inside = [
            o for o, p, _ in given if o != option and Path(os.path.abspath(p)).is_relative_to(os.path.abspath(path))
        ]
        if inside:
            raise InvalidOption(f"cannot write {path}: {option} is replaced whole, so {inside[0]} cannot go inside it")
    for _option, path, kind in given:
        check_writable(path, folder=kind.folder, owns=kind.owns)
