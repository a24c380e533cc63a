"""Generated form input never makes a page fail: every entry form answers with a redirect (saved) or
422 with the problem spelled out (a summary at the top, and the message beside the field), never 500."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.conftest import World, browser_login

FIELDS = {
    "labs": ("test", "value", "unit", "date", "method"),
    "dxa": ("date", "site", "bmd_value", "bmd_unit", "t_score", "z_score", "device"),
    "medications": ("drug", "dose_value", "dose_unit", "route", "every_value", "every_unit", "start", "stop"),
    "logs": ("kind", "date", "activity", "minutes", "intensity", "calcium_mg", "vitamin_d_iu", "protein_g",
             "symptom", "severity", "note"),
    "new": ("patient_id", "sex", "birth_date", "height_value", "height_unit", "weight_value", "weight_unit",
            "menopausal_status"),
}
PLAUSIBLE = st.sampled_from(["", "1", "0.5", "-3", "1e400", "nan", "2025-05-01", "1850-01-01", "9999-99-99",
                             "estradiol", "pmol/L", "pg/mL", "ng/mL", "mg", "IU/d", "d", "wk", "total_hip",
                             "g/cm2", "anastrozole", "oral", "exercise", "intake", "symptom", "joint_pain",
                             "resistance", "high", "female", "male", "postmenopausal", "cm", "lb", "kg"])
VALUE = st.one_of(PLAUSIBLE, st.text(max_size=12))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(kind=st.sampled_from(sorted(FIELDS)), data=st.data())
def test_entry_forms_never_fail(world: World, page_client: TestClient, kind: str, data: st.DataObject) -> None:
    if not page_client.cookies:
        browser_login(page_client, "dr-a")
    csrf = page_client.get("/patients/new").text.split('name="csrf_token" value="')[1].split('"')[0]
    form = {name: data.draw(VALUE, label=name) for name in FIELDS[kind]}
    url = "/patients/new" if kind == "new" else f"/patients/{world.patient_a}/{kind}"
    response = page_client.post(url, data={**form, "csrf_token": csrf}, follow_redirects=False)
    assert response.status_code in (303, 422), (kind, form, response.status_code, response.text[:300])
    if response.status_code == 422:
        assert 'id="form-error-summary"' in response.text, (kind, form)
