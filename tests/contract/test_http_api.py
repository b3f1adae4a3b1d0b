"""The HTTP API against its own OpenAPI document: schemathesis v4, in-process, all checks.

`schemathesis.openapi.from_asgi` drives the app through the ASGI interface and runs its
lifespan (so the simulation is started and /health has a runtime to report on); the
schemathesis pytest plugin shuts the lifespan down after each test. Every phase
(examples, coverage, fuzzing) and both positive and negative data are on by default;
`checks` below names every built-in check so none can be silently disabled.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis.checks import CHECKS, is_check_class, load_all_checks

from spine_ws.app import create_app
from spine_ws.settings import Settings

# Schemathesis' fuzzing is seconds of work: the full run, not the inner loop.
pytestmark = pytest.mark.tooling

SETTINGS = Settings(seed_agents=2, tick_rate=7.5)
app = create_app(SETTINGS)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)

load_all_checks()
# Every built-in check, named explicitly: a check a future config turns off still runs here.
ALL_CHECKS: list[Any] = [check for check in CHECKS.get_all() if not is_check_class(check)]


def test_every_builtin_check_is_on() -> None:
    """The explicit check list holds all of schemathesis's built-in response checks."""
    names = {check.__name__ for check in ALL_CHECKS}
    assert {"not_a_server_error", "response_schema_conformance", "unsupported_method"} <= names
    assert len(names) >= 12


def test_the_document_lists_the_http_api() -> None:
    """The OpenAPI document has exactly the five GET operations the tests below fuzz."""
    operations = {op.ok().label for op in schema.get_all_operations()}  # type: ignore[union-attr]
    assert operations == {
        "GET /health",
        "GET /metrics",
        "GET /schemas",
        "GET /schemas/{path}",
        "GET /asyncapi",
    }


@schema.parametrize()
def test_http_api_conforms_to_its_openapi_document(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
    """Every generated request gets a documented status, content type and body, never a 5xx."""
    response = case.call_and_validate(checks=ALL_CHECKS)
    if case.path == "/health" and response.status_code == 200:
        # The lifespan ran: this is the configured simulation, not a default or a 500.
        assert response.json()["simulation"]["tick_rate"] == SETTINGS.tick_rate


def test_head_health_answers_like_get() -> None:
    """HEAD /health is 200 with no body (load balancers probe with HEAD), not the viewer's 404."""

    async def head() -> httpx.Response:
        app = create_app(SETTINGS)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await client.head("/health")

    response = asyncio.run(head())
    assert response.status_code == 200
    assert response.content == b""
