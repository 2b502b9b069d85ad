"""Offline export of altair charts to PNG and SVG (vl-convert, no browser)."""

from __future__ import annotations

import altair as alt
import vl_convert as vlc


def spec_to_png(spec: str, scale: float = 2.0) -> bytes:
    """Render a Vega-Lite JSON spec to PNG bytes at ``scale`` times its pixel size."""
    return vlc.vegalite_to_png(spec, scale=scale)


def spec_to_svg(spec: str) -> str:
    """Render a Vega-Lite JSON spec to an SVG document."""
    return vlc.vegalite_to_svg(spec)


def chart_to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """Render ``chart`` to PNG bytes at ``scale`` times its pixel size."""
    return spec_to_png(chart.to_json(), scale=scale)


def chart_to_svg(chart: alt.TopLevelMixin) -> str:
    """Render ``chart`` to an SVG document."""
    return spec_to_svg(chart.to_json())
