"""The server's side of the boundary, on the event loop: commands in, events fanned out.

* `submit` takes a text frame from a connection through parse -> rate limit -> role ->
  size limits -> the simulation's command queue, or answers at once with an `error`.
* `deliver` receives every event from the simulation, in order: broadcasts get the next
  `seq` (spliced into the JSON serialised once on the simulation's thread) and go to
  every connection's queue; replies go to their one connection.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import MISSING, BaseModel

from generated import PROTOCOL_VERSION, SCHEMA_HASH, SnapshotEvent
from server.boundary import CommandItem, CommandQueue, EventItem, to_json
from server.connection import Connection
from server.errors import Forbidden, LimitExceeded, ProtocolError, QueueFull, RateLimited
from server.mirror import Mirror
from server.parse import Limits, ParseFailure, parse_command
from server.registry import Registry, wire_type

__all__ = ["Hub"]

log = logging.getLogger("spine_ws.hub")


class Hub:
    """Connections, the broadcast sequence and the mirror of the world."""

    def __init__(
        self,
        commands: CommandQueue,
        *,
        limits: Limits,
        max_agent_data_bytes: int,
    ) -> None:
        self.epoch = secrets.token_hex(8)
        self.seq = 0
        self.mirror = Mirror()
        self.connections: dict[str, Connection] = {}
        # Commands known to the simulation; set once its handlers pass the start-up check.
        self.registry = Registry()
        self._commands = commands
        self._limits = limits
        self._max_agent_data_bytes = max_agent_data_bytes
        self._next_id = 0

    def new_connection_id(self) -> str:
        self._next_id += 1
        return f"{self.epoch[:6]}-{self._next_id}"

    def join(self, connection: Connection) -> None:
        """Queue the snapshot, then subscribe: no event can fall between the two."""
        snapshot = SnapshotEvent(
            protocol_version=PROTOCOL_VERSION,
            schema_hash=SCHEMA_HASH,
            epoch=self.epoch,
            seq=self.seq,
            connection_id=connection.id,
            simulation=self.mirror.simulation,
            agents=self.mirror.agent_states(),
        )
        connection.send(to_json(snapshot))
        connection.flush()
        self.connections[connection.id] = connection

    def leave(self, connection: Connection) -> None:
        self.connections.pop(connection.id, None)

    def deliver(self, items: Sequence[EventItem]) -> None:
        """Called on the loop with each burst of events of the simulation, in order.

        Each connection writes what the burst gave it at once, at the end.
        """
        replied: list[Connection] = []
        broadcast = False
        for item in items:
            if item.to is not None:
                target = self.connections.get(item.to)
                if target is not None:
                    target.send(item.body)
                    replied.append(target)
                continue
            broadcast = True
            self.seq += 1
            body = item.body
            # body is '{"type":"<type>",...}': seq goes right after the type member.
            cut = body.index(b",")
            message = body[:cut] + b',"seq":%d' % self.seq + body[cut:]
            self.mirror.apply(item.event)
            for connection in self.connections.values():
                connection.send(message)
        for connection in self.connections.values() if broadcast else replied:
            connection.flush()

    def submit(self, connection: Connection, text: str) -> None:
        """Handle one command frame; every frame gets exactly one reply, now or later."""
        command_id: str | None = None
        command_type: str | None = None
        try:
            try:
                command = parse_command(text, self.registry, self._limits)
            except ParseFailure as failure:
                command_id, command_type = failure.command_id, failure.command_type
                if not connection.allow_command():
                    raise RateLimited(_RATE_MESSAGE) from None
                raise failure.error from None
            command_id = _command_id(command)
            command_type = wire_type(type(command))
            if not connection.allow_command():
                raise RateLimited(_RATE_MESSAGE)
            if connection.role != "controller":
                raise Forbidden(f"a {connection.role} connection may not send commands")
            self._check_agent_data(command)
            if not self._commands.put(CommandItem(command, connection.id, command_id)):
                raise QueueFull("the simulation's command queue is full; nothing was applied")
        except ProtocolError as error:
            self.reply(connection, error, command_id, command_type)

    def reply(
        self,
        connection: Connection,
        error: ProtocolError,
        command_id: str | None = None,
        command_type: str | None = None,
    ) -> None:
        connection.send(to_json(error.to_event(command_id, command_type)))
        connection.flush()

    def _check_agent_data(self, command: BaseModel) -> None:
        data: Any = getattr(command, "agent_data", MISSING)
        if data is MISSING:
            return
        size = len(orjson.dumps(data))
        if size > self._max_agent_data_bytes:
            raise LimitExceeded(
                f"agent_data is {size} bytes; the limit is {self._max_agent_data_bytes}"
            )


_RATE_MESSAGE = "too many commands from this connection; nothing was applied, slow down"


def _command_id(command: BaseModel) -> str | None:
    value = getattr(command, "id", MISSING)
    return value if isinstance(value, str) else None
