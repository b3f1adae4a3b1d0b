"""What crosses between the hub and a simulation: a command on its way in, an event (or
a reply) on its way out. Plain values; the thread bridge that carries them is
`spine_ws.sim.boundary`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
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


class AgentUpdates:
    """A tick's `agent_update`s published at once (`EventSink.broadcast_updates`): the
    agents' ids and their data as columns, validated whole (no model per agent), and the
    same as a columns frame's (`columns`). Each agent's data and its event's JSON body
    (without `seq`) are made only when something asks for them (a JSON client, the log
    read for a resume or a recording, a snapshot): a world watched as columns alone
    never pays for an object per agent."""

    __slots__ = ("_bodies", "_rows", "agent_ids", "columns", "names", "tick", "values")
    to: ClassVar[None] = None  # broadcasts, as an `EventItem` with no `to`

    def __init__(
        self,
        tick: int,
        agent_ids: list[str],
        names: list[str],
        values: list[Sequence[Any]],
        columns: TickColumns,
    ) -> None:
        self.tick = tick
        self.agent_ids = agent_ids
        # Each column's values: a list, or a numpy array (read with `tolist` if needed).
        self.names = names
        self.values = values
        self.columns = columns
        self._rows: list[dict[str, Any]] | None = None
        self._bodies: list[bytes] | None = None

    def __len__(self) -> int:
        return len(self.agent_ids)

    def rows(self) -> list[dict[str, Any]]:
        """Each agent's whole data, in order (made once)."""
        if self._rows is None:
            lists = [v.tolist() if hasattr(v, "tolist") else v for v in self.values]
            names = self.names
            self._rows = [dict(zip(names, row, strict=True)) for row in zip(*lists, strict=True)]
        return self._rows

    def bodies(self) -> list[bytes]:
        """Each agent's `agent_update` as JSON without `seq` (made once)."""
        if self._bodies is None:
            head = b'{"type":"agent_update","tick":%d,"agent_id":"' % self.tick
            # An agent id is [A-Za-z0-9._:-] (checked when published): nothing to escape.
            self._bodies = [
                b'%s%s","data":%s}' % (head, agent_id.encode(), _json(members))
                for agent_id, members in zip(self.agent_ids, self.rows(), strict=True)
            ]
        return self._bodies


def _json(members: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(members)
    except orjson.JSONEncodeError:  # an integer beyond 64 bits: the standard library's
        return json.dumps(members, separators=(",", ":"), allow_nan=False).encode()


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
