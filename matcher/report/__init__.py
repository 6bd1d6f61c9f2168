"""Reports: self-contained HTML pages, static images, figures and terminal text.

:mod:`~matcher.report.html` writes reports and comparison pages,
:mod:`~matcher.report.figures` makes the plotly figures,
:mod:`~matcher.report.text` the terminal tables,
:mod:`~matcher.report.anonymise` the pseudonyms and rounding.
"""

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .html import render_comparison, render_report, write_comparison, write_figure, write_images, write_report

__all__ = ["render_comparison", "render_report", "write_comparison", "write_figure", "write_images", "write_report"]


def __getattr__(name: str) -> Any:
    """The names of :mod:`~matcher.report.html`, imported on first use (the terminal text of a match
    never loads the HTML report)."""
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from . import html

    return getattr(html, name)
