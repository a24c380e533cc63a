"""The WCAG 2.2 AA review's findings, in the served markup: a patient's what-if says courses are for
comparison; the timeline's entry forms sum up their errors beside the form, linked by label and
focused; slow parts announce a short status and say when they fail; the full plan fits a phone
and says each severity in words; the narrow-screen tables; the account's errors; the header's focus
ring; the plan's supplement units and the patient list's age unit.

Focus and HTMX failures are shown in a browser in tests/browser/test_accessibility_review.py."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from osteotwin.plan.render import render_html
from tests.web.conftest import PASSWORD, World, browser_login


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def _tag(page: str, element_id: str) -> str:
    """The opening tag of the element with ``element_id``."""
    match = re.search(rf'<[a-z]+ [^>]*id="{element_id}"[^>]*>', page)
    assert match, f"no element #{element_id}"
    return match.group(0)


def _what_if(client: TestClient, patient: int, csrf: str, **form: str) -> str:
    response = client.post(f"/patients/{patient}/what-if", data={**form, "csrf_token": csrf},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200, response.text[:300]
    text: str = response.text
    return text


# 1 ------------------------------------------------------------------------------------------------

def test_a_patient_reads_that_the_courses_are_for_comparison(world: World, page_client: TestClient) -> None:
    """A patient who stops the aromatase inhibitor in the what-if is told, beside the result, that
    the courses are for comparison and that any change to a medicine is for the care team; any
    what-if a patient runs says the first; a clinician gets the report's sentence instead."""
    csrf = browser_login(page_client, "pat-a")
    stopped = _what_if(page_client, world.patient_a, csrf, ai_drug="none", years="1")
    note = stopped.split('id="whatif-patient-note"', 1)[1].split("</div>", 1)[0]
    words = _text(note)
    assert "For comparison only" in words and "decision to make with your care team" in words
    assert "Stopping the aromatase inhibitor is shown for comparison" in words
    # beside the result: after its heading, before its charts and table
    assert stopped.index('id="whatif-heading"') < stopped.index('id="whatif-patient-note"') \
        < stopped.index('id="whatif-table"')
    training = _what_if(page_client, world.patient_a, csrf, resistance_sessions_per_week="2", years="1")
    assert 'id="whatif-patient-note"' in training and 'id="whatif-patient-ai-note"' not in training

    clinician = TestClient(world.client.app)
    csrf = browser_login(clinician, "dr-a")
    stopped = _what_if(clinician, world.patient_a, csrf, ai_drug="none", years="1")
    assert 'id="whatif-patient-note"' not in stopped
    assert ("Stopping the aromatase inhibitor is shown for comparison; whether it is needed is a "
            "clinical decision") in _text(stopped)
    clinician.close()


def test_a_patient_on_an_inhibitor_for_breast_cancer_is_told_it_treats_the_cancer(
        world: World, page_client: TestClient) -> None:
    csrf = browser_login(page_client, "pat-b")
    stopped = _text(_what_if(page_client, world.patient_b, csrf, ai_drug="none", years="1"))
    assert "The aromatase inhibitor treats breast cancer" in stopped
    assert "decision to make with your care team" in stopped


# 2 ------------------------------------------------------------------------------------------------

def _form(page: str, form_id: str) -> str:
    return page.split(f'id="{form_id}"', 1)[1].split("</form>", 1)[0]


