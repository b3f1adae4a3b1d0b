"""The whole boundary between the server (asyncio) and a simulation (its own thread).

Two thread-safe queues, and the long-running command at work:

* `CommandQueue` (bounded): the server puts `CommandItem`s without waiting (a full queue
  is a `queue_full` reply, never a wait); the simulation takes them, waking at once.
* `EventSink`: the simulation puts events; they cross into the event loop in order,
  without polling, batched into one wake-up per burst.
* `Jobs` (`spine_ws.sim.jobs`): the long-running command at work and the cancelled ones,
  behind a lock: the loop reads and cancels, the simulation begins, reports and ends.

A simulation never assigns `seq`: it passes the event's model class and fields, and
the server stamps `seq` when it broadcasts. The fields are validated here, on the
simulation's thread, so a bad event fails where it was made.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError

from spine_ws.core.deltas import Deltas
from spine_ws.core.errors import ProtocolError, SimulationError
from spine_ws.core.items import AgentUpdates, CommandItem, EventItem, Published
from spine_ws.core.messages import to_json, wire_type
from spine_ws.generated import (
    AgentAddedEvent,
    AgentRemovedEvent,
    AgentUpdateEvent,
    CommandAckEvent,
)
from spine_ws.sim.columns import Column, checked, float64
from spine_ws.sim.jobs import Jobs

__all__ = [
    "Boundary",
    "CommandItem",
    "CommandQueue",
    "EventItem",
    "EventSink",
]

M = TypeVar("M", bound=BaseModel)


class CommandQueue:
    """Bounded FIFO of commands: non-blocking `put`, blocking `get` with a timeout.

    A `queue.SimpleQueue` (C) underneath: a put and a get cost a fraction of what a
    `threading.Condition` (Python) did, on the path of every command. Only the loop
    puts, so checking the size before putting is not a race that could overfill it.
    """

    def __init__(self, maxsize: int) -> None:
        self._items: queue.SimpleQueue[CommandItem | None] = queue.SimpleQueue()
        # When each queued command was put (deque appends and pops are atomic).
        self._queued_at: deque[float] = deque()
        self._maxsize = maxsize
        self._closed = False
        # What the server's watchdog reads: who takes commands, and when it last did.
        self.consumer: threading.Thread | None = None
        self.last_taken = time.monotonic()
        self.taken_ticket: int | None = None

    def put(self, item: CommandItem) -> bool:
        """Enqueue unless full; False means the caller must reply `queue_full`."""
        if self._items.qsize() >= self._maxsize:
            return False
        self._queued_at.append(time.monotonic())
        self._items.put(item)
        return True

    def get(self, timeout: float | None) -> CommandItem | None:
        """The next command, or None after `timeout` seconds or once closed."""
        if self.consumer is None:
            self.consumer = threading.current_thread()
        try:
            item = self._items.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is None:  # closed: leave the marker for the next `get`
            self._items.put(None)
            return None
        with contextlib.suppress(IndexError):
            self._queued_at.popleft()
        self.last_taken = time.monotonic()
        self.taken_ticket = item.ticket
        return item

    def oldest_age(self, now: float) -> float | None:
        """Seconds the oldest queued command has waited, or None if none waits."""
        try:
            return now - self._queued_at[0]
        except IndexError:
            return None

    def discard(self) -> int:
        """Empty the queue (its consumer is gone); how many commands it held."""
        count = 0
        with contextlib.suppress(queue.Empty):
            while True:
                if self._items.get_nowait() is None:
                    self._items.put(None)
                    break
                count += 1
        self._queued_at.clear()
        return count

    def close(self) -> None:
        """Wake every waiting `get` for good (used to stop the simulation)."""
        self._closed = True
        self._items.put(None)

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return self._items.qsize()


class EventSink:
    """Where a simulation publishes events; safe to call from any thread."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        deliver: Callable[[Sequence[Published]], None] | None = None,
    ):
        self._loop = loop
        self._deliver = deliver
        self._pending: list[Published] = []
        self._lock = threading.Lock()
        self._wake_scheduled = False
        # The columns of the last tick published at once, to leave unchanged ones out.
        self._deltas = Deltas()
        # The agent ids last published at once (valid, no duplicate).
        self._checked_ids: list[str] = []
        self._one_by_one: Callable[[], bool] = lambda: True

    def broadcast(self, model: type[M], /, **fields: Any) -> None:
        """Publish an event to every client; the server adds `seq`.

        `model` is a generated event model whose schema has `seq` (the core's
        `BROADCAST_EVENT_TYPES`, or a simulation's own event with `seq`); `fields` are
        its other members.
        """
        _broadcastable(model)
        if model in _ABOUT_AGENTS:
            self._deltas.touched()
        fields["seq"] = 1  # a placeholder the schema wants: the hub stamps the real one
        # `model_validate` without its Python wrapper (0.35 of its 1.6 us, per event).
        event: M = model.__pydantic_validator__.validate_python(fields)
        self._put(EventItem(event, to_json(event, exclude=_NO_SEQ)))

    def broadcast_updates(
        self, tick: int, agent_ids: Sequence[str], columns: Mapping[str, Column]
    ) -> None:
        """Publish a tick's `agent_update`s at once, as columns: agent i's whole data is
        `{name: column[i]}` (numpy arrays or sequences of JSON scalars). The same frames
        as one `broadcast(AgentUpdateEvent, ...)` per agent, in order, without a model
        per agent: the ids and each column are validated whole (`spine_ws.sim.columns`),
        and a bad one raises ValueError here, before anything is published."""
        if type(tick) is not int or tick < 0:
            raise ValueError(f"tick: {tick!r} is not a tick (an integer >= 0)")
        ids = list(agent_ids)
        # The same agents as last time (a simulation's usual tick): checked then.
        names, values = checked(ids, columns, ids_checked=ids == self._checked_ids)
        self._checked_ids = ids
        packed = float64(columns)
        # The same tick as columns, for the clients that take it so (core/columnar.py).
        columnar = self._deltas.columns(ids, names, values, packed)
        updates = AgentUpdates(tick, ids, names, values, columnar)
        if self._one_by_one():
            updates.bodies()  # made now, beside the simulation, not in one block on the loop
        self._put(updates)

    def reply(self, connection_id: str, event: BaseModel) -> None:
        """Send one event to one connection only (acks and errors); no `seq`."""
        self._put(EventItem(event, to_json(event), connection_id))

    def _answer(self, item: CommandItem, event: BaseModel) -> None:
        self._put(EventItem(event, to_json(event), item.connection_id, item.ticket))

    def ack(self, item: CommandItem, tick: int, result: object = None) -> None:
        """Reply `command_ack` to the command's sender, with its `result` if its schema
        declares one (schema/results/<type>.json): the generated model, or a dict that
        validates against it. A missing, extra or invalid result is the simulation's
        fault: the sender gets `simulation_error` instead, and nothing raises here."""
        wire = item.command_type
        expected = item.result_model
        members: dict[str, Any] = {"command_type": wire, "tick": tick}
        if item.command_id is not None:
            members["command_id"] = item.command_id
        if expected is None and result is not None:
            self.fail(item, SimulationError(f"{wire} returned a result, but declares none"))
            return
        if expected is not None:
            try:
                members["result"] = _result_json(expected, result)
            except ValidationError as exc:
                problem = exc.errors()[0]["msg"] if exc.errors() else str(exc)
                self.fail(item, SimulationError(f"{wire} returned no valid result: {problem}"))
                return
        self._answer(item, CommandAckEvent(**members))

    def fail(self, item: CommandItem, error: ProtocolError) -> None:
        """Reply `error` to the command's sender."""
        self._answer(item, error.to_event(item.command_id, item.command_type))

    def _put(self, item: Published) -> None:
        with self._lock:
            self._pending.append(item)
            if self._wake_scheduled:
                return
            self._wake_scheduled = True
        # A closed loop means the server is gone: nobody is left to tell.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._drain)

    def connect(
        self,
        deliver: Callable[[Sequence[Published]], None],
        one_by_one: Callable[[], bool] | None = None,
    ) -> None:
        """Where events go (the hub): the server connects it once the simulation is
        built; what was published meanwhile is delivered then. `one_by_one`: whether a
        client takes a tick's updates one by one (then each agent's data and JSON are
        made here, as the simulation publishes, not on the loop)."""
        self._deliver = deliver
        if one_by_one is not None:
            self._one_by_one = one_by_one
        with self._lock:
            if not self._pending or self._wake_scheduled:
                return
            self._wake_scheduled = True
        self._loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._lock:
            if self._deliver is None:  # not connected yet: `connect` delivers them
                self._wake_scheduled = False
                return
            self._wake_scheduled = False
            items, self._pending = self._pending, []
        # A tick published at once ends its burst: each client's queue is judged after
        # each such tick (a client falling behind a big world is coalesced from the next
        # one, not after several ticks of updates already sit in its queue).
        start = 0
        for end, item in enumerate(items, 1):
            if isinstance(item, AgentUpdates) and end < len(items):
                self._deliver(items[start:end])
                start = end
        self._deliver(items[start:] if start else items)


