"""How the assessment's facts read: a value is never rounded onto the cut-off it is compared with."""

from __future__ import annotations

from osteotwin.clinic.model import Fact
from tests.clinic.builders import TESTOSTERONE, lab, make, med, run


def test_a_value_just_under_a_whole_number_keeps_the_digits_that_place_it() -> None:
    assert Fact("e2", 19.99, "pg/mL").display() == "19.99 pg/mL"
    assert Fact("d", 29.96, "ng/mL").display() == "29.96 ng/mL"
    assert Fact("e2", 20.0, "pg/mL").display() == "20 pg/mL"
    assert Fact("e2", 51.84, "pg/mL").display() == "51.8 pg/mL"
    assert Fact("e2", 8.456, "pg/mL").display() == "8.46 pg/mL"
    assert Fact("ca", 1234.4, "mg/d").display() == "1234 mg/d"


def test_an_estradiol_converted_from_pmol_l_reads_below_its_threshold() -> None:
    # 73.4 pmol/L is 19.99 pg/mL: the finding had read "Estradiol 20 pg/mL ... is below about 20".
    result = run(make(sex="male", age=55, history={"hypogonadism": True},
                      medications=[TESTOSTERONE, med("anastrozole", "0.5 mg", "3.5 d")],
                      labs=[lab("estradiol", 73.4, "pmol/L", method="lc-ms/ms")]))
    low = next(f for f in result.findings if f.code == "ESTRADIOL_LOW")
    assert low.message.startswith("Estradiol 19.99 pg/mL (reported 73.4 pmol/L)")
