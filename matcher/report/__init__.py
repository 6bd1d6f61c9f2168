"""Reports: self-contained HTML pages, static images, figures and terminal text.

:mod:`~matcher.report.html` writes reports and comparison pages,
:mod:`~matcher.report.figures` makes the plotly figures,
:mod:`~matcher.report.text` the terminal tables,
:mod:`~matcher.report.anonymise` the pseudonyms and rounding.
"""

from .html import render_comparison, render_report, write_comparison, write_figure, write_images, write_report

__all__ = ["render_comparison", "render_report", "write_comparison", "write_figure", "write_images", "write_report"]
