"""Intake: every command frame a client sends, to exactly one reply. Sans-I/O.

A frame goes parse -> rate -> the commands the server answers itself (`subscribe`,
`cancel`) -> supported -> role -> size limits -> failure -> busy -> a ticket and the
simulation's command queue, or is answered at once with an `error`. The commands still
owed a reply are kept by ticket, so that a failed simulation answers each of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import orjson
from pydantic import MISSING, BaseModel

from spine_ws.core import packed
from spine_ws.core.catalog import Catalog
from spine_ws.core.codec import SPINE
from spine_ws.core.delivery import Subscription
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
from spine_ws.core.items import CommandItem, EventItem, Running
from spine_ws.core.messages import to_json, wire_type
from spine_ws.core.outbox import Outbox, Sender
from spine_ws.core.parse import Limits, ParseFailure, parse_command
from spine_ws.core.stream import Stream
from spine_ws.generated import CommandAckEvent, ErrorEvent, SubscribeCommand

__all__ = ["Answer", "CommandSink", "Intake", "LongCommands", "Meter"]

log = logging.getLogger("spine_ws.hub")

_RATE_MESSAGE = "too many commands from this connection; nothing was applied, slow down"


class CommandSink(Protocol):
    """Where a valid, allowed command goes: the simulation's `CommandQueue`, or a
    cluster gateway's forwarder to its host."""

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


class Meter(Protocol):
    """What is counted for `/metrics`: once per command and per join, never per frame
    (spine_ws.metrics; a no-op by default)."""

    def command(self, command_type: str, outcome: str, seconds: float) -> None:
        """A command was answered: `ack` or an error code, `seconds` after its frame
        was read. `command_type` is `unknown` for a type the contract lacks."""

    def resume(self, outcome: str) -> None:
        """A client asked to resume: `replayed`, or why it got a snapshot."""


# A server's own answer to a connection command (a playback's): given the client and
# the command, the reply's tick and result; it raises a `ProtocolError` to refuse.
Answer = Callable[[Outbox, BaseModel], tuple[int, Any]]


class _NoMeter:
    def command(self, command_type: str, outcome: str, seconds: float) -> None:
        pass

    def resume(self, outcome: str) -> None:
        pass


class _NoLongCommands:
    """No simulation thread of its own (a cluster gateway's): nothing runs here, and a
    cancel is refused rather than acknowledged and lost."""

    def running(self) -> Running | None:
        return None

    def cancel(self, ticket: int) -> None:
        raise UnsupportedCommand("this server cannot cancel commands (a cluster gateway)")


