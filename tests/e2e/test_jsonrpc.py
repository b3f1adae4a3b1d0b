"""The `jsonrpc` profile on a real server, both ways: every error path of JSON-RPC 2.0,
batches, notifications, events as notifications, resume, subscribe, and the spine
profile served beside it, unchanged."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from spine_ws.generated import SUBPROTOCOL
from tests.support.server import Server, close_reading, run_server, validate_event

pytestmark = pytest.mark.anyio

JSONRPC = f"{SUBPROTOCOL}.jsonrpc"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """The default world with the spine profile by default; clients ask for jsonrpc."""
    with run_server("--seed-agents", "3", "--tick-rate", "50", "--autostart") as server:
        yield server


class Peer:
    """A raw JSON-RPC peer: it keeps responses and notifications apart."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.notifications: list[dict[str, Any]] = []
        self.responses: list[Any] = []

    async def read(self, timeout: float = 5) -> Any:
        message = orjson.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        if isinstance(message, dict) and "method" in message:
            assert message["jsonrpc"] == "2.0" and "id" not in message
            # Each notification is a spine event: its method the type, its params the rest.
            validate_event({"type": message["method"], **message["params"]})
            self.notifications.append(message)
        else:
            self.responses.append(message)
        return message

    async def call(self, message: Any, timeout: float = 5) -> Any:
        """Send a frame; the next response (a notification is never one)."""
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))
        return await self.response(timeout)

    async def response(self, timeout: float = 5) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout
        while not self.responses:
            await self.read(deadline - asyncio.get_running_loop().time())
        return self.responses.pop(0)

    async def notification(self, method: str, timeout: float = 5) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            for each in self.notifications:
                if each["method"] == method:
                    self.notifications.remove(each)
                    return each
            await self.read(deadline - asyncio.get_running_loop().time())


_opened: list[ClientConnection] = []


@pytest.fixture(autouse=True)
def _close_peers() -> Iterator[None]:
    """A test that fails midway leaves no socket behind for a later test to trip on."""
    yield
    while _opened:
        _opened.pop().transport.abort()


async def open_peer(server: Server, query: str = "") -> Peer:
    ws = await websockets.connect(server.ws_url + query, subprotocols=[JSONRPC], open_timeout=5)  # type: ignore[list-item]
    _opened.append(ws)
    assert ws.subprotocol == JSONRPC
    return Peer(ws)


def request(method: str, params: dict[str, Any] | None = None, id: Any = 1) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": id}
    if params is not None:
        message["params"] = params
    return message


async def test_the_first_notification_is_the_snapshot_and_calls_get_results(server: Server) -> None:
    """snapshot first (a notification with seq), then a result, or null for a command
    that has none, with the request's id as sent (a number, a string)."""
    peer = await open_peer(server)
    first = await peer.read()
    assert first["method"] == "snapshot" and isinstance(first["params"]["seq"], int)
    agent = first["params"]["agents"][0]["agent_id"]
    described = await peer.call(request("describe_agent", {"agent_id": agent}, id="d-1"))
    assert described == {"jsonrpc": "2.0", "result": described["result"], "id": "d-1"}
    assert described["result"]["agent_id"] == agent
    assert await peer.call(request("set_tick_rate", {"tick_rate": 50}, id=7)) == {
        "jsonrpc": "2.0",
        "result": None,
        "id": 7,
    }
    await close_reading(peer.ws)


@pytest.mark.parametrize(
    ("frame", "code", "echoed"),
    [
        ("{not json", -32700, None),
        ("[]", -32600, None),
        ('"a string"', -32600, None),
        (json.dumps({"jsonrpc": "1.0", "method": "stop", "id": 5}), -32600, 5),
        (json.dumps({"jsonrpc": "2.0", "method": 3, "id": "m"}), -32600, "m"),
        (json.dumps({"jsonrpc": "2.0", "method": "stop", "id": {"no": 1}}), -32600, None),
        (json.dumps({"jsonrpc": "2.0", "method": "stop", "id": 1, "extra": 1}), -32600, 1),
        (json.dumps(request("no_such_method", id=9)), -32601, 9),
        (json.dumps(request("add_agent", {"agent_id": 5}, id=10)), -32602, 10),
        (json.dumps({"jsonrpc": "2.0", "method": "stop", "params": [1], "id": 11}), -32602, 11),
        (json.dumps(request("stop", {"type": "start"}, id=12)), -32602, 12),
        (json.dumps(request("delete_agent", {"agent_id": "nobody"}, id=13)), -32000, 13),
    ],
    ids=[
        "parse_error",
        "empty_batch",
        "not_an_object",
        "wrong_version",
        "method_not_a_string",
        "id_an_object",
        "extra_member",
        "method_not_found",
        "invalid_params",
        "params_by_position",
        "params_with_type",
        "spine_error",
    ],
)
async def test_every_error_has_its_code_and_the_connection_keeps_working(
    server: Server, frame: str, code: int, echoed: Any
) -> None:
    """Each error path answers once, with its standard code and the id as the spec says;
    the connection then answers the next call."""
    peer = await open_peer(server)
    await peer.notification("snapshot")
    response = await peer.call(frame)
    assert response["jsonrpc"] == "2.0" and response["id"] == echoed
    assert response["error"]["code"] == code, response
    assert isinstance(response["error"]["message"], str)
    assert isinstance(response["error"]["data"]["code"], str)
    after = await peer.call(request("list_agents", {}, id="after"))
    assert after["id"] == "after" and "result" in after
    await close_reading(peer.ws)


