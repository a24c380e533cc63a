"""Web fixtures: an app on a temporary SQLite file with two patients, their accounts and two clinicians."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from osteotwin.records import parse_patient_document, parse_text
from osteotwin.records.storage import (
    Actor,
    accounts,
    make_engine,
    make_sessionmaker,
    repository,
    upgrade_to_head,
)
from osteotwin.records.storage.seed import demo_record_text
from osteotwin.web.app import create_app

PASSWORD = "a long test password"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class World:
    """Patient 1 (owner ``pat-a``, clinician ``dr-a``) and patient 2 (``pat-b``, ``dr-b``)."""

    url: str
    client: TestClient
    patient_a: int
    patient_b: int

    tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    def token(self, username: str) -> dict[str, str]:
        """Bearer headers for ``username`` (one token per user and module)."""
        if username in self.tokens:
            return self.tokens[username]
        response = self.client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.tokens[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return self.tokens[username]


def revision_of(client: TestClient, patient_id: int, headers: dict[str, str]) -> dict[str, int]:
    """The ``revision`` query a whole-record PUT needs: the record's current ETag."""
    response = client.get(f"/api/patients/{patient_id}", headers=headers)
    assert response.status_code == 200, response.text
    return {"revision": int(response.headers["etag"].strip('"'))}


def build_world(db_path: Path) -> tuple[str, int, int]:
    url = f"sqlite:///{db_path}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    system = Actor.system("test")
    with make_sessionmaker(engine)() as session:
        dr_a = accounts.create_user(session, username="dr-a", password=PASSWORD, role="clinician",
                                    actor=system)
        dr_b = accounts.create_user(session, username="dr-b", password=PASSWORD, role="clinician",
                                    actor=system)
        demo = parse_patient_document(parse_text(demo_record_text(), source="demo"))
        other = parse_patient_document({
            "version": 1, "patient": {"id": "other-002", "sex": "female", "birth_date": "1958-03-03",
                                      "menopausal_status": "postmenopausal", "weight": "62 kg"},
            "history": {"breast_cancer": True},
            "medications": [{"drug": "letrozole", "dose": "2.5 mg", "every": "1 d", "start": "2024-01-01"}],
            "labs": [{"test": "vitamin_d_25oh", "value": 30, "unit": "ng/mL", "date": "2024-06-01"}]})
        a = repository.create_patient(session, demo, Actor(dr_a.id, dr_a.username, dr_a.role))
        b = repository.create_patient(session, other, Actor(dr_b.id, dr_b.username, dr_b.role))
        accounts.create_user(session, username="pat-a", password=PASSWORD, role="patient", actor=system,
                             patient_id=a.id)
        accounts.create_user(session, username="pat-b", password=PASSWORD, role="patient", actor=system,
                             patient_id=b.id)
        session.commit()
        ids = (a.id, b.id)
    engine.dispose()
    return url, ids[0], ids[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    url, a, b = build_world(tmp_path_factory.mktemp("web") / "web.sqlite3")
    app = create_app(url, secret_key="test-secret")
    with TestClient(app) as client:
        yield World(url, client, a, b)
    app.state.engine.dispose()


def browser_login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log ``client`` in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    match = CSRF_RE.search(page.text)
    assert match, "login form has no CSRF field"
    response = client.post("/login", data={"username": username, "password": password,
                                           "csrf_token": match.group(1)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    home = client.get(response.headers["location"])
    token = CSRF_RE.search(home.text)
    assert token, "pages after login carry a CSRF token"
    return token.group(1)


@pytest.fixture
def page_client(world: World) -> Iterator[TestClient]:
    """A fresh cookie jar on the same app (log in with ``browser_login``)."""
    with TestClient(world.client.app) as client:
        yield client


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` served by a real uvicorn server on a free local port (a thread), its base URL
    yielded; stopped, and its database engine disposed, on exit."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()
