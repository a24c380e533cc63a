"""The WCAG 2.2 AA review's findings that only a browser shows: where focus goes after a refused
form, what a failed HTMX request says, the "Simulating…" status, the header's focus ring and the
layouts at 390 px (the markup is checked in tests/web/test_accessibility_review.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.browser.test_journeys import log_in

pytestmark = pytest.mark.browser

ACTIVE = "document.activeElement.id"


def _rgb_contrast(a: list[int], b: list[int]) -> float:
    def luminance(rgb: list[int]) -> float:
        linear = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rgb(css: str) -> list[int]:
    return [int(float(x)) for x in css[css.index("(") + 1:css.index(")")].split(",")[:3]]


def test_a_refused_lab_entry_takes_focus_to_its_summary(web_page: Any, live_server: LiveServer) -> None:
    """A lab sent with a unit the test does not take (an option added as a stale page would have
    it): the page comes back with focus on the error summary in the lab form, the unit kept, and
    the summary's link moves focus to the unit select."""
    page = web_page
    log_in(page, live_server, "dr-a")
    page.goto(f"{live_server.base_url}/patients/{live_server.patient_a}")
    page.locator("#lab-test").select_option("calcium")
    page.wait_for_function("() => [...document.querySelectorAll('#lab-unit option')].some(o => o.value === 'mg/dL')")
    page.evaluate("""() => { const s = document.getElementById('lab-unit');
        s.add(new Option('pg/mL', 'pg/mL')); s.value = 'pg/mL'; }""")
    page.locator("#lab-value").fill("9.5")
    page.get_by_role("button", name="Add lab result").click()
    page.locator("#form-error-summary").wait_for()
    page.wait_for_function(f"() => {ACTIVE} === 'form-error-summary'")
    assert page.evaluate("document.getElementById('form-error-summary').closest('form').id") == "form-lab"
    assert page.locator("#lab-unit").input_value() == "pg/mL"
    assert page.locator("#lab-test").input_value() == "calcium"
    link = page.locator("#form-error-summary").get_by_role("link", name="Unit")
    link.click()
    assert page.evaluate(ACTIVE) == "lab-unit"


def test_a_failed_plan_summary_says_so(web_page: Any, live_server: LiveServer) -> None:
    page = web_page
    log_in(page, live_server, "pat-a")
    page.route("**/plan/summary", lambda route: route.fulfill(status=500, body="boom"))
    page.goto(f"{live_server.base_url}/patients/{live_server.patient_a}/plan")
    alert = page.locator("#plan-error")
    page.wait_for_function("() => document.getElementById('plan-error').textContent.length > 0")
    assert alert.get_attribute("role") == "alert"
    assert "could not be computed" in alert.inner_text() and "500" in alert.inner_text()
    assert "Computing" not in page.locator("#plan-status").inner_text()
    page.unroute("**/plan/summary")


def test_a_failed_what_if_says_so_and_simulating_is_announced(web_page: Any, live_server: LiveServer) -> None:
    """While the what-if runs its status line says "Simulating…" (a live region that is always
    there); a server error then clears it and fills the alert; a lost connection too."""
    page = web_page
    log_in(page, live_server, "pat-a")
    page.goto(f"{live_server.base_url}/patients/{live_server.patient_a}/what-if")
    held: list[Any] = []
    page.route("**/what-if", lambda route: held.append(route) if route.request.method == "POST"
               else route.continue_())
    page.get_by_label("Vitamin D3 (IU/d)", exact=True).fill("1500")
    page.get_by_role("button", name="Run what-if").click()
    page.wait_for_function("() => document.getElementById('whatif-status').textContent === 'Simulating…'")
    assert page.locator("#whatif-status").is_visible()
    held.pop().fulfill(status=500, body="boom")
    page.wait_for_function("() => document.getElementById('whatif-error').textContent.length > 0")
    assert "could not be run" in page.locator("#whatif-error").inner_text()
    assert page.locator("#whatif-status").inner_text() == ""
    assert page.locator("#whatif-error").get_attribute("role") == "alert"
    page.unroute("**/what-if")
    page.route("**/what-if", lambda route: route.abort() if route.request.method == "POST" else route.continue_())
    page.get_by_role("button", name="Run what-if").click()
    page.wait_for_function("() => document.getElementById('whatif-error').textContent.includes('no answer')")
    page.unroute("**/what-if")


def test_a_wrong_current_password_takes_focus_to_the_message(web_page: Any, live_server: LiveServer) -> None:
    page = web_page
    log_in(page, live_server, "dr-b")
    page.goto(f"{live_server.base_url}/account")
    page.get_by_label("Current password").fill("not the password")
    page.get_by_label("New password (at least", exact=False).fill("a brand new password")
    page.get_by_label("New password again").fill("a brand new password")
    page.get_by_role("button", name="Change password").click()
    page.locator("#password-error").wait_for()
    page.wait_for_function(f"() => {ACTIVE} === 'password-error'")
    current = page.get_by_label("Current password")
    assert current.get_attribute("aria-invalid") == "true"
    assert current.get_attribute("aria-describedby") == "password-error"


def test_the_header_focus_ring_stands_out_from_the_navy(web_page: Any, live_server: LiveServer) -> None:
    page = web_page
    log_in(page, live_server, "dr-a")
    link = page.locator("header.top a.account-link")
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focused from the keyboard: :focus-visible applies
    assert page.evaluate("document.activeElement.classList.contains('account-link')")
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    header = page.evaluate("getComputedStyle(document.querySelector('header.top')).backgroundColor")
    assert _rgb_contrast(_rgb(ring), _rgb(header)) >= 3, (ring, header)
    # elsewhere the ring keeps 3:1 against the page
    page.get_by_role("link", name="demo-001").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    ring = page.evaluate("getComputedStyle(document.activeElement).outlineColor")
    body = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert _rgb_contrast(_rgb(ring), _rgb(body)) >= 3, (ring, body)


def test_at_390_px_the_full_plan_and_the_assessment_tables_reflow(chromium: Any, live_server: LiveServer) -> None:
    """At 390 px the full plan does not scroll sideways, and the assessment's densitometry and
    monitoring tables show every column (cards) instead of clipping them."""
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        log_in(page, live_server, "dr-a")
        page.goto(f"{live_server.base_url}/patients/{live_server.patient_a}/plan.html")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.locator("li.restriction .severity, li.caution .severity, li.info .severity").count() > 0
        page.goto(f"{live_server.base_url}/patients/{live_server.patient_a}/assessment")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        for table in ("#densitometry-table", "#monitoring-table"):
            cells = page.locator(f"{table} tbody td")
            assert cells.count() > 0
            for i in range(cells.count()):
                box = cells.nth(i).bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (table, i, box)
        category = page.locator("#densitometry-table td[data-label='Category']").first
        assert category.is_visible()
    finally:
        context.close()