async def test_errors_point_into_the_request_as_sent(server: Server) -> None:
    """Invalid params: the spine error's details, pointers into params (and the method)."""
    peer = await open_peer(server)
    await peer.notification("snapshot")
    alone = await peer.call(request("add_agent", {"agent_id": 5, "agent_kind": "k"}, id=1))
    assert alone["error"]["data"]["code"] == "invalid_message"
    assert [d["path"] for d in alone["error"]["data"]["details"]] == ["/params/agent_id"]
    batch = [request("list_agents", {}, id=1), request("add_agent", {"agent_kind": 3}, id=2)]
    responses = await peer.call(json.dumps(batch))
    paths = {d["path"] for d in responses[1]["error"]["data"]["details"]}
    assert paths == {"/1/params/agent_id", "/1/params/agent_kind"}
    missing = await peer.call(request("delete_agent", {"agent_id": "ghost"}, id=3))
    assert missing["error"] == {
        "code": -32000,
        "message": missing["error"]["message"],
        "data": {"code": "agent_not_found", "message": missing["error"]["message"]},
    }
    await close_reading(peer.ws)


async def test_a_batch_is_applied_in_order_and_answered_in_order(server: Server) -> None:
    """A later member sees an earlier one's effect; invalid members and notifications
    keep their places (an error, nothing); one array answers it."""
    peer = await open_peer(server)
    await peer.notification("snapshot")
    batch = [
        request("add_agent", {"agent_id": "b1", "agent_kind": "k"}, id="add"),
        {
            "jsonrpc": "2.0",
            "method": "modify_agent",
            # vx 0: the world runs, and a tick may come between two members.
            "params": {"agent_id": "b1", "agent_data": {"x": 1, "vx": 0}},
        },
        {"nonsense": True},
        request("describe_agent", {"agent_id": "b1"}, id="describe"),
        request("delete_agent", {"agent_id": "b1"}, id="delete"),
        request("describe_agent", {"agent_id": "b1"}, id="gone"),
    ]
    responses = await peer.call(json.dumps(batch))
    assert [r["id"] for r in responses] == ["add", None, "describe", "delete", "gone"]
    assert responses[1]["error"]["code"] == -32600
    assert responses[2]["result"]["agent_id"] == "b1"
    assert responses[2]["result"]["data"]["x"] == 1  # the notification was applied first
    assert responses[4]["error"]["data"]["code"] == "agent_not_found"
    await close_reading(peer.ws)


async def test_notifications_are_applied_and_never_answered(server: Server) -> None:
    """A request without id, alone or a whole batch of them: applied, no response."""
    peer = await open_peer(server)
    await peer.notification("snapshot")
    quiet = {
        "jsonrpc": "2.0",
        "method": "add_agent",
        "params": {"agent_id": "n1", "agent_kind": "k"},
    }
    await peer.ws.send(json.dumps(quiet))
    await peer.ws.send(json.dumps([{**quiet, "params": {"agent_id": "n2", "agent_kind": "k"}}]))
    # A failing notification is not answered either.
    await peer.ws.send(json.dumps({**quiet, "params": {"agent_id": 1}}))
    listed = await peer.call(request("list_agents", {}, id="check"))
    assert listed["id"] == "check", "a notification was answered"
    ids = {agent["agent_id"] for agent in listed["result"]["agents"]}
    assert {"n1", "n2"} <= ids
    assert peer.responses == []
    for agent in ("n1", "n2"):
        assert "result" in await peer.call(request("delete_agent", {"agent_id": agent}))
    await close_reading(peer.ws)


