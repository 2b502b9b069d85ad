"""Entry point: ``streamlit run streamlit_app.py``.

Routes with ``st.navigation``; the page files stay in ``pages/`` and only lay
out widgets around calls into :mod:`synthesis`.
"""

import streamlit as st

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
