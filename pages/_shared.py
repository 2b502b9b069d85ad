"""Helpers shared by the pages: session-state contracts and error display.

Pages import this module (``from pages._shared import ...``); it holds no
statistics, only the glue every page would otherwise repeat.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from synthesis.errors import SynthesisError
from synthesis.evidence import EvidenceBase, load_evidence

T = TypeVar("T")

#: Digitized arms waiting for reconstruction, written by the Digitize page and
#: read by the Reconstruct page: ``{arm_name: {"curve": DataFrame(time, survival),
#: "at_risk": DataFrame(time, n_risk) | None, "censor_times": list[float],
#: "origin": str}}``.
RECONSTRUCT_INPUTS = "reconstruct_inputs"

#: Pseudo-IPD available for comparison, written by the Reconstruct page (and
#: uploads), read by the Compare page: ``{label: {"ipd": DataFrame(time, event),
#: "origin": "reconstructed" | "uploaded" | "approximate", "settings": dict}}``.
PSEUDO_IPD = "pseudo_ipd"


def session_dict(key: str) -> dict:
    """Return the dict kept in ``st.session_state[key]``, creating it if absent."""
    if key not in st.session_state:
        st.session_state[key] = {}
    return st.session_state[key]


def run_or_report(func: Callable[..., T], *args, **kwargs) -> T | None:
    """Call ``func``; show an engine error as a message instead of a traceback.

    Returns ``None`` after showing the message, so the page can stop drawing
    results while keeping every widget (and the user's input) on screen.
    """
    try:
        return func(*args, **kwargs)
    except SynthesisError as exc:
        st.error(str(exc), icon=":material/error:")
        return None


def chart_downloads(chart, stem: str) -> None:
    """Offer ``chart`` as PNG and SVG downloads named ``stem.png``/``stem.svg``."""
    from synthesis.export import chart_to_png, chart_to_svg

    left, right = st.columns(2)
    left.download_button(
        "Chart as PNG", chart_to_png(chart), f"{stem}.png", "image/png", on_click="ignore"
    )
    right.download_button(
        "Chart as SVG", chart_to_svg(chart), f"{stem}.svg", "image/svg+xml", on_click="ignore"
    )


@st.cache_resource(show_spinner=False)
def curated_evidence() -> EvidenceBase:
    """The curated evidence base in ``data/``, validated once per server."""
    return load_evidence()
