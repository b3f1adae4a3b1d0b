"""The server's side of the boundary, on the event loop: commands in, events fanned out.

* `submit` takes a text frame from a client through parse -> rate limit -> role ->
  size limits -> the simulation's command queue, or answers at once with an `error`.
* `deliver` receives every event from the simulation, in order: broadcasts get the next
  `seq` (spliced into the JSON serialised once on the simulation's thread), go to every
  client and into the history; replies go to their one client.
* `join` starts a client with the snapshot, or, when it asks to resume and the history
  holds everything it missed, with `resumed` and exactly the frames it missed.

Sans-I/O: clients are `Outbox`es, so tests drive the hub with no socket.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import orjson
from pydantic import MISSING, BaseModel

from spine_ws.core.boundary import CommandItem, EventItem
from spine_ws.core.catalog import CORE, Catalog
from spine_ws.core.errors import (
    Forbidden,
    LimitExceeded,
    ProtocolError,
    QueueFull,
    RateLimited,
    SimulationError,
    UnsupportedCommand,
)
from spine_ws.core.history import History, Log
from spine_ws.core.messages import to_json, wire_type
from spine_ws.core.mirror import Mirror
from spine_ws.core.outbox import Outbox
from spine_ws.core.parse import Limits, ParseFailure, parse_command
from spine_ws.generated import ErrorEvent, SimulationInfo, SnapshotEvent

__all__ = ["SMALL_REPLAY", "GapError", "Hub", "stamp"]

log = logging.getLogger("spine_ws.hub")


class CommandSink(Protocol):
    """Where the hub puts a valid, allowed command: the simulation's `CommandQueue`, or
    a cluster gateway's forwarder to its host."""

    def put(self, item: CommandItem) -> bool:
        """Take it (it will be answered) or refuse it at once (False: `queue_full`)."""

    @property
    def taken_ticket(self) -> int | None:
        """The ticket of the command being applied, if one is."""

    def discard(self) -> int:
        """Drop every command not taken yet; how many."""


class GapError(Exception):
    """Relayed frames skipped a seq: this mirror can no longer be trusted."""

    def __init__(self, message: str, next_seq: int) -> None:
        super().__init__(message)
        self.next_seq = next_seq  # the seq that arrived after the gap


