"""The patient's assessment page explains each finding and action in plain words; the clinician's
page does not."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from osteotwin.clinic.render.plain import explain
from tests.web.conftest import World, browser_login

SECTION = re.compile(r'<section id="plain-findings".*?</section>', re.DOTALL)


def _assessment(world: World) -> dict[str, list[dict[str, str]]]:
    response = world.client.get(f"/api/patients/{world.patient_a}/assessment",
                                headers=world.token("dr-a"))
    assert response.status_code == 200, response.text[:300]
    document: dict[str, list[dict[str, str]]] = response.json()
    return document


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_patient_sees_each_finding_and_action_in_plain_words(world: World,
                                                             page_client: TestClient) -> None:
    document = _assessment(world)
    assert document["findings"] and document["actions"], "the demo patient has findings and actions"
    browser_login(page_client, "pat-a")
    page = page_client.get(f"/patients/{world.patient_a}/assessment").text
    match = SECTION.search(page)
    assert match, "no plain-language section on the patient's page"
    section = match.group(0)
    text = _text(section)
    assert "Your results in plain words" in text
    assert "clinical version" in text
    assert 0 <= page.find('id="plain-findings"') < page.find("<h2>Findings</h2>"), \
        "shown above the clinical sections"
    for item in document["findings"] + document["actions"]:
        plain = explain(item["code"])
        assert plain, item["code"]
        assert plain in text, f"{item['code']}: explanation missing"
        assert item["message"] not in text, f"{item['code']}: clinical message in the plain section"
    words = {"high": "Worth discussing soon:", "moderate": "Worth discussing:",
             "low": "For information:", "info": "For information:"}
    for finding in document["findings"]:
        entry = re.search(rf'<li data-code="{finding["code"]}">(.*?)</li>', section, re.DOTALL)
        assert entry, finding["code"]
        assert _text(entry.group(1)).startswith(words[finding["severity"]]), finding["code"]
    assert not re.search(r">[^<]*\b[A-Z0-9]+(?:_[A-Z0-9]+)+\b[^<]*<", section), \
        "a code is shown as text in the plain section"


def test_clinician_does_not_see_the_plain_section(world: World, page_client: TestClient) -> None:
    document = _assessment(world)
    browser_login(page_client, "dr-a")
    page = page_client.get(f"/patients/{world.patient_a}/assessment").text
    assert "<h2>Findings</h2>" in page, "the clinician's page has its clinical sections"
    assert 'id="plain-findings"' not in page
    assert "Your results in plain words" not in page
    shown = {finding["code"] for finding in document["findings"]}
    assert not any(str(explain(code)) in _text(page) for code in shown)
