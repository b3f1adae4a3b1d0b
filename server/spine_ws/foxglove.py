"""Foxglove's own WebSocket protocol on `/ws`: a live server watched in Foxglove.

A client that offers the subprotocol `foxglove.websocket.v1`
(https://github.com/foxglove/ws-protocol/blob/main/docs/spec.md) is told the server's
`serverInfo`, then `advertise`d a channel per broadcast event type (topic the type,
encoding `json`, its JSON Schema, as in a recording) and one for the snapshot. It
subscribes to channels; each broadcast frame of a subscribed type then reaches it as a
binary `MessageData` (opcode 1, its subscription id, the time it was sent, the frame as
JSON clients get it). Subscribing to `snapshot` sends the snapshot of now once.

It is a connection like any other (bounded queue, coalescing under backpressure: the
`skipped` channel says what was left out) whose subscription is the set of its channels'
types, and whose envelope turns each frame into Foxglove's. It is read-only: it sends no
command, and what it sends besides subscribing and unsubscribing is ignored.
"""

from __future__ import annotations

import logging
import re
import secrets
import struct
import time
from collections.abc import Sequence
from typing import Any

import orjson

from spine_ws.access import FOXGLOVE_SUBPROTOCOL
from spine_ws.core.catalog import Catalog
from spine_ws.core.codec import snapshot_head
from spine_ws.core.delivery import Subscription
from spine_ws.core.hub import Hub
from spine_ws.core.jsonrpc import Decoded
from spine_ws.core.outbox import Outbox
from spine_ws.recording.writer import CHECKPOINT_TOPIC, event_schemas

__all__ = ["ENCODING", "SUBPROTOCOL", "FoxgloveSession"]

log = logging.getLogger("spine_ws.foxglove")

SUBPROTOCOL = FOXGLOVE_SUBPROTOCOL
ENCODING = "foxglove"
_MESSAGE_DATA = 0x01
_HEADER = struct.Struct("<BIQ")  # opcode, subscription id, timestamp (ns)
_TYPE = re.compile(rb'^\{(?:"seq":\d+,)?"type":"([^"]{1,64})"')


class FoxgloveSession:
    """One Foxglove connection's channels and subscriptions (an `Envelope`)."""

    encoding = ENCODING
    binary = True

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        # The recording's channels: each event type's (`snapshot` among them).
        schemas = event_schemas(catalog)
        self.channels: list[dict[str, Any]] = [
            _channel(number, topic, name, schema)
            for number, (topic, (name, schema)) in enumerate(sorted(schemas.items()), start=1)
        ]
        self._topics = {channel["id"]: channel["topic"] for channel in self.channels}
        # Topic -> the subscription id the client chose for it; and back.
        self._subscribed: dict[str, int] = {}
        self._client: Outbox | None = None
        self._hub: Hub | None = None

    def start(self, client: Outbox, hub: Hub, server: str) -> list[bytes]:
        """The text frames that open the session; from then on it is sent the stream."""
        self._client, self._hub = client, hub
        client.subscribe(Subscription(event_types=frozenset()))  # shaped: nothing yet
        hub.fanout.add(client)  # no snapshot: a client subscribes to it
        info = {
            "op": "serverInfo",
            "name": server,
            "capabilities": [],
            "metadata": {
                "schema_hash": self._catalog.schema_hash,
                "protocol_version": self._catalog.protocol_version,
                "epoch": hub.epoch,
            },
            "sessionId": secrets.token_hex(8),
        }
        return [orjson.dumps(info), orjson.dumps({"op": "advertise", "channels": self.channels})]

    # The client's frames.

    def decode(self, text: str) -> Decoded:
        """`subscribe` and `unsubscribe`; anything else is ignored (read-only)."""
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            return Decoded()
        op = message.get("op") if isinstance(message, dict) else None
        if op == "subscribe":
            self._subscribe(message.get("subscriptions"))
        elif op == "unsubscribe":
            ids = set(message.get("subscriptionIds") or ())
            self._subscribed = {t: i for t, i in self._subscribed.items() if i not in ids}
            self._resubscribe()
        else:
            log.debug("ignored a Foxglove %r from %s", op, self._client and self._client.id)
        return Decoded()

    def decode_binary(self, data: bytes) -> Decoded:
        return Decoded()  # client publishing is not offered

    def command_type(self, message: dict[str, Any]) -> str | None:
        return None

    # Frames out.

    def reply(self, message: bytes) -> bytes | None:
        return None  # it sends no command: nothing is owed to it

    def frame(self, message: bytes) -> bytes:
        """A broadcast (or a `skipped` notice) as MessageData on its channel's
        subscription; b"" (not sent) for a type it did not subscribe to."""
        match = _TYPE.match(message)
        subscription = self._subscribed.get(match.group(1).decode()) if match else None
        if subscription is None:
            return b""
        return _HEADER.pack(_MESSAGE_DATA, subscription, time.time_ns()) + message

    def snapshot(self, parts: Sequence[bytes | memoryview]) -> bytes:
        subscription = self._subscribed.get(CHECKPOINT_TOPIC)
        if subscription is None:
            return b""
        return _HEADER.pack(_MESSAGE_DATA, subscription, time.time_ns()) + b"".join(parts)

    def _subscribe(self, subscriptions: Any) -> None:
        fresh_snapshot = False
        for entry in subscriptions if isinstance(subscriptions, list) else ():
            if not isinstance(entry, dict):
                continue
            topic = self._topics.get(entry.get("channelId"))
            ident = entry.get("id")
            if topic is None or not isinstance(ident, int) or not 0 <= ident < 2**32:
                continue
            self._subscribed[topic] = ident
            fresh_snapshot |= topic == CHECKPOINT_TOPIC
        self._resubscribe()
        client, hub = self._client, self._hub
        if fresh_snapshot and client is not None and hub is not None:
            body = hub.snapshot()
            client.send(self.snapshot((snapshot_head(client.id, client.role, None), body[1:])))
            client.flush()

    def _resubscribe(self) -> None:
        if self._client is not None:
            types = frozenset(self._subscribed) - {CHECKPOINT_TOPIC}
            self._client.subscribe(Subscription(event_types=types))


def _channel(number: int, topic: str, name: str, schema: bytes) -> dict[str, Any]:
    return {
        "id": number,
        "topic": topic,
        "encoding": "json",
        "schemaName": name,
        "schema": schema.decode(),
        "schemaEncoding": "jsonschema",
    }
