"""Coastlines and national borders of the Nordic countries, shipped with the package, for maps drawn offline.

The outlines are Natural Earth's 1:10m Admin 0 countries (public domain), clipped to
the Nordic countries and simplified (``basemap/nordic.geojson``; its source, licence and
processing in ``basemap/SOURCE.md`` beside it). Nothing is fetched: a map takes the rings
in its view from this file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

__all__ = ["Outlines", "outlines", "outlines_in"]


@dataclass(frozen=True)
class Outlines:
    """Polygon rings as one pair of coordinate arrays, rings separated by NaN (plotly draws each apart)."""

    lon: np.ndarray
    lat: np.ndarray
    rings: int

    @property
    def empty(self) -> bool:
        """Whether no ring is in view."""
        return self.rings == 0


@cache
def outlines() -> tuple[tuple[str, np.ndarray], ...]:
    """Every ring of the shipped outlines, as ``(country, array of lon, lat)``."""
    path = resources.files("matcher.report") / "basemap" / "nordic.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    return tuple(
        (feature["properties"]["name"], np.asarray(ring, dtype=float))
        for feature in doc["features"]
        for polygon in feature["geometry"]["coordinates"]
        for ring in polygon
    )


def outlines_in(lon: tuple[float, float], lat: tuple[float, float]) -> Outlines:
    """The rings whose bounding box meets the box ``lon`` x ``lat`` (degrees), ready for one plotly trace."""
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    gap = np.array([np.nan])
    for _, ring in outlines():  # a few hundred rings, once per map
        x, y = ring[:, 0], ring[:, 1]
        if x.max() < lon[0] or x.min() > lon[1] or y.max() < lat[0] or y.min() > lat[1]:
            continue
        xs += [x, gap]
        ys += [y, gap]
    if not xs:
        return Outlines(np.zeros(0), np.zeros(0), 0)
    return Outlines(np.concatenate(xs[:-1]), np.concatenate(ys[:-1]), len(xs) // 2)
