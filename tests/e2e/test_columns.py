"""Columnar tick frames over a real socket: a MessagePack client that subscribed with
`columns: true` gets each tick the simulation published at once as one `agent_columns`
frame (after the `agent_index` entries it lacks), and decoded row by row it is, seq for
seq, the `agent_update` events a JSON client got; a JSON connection is refused them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from typing import Any
from urllib.parse import quote

import msgpack
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from spine_ws.core.columnar import decode
from spine_ws.generated import SUBPROTOCOL
from tests.e2e.sims import SWARM
from tests.support.server import close_reading, run_server, validate_event

pytestmark = pytest.mark.anyio

TICKS = 6
COLUMNS = quote(json.dumps({"columns": True}))


class Columns:
    """A columns client's view: its agent index table, and every broadcast by seq (each
    agent_columns frame decoded into the agent_update events it stands for)."""

    def __init__(self) -> None:
        self.table: list[str] = []
        self.events: dict[int, dict[str, Any]] = {}
        self.frames: dict[str, int] = {}
        self.skipped: list[tuple[int, int]] = []
        # Each agent's data as this client holds it (what `unchanged` members keep).
        self.state: dict[str, dict[str, Any]] = {}
        self.unchanged: set[str] = set()

    def take(self, raw: str | bytes) -> dict[str, Any]:
        assert isinstance(raw, bytes), f"a text frame on a msgpack connection: {raw!r}"
        event: dict[str, Any] = msgpack.unpackb(raw, raw=False)
        validate_event(event)
        kind = event["type"]
        self.frames[kind] = self.frames.get(kind, 0) + 1
        if kind == "agent_index":
            if event["start"] == 0:  # begun anew (a new connection)
                self.table = []
            assert event["start"] == len(self.table), "the table grows in order, gapless"
            self.table.extend(event["agent_ids"])
        elif kind == "agent_columns":
            self.unchanged.update(event["unchanged"])
            for update in decode(event, self.table, self.state):
                self.events[update["seq"]] = update
                self.state[update["agent_id"]] = update["data"]
        elif kind == "snapshot":
            self.state = {agent["agent_id"]: agent["data"] for agent in event["agents"]}
        elif kind == "agent_removed":
            self.events[event["seq"]] = event
            self.state.pop(event["agent_id"], None)
        elif kind == "skipped":
            self.skipped.append((event["first_seq"], event["last_seq"]))
        elif "seq" in event:
            self.events[event["seq"]] = event
            if kind in ("agent_added", "agent_update"):
                self.state[event["agent_id"]] = event["data"]
        return event


async def json_stream(ws: ClientConnection) -> dict[int, dict[str, Any]]:
    """Start the simulation, and every broadcast until it stops after tick `TICKS`."""
    events: dict[int, dict[str, Any]] = {}
    await ws.send(json.dumps({"type": "start"}))
    stopping = False
    while True:
        event = json.loads(await asyncio.wait_for(ws.recv(), 10))
        if "seq" in event:
            events[event["seq"]] = event
        if event["type"] == "tick_end" and event["tick"] >= TICKS and not stopping:
            await ws.send(json.dumps({"type": "stop"}))
            stopping = True
        if event["type"] == "simulation_state" and event["status"] == "stopped" and stopping:
            return events


@pytest.mark.parametrize(
    ("args", "agents", "unchanged"),
    [
        # every member changes each tick: float64, float32, integer, boolean, string
        (("--simulation", "tests.e2e.sims:swarm"), SWARM, set()),
        # the default world: velocities change only at a wall, so they are left out
        (("--seed-agents", "30", "--tick-rate", "50"), 30, {"vx", "vy"}),
    ],
    ids=["swarm", "default-world"],
)
async def test_a_columns_client_decodes_to_the_json_updates_seq_for_seq(
    args: tuple[str, ...], agents: int, unchanged: set[str]
) -> None:
    with run_server(*args) as server:
        packed = await websockets.connect(
            f"{server.ws_url}?subscribe={COLUMNS}",
            subprotocols=[Subprotocol(f"{SUBPROTOCOL}.msgpack")],
            open_timeout=5,
        )
        columns = Columns()
        assert columns.take(await packed.recv())["type"] == "snapshot"
        async with websockets.connect(server.ws_url, open_timeout=5) as spine:
            json.loads(await spine.recv())
            expected = await json_stream(spine)
            last = max(expected)
            while not columns.events or max(columns.events) < last:
                columns.take(await asyncio.wait_for(packed.recv(), 10))
            await close_reading(spine)
        await close_reading(packed)
    # Every tick came as one frame, the table once for the lot (the swarm never grows).
    assert columns.frames["agent_columns"] >= TICKS
    assert columns.frames.get("agent_update", 0) == 0
    assert columns.frames["agent_index"] == 1 and len(set(columns.table)) == agents
    assert columns.unchanged == unchanged
    # Seq for seq the JSON client's events, but those a skipped notice accounts for.
    thinned = {seq for first, last_seq in columns.skipped for seq in range(first, last_seq + 1)}
    common = [seq for seq in sorted(expected) if seq >= min(columns.events)]
    assert len([seq for seq in common if expected[seq]["type"] == "agent_update"]) >= agents * TICKS
    for seq in common:
        if seq not in columns.events:
            assert seq in thinned, f"seq {seq} neither delivered nor skipped"
            continue
        assert columns.events[seq] == expected[seq], f"seq {seq}"


async def test_columns_on_a_json_connection_is_refused() -> None:
    with run_server("--simulation", "tests.e2e.sims:swarm") as server:
        async with websockets.connect(server.ws_url, open_timeout=5) as ws:
            json.loads(await ws.recv())
            await ws.send(json.dumps({"type": "subscribe", "id": "s", "columns": True}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert reply["type"] == "error" and reply["code"] == "invalid_message"
            assert "spine.v1.msgpack" in reply["message"]
            # The connection goes on: the next command is answered.
            await ws.send(json.dumps({"type": "subscribe", "id": "t", "batch": True}))
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert reply["type"] == "command_ack" and reply["command_id"] == "t"
            await close_reading(ws)


def world_of(events: dict[int, dict[str, Any]], start: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Each agent's data after `events` (by seq), from `start`."""
    state = dict(start)
    for seq in sorted(events):
        event = events[seq]
        if event["type"] in ("agent_added", "agent_update"):
            state[event["agent_id"]] = event["data"]
        elif event["type"] == "agent_removed":
            state.pop(event["agent_id"], None)
    return state


