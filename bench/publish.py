"""What publishing an agent update costs on the simulation's thread: one
`broadcast(AgentUpdateEvent, ...)` per agent against a tick's columns at once
(`broadcast_updates`), for a tick of `AGENTS` agents with four float members, timed in
this process up to the sink's hand-over to the loop."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import numpy as np

from spine_ws.core.items import Published
from spine_ws.generated import AgentUpdateEvent
from spine_ws.sim import EventSink

__all__ = ["AGENTS", "measure"]

AGENTS = 10_000


def measure(ticks: int = 20) -> dict[str, float]:
    """Seconds per update, each way, over `ticks` ticks (the best tick of each)."""
    loop = asyncio.new_event_loop()
    taken: list[Published] = []
    try:
        sink = EventSink(loop, taken.extend)
        # Columns clients only: no agent's JSON is made (one that takes updates one by
        # one has them made here too: `columns_made`).
        one_by_one = False
        sink.connect(taken.extend, lambda: one_by_one)
        ids = [f"a{n}" for n in range(AGENTS)]
        rng = np.random.default_rng(1)
        state = rng.random((AGENTS, 4)) * 100
        names = ("x", "y", "vx", "vy")
        each, columns, made = [], [], []
        for tick in range(1, ticks + 1):
            state += 0.1
            started = time.perf_counter()
            rows = state.tolist()
            for agent_id, row in zip(ids, rows, strict=True):
                data: dict[str, Any] = dict(zip(names, row, strict=True))
                sink.broadcast(AgentUpdateEvent, tick=tick, agent_id=agent_id, data=data)
            each.append(time.perf_counter() - started)
            started = time.perf_counter()
            sink.broadcast_updates(tick, ids, {name: state[:, i] for i, name in enumerate(names)})
            columns.append(time.perf_counter() - started)
            one_by_one = True
            state += 0.1
            started = time.perf_counter()
            sink.broadcast_updates(tick, ids, {name: state[:, i] for i, name in enumerate(names)})
            made.append(time.perf_counter() - started)
            one_by_one = False
            loop.run_until_complete(asyncio.sleep(0))  # the loop takes what was published
            taken.clear()
    finally:
        loop.close()
    return {
        "each": min(each) / AGENTS,
        "columns": min(columns) / AGENTS,
        "columns_made": min(made) / AGENTS,
        "agents": AGENTS,
    }
