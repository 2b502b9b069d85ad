"""AppTest: the Home page renders and lists the studies of the evidence base."""

from conftest import app_test

from synthesis.evidence import load_evidence


def test_home_renders_with_every_study():
    at = app_test()
    assert not at.exception
    assert at.title[0].value == "BCMA CAR-T evidence synthesis"
    table = at.dataframe[0].value
    assert len(table) == len(load_evidence().sources)
    assert at.metric[1].value == str(len(load_evidence().results))
