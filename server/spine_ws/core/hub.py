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
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import orjson
from pydantic import MISSING, BaseModel

from spine_ws.core.catalog import CORE, Catalog
from spine_ws.core.codec import ENCODERS, SPINE, resumed_frame, snapshot_head, stamp
from spine_ws.core.delivery import Burst, Subscription, filtered_replay, tag_of
from spine_ws.core.errors import (
    Busy,
    Forbidden,
    InvalidJson,
    InvalidMessage,
    InvalidState,
    LimitExceeded,
    ProtocolError,
    QueueFull,
    RateLimited,
    SimulationError,
    UnsupportedCommand,
)
from spine_ws.core.history import History, Log
from spine_ws.core.items import CommandItem, EventItem, Running
from spine_ws.core.messages import to_json, wire_type
from spine_ws.core.mirror import Mirror
from spine_ws.core.outbox import Outbox
from spine_ws.core.parse import Limits, ParseFailure, parse_command
from spine_ws.generated import (
    CommandAckEvent,
    ErrorEvent,
    SimulationInfo,
    SnapshotEvent,
    SubscribeCommand,
)

__all__ = ["SMALL_REPLAY", "GapError", "Hub", "LongCommands", "Meter"]

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


class LongCommands(Protocol):
    """The long-running command at work on the simulation's thread (its `Jobs`)."""

    def running(self) -> Running | None:
        """The one at work, if one is."""

    def cancel(self, ticket: int) -> None:
        """Its sender wants command `ticket` cancelled (queued or running)."""


class _NoLongCommands:
    """A hub with no simulation thread of its own (a cluster gateway's): nothing runs
    here, and a cancel is refused rather than acknowledged and lost."""

    def running(self) -> Running | None:
        return None

    def cancel(self, ticket: int) -> None:
        raise UnsupportedCommand("this server cannot cancel commands (a cluster gateway)")


class Meter(Protocol):
    """What the hub counts for `/metrics`: once per command and per join, never per
    frame (spine_ws.metrics; a no-op by default)."""

    def command(self, command_type: str, outcome: str, seconds: float) -> None:
        """A command was answered: `ack` or an error code, `seconds` after its frame
        was read. `command_type` is `unknown` for a type the contract lacks."""

    def resume(self, outcome: str) -> None:
        """A client asked to resume: `replayed`, or why it got a snapshot."""


