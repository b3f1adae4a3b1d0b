"""A region of interest over a real socket: a client subscribed to a rectangle holds, at
every moment it is told about, exactly the agents of the whole world inside it (entering
as `agent_entered`, leaving as `agent_left`), whether it subscribed at connect time,
panned with `subscribe`, was thinned by `max_rate` or resumed after a lost connection."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.support.server import Server, close_reading, run_server, validate_event

pytestmark = pytest.mark.anyio

LEFT_HALF: dict[str, float] = {"x_min": 0, "y_min": 0, "x_max": 50, "y_max": 100}
TOP_RIGHT: dict[str, float] = {"x_min": 50, "y_min": 50, "x_max": 100, "y_max": 100}


class View:
    """One client's world as its frames tell it, and what it was sent."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.agents: dict[str, dict[str, Any]] = {}
        self.counts: dict[str, int] = {}
        self.seq = 0
        self.bytes = 0
        self.region: dict[str, float] | None = None
        self.epoch = ""

    async def take(self, timeout: float = 10) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        self.bytes += len(raw)
        event: dict[str, Any] = json.loads(raw)
        validate_event(event)
        kind = event["type"]
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.seq = max(self.seq, event.get("seq", 0))
        agent = str(event.get("agent_id"))
        if kind == "snapshot":
            self.epoch = event["epoch"]
            self.agents = {a["agent_id"]: a["data"] for a in event["agents"]}
        elif kind == "command_ack" and event["command_type"] == "subscribe":
            self.agents = {a["agent_id"]: a["data"] for a in event["result"]["agents"]}
            self.seq = event["result"]["seq"]
        elif kind in ("agent_added", "agent_entered"):
            self.agents[agent] = event["data"]
        elif kind == "agent_update":
            if self.region is not None:
                assert agent in self.agents, f"an update of {agent}, which it does not hold"
                assert inside(self.region, event["data"]), f"{agent} updated outside"
            self.agents[agent] = event["data"]
        elif kind in ("agent_removed", "agent_left"):
            self.agents.pop(agent, None)
        return event

    async def until(self, seq: int) -> None:
        while self.seq < seq:
            await self.take()


def inside(region: dict[str, float], data: dict[str, Any]) -> bool:
    x, y = data.get("x"), data.get("y")
    if not isinstance(x, (int, float)) or not isinstance(y, (int, float)):
        return False
    return region["x_min"] <= x <= region["x_max"] and region["y_min"] <= y <= region["y_max"]


def within(world: dict[str, dict[str, Any]], region: dict[str, float]) -> dict[str, Any]:
    return {agent: data for agent, data in world.items() if inside(region, data)}


async def open_view(server: Server, subscribe: dict[str, Any] | None = None) -> View:
    query = f"?subscribe={quote(json.dumps(subscribe))}" if subscribe else ""
    view = View(await websockets.connect(server.ws_url + query, open_timeout=5))
    view.region = (subscribe or {}).get("region")
    assert (await view.take())["type"] == "snapshot"
    return view


async def run_ticks(whole: View, ticks: int) -> None:
    """Start the world, let it run `ticks` ticks, stop it: the whole-world client reads
    everything up to the stop."""
    await whole.ws.send(json.dumps({"type": "start"}))
    stopping = False
    while True:
        event = await whole.take()
        if event["type"] == "tick_end" and event["tick"] >= ticks and not stopping:
            await whole.ws.send(json.dumps({"type": "stop"}))
            stopping = True
        if event["type"] == "simulation_state" and event["status"] == "stopped" and stopping:
            return


async def test_a_region_client_holds_exactly_the_agents_inside_it() -> None:
    with run_server("--seed-agents", "60", "--tick-rate", "50") as server:
        whole = await open_view(server)
        region = await open_view(server, {"region": LEFT_HALF})
        assert region.agents == within(whole.agents, LEFT_HALF)
        await run_ticks(whole, 80)
        await region.until(whole.seq)
        assert region.agents == within(whole.agents, LEFT_HALF)
        # Agents crossed the edge both ways, and the outside cost it nothing.
        assert region.counts.get("agent_entered", 0) > 0
        assert region.counts.get("agent_left", 0) > 0
        assert region.counts["agent_update"] < whole.counts["agent_update"] * 0.8
        assert region.bytes < whole.bytes * 0.8
        for view in (whole, region):
            await close_reading(view.ws)


async def test_panning_and_max_rate_keep_the_region_exact() -> None:
    """A subscribe with a new rectangle starts the view over from its ack; coalescing
    under max_rate never lets an entering or leaving agent slip."""
    with run_server("--seed-agents", "60", "--tick-rate", "50") as server:
        whole = await open_view(server)
        panning = await open_view(server)
        await panning.ws.send(json.dumps({"type": "subscribe", "region": LEFT_HALF, "max_rate": 4}))
        panning.region = LEFT_HALF
        assert (await panning.take())["type"] == "command_ack"
        assert panning.agents == within(whole.agents, LEFT_HALF)
        await whole.ws.send(json.dumps({"type": "start"}))
        while (await whole.take())["type"] != "tick_end" or whole.counts["tick_end"] < 40:
            pass
        await panning.ws.send(json.dumps({"type": "subscribe", "region": TOP_RIGHT}))
        while (event := await panning.take())["type"] != "command_ack":
            pass
        panning.region = TOP_RIGHT
        assert panning.agents == within(whole.agents, TOP_RIGHT) or event["result"]["seq"]
        await run_ticks(whole, whole.counts["tick_end"] + 40)
        await panning.until(whole.seq)
        assert panning.counts.get("skipped", 0) > 0, "max_rate thinned it"
        assert panning.agents == within(whole.agents, TOP_RIGHT)
        for view in (whole, panning):
            await close_reading(view.ws)


async def test_a_resumed_region_client_ends_with_the_region() -> None:
    """(A replay is sent only while it is smaller than a snapshot: under a tick of this
    world; tests/unit/test_region.py has agents crossing within one.)"""
    with run_server("--seed-agents", "60", "--tick-rate", "10") as server:
        whole = await open_view(server)
        subscribe = {"region": LEFT_HALF}
        dropping = await open_view(server, subscribe)
        epoch = dropping.epoch
        await whole.ws.send(json.dumps({"type": "start"}))
        while dropping.counts.get("tick_end", 0) < 10:
            await dropping.take()
        dropping.ws.transport.abort()  # a lost network
        await dropping.ws.wait_closed()
        query = f"?resume={epoch}:{dropping.seq}&subscribe={quote(json.dumps(subscribe))}"
        dropping.ws = await websockets.connect(server.ws_url + query, open_timeout=5)
        assert (await dropping.take())["type"] == "resumed"
        await run_ticks(whole, 30)
        await dropping.until(whole.seq)
        assert dropping.agents == within(whole.agents, LEFT_HALF)
        for view in (whole, dropping):
            await close_reading(view.ws)


async def test_a_region_with_its_edges_crossed_is_refused() -> None:
    with run_server("--seed-agents", "3") as server:
        view = await open_view(server)
        backwards = {"x_min": 10, "y_min": 0, "x_max": 5, "y_max": 10}
        await view.ws.send(json.dumps({"type": "subscribe", "id": "s", "region": backwards}))
        reply = await view.take()
        assert reply["type"] == "error" and reply["code"] == "invalid_message"
        await view.ws.send(json.dumps({"type": "subscribe", "id": "t", "region": LEFT_HALF}))
        assert (await view.take())["command_id"] == "t"  # the connection goes on
        await close_reading(view.ws)
