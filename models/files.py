"""Writing files and folders completely or not at all.

Every output is written under a unique temporary name beside its target
(:func:`tempfile.mkstemp` / :func:`tempfile.mkdtemp` in the same folder, so two
processes never share one) and renamed into place only once it is complete:
a reader never sees a half-written file, and a folder of several files never
mixes two runs. On any exception the temporary file or folder is removed and
the previous output is left as it was. :func:`check_writable` finds, before
anything is written, the problems that would make a write fail (a missing or
read-only folder, a folder where a file is expected, ...).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["CannotWrite", "atomic_folder", "atomic_write", "atomic_write_text", "check_writable"]

#: The mark in every temporary name (``.report.k2j4_x.tmp.html``), so that a leftover is recognised as one.
TMP_MARK = ".tmp"


class CannotWrite(OSError):
    """An output that cannot be written: ``cannot write <path>: <reason>``.

    Parameters
    ----------
    path : path
        The output as the user named it.
    reason : str
        Why, in a few words.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(path))
        super().__init__(f"cannot write {shown}: {reason}")
        self.path = Path(path)
        self.reason = reason


def _reason(exc: BaseException, *temporaries: Path, target: Path | None = None) -> str:
    """A short reason for an OS error, naming the target instead of its temporary name."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    for tmp in temporaries:
        text = text.replace(str(tmp), str(target) if target is not None else "")
    return text or type(exc).__name__


@cache
def _umask() -> int:
    """The process's umask (read once; setting it back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _mode(path: Path, default: int) -> int:
    """The permission bits ``path`` has, or the default a new file or folder would get."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return default & ~_umask()


def _fsync(path: Path) -> None:
    """Flush a file's data to disk (best effort: some file systems refuse)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temp_file(path: Path) -> Path:
    """A new, unique, empty file beside ``path`` that keeps its suffix."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f"{TMP_MARK}{path.suffix}")
    os.close(fd)
    return Path(name)


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write`` on a unique hidden temporary file beside ``path``, then rename it into place.

    A reader never sees a half-written file; if ``write`` fails, ``path`` is
    untouched and the temporary file is removed. The temporary name keeps the
    suffix, so writers that choose a format by it still work. A replaced file
    keeps its permissions; a new one gets the umask's.

    Raises
    ------
    CannotWrite
        On any OS error (missing folder, no permission, disk full), naming ``path``.
    """
    path = Path(path)
    try:
        tmp = _temp_file(path)
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the name
        raise CannotWrite(path, _reason(exc)) from exc
    try:
        write(tmp)
        _fsync(tmp)
        os.chmod(tmp, _mode(path, 0o666))
        return tmp.replace(path)
    except OSError as exc:
        raise CannotWrite(path, _reason(exc, tmp, target=path)) from exc
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write text completely or not at all (see :func:`atomic_write`)."""
    return atomic_write(path, lambda p: p.write_text(text, encoding=encoding))


# ---------------------------------------------------------------------- folders
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError, TypeError):  # no C library to ask (not Linux)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    renameat2.restype = ctypes.c_int
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def _foreign(folder: Path, owns: Callable[[str], bool]) -> list[str]:
    """Entries of an existing folder that the output does not write (sorted)."""
    return sorted(e.name for e in os.scandir(folder) if not (owns(e.name) and e.is_file(follow_symlinks=False)))


def _swap_in(tmp: Path, folder: Path) -> None:
    """Replace ``folder`` by ``tmp``; the previous folder stays whole until the rename, then goes."""
    if _exchange(tmp, folder):
        shutil.rmtree(tmp, ignore_errors=True)
        return
    # fallback: two renames (the target is absent for an instant); the first is undone if the second fails
    old = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=f"{TMP_MARK}-old"))
    try:
        os.replace(folder, old)
    except BaseException:
        old.rmdir()
        raise
    try:
        os.replace(tmp, folder)
    except BaseException:
        os.replace(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


def atomic_folder(
    folder: str | Path, write: Callable[[Path], Iterable[str | Path]], owns: Callable[[str], bool] | None = None
) -> list[Path]:
    """Write the files of one output into ``folder``, completely or not at all.

    ``write`` fills a fresh temporary folder beside ``folder`` and returns the
    paths it wrote there. A new ``folder`` is the temporary folder renamed. With
    ``owns`` (the names this output writes), an existing ``folder`` may hold
    only such files (a previous run's): it is replaced in one rename and stays
    intact until then. Without ``owns``, an existing folder keeps its other
    files and the new ones (flat, no subfolders) move in beside them, each in
    one rename, once all are complete. On failure the temporary folder is removed.

    Returns
    -------
    list of Path
        The written files, at their final place.

    Raises
    ------
    CannotWrite
        On any OS error, or when ``folder`` holds files ``owns`` does not accept.
    """
    shown = Path(folder)
    check_writable(shown, folder=True, owns=owns)
    target = _folder_target(shown)
    tmp: Path | None = None
    try:
        tmp = Path(os.path.abspath(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=TMP_MARK)))
        relative = [Path(os.path.abspath(tmp / p)).relative_to(tmp) for p in write(tmp)]
        for p in relative:
            _fsync(tmp / p)
        if target.is_dir() and owns is None:
            for p in relative:
                os.replace(tmp / p, target / p)
        else:
            os.chmod(tmp, _mode(target, 0o777))
            if target.is_dir():
                _swap_in(tmp, target)
            else:
                os.rename(tmp, target)
            tmp = None
        return [shown / p for p in relative]
    except CannotWrite:
        raise
    except OSError as exc:
        raise CannotWrite(shown, _reason(exc, *([tmp] if tmp else []), target=shown)) from exc
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def _folder_target(folder: Path) -> Path:
    """The absolute folder an output folder names (``.`` and ``..`` resolved, a link to a folder followed)."""
    target = Path(os.path.abspath(folder))
    return Path(os.path.realpath(target)) if target.is_symlink() and target.is_dir() else target


# ---------------------------------------------------------------------- checking first
def _probe(folder: Path) -> None:
    """Create and remove a file in ``folder``: the one test of writability that holds for root and read-only mounts."""
    fd, name = tempfile.mkstemp(dir=folder, prefix=".symbiose-probe.", suffix=TMP_MARK)
    os.close(fd)
    os.unlink(name)


def check_writable(path: str | Path, folder: bool = False, owns: Callable[[str], bool] | None = None) -> None:
    """Check, before anything is written, that an output file (or ``folder``) can be written at ``path``.

    The parent folder must exist, be a folder and accept new files; an existing
    target must be a file (a folder, when ``folder``). An existing output folder
    must itself accept new files and, with ``owns`` (the names the output
    writes, for a folder that is replaced whole), hold only names ``owns``
    accepts and not be the working folder or hold it.

    Raises
    ------
    CannotWrite
        Naming ``path`` as given and the reason.
    """
    shown = Path(path)
    try:
        target = _folder_target(shown) if folder else Path(os.path.abspath(shown))
        parent = target.parent
        if not target.name:
            raise CannotWrite(shown, "not a folder name" if folder else "not a file name")
        if "\x00" in str(target):
            raise CannotWrite(shown, "the name holds a NUL character")
        if not parent.exists():
            raise CannotWrite(shown, f"folder {shown.parent} does not exist")
        if not parent.is_dir():
            raise CannotWrite(shown, f"{shown.parent} is not a folder")
        if folder and target.exists() and not target.is_dir():
            raise CannotWrite(shown, "it is a file, not a folder")
        if not folder and target.is_dir():
            raise CannotWrite(shown, "it is a folder")
        _probe(parent)
        if folder and target.is_dir():
            if owns is not None:
                if Path.cwd().resolve().is_relative_to(target.resolve()):
                    raise CannotWrite(shown, "it is the working folder or holds it; name a folder for the results")
                others = _foreign(target, owns)
                if others:
                    listed = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
                    raise CannotWrite(shown, f"the folder holds files symbiose does not write there ({listed})")
            _probe(target)
    except CannotWrite:
        raise
    except (OSError, ValueError) as exc:
        raise CannotWrite(shown, _reason(exc)) from exc
