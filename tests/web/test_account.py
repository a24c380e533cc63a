"""A signed-in user changes their own password (real app on SQLite)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from httpx import Response

from tests.web.conftest import PASSWORD, World, browser_login


def test_change_your_own_password(world: World, page_client: TestClient) -> None:
    other_browser = TestClient(world.client.app)
    browser_login(other_browser, "pat-b")
    token = world.token("pat-b")
    csrf = browser_login(page_client, "pat-b")
    assert "Change your password" in page_client.get("/account").text

    def change(current: str, new: str, confirm: str | None = None) -> Response:
        return page_client.post("/account/password", follow_redirects=False, data={
            "csrf_token": csrf, "current": current, "new": new, "confirm": new if confirm is None else confirm})

    wrong = change("not the password", "a brand new password")
    assert wrong.status_code == 401 and "current password is not right" in wrong.text
    differ = change(PASSWORD, "a brand new password", "another new password")
    assert differ.status_code == 422 and "differ" in differ.text
    short = change(PASSWORD, "short")
    assert short.status_code == 422 and "at least 10 characters" in short.text
    assert page_client.post("/account/password", data={"current": PASSWORD, "new": "x" * 12,
                                                        "confirm": "x" * 12}).status_code == 403  # CSRF

    done = change(PASSWORD, "a brand new password")
    assert done.status_code == 303 and done.headers["location"] == "/account?changed=true"
    assert "Password changed" in page_client.get(done.headers["location"]).text  # still signed in
    assert other_browser.get("/patients", follow_redirects=False).status_code == 303  # signed out
    assert world.client.get("/api/patients", headers=token).status_code == 401  # token ended
    world.tokens.pop("pat-b")
    old = world.client.post("/api/auth/token", json={"username": "pat-b", "password": PASSWORD})
    assert old.status_code == 401
    new = world.client.post("/api/auth/token", json={"username": "pat-b", "password": "a brand new password"})
    assert new.status_code == 200
    other_browser.close()


def test_guessable_or_unchanged_passwords_are_refused() -> None:
    import pytest

    from osteotwin.errors import UserInputError
    from osteotwin.records.storage.accounts import check_new_credentials

    for password in ("aaaaaaaaaaaa", "abababababab", "xx-dr-smith-xx", "1234567890", "ZYXWVUTSRQPO",
                     "qwertyuiop"):
        with pytest.raises(UserInputError) as err:
            check_new_credentials("dr-smith", password, "clinician")
        assert err.value.field == "password" and "too easy" in err.value.problem
    check_new_credentials("dr-smith", "a long test password", "clinician")  # accepted


def test_the_current_password_is_not_a_new_one(world: World, page_client: TestClient) -> None:
    csrf = browser_login(page_client, "dr-b")
    same = page_client.post("/account/password", data={"csrf_token": csrf, "current": PASSWORD,
                                                       "new": PASSWORD, "confirm": PASSWORD})
    assert same.status_code == 422 and "same as the current password" in same.text.lower()
    assert page_client.get("/favicon.ico").status_code == 204
