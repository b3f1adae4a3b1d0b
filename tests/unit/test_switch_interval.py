"""The server sets how long a thread may hold the GIL (`--switch-interval`) as it starts:
its simulation's thread and its event loop share the GIL."""

from __future__ import annotations

import asyncio
import sys

import pytest

from spine_ws.app import create_app
from spine_ws.settings import Settings


@pytest.mark.parametrize("seconds", [0.0005, 0.002])
def test_the_server_sets_the_switch_interval_it_is_given(seconds: float) -> None:
    before = sys.getswitchinterval()

    async def run() -> float:
        app = create_app(Settings(seed_agents=0, switch_interval=seconds))
        async with app.router.lifespan_context(app):
            return sys.getswitchinterval()

    try:
        assert asyncio.run(run()) == pytest.approx(seconds)
    finally:
        sys.setswitchinterval(before)


def test_the_default_is_shorter_than_pythons() -> None:
    assert Settings().switch_interval < 0.005
