"""Property-based run of the OpenAPI description (schemathesis): no input makes the API fail with 500.

Each operation gets a bounded number of generated examples, sent with a clinician's token and, half of
the time, aimed at a record the clinician may access (so generated bodies reach the record code rather
than the 404 guard; bodies are validated before the guard either way). 503 is allowed only as the
explicit "not available yet" answer of a module that has not landed; an engine failing on a generated
record counts as a failure.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web.conftest import World

EXAMPLES = {"default": 12}
# Valid requests to these run simulations or the nutrition MILP (seconds each): their bodies are still
# validated in full, but aimed at a record the clinician cannot see, so a valid one ends in 404.
EXPENSIVE = ("POST /api/patients/{patient_id}/simulations", "GET /api/patients/{patient_id}/plan")


# Revoking the token would sign the clinician out of every operation generated after it
# (tests/web/test_security_hardening.py covers it).
SKIPPED = ("DELETE /api/auth/token",)


def _operations(world: World) -> list[Any]:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", world.client.app)
    return [op for op in (result.ok() for result in schema.get_all_operations())
            if op.label not in SKIPPED]


def test_generated_requests_never_cause_server_errors(world: World) -> None:
    headers = world.token("dr-a")
    operations = _operations(world)
    assert len(operations) >= 15
    failures: list[str] = []
    for operation in operations:
        _exercise(operation, world, headers, failures)
    assert failures == [], failures


def _exercise(operation: Any, world: World, headers: dict[str, str], failures: list[str]) -> None:
    examples = EXAMPLES.get(operation.label, EXAMPLES["default"])

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(), own_record=st.booleans())
    def run(case: Any, own_record: bool) -> None:
        if case.path_parameters and "patient_id" in case.path_parameters:
            if operation.label in EXPENSIVE:
                case.path_parameters["patient_id"] = world.patient_b
            elif own_record:
                case.path_parameters["patient_id"] = world.patient_a
        response = case.call(headers=headers)
        explicit_unavailable = response.status_code == 503 and "not available yet" in response.text
        if response.status_code >= 500 and not explicit_unavailable:
            failures.append(f"{operation.label}: {response.status_code} {response.text[:200]}")

    run()


@pytest.mark.parametrize("body", [[], "text", 3, None, {"version": 1}, {"version": 1, "patient": []}])
def test_odd_json_bodies_get_field_level_errors(world: World, body: Any) -> None:
    response = world.client.post("/api/patients", json=body, headers=world.token("dr-a"))
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, list) and detail[0]["field"] is not None and detail[0]["message"]
