"""Evidence synthesis engine for BCMA-directed CAR-T studies in RRMM.

Pure Python (pandas, numpy, scipy, statsmodels, altair): this package never
imports streamlit, so the same code serves the app, the command line
(``python -m synthesis``), the tests and the benchmarks.
"""

__version__ = "0.1.0"
