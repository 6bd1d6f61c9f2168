"""Ready-to-run scenario folders shipped with symbiose.

>>> sorted(names())
['hillerod', 'hillerod_seasonal', 'kalundborg']
>>> path("hillerod").name
'hillerod'
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["names", "path"]


def names() -> list[str]:
    """Names of the bundled scenario folders."""
    root = resources.files(__name__)
    return [p.name for p in root.iterdir() if p.is_dir() and (p / "scenario.yaml").is_file()]


def path(name: str) -> Path:
    """Folder of a bundled scenario.

    Raises
    ------
    KeyError
        If there is no bundled scenario of that name.
    """
    if name not in names():
        raise KeyError(f"no bundled scenario {name!r}; bundled: {', '.join(sorted(names()))}")
    return Path(str(resources.files(__name__) / name))
