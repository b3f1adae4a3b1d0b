"""Bulk publishing (`EventSink.broadcast_updates`) over a real socket: a tick's agent
states published as columns reach clients as the very frames one `broadcast` per agent
makes, byte for byte, and feed the snapshot, subscriptions and every client alike."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.e2e.sims import SWARM
from tests.support.server import Server, close_reading, run_server, validate_event

pytestmark = pytest.mark.anyio

TICKS = 4


async def frames_until_stopped(ws: ClientConnection) -> dict[int, bytes]:
    """Every broadcast frame, by seq, from `start` until the simulation says stopped after
    tick `TICKS` (each one validated against the schemas)."""
    frames: dict[int, bytes] = {}
    await ws.send(json.dumps({"type": "start"}))
    stopping = False
    while True:
        raw = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(raw, str)
        event: dict[str, Any] = json.loads(raw)
        validate_event(event)
        if "seq" in event:
            frames[event["seq"]] = raw.encode()
        if event["type"] == "tick_end" and event["tick"] >= TICKS and not stopping:
            await ws.send(json.dumps({"type": "stop"}))
            stopping = True
        if event["type"] == "simulation_state" and event["status"] == "stopped" and stopping:
            return frames


async def run(server: Server) -> tuple[dict[int, bytes], dict[str, Any]]:
    """The stream a client got over `TICKS` ticks and more, and the snapshot a client
    joining afterwards gets."""
    async with websockets.connect(server.ws_url, open_timeout=5) as ws:
        snapshot = json.loads(await ws.recv())
        assert snapshot["type"] == "snapshot" and len(snapshot["agents"]) == SWARM
        frames = await frames_until_stopped(ws)
        async with websockets.connect(server.ws_url, open_timeout=5) as late:
            after = json.loads(await late.recv())
            await close_reading(late)
        await close_reading(ws)
    return frames, after


async def test_columns_make_the_frames_one_broadcast_per_agent_makes() -> None:
    with run_server("--simulation", "tests.e2e.sims:swarm_each") as server:
        each, _ = await run(server)
    with run_server("--simulation", "tests.e2e.sims:swarm") as server:
        bulk, after = await run(server)
    updates = [seq for seq, frame in bulk.items() if b'"type":"agent_update"' in frame]
    assert len(updates) >= SWARM * TICKS
    # Ticks ran on, so compare the seqs both streams have: every one, byte for byte.
    common = sorted(set(each) & set(bulk))
    assert len(common) >= len(updates)
    assert [each[seq] for seq in common] == [bulk[seq] for seq in common]
    first = json.loads(bulk[updates[0]])
    assert first["data"] == {"x": 0 / 3 + 1 / 3, "y": -1.0, "k": 0, "up": False, "label": None}
    # The mirror took every update: a joiner's snapshot holds each agent's last data.
    last: dict[str, Any] = {}
    for seq in sorted(bulk):
        event = json.loads(bulk[seq])
        if event["type"] == "agent_update":
            last[event["agent_id"]] = event["data"]
    assert after["seq"] == max(bulk)
    assert {agent["agent_id"]: agent["data"] for agent in after["agents"]} == last


async def test_a_subscriber_to_one_agent_gets_its_updates_only() -> None:
    subscribe = quote(json.dumps({"agent_ids": ["s7"]}))
    with run_server("--simulation", "tests.e2e.sims:swarm") as server:
        url = f"{server.ws_url}?subscribe={subscribe}"
        async with websockets.connect(url, open_timeout=5) as ws:
            snapshot = json.loads(await ws.recv())
            assert [agent["agent_id"] for agent in snapshot["agents"]] == ["s7"]
            frames = await frames_until_stopped(ws)
            await close_reading(ws)
    updates = [json.loads(f) for f in frames.values() if b'"type":"agent_update"' in f]
    assert len(updates) >= TICKS
    assert {update["agent_id"] for update in updates} == {"s7"}
    assert [u["data"]["k"] for u in updates] == [7 * t for t in range(1, len(updates) + 1)]
