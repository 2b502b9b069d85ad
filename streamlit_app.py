"""Entry point: ``streamlit run streamlit_app.py``.

Streamlit runs this file for every session, as ``__main__``: it routes with
``st.navigation``; the page files stay in ``pages/`` and only lay out widgets
around calls into :mod:`synthesis`.

Before that, ``streamlit run`` imports it once as a module and finds ``app``,
an ``st.App`` (the same Streamlit server, as an ASGI application). Its
lifespan hook imports the engine's heavy libraries (pandas, SQLAlchemy ...) and
reads (or validates and caches) the evidence base in the background while the
server starts and the browser loads the page, so the first visitor does not
wait for them: about 0.6 s of the first render, more on a first start.
"""

import contextlib
import threading

import streamlit as st


def _prepare_engine() -> None:
    """Import what the first page needs and fill the evidence cache; pages then find both ready."""
    import pyarrow  # noqa: F401
    import sqlalchemy  # noqa: F401

    import synthesis.store  # noqa: F401
    from synthesis.errors import SynthesisError
    from synthesis.evidence import load_evidence

    with contextlib.suppress(SynthesisError):  # a broken data file is shown by the page that reads it
        load_evidence()


@contextlib.asynccontextmanager
async def _warm_up(_app):
    threading.Thread(target=_prepare_engine, name="warm-up imports", daemon=True).start()
    yield


if __name__ == "__main__":
    st.set_page_config(
        page_title="BCMA CAR-T evidence synthesis",
        page_icon=":material/biotech:",
        layout="wide",
    )

    PAGES = {
        "Evidence": [
            st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
            st.Page("pages/evidence.py", title="Evidence", icon=":material/table_view:"),
        ],
        "Analyse": [
            st.Page("pages/pool.py", title="Pool response rates", icon=":material/forest:"),
            st.Page("pages/compare.py", title="Compare survival", icon=":material/compare_arrows:"),
        ],
        "Curves": [
            st.Page("pages/digitize.py", title="Digitize a figure", icon=":material/scatter_plot:"),
            st.Page("pages/reconstruct.py", title="Reconstruct IPD", icon=":material/stacked_line_chart:"),
        ],
        "Your work": [
            st.Page("pages/workspace.py", title="Workspace", icon=":material/folder_open:"),
        ],
    }

    st.navigation(PAGES).run()
else:
    app = st.App(__file__, lifespan=_warm_up)
