"""AppTest: the Evidence page filters and keeps provenance with every row."""

from conftest import app_test
from streamlit.testing.v1 import AppTest

from synthesis.evidence import load_evidence


def _evidence_page() -> AppTest:
    at = app_test("evidence.py")
    assert not at.exception
    return at


def test_unfiltered_table_has_every_value():
    at = _evidence_page()
    assert len(at.dataframe[0].value) == len(load_evidence().results)


def test_outcome_and_study_filters_narrow_the_table():
    at = _evidence_page()
    expected = load_evidence().select(outcome="ORR")
    at.multiselect(key="evidence_filter_outcome").select("ORR").run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert len(shown) == len(expected) > 0
    assert set(shown["outcome"]) == {"ORR"}

    label = expected["label"].iloc[0]
    at.multiselect(key="evidence_filter_label").select(label).run()
    shown = at.dataframe[0].value
    assert set(shown["label"]) == {label}
    assert len(shown) == (expected["label"] == label).sum()

