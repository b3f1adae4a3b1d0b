"""What crosses between the hub and a simulation: a command on its way in, an event (or
a reply) on its way out. Plain values; the thread bridge that carries them is
`spine_ws.sim.boundary`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel

from spine_ws.core.columnar import TickColumns
from spine_ws.core.messages import wire_type

__all__ = ["AgentUpdates", "CommandItem", "EventItem", "Published", "Running"]


@dataclass(frozen=True, slots=True)
class CommandItem:
    """A validated command, the connection it came from, and its id (if it had one)."""

    command: BaseModel
    connection_id: str
    command_id: str | None
    # The hub's number for this command: its reply carries it back (`EventItem.ticket`),
    # so the hub knows which commands are still owed a reply.
    ticket: int = 0
    # The type of its result (schema/results/<type>.json), if its schema declares one: a
    # generated model, or an alias of one (a result that is a `$ref` or a `oneOf`).
    result_model: Any = None
    # When its frame was read (time.monotonic()), for the command latency.
    received: float = 0.0

    @property
    def command_type(self) -> str:
        return wire_type(type(self.command))


# Not frozen: a frozen dataclass sets each field through object.__setattr__, 0.55 us a
# construction against 0.15, and one is made per event on the simulation's thread.
@dataclass(slots=True)
class EventItem:
    """An event on its way to the clients.

    `to` is None for a broadcast (the server stamps `seq`), else the one connection a
    reply is addressed to. `body` is the event's JSON, serialised once, without `seq`.
    """

    event: BaseModel
    body: bytes
    to: str | None = None
    # The ticket of the command this replies to (an ack or an error), if any.
    ticket: int | None = None


@dataclass(frozen=True, slots=True)
class AgentUpdates:
    """A tick's `agent_update`s published at once (`EventSink.broadcast_updates`): each
    agent's id, its whole data, and its event's JSON body (without `seq`), in order. No
    model per agent: the columns they came from were validated whole."""

    tick: int
    agent_ids: list[str]
    data: list[dict[str, Any]]
    bodies: list[bytes]
    # The same, as columns: for the clients that take a tick as one frame.
    columns: TickColumns
    to: ClassVar[None] = None  # broadcasts, as an `EventItem` with no `to`


# What a simulation publishes, in order: an event (or a reply), or a tick's updates.
Published = EventItem | AgentUpdates


@dataclass(frozen=True, slots=True)
class Running:
    """The long-running command at work on the simulation's thread, as the loop sees it
    (for `/health`, and to answer the others `busy` if it says so)."""

    ticket: int
    command_type: str
    connection_id: str
    # When it started (time.monotonic()), how far it got, and what it said last.
    started: float
    fraction: float
    message: str
    others: str