class _NoMeter:
    def command(self, command_type: str, outcome: str, seconds: float) -> None:
        pass

    def resume(self, outcome: str) -> None:
        pass


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
        clock: Callable[[], float],
        catalog: Catalog = CORE,
        limits: Limits | None = None,
        max_agent_data_bytes: int = 8 * 1024,
        epoch: str | None = None,
        supported: Iterable[str] | None = None,
        simulation_name: str = "the simulation",
        history: Log | None = None,
        id_prefix: str | None = None,
        capabilities: Iterable[str] = (),
        meter: Meter | None = None,
        jobs: LongCommands | None = None,
    ) -> None:
        # The one clock the hub reads (time.monotonic, from the wiring): the core reads
        # none of its own, so tests drive time.
        self._clock = clock
        self.epoch = epoch or secrets.token_hex(8)
        self.history = history or History(100_000, 64 * 1024 * 1024, 300.0)
        self.seq = 0
        # Broadcast events fanned out since start (seq starts over with each epoch).
        self.broadcasts = 0
        self.mirror = Mirror(clock())
        # Every client; each burst sends the plain ones its shared frames and offers
        # them to the shaped ones (a subscription, or coalescing under backpressure).
        self.connections: dict[str, Outbox] = {}
        # Senders of commands that came from a cluster gateway: replies only, no broadcasts.
        self._remote: dict[str, Outbox] = {}
        # Called after each burst that broadcast something (a cluster host's publisher).
        self._on_broadcast: list[Callable[[], None]] = []
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
        # The command types the running simulation handles (default: every schema's),
        # and those the server answers itself.
        handled = catalog.simulation_commands if supported is None else supported
        self.supported = sorted({*handled, *catalog.connection_commands})
        self._supported = frozenset(self.supported)
        self._simulation_name = simulation_name
        # What connection ids start with: the epoch's start, or a gateway's name.
        self.id_prefix = id_prefix or self.epoch[:6]
        # What this server supports, as the snapshot and `resumed` tell clients.
        self.capabilities = sorted(set(capabilities))
        self.meter: Meter = meter or _NoMeter()
        self.jobs: LongCommands = jobs or _NoLongCommands()

    def on_broadcast(self, callback: Callable[[], None]) -> None:
        """Call `callback` after each burst that added events to the history."""
        self._on_broadcast.append(callback)

    def attach_remote(self, client: Outbox) -> None:
        """A sender of commands from elsewhere (a gateway's client): replies reach it
        like a connection's, broadcasts never do."""
        self._remote[client.id] = client

    def detach_remote(self, client_id: str) -> None:
        self._remote.pop(client_id, None)

    def close_all(self, code: int, reason: str) -> int:
        """Close every connection (they reconnect); how many there were."""
        clients = list(self.connections.values())
        for client in clients:
            client.close(code, reason)
        return len(clients)

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
        self.mirror = Mirror(self._clock())
        self.history = history
        self.supported = sorted({*supported, *self.catalog.connection_commands})
        self._supported = frozenset(self.supported)
        self._snapshot = None
        if checkpoint is not None:
            self.seq = checkpoint["seq"]
            self.mirror.simulation = SimulationInfo.model_validate(checkpoint["simulation"])
            self.mirror.agents = {a["agent_id"]: a for a in checkpoint["agents"]}

    def join(
        self, client: Outbox, resume: str | None = None, subscription: Subscription | None = None
    ) -> str:
        """Start the client and subscribe it: no event can fall between the two.

        `resume` is its `<epoch>:<seq>`, if it asked: it gets `resumed` and the frames
        after its seq if they are all held and fewer bytes than a snapshot; else the
        snapshot, saying why. A `subscription` (given at connect time) shapes both.
        Returns what it got, for the connect log line.
        """
        if subscription is not None:
            client.subscribe(subscription)
        shaping = client.shaping
        filtered = shaping.subscription if shaping and shaping.subscription.filtered else None
        refused: dict[str, Any] | None = None
        if resume is not None:
            reason, after = self._check_resume(resume)
            if reason is None:
                replayed = self.seq - after
                head = resumed_frame(
                    {
                        "epoch": self.epoch,
                        "seq": after,
                        "connection_id": client.id,
                        "role": client.role,
                        "capabilities": self.capabilities,
                        "protocol_version": self.catalog.protocol_version,
                        "schema_hash": self.catalog.schema_hash,
                        "replayed": replayed,
                    }
                )
                frames = self.history.frames_after(after, self.seq)
                if filtered is not None:
                    frames = filtered_replay(frames, filtered, self.mirror.agents)
                client.send_replay(head, frames, self.history.size_after(after))
                self.connections[client.id] = client
                self.meter.resume("replayed")
                return f"resumed {self.epoch}:{after} ({replayed} events)"
            self.meter.resume(reason)
            refused = {"requested": resume[:RESUME_MAX], "reason": reason}
        # The body is shared by every joiner at this seq; only the head is the client's.
        prefix = snapshot_head(client.id, client.role, refused)
        body = self.snapshot() if filtered is None else self._snapshot_of(filtered)
        client.send_snapshot((prefix, memoryview(body)[1:]))
        self.connections[client.id] = client
        return f"snapshot ({refused['reason']})" if refused else "snapshot"

    def subscription_of(self, text: str) -> Subscription:
        """A connect-time `/ws?subscribe=` value: the JSON of subscribe's members.
        Raises the `ProtocolError` to reply (the connection then gets everything)."""
        try:
            members = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise InvalidJson(f"?subscribe= is not valid JSON: {exc}") from None
        if not isinstance(members, dict) or members.get("type", "subscribe") != "subscribe":
            raise InvalidMessage("?subscribe= must be a JSON object of subscribe's members")
        # Parsed as the command it stands for, so every limit and schema rule applies.
        framed = orjson.dumps({**members, "type": "subscribe"}).decode()
        try:
            command = parse_command(framed, self._limits, self.catalog.commands)
        except ParseFailure as failure:
            raise failure.error from None
        assert isinstance(command, SubscribeCommand)
        return Subscription.of(command)

    def _snapshot_of(self, subscription: Subscription) -> bytes:
        """A snapshot of the agents a subscription covers (built for this client)."""
        full = orjson.loads(self.snapshot())
        full["agents"] = [a for a in full["agents"] if subscription.covers(a)]
        return orjson.dumps(full)

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
        if not self.history.holds_after(after, self._clock()):
            return "too_old", 0
        # A replay must not cost more than the snapshot it saves (a storm of reconnects
        # after a long outage would be worse than today); a small one always goes.
        size = self.history.size_after(after)
        if size > SMALL_REPLAY and size > len(self.snapshot()):
            return "snapshot_smaller", 0
        return None, after

    def snapshot(self) -> bytes:
        """The snapshot at the current seq without its `connection_id` and `role`, built
        once per seq.

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
            "capabilities": self.capabilities,
        }
        try:
            body = orjson.dumps({**members, "agents": list(self.mirror.agents.values())})
        except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits: pydantic's way
            event = SnapshotEvent.model_validate(
                {
                    **members,
                    "connection_id": "-",
                    "role": "viewer",
                    "agents": self.mirror.agent_states(),
                }
            )
            body = to_json(event, exclude={"connection_id", "role"})
        self._snapshot = (self.seq, body)
        return body

    def leave(self, client: Outbox) -> None:
        self.connections.pop(client.id, None)

    @property
    def subscriptions(self) -> int:
        """Clients with a subscription of their own (not the default)."""
        return sum(
            1
            for client in self.connections.values()
            if (shaping := client.shaping) is not None and not shaping.subscription.everything
        )

    def deliver(self, items: Sequence[EventItem]) -> None:
        """Called on the loop with each burst of events of the simulation, in order.

        Each client writes what the burst gave it at once, at the end.
        """
        replied: list[Outbox] = []
        broadcast, now = False, 0.0
        plain, encoded, shaped = self._partition()
        # The shaped clients are offered the burst's events, in parts when a reply to
        # one of them falls between: `offered` is how far each one got.
        burst = Burst() if shaped else None
        offered: dict[str, int] = {}
        for item in items:
            if item.to is not None:
                if item.ticket is not None:
                    answered = self.outstanding.pop(item.ticket, None)
                    if answered is not None:
                        self._measure(answered.command_type, item.event, answered.received)
                target = self.connections.get(item.to) or self._remote.get(item.to)
                if target is not None:
                    if burst is not None and target.shaping is not None:
                        end = len(burst.events)
                        target.offer(burst, offered.get(target.id, 0), end)
                        offered[target.id] = end
                    target.send_reply(item.body)
                    replied.append(target)
                continue
            if not broadcast:
                broadcast, now = True, self._clock()
            self.seq += 1
            self.broadcasts += 1
            message = stamp(item.body, self.seq)
            self.history.append(self.seq, message, now)
            if burst is not None:  # tagged before the mirror forgets a removed agent's kind
                event = item.event
                tag = tag_of(
                    wire_type(type(event)),
                    getattr(event, "agent_id", None),
                    getattr(event, "agent_kind", None),
                    self.mirror.agents,
                )
                burst.events.append((self.seq, tag, message))
            self.mirror.apply(item.event, now)
            for client in plain:
                client.send(message)
            for encode, clients in encoded:
                _send_encoded(encode(message), clients)
        if burst is not None and burst.events:
            _offer(burst, shaped, offered)
        if broadcast:
            for client in self.connections.values():
                client.flush()
            for client in replied:  # a gateway's sender is not among the connections
                if client.id not in self.connections:
                    client.flush()
            for callback in self._on_broadcast:
                callback()
        else:
            for client in replied:
                client.flush()

    def _partition(self) -> tuple[list[Outbox], list[_Encoded], list[Outbox]]:
        """The plain clients of the spine encoding, those of each other encoding in use
        (each broadcast is encoded once for all of them), and the shaped ones, as they
        are at this burst: read each time, for a connection changes on its own between
        bursts (a timer finds it caught up, a snapshot finishes streaming)."""
        plain: list[Outbox] = []
        others: dict[str, list[Outbox]] = {}
        shaped: list[Outbox] = []
        for client in self.connections.values():
            if client.shaping is not None:
                shaped.append(client)
            elif (encoding := client.encoding) == SPINE:
                plain.append(client)
            else:
                others.setdefault(encoding, []).append(client)
        return plain, [(ENCODERS[e], clients) for e, clients in others.items()], shaped

    def relay(self, frames: Sequence[bytes]) -> None:
        """Deliver broadcast frames stamped elsewhere (a cluster gateway: the host's,
        read from the stream), as they are: same bytes, same seq. A frame at or below
        the current seq is a redelivery and is skipped; one beyond the next is a gap,
        which the caller must not let happen (`GapError`)."""
        now = self._clock()
        sent = False
        plain, encoded, shaped = self._partition()
        burst = Burst() if shaped else None
        for frame in frames:
            event = orjson.loads(frame)
            seq = event.get("seq")
            if not isinstance(seq, int) or seq <= self.seq:
                continue
            if seq != self.seq + 1:
                raise GapError(f"event {seq} follows {self.seq}: {seq - self.seq - 1} missing", seq)
            self.seq = seq
            self.broadcasts += 1
            self.history.append(seq, frame, now)
            if burst is not None:
                tag = tag_of(
                    event.get("type"),
                    event.get("agent_id"),
                    event.get("agent_kind"),
                    self.mirror.agents,
                )
                burst.events.append((seq, tag, frame))
            model = self.catalog.events.get(event.get("type"))
            if model is not None:
                self.mirror.apply(model.model_validate(event), now)
            for client in plain:
                client.send(frame)
            for encode, clients in encoded:
                _send_encoded(encode(frame), clients)
            sent = True
        if burst is not None and burst.events:
            _offer(burst, shaped, {})
        if sent:
            for client in self.connections.values():
                client.flush()
            for callback in self._on_broadcast:
                callback()

    def _measure(self, command_type: str, reply: BaseModel, received: float) -> None:
        outcome = getattr(reply, "code", "ack")
        self.meter.command(command_type, outcome, self._clock() - received)

    def submit(self, client: Outbox, text: str) -> None:
        """Handle one command frame; every frame gets exactly one reply, now or later."""
        received = self._clock()
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
            if command_type == "cancel":
                self._cancel(client, command, command_id, received)
                return
            if command_type in self.catalog.connection_commands:
                self._subscribe(client, command, command_id, received)
                return
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
            running = self.jobs.running()
            if running is not None and running.others == "busy":
                raise Busy(
                    f"{running.command_type} is at work ({self._clock() - running.started:.0f} s, "
                    f"{running.fraction:.0%}); nothing was applied, retry when it ends"
                )
            self._next_ticket += 1
            item = CommandItem(
                command,
                client.id,
                command_id,
                self._next_ticket,
                self.catalog.results.get(command_type),
                received,
            )
            if not self._commands.put(item):
                raise QueueFull("the simulation's command queue is full; nothing was applied")
            self.outstanding[item.ticket] = item
        except ProtocolError as error:
            self.reply(client, error, command_id, command_type)
            # Only the contract's types label a metric: a client cannot add series.
            label = command_type or "unknown"
            label = label if label in self.catalog.commands else "unknown"
            self.meter.command(label, error.code, self._clock() - received)

    def _subscribe(
        self, client: Outbox, command: BaseModel, command_id: str | None, received: float
    ) -> None:
        """`subscribe`, answered here: from the next seq on, the client gets what it asked."""
        assert isinstance(command, SubscribeCommand)
        subscription = Subscription.of(command)
        client.subscribe(subscription)
        agents = [a for a in self.mirror.agents.values() if subscription.covers(a)]
        members: dict[str, Any] = {
            "command_type": "subscribe",
            "tick": self.mirror.simulation.tick,
            "result": {"seq": self.seq, "agents": agents},
        }
        if command_id is not None:
            members["command_id"] = command_id
        try:
            body = orjson.dumps({"type": "command_ack", **members})
        except orjson.JSONEncodeError:  # an agent's data orjson cannot write: pydantic's way
            body = to_json(CommandAckEvent.model_validate(members))
        client.send_reply(body)
        client.flush()
        self.meter.command("subscribe", "ack", self._clock() - received)

    def _cancel(
        self, client: Outbox, command: BaseModel, command_id: str | None, received: float
    ) -> None:
        """`cancel`, answered here: one of this client's own commands, queued or running,
        is marked; it gets its one reply (`cancelled`, or its ack if it finished first)."""
        target = getattr(command, "command_id", None)
        ticket = next(
            (
                ticket
                for ticket, item in self.outstanding.items()
                if item.connection_id == client.id and item.command_id == target
            ),
            None,
        )
        if ticket is None:
            raise InvalidState(f"no command {target!r} of this connection is queued or running")
        self.jobs.cancel(ticket)
        members: dict[str, Any] = {"command_type": "cancel", "tick": self.mirror.simulation.tick}
        if command_id is not None:
            members["command_id"] = command_id
        client.send_reply(orjson.dumps({"type": "command_ack", **members}))
        client.flush()
        self.meter.command("cancel", "ack", self._clock() - received)

    def fail(self, reason: str) -> None:
        """The simulation is gone for good: say so to every client, and answer every
        command it still owed a reply (and every later one) with an error."""
        if self.failure is not None:
            return
        self.failure = reason
        log.critical(
            "%s: every queued and later command gets an error reply",
            reason,
            extra={"error_code": "simulation_error"},
        )
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
        client.send_reply(to_json(error.to_event(command_id, command_type)))
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


# An encoding's encoder and the plain clients that use it, for one burst.
_Encoded = tuple[Callable[[bytes], bytes], list[Outbox]]


def _send_encoded(message: bytes, clients: list[Outbox]) -> None:
    for client in clients:
        client.send(message)


def _offer(burst: Burst, shaped: list[Outbox], offered: dict[str, int]) -> None:
    """The rest of the burst, to each shaped client (`offered`: how far each got)."""
    end = len(burst.events)
    for client in shaped:
        start = offered.get(client.id, 0)
        if start < end:
            client.offer(burst, start, end)


# `resume=<epoch>:<seq>`: the epoch as the snapshot gave it, the seq in decimal.
_RESUME = re.compile(r"(?P<epoch>[^:]{1,64}):(?P<seq>[0-9]{1,16})")
RESUME_MAX = 128  # characters of a refused value echoed back
# A replay up to this size is sent without weighing it against the snapshot.
SMALL_REPLAY = 16 * 1024

_RATE_MESSAGE = "too many commands from this connection; nothing was applied, slow down"


def _command_id(command: BaseModel) -> str | None:
    value = getattr(command, "id", MISSING)
    return value if isinstance(value, str) else None
