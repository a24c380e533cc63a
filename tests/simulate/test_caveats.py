"""Known model departures said next to the predictions they apply to."""

from __future__ import annotations

import pytest

from osteotwin.simulate import Regimen, Scenario, Subject
from osteotwin.simulate.caveats import RULES, caveats_by_course, model_caveats

YEAR = 365.25
MAN = Subject(sex="male", age_y=68.0)
WOMAN = Subject(sex="female", age_y=64.0, years_since_menopause=12.0, breast_cancer=True)


def codes(scenario: Scenario) -> set[str]:
    return {caveat.code for caveat in model_caveats(scenario)}


def test_an_untreated_person_carries_no_caveat() -> None:
    assert codes(Scenario(MAN, (), 5.0)) == set()
    assert codes(Scenario(WOMAN, (), 5.0)) == set()


@pytest.mark.parametrize(("subject", "regimen", "code"), [
    (WOMAN, Regimen("estradiol_transdermal", 0.05, route="transdermal", every_d=7.0),
     "ESTROGEN_THERAPY"),
    (MAN, Regimen("goserelin", 3.6, route="subcutaneous", every_d=28.0), "ANDROGEN_DEPRIVATION"),
    (MAN, Regimen("anastrozole", 1.0), "AROMATASE_INHIBITOR_IN_MAN"),
    (WOMAN, Regimen("alendronate", 70.0, every_d=7.0), "BISPHOSPHONATE_MARKERS"),
    (WOMAN, Regimen("alendronate", 70.0, every_d=7.0), "ANTIRESORPTIVE_FIRST_YEAR"),
    (MAN, Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.6),
     "ANTIRESORPTIVE_FIRST_YEAR"),
    (WOMAN, Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.6, stop_d=2 * YEAR),
     "DENOSUMAB_STOPPED"),
    (WOMAN, Regimen("tamoxifen", 20.0, start_d=-5 * YEAR, stop_d=0.0), "TAMOXIFEN_STOPPED"),
    (WOMAN, Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.6, start_d=-3 * YEAR,
                    stop_d=-1 * YEAR), "DENOSUMAB_STOPPED"),
    (MAN, Regimen("testosterone_gel", 12.5, route="transdermal"), "LOW_TESTOSTERONE_GEL_DOSE"),
    (WOMAN, Regimen("anastrozole", 1.0, start_d=-5 * YEAR, stop_d=0.0),
     "AROMATASE_INHIBITOR_STOPPED"),
    (MAN, Regimen("anastrozole", 0.5, every_d=3.5, start_d=0.0, stop_d=2 * YEAR),
     "AROMATASE_INHIBITOR_STOPPED"),
    (MAN, Regimen("ibutamoren", 25.0), "NO_MODELLED_EFFECT"),
    (WOMAN, Regimen("letrozole", 2.5), "AROMATASE_INHIBITOR_TURNOVER_MARKERS"),
    (WOMAN, Regimen("vitamin_d3", dose_iu=2000.0), "VITAMIN_D_RESPONSE"),
    (WOMAN, Regimen("magnesium", 400.0), "NO_MODELLED_EFFECT"),
    (WOMAN, Regimen("denosumab", 120.0, route="subcutaneous", every_d=28.0),
     "METASTATIC_DOSE_ANTIRESORPTIVE"),
    (WOMAN, Regimen("zoledronic_acid", 4.0, route="intravenous", every_d=28.0),
     "METASTATIC_DOSE_ANTIRESORPTIVE"),
])
def test_each_departure_is_raised_where_it_applies(subject: Subject, regimen: Regimen,
                                                   code: str) -> None:
    scenario = Scenario(subject, (regimen,), 5.0)
    scenario.validate()
    assert code in codes(scenario)


def test_a_horizon_beyond_the_checked_follow_up_carries_its_caveat_untreated_too() -> None:
    assert "BEYOND_CHECKED_FOLLOW_UP" in codes(Scenario(MAN, (), 30.0))
    assert "BEYOND_CHECKED_FOLLOW_UP" in codes(Scenario(WOMAN, (), 10.5))
    assert "BEYOND_CHECKED_FOLLOW_UP" not in codes(Scenario(WOMAN, (), 10.0))


def test_a_bisphosphonate_with_ovarian_suppression_is_its_own_departure() -> None:
    premenopausal = Subject(sex="female", age_y=42.0, years_since_menopause=-8.0,
                            breast_cancer=True)
    zoledronic = Regimen("zoledronic_acid", 4.0, route="intravenous", every_d=182.6)
    goserelin = Regimen("goserelin", 3.6, route="subcutaneous", every_d=28.0)
    scenario = Scenario(premenopausal, (goserelin, Regimen("anastrozole", 1.0), zoledronic), 3.0)
    scenario.validate()
    assert "BISPHOSPHONATE_WITH_OVARIAN_SUPPRESSION" in codes(scenario)
    # neither the bisphosphonate alone nor ovarian suppression alone, nor a man on ADT with one
    assert "BISPHOSPHONATE_WITH_OVARIAN_SUPPRESSION" not in codes(
        Scenario(premenopausal, (zoledronic,), 3.0))
    assert "BISPHOSPHONATE_WITH_OVARIAN_SUPPRESSION" not in codes(
        Scenario(premenopausal, (goserelin,), 3.0))
    assert "BISPHOSPHONATE_WITH_OVARIAN_SUPPRESSION" not in codes(
        Scenario(MAN, (goserelin, zoledronic), 3.0))


