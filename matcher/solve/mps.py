"""The model as an MPS file that any solver reads (written by HiGHS, completely or not at all)."""

from __future__ import annotations

from pathlib import Path

from models.files import atomic_write

from ..engine.formulation import LinearProgram
from .highs import HighsSolver

__all__ = ["write_mps"]


def write_mps(lp: LinearProgram, path: str | Path) -> Path:
    """Write ``lp`` as free MPS with column and row names (``.mps`` is added if ``path`` has no suffix)."""
    target = Path(path)
    return atomic_write(
        target.with_suffix(target.suffix or ".mps"), lambda tmp: HighsSolver().write_model(lp, str(tmp))
    )
