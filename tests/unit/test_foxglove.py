"""Foxglove's protocol, sans-I/O (spine_ws.foxglove): the opening operations, the
channels, subscriptions as the connection's subscription, and frames as MessageData on
the subscribed channels only. The real socket and Foxglove's own client library are in
clients/ts/test/foxglove.test.ts."""

from __future__ import annotations

import struct
import time

import orjson

from spine_ws.core.catalog import CORE
from spine_ws.core.hub import Hub
from spine_ws.foxglove import FoxgloveSession
from spine_ws.sim.boundary import CommandQueue
from tests.support.outbox import FakeOutbox

UPDATE = b'{"seq":7,"type":"agent_update","tick":3,"agent_id":"a","data":{"x":1}}'
TICK = b'{"seq":8,"type":"tick_end","tick":3}'


def started() -> tuple[FoxgloveSession, FakeOutbox, dict[str, int], list[bytes]]:
    hub = Hub(CommandQueue(4), clock=time.monotonic)
    session, client = FoxgloveSession(CORE), FakeOutbox("f1", "viewer")
    opening = session.start(client, hub, "spine-ws")
    channels = {c["topic"]: c["id"] for c in orjson.loads(opening[1])["channels"]}
    return session, client, channels, opening


def test_the_session_opens_with_server_info_and_a_channel_per_event_type() -> None:
    _, client, channels, opening = started()
    info = orjson.loads(opening[0])
    assert info["op"] == "serverInfo" and info["metadata"]["schema_hash"] == CORE.schema_hash
    assert set(channels) == set(CORE.events)  # snapshot, skipped, ... as in a recording
    assert client.shaping is not None and client.shaping.subscription.event_types == frozenset()


def test_frames_go_as_message_data_on_the_subscribed_channels_only() -> None:
    session, client, channels, _ = started()
    subscribe = {
        "op": "subscribe",
        "subscriptions": [{"id": 40, "channelId": channels["agent_update"]}],
    }
    session.decode(orjson.dumps(subscribe).decode())
    assert client.shaping is not None
    assert client.shaping.subscription.event_types == frozenset({"agent_update"})
    opcode, subscription, sent = struct.unpack_from("<BIQ", session.frame(UPDATE))
    assert (opcode, subscription) == (1, 40) and abs(sent - time.time_ns()) < 10**10
    assert session.frame(UPDATE)[13:] == UPDATE  # the frame as JSON clients get it
    assert session.frame(TICK) == b""  # always sent to shaped clients, not subscribed here
    session.decode('{"op": "unsubscribe", "subscriptionIds": [40]}')
    assert session.frame(UPDATE) == b""


def test_subscribing_to_the_snapshot_sends_it_once_and_nonsense_is_ignored() -> None:
    session, client, channels, _ = started()
    for text in (
        "not json",
        '{"op": "advertise"}',
        '{"op": "subscribe", "subscriptions": [{"id": -1, "channelId": 1}]}',
    ):
        assert session.decode(text).commands == []
    assert client.pending == []
    subscribe = {"op": "subscribe", "subscriptions": [{"id": 9, "channelId": channels["snapshot"]}]}
    session.decode(orjson.dumps(subscribe).decode())
    ((frame,),) = client.flushed
    assert struct.unpack_from("<BI", frame) == (1, 9)
    assert orjson.loads(frame[13:])["type"] == "snapshot"
