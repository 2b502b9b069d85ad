"""Forest plot layout, its PNG/SVG export, and the methods paragraph."""

from __future__ import annotations

from synthesis.export import chart_to_png, chart_to_svg
from synthesis.forest import ROW_HEIGHT, forest_chart, forest_rows, methods_paragraph
from synthesis.proportions import pool_proportions

#: ORR counts from /work/shared/research/comparators.csv and the index-study seeds.
EVENTS = [8, 65, 94, 95, 21, 14]
N = [11, 74, 128, 97, 24, 14]
STUDIES = ["Single-centre", "LEGEND-2", "KarMMa", "CARTITUDE-1", "CT053", "LUMMICAR-1"]
PRODUCT = ["in-house", "cilta-cel", "ide-cel", "cilta-cel", "zevor-cel", "zevor-cel"]


def test_rows_follow_subgroup_blocks_and_mark_unverified() -> None:
    result = pool_proportions(EVENTS, N, studies=STUDIES, subgroup=PRODUCT,
                              subgroup_column="product", method="REML")
    rows = forest_rows(result, flagged={"KarMMa"})
    headers = rows.loc[rows["kind"] == "header", "label"].tolist()
    assert headers == ["product: in-house", "product: cilta-cel", "product: ide-cel",
                       "product: zevor-cel"]
    assert (rows["kind"] == "study").sum() == len(STUDIES)  # studies drawn once, in blocks
    assert (rows["kind"] == "pooled").sum() == 5
    assert "KarMMa \u2020" in rows["label"].tolist()
    assert rows["label"].str.startswith("Test for subgroup differences").any()
    study_weights = rows.loc[rows["kind"] == "study", "weight"]
    assert abs(study_weights.sum() - 100) < 1e-9  # overall-model weights in every block


def test_raw_interval_beyond_one_is_drawn_as_an_arrow() -> None:
    result = pool_proportions([20, 19, 30], [20, 20, 31], measure="PR", method="DL")
    rows = forest_rows(result)
    pooled = rows[rows["kind"] == "pooled"].iloc[0]
    assert pooled["clipped_high"] and pooled["hi_c"] == 1.0 and pooled["hi"] > 1
    assert rows["label"].str.contains("beyond 0-100%").any()


def test_chart_has_explicit_height_and_exports() -> None:
    result = pool_proportions(EVENTS, N, studies=STUDIES)
    chart = forest_chart(result, title="ORR")
    spec = chart.to_dict()
    heights = {c.get("height") for c in spec["hconcat"]}
    assert heights == {ROW_HEIGHT * (len(forest_rows(result)) + 1)}
    assert chart_to_png(chart)[:8] == b"\x89PNG\r\n\x1a\n"
    svg = chart_to_svg(chart)
    assert svg.lstrip().startswith("<svg") and "Random-effects model (GLMM)" in svg


def test_methods_paragraph_says_what_was_done() -> None:
    glmm = methods_paragraph(pool_proportions(EVENTS, N), outcome="ORR")
    assert glmm.startswith("Proportions (ORR) were pooled with a random-effects model")
    assert "Gauss-Hermite" in glmm and "Clopper-Pearson" in glmm
    assert "0.5 was added" in glmm  # LUMMICAR-1 has all events
    fallback = methods_paragraph(pool_proportions([8], [11]))
    assert "could not be fitted" in fallback
    pft = methods_paragraph(pool_proportions(EVENTS, N, measure="PFT", method="PM", hksj=True,
                                             prediction="hts", ci_method="wilson"))
    for phrase in ("Paule-Mandel", "Schwarzer", "Hartung-Knapp", "k-2", "Wilson"):
        assert phrase in pft