class Hub:
    """Clients, the broadcast sequence and the mirror of the world."""

    def __init__(
        self,
        commands: CommandSink,
        *,
        catalog: Catalog = CORE,
        limits: Limits | None = None,
        max_agent_data_bytes: int = 8 * 1024,
        epoch: str | None = None,
        supported: Iterable[str] | None = None,
        simulation_name: str = "the simulation",
        history: Log | None = None,
        id_prefix: str | None = None,
    ) -> None:
        self.epoch = epoch or secrets.token_hex(8)
        self.history = history or History(100_000, 64 * 1024 * 1024, 300.0)
        self.seq = 0
        self.mirror = Mirror()
        self.connections: dict[str, Outbox] = {}
        # Senders of commands that came from a cluster gateway: replies only, no broadcasts.
        self.remote: dict[str, Outbox] = {}
        self._commands = commands
        self.catalog = catalog
        self._limits = limits or Limits()
        self._max_agent_data_bytes = max_agent_data_bytes
        self._next_id = 0
        # Commands queued to the simulation and not answered yet, by ticket: if the
        # simulation fails, each still gets its one reply.
        self.outstanding: dict[int, CommandItem] = {}
        self._next_ticket = 0
        # Why the simulation failed, once it has: from then on no command is queued.
        self.failure: str | None = None
        self._snapshot: tuple[int, bytes] | None = None
        # The command types the running simulation handles (default: every schema's).
        self.supported = sorted(catalog.commands if supported is None else supported)
        self._supported = frozenset(self.supported)
        self._simulation_name = simulation_name
        # What connection ids start with: the epoch's start, or a gateway's name.
        self.id_prefix = id_prefix or self.epoch[:6]

    def new_connection_id(self) -> str:
        self._next_id += 1
        return f"{self.id_prefix}-{self._next_id}"

    def reset(
        self,
        epoch: str,
        supported: Iterable[str],
        history: Log,
        checkpoint: dict[str, Any] | None = None,
    ) -> None:
        """Start over in `epoch` (a cluster gateway following a host): at seq 0, or at a
        checkpoint's seq with its world (a snapshot's members)."""
        self.epoch = epoch
        self.seq = 0
        self.mirror = Mirror()
        self.history = history
        self.supported = sorted(supported)
        self._supported = frozenset(self.supported)
        self._snapshot = None
        if checkpoint is not None:
            self.seq = checkpoint["seq"]
            self.mirror.simulation = SimulationInfo.model_validate(checkpoint["simulation"])
            self.mirror.agents = {a["agent_id"]: a for a in checkpoint["agents"]}

    def join(self, client: Outbox, resume: str | None = None) -> str:
        """Start the client and subscribe it: no event can fall between the two.

        `resume` is its `<epoch>:<seq>`, if it asked: it gets `resumed` and the frames
        after its seq if they are all held and fewer bytes than a snapshot; else the
        snapshot, saying why. Returns what it got, for the connect log line.
        """
        refused: bytes = b""
        if resume is not None:
            reason, after = self._check_resume(resume)
            if reason is None:
                replayed = self.seq - after
                head = orjson.dumps(
                    {
                        "type": "resumed",
                        "epoch": self.epoch,
                        "seq": after,
                        "connection_id": client.id,
                        "protocol_version": self.catalog.protocol_version,
                        "schema_hash": self.catalog.schema_hash,
                        "replayed": replayed,
                    }
                )
                frames = self.history.frames_after(after, self.seq)
                client.send_replay(head, frames, self.history.size_after(after))
                self.connections[client.id] = client
                return f"resumed {self.epoch}:{after} ({replayed} events)"
            member = {"requested": resume[:RESUME_MAX], "reason": reason}
            refused = b'"resume":' + orjson.dumps(member) + b","
        # The body is shared by every joiner at this seq; only the id is the client's.
        prefix = b'{"connection_id":' + orjson.dumps(client.id) + b"," + refused
        client.send_snapshot((prefix, memoryview(self.snapshot())[1:]))
        self.connections[client.id] = client
        return f"snapshot ({reason})" if refused else "snapshot"

    def _check_resume(self, value: str) -> tuple[str | None, int]:
        """(None, seq) if `<epoch>:<seq>` can be resumed, else (why not, 0)."""
        match = _RESUME.fullmatch(value)
        if match is None:
            return "invalid", 0
        epoch, after = match["epoch"], int(match["seq"])
        if epoch != self.epoch:
            return "epoch_changed", 0
        if after > self.seq:
            return "ahead", 0
        if not self.history.holds_after(after, time.monotonic()):
            return "too_old", 0
        # A replay must not cost more than the snapshot it saves (a storm of reconnects
        # after a long outage would be worse than today); a small one always goes.
        size = self.history.size_after(after)
        if size > SMALL_REPLAY and size > len(self.snapshot()):
            return "snapshot_smaller", 0
        return None, after

    def snapshot(self) -> bytes:
        """The snapshot at the current seq without its `connection_id`, built once per seq.

        Serialised by orjson straight from the mirror (whose members came from validated
        events), not through a model per agent: a 5,000-agent world costs milliseconds,
        and a join storm at one seq costs one serialisation.
        """
        cached = self._snapshot
        if cached is not None and cached[0] == self.seq:
            return cached[1]
        members = {
            "type": "snapshot",
            "protocol_version": self.catalog.protocol_version,
            "schema_hash": self.catalog.schema_hash,
            "epoch": self.epoch,
            "seq": self.seq,
            "simulation": self.mirror.simulation.model_dump(mode="json"),
            "commands": self.supported,
        }
        try:
            body = orjson.dumps({**members, "agents": list(self.mirror.agents.values())})
        except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits: pydantic's way
            event = SnapshotEvent.model_validate(
                {**members, "connection_id": "-", "agents": self.mirror.agent_states()}
            )
            body = to_json(event, exclude={"connection_id"})
        self._snapshot = (self.seq, body)
        return body

    def leave(self, client: Outbox) -> None:
        self.connections.pop(client.id, None)

    def deliver(self, items: Sequence[EventItem]) -> None:
        """Called on the loop with each burst of events of the simulation, in order.

        Each client writes what the burst gave it at once, at the end.
        """
        replied: list[Outbox] = []
        broadcast, now = False, 0.0
        for item in items:
            if item.to is not None:
                if item.ticket is not None:
                    self.outstanding.pop(item.ticket, None)
                target = self.connections.get(item.to) or self.remote.get(item.to)
                if target is not None:
                    target.send(item.body)
                    replied.append(target)
                continue
            if not broadcast:
                broadcast, now = True, time.monotonic()
            self.seq += 1
            message = stamp(item.body, self.seq)
            self.history.append(self.seq, message, now)
            self.mirror.apply(item.event)
            for client in self.connections.values():
                client.send(message)
        for client in self.connections.values() if broadcast else replied:
            client.flush()
        if broadcast:  # a gateway's sender is not among the connections
            for client in replied:
                if client.id not in self.connections:
                    client.flush()

    def relay(self, frames: Sequence[bytes]) -> None:
        """Deliver broadcast frames stamped elsewhere (a cluster gateway: the host's,
        read from the stream), as they are: same bytes, same seq. A frame at or below
        the current seq is a redelivery and is skipped; one beyond the next is a gap,
        which the caller must not let happen (`GapError`)."""
        now = time.monotonic()
        sent = False
        for frame in frames:
            event = orjson.loads(frame)
            seq = event.get("seq")
            if not isinstance(seq, int) or seq <= self.seq:
                continue
            if seq != self.seq + 1:
                raise GapError(f"event {seq} follows {self.seq}: {seq - self.seq - 1} missing", seq)
            model = self.catalog.events.get(event.get("type"))
            if model is not None:
                self.mirror.apply(model.model_validate(event))
            self.seq = seq
            self.history.append(seq, frame, now)
            for client in self.connections.values():
                client.send(frame)
            sent = True
        if sent:
            for client in self.connections.values():
                client.flush()

    def submit(self, client: Outbox, text: str) -> None:
        """Handle one command frame; every frame gets exactly one reply, now or later."""
        command_id: str | None = None
        command_type: str | None = None
        try:
            try:
                command = parse_command(text, self._limits, self.catalog.commands)
            except ParseFailure as failure:
                command_id, command_type = failure.command_id, failure.command_type
                if not client.allow_command():
                    raise RateLimited(_RATE_MESSAGE) from None
                raise failure.error from None
            command_id = _command_id(command)
            command_type = wire_type(type(command))
            if not client.allow_command():
                raise RateLimited(_RATE_MESSAGE)
            if command_type not in self._supported:
                raise UnsupportedCommand(
                    f"{self._simulation_name} does not support {command_type}; it supports "
                    f"{', '.join(self.supported)}"
                )
            if client.role != "controller":
                raise Forbidden(f"a {client.role} connection may not send commands")
            self._check_agent_data(command)
            if self.failure is not None:
                raise SimulationError(f"{self.failure}; nothing was applied")
            self._next_ticket += 1
            item = CommandItem(
                command,
                client.id,
                command_id,
                self._next_ticket,
                self.catalog.results.get(command_type),
            )
            if not self._commands.put(item):
                raise QueueFull("the simulation's command queue is full; nothing was applied")
            self.outstanding[item.ticket] = item
        except ProtocolError as error:
            self.reply(client, error, command_id, command_type)

    def fail(self, reason: str) -> None:
        """The simulation is gone for good: say so to every client, and answer every
        command it still owed a reply (and every later one) with an error."""
        if self.failure is not None:
            return
        self.failure = reason
        log.critical("%s: every queued and later command gets an error reply", reason)
        event = ErrorEvent(code="simulation_error", message=reason, seq=1)
        items = [EventItem(event, to_json(event, exclude={"seq"}))]
        in_flight = self._commands.taken_ticket
        for ticket, command in self.outstanding.items():
            outcome = (
                "it may have been partly applied" if ticket == in_flight else "it was not applied"
            )
            error = SimulationError(f"{reason} before answering this command; {outcome}")
            reply = error.to_event(command.command_id, command.command_type)
            items.append(EventItem(reply, to_json(reply), command.connection_id, ticket))
        self._commands.discard()
        self.deliver(items)

    def reply(
        self,
        client: Outbox,
        error: ProtocolError,
        command_id: str | None = None,
        command_type: str | None = None,
    ) -> None:
        client.send(to_json(error.to_event(command_id, command_type)))
        client.flush()

    def _check_agent_data(self, command: BaseModel) -> None:
        data: Any = getattr(command, "agent_data", MISSING)
        if data is MISSING:
            return
        size = len(orjson.dumps(data))
        if size > self._max_agent_data_bytes:
            raise LimitExceeded(
                f"agent_data is {size} bytes; the limit is {self._max_agent_data_bytes}"
            )


def stamp(body: bytes, seq: int) -> bytes:
    """`body` (a JSON object without `seq`) with `"seq":<seq>` as its first member.

    Whatever the order of the body's members: only its opening brace is assumed.
    """
    if body == b"{}":
        return b'{"seq":%d}' % seq
    return b'{"seq":%d,' % seq + body[1:]


# `resume=<epoch>:<seq>`: the epoch as the snapshot gave it, the seq in decimal.
_RESUME = re.compile(r"(?P<epoch>[^:]{1,64}):(?P<seq>[0-9]{1,16})")
RESUME_MAX = 128  # characters of a refused value echoed back
# A replay up to this size is sent without weighing it against the snapshot.
SMALL_REPLAY = 16 * 1024

_RATE_MESSAGE = "too many commands from this connection; nothing was applied, slow down"


def _command_id(command: BaseModel) -> str | None:
    value = getattr(command, "id", MISSING)
    return value if isinstance(value, str) else None