def test_an_entry_form_error_is_summed_up_in_that_form_linked_by_label(
        world: World, page_client: TestClient) -> None:
    """A refused lab entry: the summary sits in the lab form (not above the charts), links the
    input at fault by its label, is focused on load (app.js), and the unit select keeps the unit
    that was sent, even one the test does not take."""
    csrf = browser_login(page_client, "dr-a")
    url = f"/patients/{world.patient_a}"
    response = page_client.post(f"{url}/labs", data={"test": "calcium", "value": "9.5", "unit": "pg/mL",
                                                      "date": "2025-01-01", "csrf_token": csrf})
    assert response.status_code == 422
    page = response.text
    assert page.count('id="form-error-summary"') == 1
    lab = _form(page, "form-lab")
    assert 'id="form-error-summary"' in lab
    summary = _tag(page, "form-error-summary")
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary and "data-focus-on-load" in summary
    assert '<a href="#lab-unit">Unit</a>: Unit does not fit this test' in lab
    assert "<li>unit:" not in page  # no raw input names
    unit = re.search(r'<select id="lab-unit".*?</select>', page, re.S)
    assert unit and re.search(r'<option value="pg/mL" selected>', unit.group(0)), unit
    assert re.search(r'<option value="calcium"\s*selected>', page)
    assert '<script src="/static/app.js" defer></script>' in page

    for kind, form, form_id, link in (
            ("dxa", {"date": "2025-01-01", "site": "total_hip", "bmd_value": "abc", "bmd_unit": "g/cm2"},
             "form-dxa", '<a href="#dxa-bmd">BMD</a>:'),
            ("medications", {"drug": "anastrozole", "dose_value": "1", "dose_unit": "mg",
                             "every_value": "x", "every_unit": "d", "start": "2025-01-01"},
             "form-medication", '<a href="#med-every">Every</a>:'),
            ("logs", {"kind": "intake", "date": "2025-01-01", "calcium_mg": "-5"},
             "form-intake", '<a href="#in-calcium">Calcium (mg)</a>:'),
            ("logs", {"kind": "symptom", "date": "2025-01-01", "symptom": "joint_pain", "severity": "11"},
             "form-symptom", '<a href="#sy-severity">Severity (0-10)</a>:')):
        response = page_client.post(f"{url}/{kind}", data={**form, "csrf_token": csrf})
        assert response.status_code == 422, (kind, response.text[:300])
        inside = _form(response.text, form_id)
        assert 'id="form-error-summary"' in inside and link in inside, (kind, _text(inside)[:300])
        target = re.search(r'<a href="#([^"]+)">', link)
        assert target and f'id="{target.group(1)}"' in response.text
    # a choice not on the list stays chosen, said to be so
    response = page_client.post(f"{url}/dxa", data={"date": "2025-01-01", "site": "nose", "bmd_value": "0.8",
                                                    "bmd_unit": "g/cm2", "csrf_token": csrf})
    assert response.status_code == 422
    assert '<option value="nose" selected>nose (not one of the choices)</option>' in response.text
    # a log of a kind no form on the page has: summed up above the forms, still focused
    response = page_client.post(f"{url}/logs", data={"kind": "", "date": "", "csrf_token": csrf})
    assert response.status_code == 422
    assert "data-focus-on-load" in _tag(response.text, "form-error-summary")