class Intake:
    """Commands in: checked, ticketed and queued, or answered at once."""

    def __init__(
        self,
        commands: CommandSink,
        stream: Stream,
        *,
        clock: Callable[[], float],
        catalog: Catalog,
        limits: Limits | None = None,
        max_agent_data_bytes: int = 8 * 1024,
        simulation_name: str = "the simulation",
        meter: Meter | None = None,
        jobs: LongCommands | None = None,
    ) -> None:
        self._commands = commands
        self._stream = stream
        self._clock = clock
        self.catalog = catalog
        self._limits = limits or Limits()
        self._max_agent_data_bytes = max_agent_data_bytes
        self._simulation_name = simulation_name
        self.meter: Meter = meter or _NoMeter()
        self.jobs: LongCommands = jobs or _NoLongCommands()
        # Commands queued to the simulation and not answered yet, by ticket: if the
        # simulation fails, each still gets its one reply.
        self.outstanding: dict[int, CommandItem] = {}
        self._next_ticket = 0
        # Why the simulation failed, once it has: from then on no command is queued.
        self.failure: str | None = None
        # Connection commands answered beyond subscribe and cancel (`answer`).
        self._answers: dict[str, Answer] = {}
        # The stream a client's subscribe is answered from: the one it is sent (a
        # recording's playback keeps one per client).
        self.stream_of: Callable[[Outbox], Stream] = lambda client: self._stream
        self.handles(stream.supported)

    def handles(self, supported: Iterable[str]) -> None:
        """The command types the simulation handles (a gateway learns them from its host)."""
        self._supported = frozenset({*supported, *self.catalog.own_commands, *self._answers})

    def answer(self, command_type: str, answer: Answer) -> None:
        """Answer connection command `command_type` with `answer` (a playback's)."""
        self._answers[command_type] = answer
        self._supported = self._supported | {command_type}

    def submit(self, client: Outbox, text: str) -> None:
        """Handle one command frame; every frame gets exactly one reply, now or later."""
        self._take(client, text, client)

    def submit_from(self, sender: Sender, text: str) -> None:
        """A frame from a sender elsewhere (a gateway's client, on its host): the same,
        except that the commands about the connection were answered where it is."""
        self._take(sender, text, None)

    def _take(self, client: Sender, text: str, connection: Outbox | None) -> None:
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
            if command_type in self.catalog.connection_commands:
                if connection is None:
                    raise UnsupportedCommand(f"{command_type} is answered where the client is")
                answer = self._answers.get(command_type)
                if answer is not None:
                    self._answer(connection, answer, command, command_type, command_id, received)
                elif command_type == "cancel":
                    self._cancel(connection, command, command_id, received)
                elif command_type == "subscribe":
                    self._subscribe(connection, command, command_id, received)
                else:
                    raise UnsupportedCommand(
                        f"{command_type} is answered by a server that plays a recording back "
                        "(spine-ws replay); this one does not"
                    )
                return
            if command_type not in self._supported:
                raise UnsupportedCommand(
                    f"{self._simulation_name} does not support {command_type}; it supports "
                    f"{', '.join(sorted(self._supported))}"
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

    def answered(self, ticket: int, reply: BaseModel) -> None:
        """The simulation replied to command `ticket`: it is owed nothing more."""
        item = self.outstanding.pop(ticket, None)
        if item is not None:
            outcome = getattr(reply, "code", "ack")
            self.meter.command(item.command_type, outcome, self._clock() - item.received)

    def subscription_of(self, text: str, encoding: str = SPINE) -> Subscription:
        """A connect-time `/ws?subscribe=` value (the JSON of subscribe's members) for a
        connection of `encoding`. Raises the `ProtocolError` to reply (the connection
        then gets everything)."""
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
        return _encodable(Subscription.of(_subscribe_command(command)), encoding)

    def _subscribe(
        self, client: Outbox, command: BaseModel, command_id: str | None, received: float
    ) -> None:
        """`subscribe`, answered here: from the next seq on, the client gets what it asked."""
        subscription = _encodable(Subscription.of(_subscribe_command(command)), client.encoding)
        client.subscribe(subscription)
        stream = self.stream_of(client)
        agents = stream.covered(subscription)
        if (shaping := client.shaping) is not None:
            shaping.hold(a["agent_id"] for a in agents)
        members: dict[str, Any] = {
            "command_type": "subscribe",
            "tick": stream.mirror.simulation.tick,
            "result": {"seq": stream.seq, "agents": agents},
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

    def _answer(
        self,
        client: Outbox,
        answer: Answer,
        command: BaseModel,
        command_type: str,
        command_id: str | None,
        received: float,
    ) -> None:
        tick, result = answer(client, command)
        members: dict[str, Any] = {"command_type": command_type, "tick": tick, "result": result}
        if command_id is not None:
            members["command_id"] = command_id
        client.send_reply(orjson.dumps({"type": "command_ack", **members}))
        client.flush()
        self.meter.command(command_type, "ack", self._clock() - received)

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
        tick = self._stream.mirror.simulation.tick
        members: dict[str, Any] = {"command_type": "cancel", "tick": tick}
        if command_id is not None:
            members["command_id"] = command_id
        client.send_reply(orjson.dumps({"type": "command_ack", **members}))
        client.flush()
        self.meter.command("cancel", "ack", self._clock() - received)

    def fail(self, reason: str) -> list[EventItem] | None:
        """The simulation is gone for good: from now on every command is refused. The
        events to deliver (None if it had failed already): the broadcast saying so, and
        an error for every command it still owed a reply."""
        if self.failure is not None:
            return None
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
        return items

    def reply(
        self,
        client: Sender,
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


def _encodable(subscription: Subscription, encoding: str) -> Subscription:
    """`subscription`, if a connection of `encoding` can be sent what it asks."""
    region = subscription.region
    if region is not None and not region.ordered:
        raise InvalidMessage("subscribe's region: x_max below x_min, or y_max below y_min")
    if subscription.columns and encoding != packed.ENCODING:
        raise InvalidMessage(
            "columns: true is for a spine.v1.msgpack connection (columns travel as "
            "MessagePack binary strings); this one is not"
        )
    return subscription


def _subscribe_command(command: BaseModel) -> SubscribeCommand:
    """The subscribe command as the core's model reads it (an extension's is the same)."""
    if isinstance(command, SubscribeCommand):
        return command
    return SubscribeCommand.model_validate(command.model_dump())


def _command_id(command: BaseModel) -> str | None:
    value = getattr(command, "id", MISSING)
    return value if isinstance(value, str) else None
