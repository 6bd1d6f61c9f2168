"""Writing files completely or not at all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["atomic_write", "atomic_write_text"]


def atomic_write(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write`` on a hidden temporary file beside ``path``, then rename it into place.

    A reader never sees a half-written file; if ``write`` fails, ``path`` is untouched.
    The temporary name keeps the suffix, so writers that choose a format by it still work.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    try:
        write(tmp)
        return tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write text completely or not at all."""
    return atomic_write(path, lambda p: p.write_text(text, encoding=encoding))
