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



def _new_study():
    import pandas as pd

    from pages._add_study import RESULTS_TEMPLATE, SOURCE_TEMPLATE

    source = SOURCE_TEMPLATE.copy()
    source.loc[0, ["source_id", "label", "product"]] = ["UserTrial_2026", "User trial (2026)", "test-cel"]
    source.loc[0, "n_treated"] = 20
    result = RESULTS_TEMPLATE.copy()
    result.loc[0, ["result_id", "source_id", "product", "location", "quote"]] = [
        "UserTrial_2026_ORR", "UserTrial_2026", "test-cel", "Abstract", "ORR was 75% (15/20)."]
    result.loc[0, ["events", "n"]] = [15, 20]
    result.loc[0, "estimate"] = 0.75
    return source, pd.DataFrame(result)


def _save_draft(source, result) -> AppTest:
    """Open the page with a draft in the add-a-study tables (as kept from an earlier visit) and save it."""
    from pages._add_study import RESULTS_DRAFT, SOURCE_DRAFT

    at = app_test("evidence.py", state={SOURCE_DRAFT: source, RESULTS_DRAFT: result,
                                        "evidence_view": "Add a study the base lacks"})
    at.sidebar.text_input[0].input("Reviewer A")
    at.run()
    # The lazy Values tab is not drawn while the form is open.
    assert [d.key for d in at.dataframe] == ["evidence_source_editor", "evidence_results_editor"]
    at.button(key="evidence_save_rows").click().run()
    return at


def _values_tab(at: AppTest) -> AppTest:
    at.session_state["evidence_view"] = "Values"
    return at.run()


def test_added_study_is_saved_to_the_project_and_shown_as_user():
    at = _save_draft(*_new_study())
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert "Saved 1 source(s) and 1 result(s)" in at.success[0].value
    shown = _values_tab(at).dataframe[0].value
    mine = shown[shown["origin"] == "user"]
    assert list(mine["outcome"]) == ["ORR"]
    assert len(shown) == len(load_evidence().results) + 1

    # A new session (a reload) finds the row in the database.
    again = _evidence_page()
    assert (again.dataframe[0].value["origin"] == "user").sum() == 1


def test_bad_added_row_names_row_and_column_and_keeps_the_draft():
    from pages._add_study import RESULTS_DRAFT

    source, result = _new_study()
    result.loc[0, "events"] = 25  # more events than patients
    at = _save_draft(source, result)
    assert not at.exception
    message = " ".join(e.value for e in at.error)
    assert "row 1" in message and "events" in message
    assert at.session_state[RESULTS_DRAFT].loc[0, "events"] == 25

    # Corrected and saved again (in a new session, as after a reload): the source saved
    # the first time is updated, not refused.
    fixed = at.session_state[RESULTS_DRAFT].copy()
    fixed.loc[0, "events"] = 15
    again = _save_draft(*_new_study()[:1], fixed)
    assert not again.error, [e.value for e in again.error]
    assert (_values_tab(again).dataframe[0].value["origin"] == "user").sum() == 1


def test_study_cards_follow_the_filters():
    at = _evidence_page()
    at.multiselect(key="evidence_filter_outcome").select("CRS_grade3plus").run()
    at.session_state["evidence_view"] = "Study cards"
    at.run()
    assert not at.exception
    labels = set(load_evidence().select(outcome="CRS_grade3plus")["label"])
    cards = [m.value for m in at.markdown if m.value.startswith("- Design:")]
    assert len(cards) == len(labels) > 1
    assert not at.dataframe  # the Values tab is not drawn while another tab is open


def test_study_card_without_a_title_says_so():
    sources = load_evidence().sources
    untitled = sources.loc[sources["title"].isna(), "label"].iloc[0]
    at = _evidence_page()
    at.multiselect(key="evidence_filter_label").select(untitled).run()
    at.session_state["evidence_view"] = "Study cards"
    at.run()
    captions = [c.value for c in at.caption]
    assert "Title not given in the source list." in captions and "nan" not in captions
