"""The `msgpack` profile on a real server: binary frames both ways, and, frame for frame,
the JSON messages a spine client gets, decoded (floats as 64-bit floats, agent data
whole); commands in MessagePack through the same checks; what JSON cannot carry
refused; resume; spine served beside it, unchanged."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Iterator
from typing import Any

import msgpack
import orjson
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from spine_ws.generated import SUBPROTOCOL
from tests.support.server import Server, close_reading, run_server, validate_event

pytestmark = pytest.mark.anyio

MSGPACK = f"{SUBPROTOCOL}.msgpack"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with run_server("--seed-agents", "3", "--tick-rate", "50") as server:
        yield server


async def packed(server: Server, query: str = "") -> ClientConnection:
    ws = await websockets.connect(
        server.ws_url + query, subprotocols=[Subprotocol(MSGPACK)], open_timeout=5
    )
    assert ws.subprotocol == MSGPACK
    return ws


async def read(ws: ClientConnection) -> dict[str, Any]:
    """The next frame: binary, one MessagePack map, a spine event once decoded."""
    frame = await asyncio.wait_for(ws.recv(), 5)
    assert isinstance(frame, bytes), f"a text frame on a msgpack connection: {frame!r}"
    event: dict[str, Any] = msgpack.unpackb(frame, raw=False)
    validate_event(event)
    return event


async def command(ws: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    await ws.send(msgpack.packb(message, use_bin_type=True))
    while (reply := await read(ws))["type"] not in ("command_ack", "error") or "seq" in reply:
        pass
    return reply


async def test_frame_for_frame_the_json_messages_decoded(server: Server) -> None:
    """A spine client and a msgpack client side by side: every broadcast the msgpack
    one gets is, decoded, the JSON message the spine one got with the same seq."""
    spine = await websockets.connect(server.ws_url, open_timeout=5)
    ws = await packed(server)
    snapshot = await read(ws)
    assert snapshot["type"] == "snapshot" and len(snapshot["agents"]) == 3
    json_snapshot = orjson.loads(await spine.recv())
    await command(ws, {"type": "start", "id": "go"})
    seen: dict[int, dict[str, Any]] = {}
    while len(seen) < 60:
        event = await read(ws)
        if "seq" in event:
            seen[event["seq"]] = event
    matched = 0
    while matched < 40:
        event = orjson.loads(await asyncio.wait_for(spine.recv(), 5))
        if event.get("seq") in seen:
            assert seen[event["seq"]] == event  # same members, same numbers
            matched += 1
    assert json_snapshot["agents"] == snapshot["agents"] or json_snapshot["seq"] != snapshot["seq"]
    await command(ws, {"type": "stop", "id": "halt"})
    for each in (spine, ws):
        await close_reading(each)


async def test_commands_and_floats_travel_as_msgpack(server: Server) -> None:
    """add_agent in MessagePack: its ack and its agent_added, with 0.1 a 64-bit float."""
    ws = await packed(server)
    await read(ws)
    add = {"type": "add_agent", "id": "a1", "agent_id": "m1", "agent_kind": "packed"}
    ack = await command(ws, {**add, "agent_data": {"x": 0.1, "y": 2.5, "n": 7}})
    assert ack == {
        "type": "command_ack",
        "command_type": "add_agent",
        "command_id": "a1",
        "tick": ack["tick"],
    }
    described = await command(ws, {"type": "describe_agent", "id": "d", "agent_id": "m1"})
    data = described["result"]["data"]
    assert data["x"] == 0.1 and type(data["x"]) is float and data["n"] == 7
    await command(ws, {"type": "delete_agent", "id": "rm", "agent_id": "m1"})
    await close_reading(ws)


async def test_a_subscribed_client_gets_its_replies_in_msgpack_among_its_events(
    server: Server,
) -> None:
    """A shaped connection holds its replies among its events: each is encoded once."""
    ws = await packed(server)
    await read(ws)  # the snapshot
    reply = await command(ws, {"type": "subscribe", "id": "s", "batch": True})
    assert reply["type"] == "command_ack" and reply["command_id"] == "s"
    reply = await command(ws, {"type": "list_agents", "id": "l"})
    assert reply["type"] == "command_ack" and len(reply["result"]["agents"]) == 3
    await close_reading(ws)


@pytest.mark.parametrize(
    ("frame", "says", "path"),
    [
        (b"\xc1", "not a MessagePack message", None),
        (msgpack.packb([1, 2]), "a command is", None),
        (
            msgpack.packb(
                {
                    "type": "add_agent",
                    "agent_id": "n",
                    "agent_kind": "k",
                    "agent_data": {"x": math.nan},
                }
            ),
            "not a finite number",
            "/agent_data/x",
        ),
        (
            msgpack.packb(
                {
                    "type": "add_agent",
                    "agent_id": "n",
                    "agent_kind": "k",
                    "agent_data": {"x": b"raw"},
                },
                use_bin_type=True,
            ),
            "binary and extension types",
            "/agent_data/x",
        ),
        (msgpack.packb({"type": "add_agent", "agent_id": 5, "agent_kind": "k"}), None, "/agent_id"),
    ],
    ids=["not-msgpack", "an-array", "nan", "bin", "schema"],
)
async def test_what_is_not_a_command_is_refused_and_the_connection_stays(
    server: Server, frame: bytes, says: str | None, path: str | None
) -> None:
    ws = await packed(server)
    await read(ws)
    await ws.send(frame)
    while (error := await read(ws))["type"] != "error" or "seq" in error:
        pass
    assert error["code"] in ("invalid_message", "invalid_json")
    if says is not None:
        assert says in error["message"]
    if path is not None:
        assert [d["path"] for d in error["details"]] == [path]
    ack = await command(ws, {"type": "list_agents", "id": "still"})
    assert ack["type"] == "command_ack"  # the connection keeps working
    await close_reading(ws)


async def test_a_text_frame_on_a_msgpack_connection_is_refused_in_msgpack(server: Server) -> None:
    ws = await packed(server)
    await read(ws)
    await ws.send(json.dumps({"type": "list_agents"}))
    error = await read(ws)
    assert error["type"] == "error" and "binary frames" in error["message"]
    await close_reading(ws)


async def test_a_resume_replays_the_missed_frames_in_msgpack(server: Server) -> None:
    stayed = await packed(server)
    snapshot = await read(stayed)
    leaving = await packed(server)
    left_at = (await read(leaving))["seq"]
    await close_reading(leaving)
    await command(stayed, {"type": "start", "id": "go"})
    while (await read(stayed)).get("seq", 0) < left_at + 20:
        pass
    await command(stayed, {"type": "stop", "id": "halt"})
    back = await packed(server, f"?resume={snapshot['epoch']}:{left_at}")
    resumed = await read(back)
    assert resumed["type"] == "resumed" and resumed["seq"] == left_at
    first = await read(back)
    assert first["seq"] == left_at + 1
    for each in (stayed, back):
        await close_reading(each)


async def test_spine_clients_still_get_text_frames(server: Server) -> None:
    spine = await websockets.connect(
        server.ws_url, subprotocols=[Subprotocol(SUBPROTOCOL)], open_timeout=5
    )
    frame = await spine.recv()
    assert isinstance(frame, str) and json.loads(frame)["type"] == "snapshot"
    await close_reading(spine)