_NO_SEQ = {"seq"}
# The events that change an agent's data as the stream knows it (the mirror's).
_ABOUT_AGENTS = frozenset({AgentAddedEvent, AgentRemovedEvent, AgentUpdateEvent})


# Once per model, not per event: this is the simulation's per-event path.
@cache
def _broadcastable(model: type[BaseModel]) -> None:
    """A generated event model whose schema has `seq`, or NotAMessage / ValueError."""
    wire_type(model)
    if "seq" not in model.model_fields:
        raise ValueError(f"{model.__name__} is not a broadcast event (it has no seq)")


def _result_json(expected: Any, result: object) -> Any:
    """`result` checked against its schema's type and made JSON: a model, or an alias of
    one (a result schema that is a `$ref` or a `oneOf` of models)."""
    if isinstance(expected, type) and issubclass(expected, BaseModel):
        model = result if isinstance(result, expected) else expected.model_validate(result)
        return model.model_dump(mode="json")
    adapter = _adapter(expected)
    return adapter.dump_python(adapter.validate_python(result), mode="json")


@cache
def _adapter(expected: Any) -> TypeAdapter[Any]:
    return TypeAdapter(expected)


@dataclass(frozen=True)
class Boundary:
    """What a simulation factory receives: its command source and its event sink."""

    commands: CommandQueue
    events: EventSink
    jobs: Jobs = field(default_factory=Jobs)
