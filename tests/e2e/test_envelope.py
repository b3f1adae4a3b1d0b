"""A team's own envelope, declared (--envelope): Route-Sim's shape, `action`/`params`/
`request_id` in and `signal`/`data` out with `<domain>.<action>` names, on a real
server, both ways: replies with the request's id, errors pointing into the message as
sent, the lifecycle under the team's names, resume, and spine beside it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from spine_ws.generated import SUBPROTOCOL
from tests.support.process import spawn
from tests.support.server import SPINE_WS, Server, close_reading, run_server

pytestmark = pytest.mark.anyio

ROUTESIM = Path(__file__).with_name("envelopes") / "routesim.json"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """The default world; clients that name no subprotocol speak Route-Sim's envelope."""
    with run_server("--seed-agents", "3", "--tick-rate", "50", "--envelope", str(ROUTESIM)) as s:
        yield s


async def read(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
    assert set(message) <= {"signal", "data", "request_id"}, message
    return message


async def until(ws: ClientConnection, signal: str) -> dict[str, Any]:
    while (message := await read(ws))["signal"] != signal:
        pass
    return message


async def call(ws: ClientConnection, message: Any) -> dict[str, Any]:
    """Send; the next reply (a frame with request_id, or an error)."""
    await ws.send(message if isinstance(message, str) else json.dumps(message))
    while True:
        reply = await read(ws)
        if "request_id" in reply or reply["signal"] == "error":
            return reply


async def test_commands_under_the_teams_names_get_replies_with_their_request_id(
    server: Server,
) -> None:
    """agent.create -> the core's add_agent; its reply is command.done with the request's
    id as sent; its broadcast is agent.created; describe's result comes back in data."""
    ws = await websockets.connect(server.ws_url, open_timeout=5)
    snapshot = await read(ws)
    assert snapshot["signal"] == "snapshot" and isinstance(snapshot["data"]["seq"], int)
    create = {"action": "agent.create", "params": {"agent_id": "truck-1", "agent_kind": "truck"}}
    done = await call(ws, {**create, "request_id": "6f1c-uuid"})
    assert done == {
        "signal": "command.done",
        "data": {"command_type": "agent.create", "tick": done["data"]["tick"]},
        "request_id": "6f1c-uuid",
    }
    described = await call(
        ws, {"action": "agent.describe", "params": {"agent_id": "truck-1"}, "request_id": 7}
    )
    assert described["request_id"] == 7
    assert described["data"]["result"]["agent_kind"] == "truck"
    deleted = await call(
        ws, {"action": "agent.delete", "params": {"agent_id": "truck-1"}, "request_id": "d"}
    )
    assert deleted["signal"] == "command.done" and deleted["request_id"] == "d"
    await close_reading(ws)


async def test_the_stream_and_lifecycle_speak_the_teams_names(server: Server) -> None:
    """simulation.start; tick.start/tick.end and simulation.state under the team's
    names, with seq in data; a message the team's protocol lacks keeps the core's name."""
    ws = await websockets.connect(server.ws_url, open_timeout=5)
    await until(ws, "snapshot")
    await ws.send(json.dumps({"action": "simulation.start", "params": {}, "request_id": "s"}))
    seen: list[dict[str, Any]] = []
    while len([m for m in seen if m["signal"] == "tick.end"]) < 3:
        seen.append(await read(ws))
    assert {"signal": "command.done", "request_id": "s"}.items() <= next(
        m for m in seen if "request_id" in m
    ).items()
    seen = [m for m in seen if "request_id" not in m]
    signals = {m["signal"] for m in seen}
    assert {"simulation.state", "tick.start", "tick.end", "agent.updated"} <= signals
    seqs = [m["data"]["seq"] for m in seen if "seq" in m["data"]]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    await call(ws, {"action": "simulation.stop", "params": {}, "request_id": "x"})
    await close_reading(ws)


@pytest.mark.parametrize(
    ("frame", "code", "path", "request_id"),
    [
        ("{nope", "invalid_json", None, None),
        ('["agent.create"]', "invalid_message", None, None),
        (json.dumps({"params": {}, "request_id": "a"}), "invalid_message", "/action", "a"),
        (
            json.dumps({"action": "agent.create", "params": [], "request_id": 1}),
            "invalid_message",
            "/params",
            1,
        ),
        (
            json.dumps(
                {
                    "action": "agent.create",
                    "params": {"agent_id": 5, "agent_kind": "k"},
                    "request_id": 2,
                }
            ),
            "invalid_message",
            "/params/agent_id",
            2,
        ),
        (
            json.dumps({"action": "agent.create", "params": {"type": "x"}, "request_id": 3}),
            "invalid_message",
            "/params/type",
            3,
        ),
        (
            json.dumps({"action": "agent.create", "params": {}, "extra": 1, "request_id": 4}),
            "invalid_message",
            "/extra",
            4,
        ),
        (
            json.dumps({"action": "agent.fly", "params": {}, "request_id": 5}),
            "unknown_command",
            None,
            5,
        ),
        (
            json.dumps(
                {"action": "agent.delete", "params": {"agent_id": "ghost"}, "request_id": 6}
            ),
            "agent_not_found",
            None,
            6,
        ),
    ],
    ids=[
        "not_json",
        "not_an_object",
        "no_action",
        "params_not_object",
        "bad_member",
        "reserved_member",
        "extra_member",
        "unknown_action",
        "domain_error",
    ],
)
async def test_every_error_is_one_error_signal_with_its_request_id(
    server: Server, frame: str, code: str, path: str | None, request_id: Any
) -> None:
    """Each bad message: one `error` signal with the spine code, the request's id when
    it had one, pointers into the message as sent; the connection keeps working."""
    ws = await websockets.connect(server.ws_url, open_timeout=5)
    await until(ws, "snapshot")
    error = await call(ws, frame)
    assert error["signal"] == "error" and error["data"]["code"] == code, error
    assert error.get("request_id") == request_id
    if path is not None:
        assert path in [d["path"] for d in error["data"]["details"]], error
    listed = await call(ws, {"action": "agent.list", "params": {}, "request_id": "after"})
    assert listed["request_id"] == "after" and "agents" in listed["data"]["result"]
    await close_reading(ws)


async def test_a_resume_replays_in_the_envelope_and_spine_is_served_beside_it(
    server: Server,
) -> None:
    """?resume= gives `resumed` and the missed frames in the envelope; a client that
    offers spine.v1 gets spine; one offering spine.v1.routesim gets the envelope."""
    ws = await websockets.connect(server.ws_url, open_timeout=5)
    snapshot = (await until(ws, "snapshot"))["data"]
    await call(ws, {"action": "simulation.start", "params": {}, "request_id": "go"})
    for _ in range(30):
        await read(ws)
    back = await websockets.connect(
        f"{server.ws_url}?resume={snapshot['epoch']}:{snapshot['seq']}", open_timeout=5
    )
    resumed = await read(back)
    assert resumed["signal"] == "resumed" and resumed["data"]["seq"] == snapshot["seq"]
    replayed = [await read(back) for _ in range(10)]
    seqs = [m["data"]["seq"] for m in replayed]
    assert seqs == list(range(snapshot["seq"] + 1, snapshot["seq"] + 11))
    spine = await websockets.connect(
        server.ws_url, subprotocols=[Subprotocol(SUBPROTOCOL)], open_timeout=5
    )
    assert json.loads(await spine.recv())["type"] == "snapshot"
    named = await websockets.connect(
        server.ws_url, subprotocols=[Subprotocol(f"{SUBPROTOCOL}.routesim")], open_timeout=5
    )
    assert named.subprotocol == f"{SUBPROTOCOL}.routesim"
    assert (await read(named))["signal"] == "snapshot"
    await call(ws, {"action": "simulation.stop", "params": {}, "request_id": "halt"})
    for each in (ws, back, spine, named):
        await close_reading(each)


def test_a_bad_declaration_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """An envelope whose event name is the core's own `type` is refused at start-up."""
    bad = tmp_path / "bad.json"
    declaration = json.loads(ROUTESIM.read_text())
    declaration["event"]["name"] = "type"
    bad.write_text(json.dumps(declaration))
    argv: list[str | Path] = [SPINE_WS, "serve", "--port", "0", "--envelope", bad]
    with spawn(argv) as child:
        assert child.wait(30) == 2
    assert "--envelope" in child.output() and "event/name" in child.output()
    assert len([line for line in child.output().splitlines() if "cannot start" in line]) == 1


def test_a_name_mapped_onto_a_message_the_server_lacks_is_refused(tmp_path: Path) -> None:
    """A typo on the core's side of `names` would never match: refused at start-up."""
    bad = tmp_path / "typo.json"
    declaration = json.loads(ROUTESIM.read_text())
    declaration["names"]["agent.create"] = "add_agnet"
    bad.write_text(json.dumps(declaration))
    argv: list[str | Path] = [SPINE_WS, "serve", "--port", "0", "--envelope", bad]
    with spawn(argv) as child:
        assert child.wait(30) == 2
    assert "agent.create -> add_agnet" in child.output()


async def test_a_coalesced_batched_subscription_in_the_teams_names(server: Server) -> None:
    """subscribe with the team's event names, batch and max_rate: each delivery is one
    batch signal whose members are in the envelope, and what coalescing leaves out is
    told by a skipped signal before it (nothing is lost silently)."""
    ws = await websockets.connect(server.ws_url, open_timeout=5)
    await until(ws, "snapshot")
    await call(ws, {"action": "simulation.start", "params": {}, "request_id": "go"})
    subscribe = {
        "action": "subscribe",
        "params": {"event_types": ["agent.updated", "tick.end"], "batch": True, "max_rate": 5},
        "request_id": "sub",
    }
    assert (await call(ws, subscribe))["signal"] == "command.done"
    members: list[dict[str, Any]] = []
    batches = 0
    while batches < 3:
        frame = await read(ws)
        if frame["signal"] == "batch":
            batches += 1
            members += frame["data"]["events"]
        else:  # the skipped notice precedes the delivery it is about
            members.append(frame)
    assert all(set(m) == {"signal", "data"} for m in members), members[:3]
    signals = {m["signal"] for m in members}
    assert {"agent.updated", "tick.end", "skipped"} <= signals, signals
    # tick.start, simulation.state and error reach every subscriber (protocol.md).
    assert signals <= {"agent.updated", "tick.start", "tick.end", "skipped", "simulation.state"}
    skipped = next(m["data"] for m in members if m["signal"] == "skipped")
    assert skipped["count"] > 0
    await call(ws, {"action": "simulation.stop", "params": {}, "request_id": "halt"})
    await close_reading(ws)
