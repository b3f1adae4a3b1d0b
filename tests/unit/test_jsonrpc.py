"""The jsonrpc profile's translation, and the hub encoding each broadcast once per
encoding in use (not once per client)."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from spine_ws.core import codec
from spine_ws.core.hub import Hub
from spine_ws.core.jsonrpc import JsonRpcSession, encode_event
from spine_ws.core.messages import to_json
from spine_ws.generated import TickStartEvent
from spine_ws.sim.boundary import CommandQueue, EventItem
from tests.support.outbox import FakeOutbox


def tick(n: int) -> EventItem:
    event = TickStartEvent(tick=n, seq=1)
    return EventItem(event, to_json(event, exclude={"seq"}))


def test_the_hub_encodes_each_broadcast_once_per_encoding_in_use(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three jsonrpc clients and a spine one, a burst of four events: four encodings,
    the same bytes for every jsonrpc client, the spine client's frames as they were."""
    calls: list[bytes] = []

    def counting(frame: bytes) -> bytes:
        calls.append(frame)
        return encode_event(frame)

    monkeypatch.setitem(codec.ENCODERS, "jsonrpc", counting)
    hub = Hub(CommandQueue(4), clock=time.monotonic)
    spine = FakeOutbox("s")
    rpcs = [FakeOutbox(f"r{n}") for n in range(3)]
    for client in rpcs:
        client.encoding = "jsonrpc"
    for client in (spine, *rpcs):
        hub.join(client)
    hub.deliver([tick(n) for n in range(1, 5)])
    assert len(calls) == 4
    assert rpcs[0].flushed[1] == rpcs[1].flushed[1] == rpcs[2].flushed[1]
    assert [orjson.loads(m) for m in rpcs[0].flushed[1]] == [
        {"jsonrpc": "2.0", "method": "tick_start", "params": {"seq": n, "tick": n}}
        for n in range(1, 5)
    ]
    assert [f["type"] for f in spine.frames()[1:]] == ["tick_start"] * 4


def test_a_request_becomes_a_command_with_an_id_of_ours_and_its_reply_the_response() -> None:
    """The request's id is kept for the response; the core sees a spine command."""
    session = JsonRpcSession()
    decoded = session.decode('{"jsonrpc":"2.0","method":"stop","id":[1]}')
    assert decoded.commands == [] and decoded.response is not None
    assert orjson.loads(decoded.response)["id"] is None  # an array is no id: not echoed
    decoded = session.decode('{"jsonrpc":"2.0","method":"stop","params":{},"id":0.5}')
    [command] = decoded.commands
    ours = orjson.loads(command)
    assert ours["type"] == "stop" and ours["id"] != 0.5
    ack = {"type": "command_ack", "command_type": "stop", "command_id": ours["id"], "tick": 3}
    response = session.reply(orjson.dumps(ack))
    assert response is not None
    assert orjson.loads(response) == {"jsonrpc": "2.0", "result": None, "id": 0.5}


def test_an_all_notification_batch_gets_nothing() -> None:
    """Notifications in a batch are applied; no array answers them."""
    session = JsonRpcSession()
    decoded = session.decode(
        '[{"jsonrpc":"2.0","method":"pause"},{"jsonrpc":"2.0","method":"resume"}]'
    )
    assert len(decoded.commands) == 2 and decoded.response is None
    replies: list[Any] = []
    for command in decoded.commands:
        ours = orjson.loads(command)["id"]
        ack = {"type": "command_ack", "command_type": "pause", "command_id": ours, "tick": 0}
        replies.append(session.reply(orjson.dumps(ack)))
    assert replies == [None, None]


def test_a_response_made_by_the_profile_passes_through_frame_untouched() -> None:
    """A reply a shaped client held comes out of its queue already encoded."""
    session = JsonRpcSession()
    made = b'{"jsonrpc":"2.0","result":null,"id":1}'
    assert session.frame(made) is made
    assert session.frame(b"[]") == b"[]"
    assert orjson.loads(session.frame(b'{"type":"skipped","seq":4,"count":2}')) == {
        "jsonrpc": "2.0",
        "method": "skipped",
        "params": {"seq": 4, "count": 2},
    }