async def test_events_are_one_notification_a_frame_with_gapless_seq(server: Server) -> None:
    """Every broadcast is a notification of its own (never an array), seq without gaps."""
    peer = await open_peer(server)
    snapshot = await peer.notification("snapshot")
    seqs: list[int] = []
    while len(seqs) < 100:
        message = await peer.read()
        assert isinstance(message, dict), "an array without batch: true"
        seqs.append(message["params"]["seq"])
    assert seqs == list(range(snapshot["params"]["seq"] + 1, snapshot["params"]["seq"] + 101))
    await close_reading(peer.ws)


async def test_subscribe_with_batch_sends_arrays_of_notifications(server: Server) -> None:
    """subscribe is a method too; with batch: true, each run of events is one array."""
    peer = await open_peer(server)
    await peer.notification("snapshot")
    acked = await peer.call(request("subscribe", {"batch": True, "event_types": ["tick_end"]}))
    assert acked["result"]["seq"] >= 0
    arrays = 0
    while arrays < 3:
        message = orjson.loads(await asyncio.wait_for(peer.ws.recv(), 5))
        if isinstance(message, list):
            arrays += 1
            assert {m["method"] for m in message} <= {
                "tick_start",
                "tick_end",
                "simulation_state",
                "error",
            }
            assert all(m["jsonrpc"] == "2.0" and "seq" in m["params"] for m in message)
    await close_reading(peer.ws)


async def test_a_resume_replays_the_missed_frames_as_notifications(server: Server) -> None:
    """?resume=<epoch>:<seq> on the jsonrpc profile: `resumed`, then exactly the frames
    after that seq, each the notification a client that stayed got."""
    stayed = await open_peer(server)
    snapshot = (await stayed.notification("snapshot"))["params"]
    leaving = await open_peer(server)
    left_at = (await leaving.notification("snapshot"))["params"]["seq"]
    await close_reading(leaving.ws)
    seen: dict[int, dict[str, Any]] = {}
    while len(seen) < 40:
        message = await stayed.read()
        seen[message["params"]["seq"]] = message
    back = await open_peer(server, f"?resume={snapshot['epoch']}:{left_at}")
    resumed = await back.read()
    assert resumed["method"] == "resumed" and resumed["params"]["seq"] == left_at
    replayed = [await back.read() for _ in range(20)]
    assert [m["params"]["seq"] for m in replayed] == list(range(left_at + 1, left_at + 21))
    assert all(m == seen[m["params"]["seq"]] for m in replayed if m["params"]["seq"] in seen)
    await close_reading(back.ws)
    await close_reading(stayed.ws)


async def test_the_spine_profile_beside_it_is_unchanged(server: Server) -> None:
    """A client that asks for nothing, or for spine.v1, gets spine frames."""
    for protocols in (None, [SUBPROTOCOL]):
        ws = await websockets.connect(server.ws_url, subprotocols=protocols, open_timeout=5)  # type: ignore[arg-type]
        first = orjson.loads(await ws.recv())
        assert first["type"] == "snapshot" and "jsonrpc" not in first
        await close_reading(ws)


def test_serve_profile_jsonrpc_serves_every_client_so() -> None:
    """--profile jsonrpc: a client that names no subprotocol gets JSON-RPC."""

    async def main() -> None:
        with run_server("--profile", "jsonrpc", "--seed-agents", "1") as served:
            ws = await websockets.connect(served.ws_url, open_timeout=5)
            first = orjson.loads(await ws.recv())
            assert first["method"] == "snapshot" and first["jsonrpc"] == "2.0"
            await ws.send(json.dumps(request("list_agents", {}, id=1)))
            reply = orjson.loads(await ws.recv())
            assert reply["id"] == 1 and len(reply["result"]["agents"]) == 1
            await close_reading(ws)

    asyncio.run(main())


def test_frames_refused_before_the_hub_count_against_the_command_rate() -> None:
    """A flood of frames that are not requests takes the connection's tokens, as spine's
    unparseable frames do: the request after it is rate_limited (-32000)."""

    async def main() -> None:
        flags = ("--profile", "jsonrpc", "--command-rate", "1", "--command-burst", "5")
        with run_server(*flags) as served:
            ws = await websockets.connect(served.ws_url, open_timeout=5)
            peer = Peer(ws)
            await peer.notification("snapshot")
            for _ in range(10):
                assert (await peer.call("{not json"))["error"]["code"] == -32700
            limited = await peer.call(json.dumps(request("list_agents", {}, id="late")))
            assert limited["id"] == "late"
            assert limited["error"]["data"]["code"] == "rate_limited"
            await close_reading(ws)

    asyncio.run(main())
