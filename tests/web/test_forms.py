"""Form inputs → numbers: a decimal comma is read, a thousands separator is refused."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from osteotwin.errors import UserInputError
from osteotwin.web.forms import AmbiguousNumber, form_number, parse_decimal
from osteotwin.web.whatif import WhatIfFormError, request_from_form
from tests.web.conftest import World, browser_login


@pytest.mark.parametrize(("text", "value"), [("12,5", 12.5), ("0,750", 0.75), ("-1,25", -1.25),
                                             ("1200", 1200.0), ("12.5", 12.5), ("1,2345", 1.2345)])
def test_a_decimal_comma_is_read(text: str, value: float) -> None:
    assert parse_decimal(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["1,000", "1,200", "12,000", "1,200.5", "1.200,5", "1,2,3", "1_000"])
def test_a_number_that_reads_two_ways_is_refused(text: str) -> None:
    with pytest.raises(AmbiguousNumber):
        parse_decimal(text)


def test_the_error_names_the_input_the_value_and_what_is_accepted() -> None:
    with pytest.raises(UserInputError) as caught:
        form_number({"calcium_mg": "1,200"}, "calcium_mg")
    message = caught.value.one_line()
    assert "calcium_mg" in message and "1,200" in message and "thousands separator" in message
    assert "1200" in message  # how to write it


def test_the_what_if_form_refuses_a_thousands_separator() -> None:
    with pytest.raises(WhatIfFormError) as caught:
        request_from_form({"ai_drug": "keep", "supplemental_calcium_mg_d": "1,200", "years": "2"})
    assert "thousands separator" in caught.value.errors["supplemental_calcium_mg_d"]


def test_a_lab_typed_with_a_thousands_separator_is_refused_and_not_stored(world: World,
                                                                           page_client: TestClient) -> None:
    csrf = browser_login(page_client, "pat-a")
    before = world.client.get(f"/api/patients/{world.patient_a}/entries/labs",
                              headers=world.token("dr-a")).json()
    response = page_client.post(f"/patients/{world.patient_a}/labs", data={
        "test": "estradiol", "value": "1,000", "unit": "pmol/L", "date": "2025-05-05", "csrf_token": csrf})
    assert response.status_code == 422
    assert 'id="err-value"' in response.text and "thousands separator" in response.text
    after = world.client.get(f"/api/patients/{world.patient_a}/entries/labs", headers=world.token("dr-a")).json()
    assert after == before


@pytest.mark.parametrize("drug", ["keep", "none"])
def test_a_dose_typed_beside_keep_or_stop_is_flagged_not_dropped(drug: str) -> None:
    """A dose and interval typed with the regimen left on "keep current" (or "stop") had been
    dropped without a word, running only the other changes."""
    with pytest.raises(WhatIfFormError) as caught:
        request_from_form({"ai_drug": drug, "ai_dose_mg": "0.25", "ai_every_d": "7",
                           "vitamin_d_iu_d": "2000", "years": "2"})
    assert set(caught.value.errors) == {"ai_dose_mg", "ai_every_d"}
    assert "choose the inhibitor" in caught.value.errors["ai_dose_mg"]
    request_from_form({"ai_drug": "anastrozole", "ai_dose_mg": "0.25", "ai_every_d": "7", "years": "2"})