def test_the_app_script_is_served(world: World) -> None:
    script = world.client.get("/static/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    for hook in ("data-focus-on-load", "htmx:responseError", "htmx:sendError", "htmx:beforeRequest"):
        assert hook in script.text, hook


# 3 ------------------------------------------------------------------------------------------------

def test_slow_parts_announce_a_short_status_not_their_content(world: World, page_client: TestClient) -> None:
    """The plan and the what-if result are no live regions (a screen reader read the whole plan
    out): a short status line is, always rendered, and a role="alert" box takes a failure."""
    browser_login(page_client, "pat-a")
    plan = page_client.get(f"/patients/{world.patient_a}/plan").text
    section = _tag(plan, "plan-summary")
    assert "aria-live" not in section
    assert 'data-status="#plan-status"' in section and 'data-alert="#plan-error"' in section
    assert 'role="status"' in _tag(plan, "plan-status") and "Computing the plan" in plan
    assert 'role="alert"' in _tag(plan, "plan-error")
    assert plan.index('id="plan-status"') < plan.index('id="plan-summary"')

    whatif = page_client.get(f"/patients/{world.patient_a}/what-if").text
    assert "aria-live" not in _tag(whatif, "whatif-result")
    form = _tag(whatif, "whatif-form")
    assert 'data-status="#whatif-status"' in form and 'data-busy="Simulating…"' in form
    assert 'data-alert="#whatif-error"' in form
    status = _tag(whatif, "whatif-status")
    assert 'role="status"' in status and 'class="status idle"' in status and "busy" not in status
    assert 'role="alert"' in _tag(whatif, "whatif-error")
    css = world.client.get("/static/app.css").text
    idle = re.search(r"\.status\.idle\s*\{([^}]*)\}", css) or re.search(r"[^}]*\.status\.idle[^{]*\{([^}]*)\}", css)
    assert idle and "clip" in idle.group(1) and "display: none" not in idle.group(1)


# 4 ------------------------------------------------------------------------------------------------

def test_the_full_plan_fits_a_phone_and_says_each_severity(world: World, page_client: TestClient) -> None:
    browser_login(page_client, "pat-a")
    response = page_client.get(f"/patients/{world.patient_a}/plan.html")
    assert response.status_code == 200, response.text[:300]
    page = response.text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    items = re.findall(r'<li class="(restriction|caution|info)"><span class="severity">([^<]*)</span>', page)
    safety = page.split("<h2>Safety</h2>", 1)[1].split("</ul>", 1)[0]
    assert items and len(items) == safety.count("<li"), safety[:500]
    words = {"restriction": "Restriction:", "caution": "Caution:", "info": "Information:"}
    assert all(word == words[severity] for severity, word in items), items
    assert "@media (max-width:700px)" in page and "td[data-label]::before" in page
    assert f'href="/patients/{world.patient_a}"' in page  # the live page links back to the record


def test_the_full_plan_links_back_to_the_record_when_it_is_given(world: World) -> None:
    response = world.client.get(f"/api/patients/{world.patient_a}/plan", headers=world.token("dr-a"))
    assert response.status_code == 200, response.text[:300]
    doc = response.json()
    page = render_html(doc, record_href=f"/patients/{world.patient_a}")
    assert f'<a href="/patients/{world.patient_a}">Back to the patient\'s record</a>' in html.unescape(page)
    assert "Back to the patient" not in render_html(doc)


# 5 ------------------------------------------------------------------------------------------------

def test_narrow_screen_tables_become_cards_or_named_scroll_regions(world: World,
                                                                   page_client: TestClient) -> None:
    csrf = browser_login(page_client, "dr-a")
    page = page_client.get(f"/patients/{world.patient_a}/assessment").text
    for table_id, labels in (("densitometry-table", ("Site", "Date", "BMD (g/cm²)", "T-score", "Z-score",
                                                     "Category", "Change since previous scan")),
                             ("monitoring-table", ("Test", "Last", "Next due", "Basis"))):
        assert 'class="stack"' in _tag(page, table_id), table_id
        table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
        rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
        assert rows, table_id
        for row in rows:
            cells = re.findall(r"<td([^>]*)>", row)
            assert cells and all("data-label=" in cell for cell in cells), (table_id, row)
        for label in labels:
            assert f'data-label="{label}"' in html.unescape(table), (table_id, label)
    result = _what_if(page_client, world.patient_a, csrf, ai_drug="none", years="1")
    region = re.search(r'<div class="table-scroll"([^>]*)>\s*<table id="whatif-table">', result)
    assert region, result[-2000:]
    attributes = region.group(1)
    assert 'role="region"' in attributes and 'aria-label="' in attributes and 'tabindex="0"' in attributes
    assert 'aria-describedby="whatif-table-hint"' in attributes
    assert "scroll it sideways" in _text(result.split('id="whatif-table-hint"', 1)[1][:200])


# 6 ------------------------------------------------------------------------------------------------

def test_account_errors_mark_the_inputs_at_fault(world: World, page_client: TestClient) -> None:
    csrf = browser_login(page_client, "dr-b")

    def change(current: str, new: str, confirm: str) -> str:
        response = page_client.post("/account/password", data={"csrf_token": csrf, "current": current,
                                                                "new": new, "confirm": confirm})
        assert response.status_code in (401, 422), response.status_code
        text: str = response.text
        return text

    def marked(page: str) -> set[str]:
        return {name for name in ("current", "new", "confirm")
                if 'aria-invalid="true" aria-describedby="password-error"' in _tag(page, name)}

    wrong = change("not the password", "a brand new password", "a brand new password")
    message = _tag(wrong, "password-error")
    assert 'role="alert"' in message and 'tabindex="-1"' in message and "data-focus-on-load" in message
    assert marked(wrong) == {"current"}
    assert marked(change(PASSWORD, "a brand new password", "another new password")) == {"new", "confirm"}
    assert marked(change(PASSWORD, "short", "short")) == {"new"}
    assert marked(page_client.get("/account").text) == set()


# 7 ------------------------------------------------------------------------------------------------

def _luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_focus_rings_have_3_to_1_in_the_header_and_elsewhere(world: World) -> None:
    css = world.client.get("/static/app.css").text
    header = re.search(r"header\.top\s*\{[^}]*background:\s*(#[0-9a-fA-F]{3,6})", css)
    page_bg = re.search(r"--bg:\s*(#[0-9a-fA-F]{3,6})", css)
    ring = re.search(r"^:focus-visible\s*\{[^}]*outline:[^;]*?(#[0-9a-fA-F]{3,6})", css, re.M)
    in_header = re.search(r"header\.top :focus-visible[^{]*\{[^}]*outline-color:\s*(#[0-9a-fA-F]{3,6})", css)
    assert header and page_bg and ring and in_header
    assert _contrast(ring.group(1), "#ffffff") >= 3 and _contrast(ring.group(1), page_bg.group(1)) >= 3
    assert _contrast(in_header.group(1), header.group(1)) >= 3


# 8 ------------------------------------------------------------------------------------------------

def test_supplement_units_are_said_once_and_the_age_has_its_unit(world: World, page_client: TestClient) -> None:
    browser_login(page_client, "dr-a")
    summary = page_client.get(f"/patients/{world.patient_a}/plan/summary").text
    supplements = re.search(r'<ul id="plan-supplements">(.*?)</ul>', summary, re.S)
    if supplements:  # the demo plan suggests vitamin D3 in IU/d
        text = _text(supplements.group(1))
        assert "/d a day" not in text, text
        assert re.search(r"\d IU a day", text) or "mg a day" in text, text
    assert "/d a day" not in summary
    patients = page_client.get("/patients").text
    assert '<th scope="col">Age (years)</th>' in patients and 'data-label="Age (years)"' in patients
