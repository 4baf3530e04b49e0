"""Polygon.io (Massive) adapter: last trade/NBBO quotes, prev close and aggregate bars."""

from stockflow.adapters.providers.polygon.provider import PolygonProvider

make_provider = PolygonProvider.from_settings

__all__ = ["PolygonProvider", "make_provider"]
