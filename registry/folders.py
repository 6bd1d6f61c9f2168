"""A scenario folder uploaded as a zip file: unpacked safely, then imported (a facilitator's web import).

The archive is unpacked into a temporary folder of its own and nowhere else: entries with an
absolute path or a ``..`` part, symbolic links and other entries that are not regular files or
folders are refused, as are archives of more than :data:`MAX_ENTRIES` entries and archives that
unpack to more than the upload limit (``MAX_UPLOAD_BYTES``, counted as the bytes come out, not
as the archive declares them: a zip bomb stops there). A scenario file in it may name only files
inside the uploaded folder. The folder is then imported by :func:`registry.services.import_folder`
(all or nothing, audited), exactly as ``symbiose registry import`` does.
"""

from __future__ import annotations

import io
import re
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from models import DataError, Issue
from models.readers import load_yaml, shown
from models.scenario import PATH_KEYS

from .intake import safe_file_name
from .models import Network
from .scoping import require

__all__ = ["MAX_ENTRIES", "import_zip", "unpack"]

#: Most entries (files and folders) an uploaded archive may hold.
MAX_ENTRIES = 200
#: The scenario file's keys that name files or folders (``models.scenario``), and how deep ``extends`` may go.
_PATH_KEYS = ("extends", *PATH_KEYS)
_MAX_EXTENDS = 10
_CHUNK = 64 * 1024


def import_zip(user: Any, network: Network, name: str, data: bytes, request: HttpRequest | None = None) -> int:
    """Import a zip file of a scenario folder into the network, all or nothing.

    The archive may hold the folder's files at its top or in one folder (as the export page
    writes it).

    Returns
    -------
    int
        The network's new data version.

    Raises
    ------
    PermissionDenied
        Unless the user is a facilitator (of the network: the caller checks which).
    DataError
        What is wrong with the archive or the folder, with file, row and column; nothing is changed.
    """
    from . import services

    require(user, "import_export")
    label = safe_file_name(name)
    if not label.lower().endswith(".zip"):
        raise DataError([Issue(label, None, "", _("expected a .zip file of a scenario folder"))])
    with tempfile.TemporaryDirectory(prefix="symbiose-import-") as tmp:
        root = Path(tmp).resolve() / "upload"
        root.mkdir()
        unpack(data, root, label)
        folder = _scenario_folder(root)
        try:
            _confined(folder, root)
            return services.import_folder(user, network, folder, request, label=f"{label} (upload)")
        except DataError as exc:
            raise DataError([_relative(i, root) for i in exc.issues]) from None


def unpack(data: bytes, root: Path, label: str) -> list[Path]:
    """Unpack a zip archive into the empty folder ``root``; the files written.

    Raises
    ------
    DataError
        If it is no zip file, holds too many entries, unpacks to more than the upload limit, or
        holds an entry that would leave ``root`` or is not a regular file or folder; nothing is
        left in ``root`` that the caller should use (it deletes the folder).
    """
    limit = int(settings.MAX_UPLOAD_BYTES)

    def refuse(message: str) -> DataError:
        return DataError([Issue(label, None, "", message)])

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise refuse(_("not a zip file; expected a .zip file of a scenario folder")) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ENTRIES:
            raise refuse(
                _("the archive holds %(count)s entries; at most %(limit)s are read")
                % {"count": f"{len(infos):,}", "limit": MAX_ENTRIES}
            )
        too_big = _("the archive unpacks to more than %(limit)s MB; an upload may unpack to at most that") % {
            "limit": f"{limit / 1e6:,.1f}"
        }
        if sum(i.file_size for i in infos) > limit:
            raise refuse(too_big)
        issues = [Issue(label, None, "", problem) for problem in map(_problem, infos) if problem]
        if issues:
            raise DataError(issues)
        written: list[Path] = []
        total = 0
        for info in infos:
            parts = _parts(info.filename)
            if parts[0] == "__MACOSX":  # a Mac's resource forks beside the files: not part of the folder
                continue
            target = root.joinpath(*parts)
            try:
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, target.open("xb") as dst:
                    while chunk := src.read(_CHUNK):
                        total += len(chunk)
                        if total > limit:
                            raise refuse(too_big)
                        dst.write(chunk)
            except DataError:
                raise
            except FileExistsError:
                raise refuse(_("%(entry)s is in the archive twice") % {"entry": shown(info.filename)}) from None
            except (OSError, zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, ValueError):
                raise refuse(_("%(entry)s cannot be unpacked") % {"entry": shown(info.filename)}) from None
            written.append(target)
    return written