async def test_thinned_and_resumed_columns_clients_end_with_the_json_clients_world() -> None:
    """Deltas stay exact across coalescing (max_rate: held ticks replaced, the next one
    whole, a skipped notice) and a resume (the missed updates replayed one by one, then
    columns again): each client's world is the JSON client's, agent for agent."""
    subscribe = quote(json.dumps({"columns": True, "max_rate": 3}))
    msgpack_ = [Subprotocol(f"{SUBPROTOCOL}.msgpack")]
    with run_server("--seed-agents", "20", "--tick-rate", "8") as server:
        spine = await websockets.connect(server.ws_url, open_timeout=5)
        start = json.loads(await spine.recv())
        initial = {agent["agent_id"]: agent["data"] for agent in start["agents"]}
        thinned, resuming = Columns(), Columns()
        slow = await websockets.connect(
            f"{server.ws_url}?subscribe={subscribe}", subprotocols=msgpack_, open_timeout=5
        )
        thinned.take(await slow.recv())
        dropping = await websockets.connect(
            f"{server.ws_url}?subscribe={COLUMNS}", subprotocols=msgpack_, open_timeout=5
        )
        epoch = resuming.take(await dropping.recv())["epoch"]
        await spine.send(json.dumps({"type": "start"}))
        while len(resuming.events) < 60:
            resuming.take(await asyncio.wait_for(dropping.recv(), 10))
        dropping.transport.abort()  # a lost network
        await dropping.wait_closed()
        await asyncio.sleep(0.3)
        back = await websockets.connect(
            f"{server.ws_url}?resume={epoch}:{max(resuming.events)}&subscribe={COLUMNS}",
            subprotocols=msgpack_,
            open_timeout=5,
        )
        assert resuming.take(await back.recv())["type"] == "resumed"
        expected: dict[int, dict[str, Any]] = {}
        while len([e for e in expected.values() if e["type"] == "tick_end"]) < 12:
            event = json.loads(await asyncio.wait_for(spine.recv(), 10))
            if "seq" in event:
                expected[event["seq"]] = event
        await spine.send(json.dumps({"type": "stop"}))
        while (event := json.loads(await asyncio.wait_for(spine.recv(), 10)))["type"] != (
            "simulation_state"
        ) or event["status"] != "stopped":
            if "seq" in event:
                expected[event["seq"]] = event
        expected[event["seq"]] = event
        last = max(expected)
        for client, ws in ((thinned, slow), (resuming, back)):
            while max(client.events, default=0) < last:
                client.take(await asyncio.wait_for(ws.recv(), 10))
            await close_reading(ws)
        await close_reading(spine)
    world = world_of(expected, initial)
    assert thinned.skipped, "max_rate thinned it"
    assert resuming.frames["agent_columns"] > 0 and resuming.frames.get("agent_update", 0) > 0
    assert thinned.state == world
    assert resuming.state == world


async def test_a_frame_bigger_than_the_send_queue_says_so_when_its_client_is_shed() -> None:
    """A world whose one tick's frame (and snapshot) is over --send-queue-bytes: a
    columns client joins and is shed, and the log says why and what to raise."""
    env = {"SPINE_BENCH_SWARM": "3000", "SPINE_BENCH_SWARM_RATE": "20", "PYTHONPATH": "."}
    flags = ("--simulation", "bench.sim:swarm", "--send-queue-bytes", "16384")
    with run_server(*flags, env=env) as server:
        ws = await websockets.connect(
            f"{server.ws_url}?subscribe={COLUMNS}",
            subprotocols=[Subprotocol(f"{SUBPROTOCOL}.msgpack")],
            open_timeout=5,
            max_size=None,
        )
        hint = re.compile(
            r"one message alone \(.*\) is \d+ bytes, over --send-queue-bytes \(16384\)"
        )
        deadline = asyncio.get_running_loop().time() + 20
        while not hint.search(server.output()) and asyncio.get_running_loop().time() < deadline:
            with contextlib.suppress(TimeoutError, websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 0.2)
        ws.transport.abort()
        assert hint.search(server.output()), server.output()[-600:]