def test_an_inhibitor_with_working_ovaries_is_its_own_departure() -> None:
    premenopausal = Subject(sex="female", age_y=44.0, years_since_menopause=-6.0,
                            breast_cancer=True)
    letrozole = Regimen("letrozole", 2.5)
    goserelin = Regimen("goserelin", 3.6, route="subcutaneous", every_d=28.0)
    assert "AROMATASE_INHIBITOR_WITH_WORKING_OVARIES" in codes(
        Scenario(premenopausal, (letrozole,), 2.0))
    assert "AROMATASE_INHIBITOR_WITH_WORKING_OVARIES" not in codes(
        Scenario(premenopausal, (letrozole, goserelin), 2.0))
    assert "AROMATASE_INHIBITOR_WITH_WORKING_OVARIES" not in codes(
        Scenario(WOMAN, (letrozole,), 2.0))


def test_departures_are_limited_to_their_situation() -> None:
    # an inhibitor in a woman is what the model was calibrated on; in a man its markers depart
    assert "AROMATASE_INHIBITOR_IN_MAN" not in codes(Scenario(WOMAN, (Regimen("anastrozole", 1.0),),
                                                              5.0))
    # ongoing denosumab is not a stopped one (nor a bisphosphonate), a full gel dose and a
    # tamoxifen or denosumab course that ended long ago carry no caveat
    assert codes(Scenario(WOMAN, (Regimen("denosumab", 60.0, route="subcutaneous",
                                          every_d=182.6),), 5.0)) == {"ANTIRESORPTIVE_FIRST_YEAR",
                                                                     "ANTIRESORPTIVE_LONG_TERM"}
    assert codes(Scenario(MAN, (Regimen("testosterone_gel", 81.0, route="transdermal"),),
                          5.0)) == set()
    assert codes(Scenario(WOMAN, (Regimen("tamoxifen", 20.0, start_d=-8 * YEAR,
                                          stop_d=-3 * YEAR),), 5.0)) == set()
    assert codes(Scenario(WOMAN, (Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.6,
                                          start_d=-8 * YEAR, stop_d=-5 * YEAR),), 5.0)) == set()
    # a switch to another inhibitor is not a stop, nor is a course that ended long ago
    anastrozole_until_today = Regimen("anastrozole", 1.0, start_d=-5 * YEAR, stop_d=0.0)
    assert "AROMATASE_INHIBITOR_STOPPED" not in codes(Scenario(
        WOMAN, (anastrozole_until_today, Regimen("letrozole", 2.5, start_d=0.0)), 5.0))
    assert codes(Scenario(WOMAN, (Regimen("anastrozole", 1.0, start_d=-8 * YEAR,
                                          stop_d=-3 * YEAR),), 5.0)) == set()
    # a regimen that starts after the horizon does not apply
    assert codes(Scenario(MAN, (Regimen("goserelin", 3.6, route="subcutaneous", every_d=28.0,
                                        start_d=3 * YEAR),), 2.0)) == set()


def test_every_caveat_names_its_source_and_codes_are_unique() -> None:
    caveats = [caveat for _, caveat in RULES]
    assert len({c.code for c in caveats}) == len(caveats)
    for caveat in caveats:
        assert caveat.source.startswith("docs/model.md")
        assert caveat.message.endswith(".")


def test_courses_side_by_side_get_each_caveat_once_with_the_courses_it_concerns() -> None:
    anastrozole = Regimen("anastrozole", 1.0)
    goserelin = Regimen("goserelin", 3.6, route="subcutaneous", every_d=28.0)
    courses = (Scenario(MAN, (anastrozole,), 5.0, label="current course"),
               Scenario(MAN, (anastrozole, goserelin), 5.0, label="with ADT"),
               Scenario(MAN, (), 5.0, label="nothing"))
    found = [(caveat.code, labels) for caveat, labels in
             caveats_by_course((s.label, model_caveats(s)) for s in courses)]
    # in order of first appearance, course by course
    assert found == [("AROMATASE_INHIBITOR_IN_MAN", ["current course", "with ADT"]),
                     ("ANDROGEN_DEPRIVATION", ["with ADT"])]


def test_osteoporosis_and_adjuvant_schedules_are_not_a_metastatic_dose() -> None:
    for regimen in (Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.6),
                    Regimen("zoledronic_acid", 4.0, route="intravenous", every_d=182.6),
                    Regimen("zoledronic_acid", 5.0, route="intravenous", every_d=365.25)):
        assert "METASTATIC_DOSE_ANTIRESORPTIVE" not in codes(Scenario(WOMAN, (regimen,), 5.0))


def test_an_antiresorptive_course_beyond_two_years_carries_the_long_term_caveat() -> None:
    """ZO-FAST and Z-FAST at 5 years, FREEDOM's extension: the model's gain levels off after year 2."""
    zoledronic = Regimen("zoledronic_acid", 4.0, route="intravenous", every_d=182.6)
    assert "ANTIRESORPTIVE_LONG_TERM" in codes(Scenario(WOMAN, (zoledronic,), 5.0))
    assert "ANTIRESORPTIVE_LONG_TERM" not in codes(Scenario(WOMAN, (zoledronic,), 2.0))
    past = Regimen("denosumab", 60.0, route="subcutaneous", every_d=182.6, start_d=-3 * YEAR)
    assert "ANTIRESORPTIVE_LONG_TERM" in codes(Scenario(WOMAN, (past,), 1.0))  # 4 years by then
    stopped = Regimen("alendronate", 70.0, every_d=7.0, start_d=-5 * YEAR, stop_d=-1 * YEAR)
    assert "ANTIRESORPTIVE_LONG_TERM" not in codes(Scenario(WOMAN, (stopped,), 5.0))
