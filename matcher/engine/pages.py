"""Memory pages of a match's large arrays: ordinary pages, not transparent huge pages.

numpy advises the kernel to back each array of 4 MiB or more with transparent huge pages
(``madvise(MADV_HUGEPAGE)``). With the kernel's default ``defrag`` setting (``madvise``), the
first touch of such memory then waits while the kernel finds or makes free 2 MiB pages. On the
2-core benchmark virtual machine, where free memory goes back to the host after a few seconds,
a fresh gigabyte took 2.3-2.9 s to fill with the advice and 0.5-0.7 s without (numpy 2.4, kernel
6.18, 2026-12-08); a match of about 1e7 candidate pairs writes about 1 GB of fresh arrays, and its
candidate stage took 4.2 s instead of 6.6 s without the advice. The pair table is read in long
runs, so huge pages win back little.

:class:`ordinary_pages` switches the advice off while a match runs and back to what it was after
(``NUMPY_MADVISE_HUGEPAGE``, where set, is numpy's documented switch, and is left to decide).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import ContextDecorator
from typing import Any

import numpy as np

__all__ = ["ordinary_pages"]

_lock = threading.Lock()
_depth = 0  # matches running (threads, nested calls): the advice comes back after the last
_before = True


def _switch() -> Callable[[bool], bool] | None:
    """numpy's setter of the advice (returns the setting before), or ``None`` where this numpy has none."""
    if "NUMPY_MADVISE_HUGEPAGE" in os.environ:
        return None
    core = getattr(np, "_core", None)
    multiarray = getattr(core, "multiarray", None)
    return getattr(multiarray, "_set_madvise_hugepage", None)


class ordinary_pages(ContextDecorator):
    """While inside (a ``with`` block or a decorated call), new numpy arrays take ordinary memory pages."""

    def __enter__(self) -> ordinary_pages:
        global _depth, _before
        with _lock:
            if _depth == 0 and (switch := _switch()) is not None:
                _before = switch(False)
            _depth += 1
        return self

    def __exit__(self, *exc: Any) -> None:
        global _depth
        with _lock:
            _depth -= 1
            if _depth == 0 and (switch := _switch()) is not None:
                switch(_before)