def _parts(name: str) -> list[str]:
    """An entry's path as its parts (``/`` or ``\\``), without empty and ``.`` parts."""
    return [p for p in re.split(r"[\\/]", name) if p not in ("", ".")]


def _problem(info: zipfile.ZipInfo) -> str | None:
    """Why an entry may not be unpacked, or None."""
    name = info.filename
    entry = {"entry": shown(name)}
    if "\x00" in name or not _parts(name):
        return _("an entry has no usable name (%(entry)s)") % entry
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return _("%(entry)s is an absolute path; the archive may hold only relative paths") % entry
    if ".." in _parts(name):
        return _("%(entry)s leaves the folder (..); the archive may hold only paths inside it") % entry
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return _("%(entry)s is a symbolic link; the archive may hold only files and folders") % entry
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        return _("%(entry)s is not a regular file; the archive may hold only files and folders") % entry
    if info.flag_bits & 0x1:
        return _("%(entry)s is encrypted; upload an archive without a password") % entry
    return None


def _scenario_folder(root: Path) -> Path:
    """Where the scenario is: the top of the archive, or the one folder that holds everything."""
    folder = root
    for _level in range(3):
        entries = [p for p in folder.iterdir() if p.name != "__MACOSX"]
        if (folder / "scenario.yaml").is_file() or any(p.is_file() for p in entries):
            return folder
        folders = [p for p in entries if p.is_dir()]
        if len(folders) != 1:
            return folder
        folder = folders[0]
    return folder


def _confined(folder: Path, root: Path) -> None:
    """Refuse a scenario file (or one it extends) that names a file outside the uploaded folder."""
    issues: list[Issue] = []
    path: Path | None = folder / "scenario.yaml"
    seen: set[Path] = set()
    while path is not None and path.is_file() and path not in seen and len(seen) < _MAX_EXTENDS:
        seen.add(path)
        shown_as = path.relative_to(root).as_posix()
        try:
            doc = load_yaml(path, shown_as)
        except DataError:
            return  # the engine names what is wrong with it
        if not isinstance(doc, dict):
            return
        resources = doc.get("resources")
        named = [(k, doc.get(k)) for k in _PATH_KEYS]
        named += [("resources", r) for r in (resources if isinstance(resources, list) else [resources])]
        following = None
        for key, value in named:
            if not isinstance(value, str) or not value.strip() or "\x00" in value:
                continue
            target = (path.parent / value).resolve()
            if not target.is_relative_to(root):
                issues.append(
                    Issue(
                        shown_as,
                        None,
                        key,
                        _("%(value)s is outside the uploaded folder; a scenario names only files inside it")
                        % {"value": shown(value)},
                    )
                )
            elif key == "extends":
                following = target / "scenario.yaml" if target.is_dir() else target
        path = following
    if issues:
        raise DataError(issues)


def _relative(issue: Issue, root: Path) -> Issue:
    """An issue of the unpacked folder naming its files as the archive does (never the server's folders)."""
    prefixes = [f"{root}/", str(root), f"{root.parent}/", str(root.parent)]

    def clean(text: str) -> str:
        for prefix in prefixes:
            text = text.replace(prefix, "")
        return text

    return Issue(clean(issue.file or ""), issue.row, issue.column, clean(issue.message))
