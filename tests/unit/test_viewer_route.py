"""The viewer's mount answers like StaticFiles even where the viewer is not built."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from spine_ws import resources
from spine_ws.app import create_app
from spine_ws.settings import Settings

pytestmark = pytest.mark.anyio


async def test_an_unbuilt_viewer_still_answers_405_to_other_methods(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """TRACE /health is 405 (not the viewer's 404); GET / says how to build the viewer."""
    monkeypatch.setattr(resources, "viewer_dir", lambda: tmp_path / "missing")
    app = create_app(Settings(seed_agents=1))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        traced = await client.request("TRACE", "/health")
        page = await client.get("/")
    assert traced.status_code == 405
    assert page.status_code == 404 and "npm run build" in page.text
