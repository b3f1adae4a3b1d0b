"""`/metrics` reads the hub on the event loop, never beside it."""

from __future__ import annotations

import threading

import httpx
import pytest

from spine_ws.app import create_app
from spine_ws.metrics import Metrics
from spine_ws.settings import Settings

pytestmark = pytest.mark.anyio


async def test_metrics_are_collected_on_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """The collector walks the hub's connections and trims the history, both of which
    the loop changes: it must run on the loop's thread (a worker thread would race it)."""
    app = create_app(Settings(seed_agents=2))
    async with app.router.lifespan_context(app):
        metrics: Metrics = app.state.spine.metrics
        page = metrics.page
        threads: list[int] = []

        def recording_page() -> bytes:
            threads.append(threading.get_ident())
            return page()

        monkeypatch.setattr(metrics, "page", recording_page)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/metrics")
        assert response.status_code == 200 and b"spine_ws_connections" in response.content
        assert threads == [threading.get_ident()]
