"""The simulation side of the boundary, without sockets: queues, lifecycle, the default world."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, cast

import orjson
import pytest
from pydantic import MISSING, BaseModel, ValidationError

from spine_ws.core.errors import AgentNotFound
from spine_ws.core.items import AgentUpdates, Published
from spine_ws.generated import (
    COMMAND_MODELS,
    RESULT_MODELS,
    AddAgentCommand,
    AgentUpdateEvent,
    CommandAckEvent,
    DescribeAgentCommand,
    DescribeAgentResult,
    ListAgentsCommand,
    ListAgentsResult,
    SimulationStateEvent,
    TickStartEvent,
    WorldEventEvent,
)
from spine_ws.sim.boundary import Boundary, CommandItem, CommandQueue, EventItem, EventSink
from spine_ws.world import SIZE, World

pytestmark = pytest.mark.anyio


def item(wire: str, connection: str = "c1", command_id: str | None = None, **fields: Any) -> Any:
    model = COMMAND_MODELS[wire]
    command = model.model_validate({"type": wire, **fields})
    return CommandItem(command, connection, command_id, 0, RESULT_MODELS.get(wire))


def test_command_queue_refuses_when_full_instead_of_waiting() -> None:
    """put() never blocks: a full queue answers False (the caller replies queue_full)."""
    queue = CommandQueue(2)
    assert queue.put(item("stop")) and queue.put(item("stop"))
    assert not queue.put(item("stop"))
    assert len(queue) == 2


def test_command_queue_get_wakes_on_put_and_on_close() -> None:
    """A waiting get() returns as soon as a command arrives, and None once closed."""
    queue = CommandQueue(4)
    got: list[Any] = []
    thread = threading.Thread(target=lambda: got.append(queue.get(timeout=10)))
    thread.start()
    queue.put(item("stop", command_id="first"))
    thread.join(timeout=5)
    assert got and got[0].command_id == "first"

    thread = threading.Thread(target=lambda: got.append(queue.get(timeout=10)))
    thread.start()
    queue.close()
    thread.join(timeout=5)
    assert not thread.is_alive() and got[1] is None


def into(delivered: list[EventItem]) -> Callable[[Sequence[Published]], None]:
    """A sink's deliver that keeps its events (a tick's updates published as columns,
    as the default world does, one `EventItem` each)."""

    def deliver(items: Sequence[Published]) -> None:
        for item in items:
            if isinstance(item, AgentUpdates):
                for agent_id, data, body in zip(
                    item.agent_ids, item.rows(), item.bodies(), strict=True
                ):
                    event = AgentUpdateEvent(seq=1, tick=item.tick, agent_id=agent_id, data=data)
                    delivered.append(EventItem(event, body))
                continue
            delivered.append(item)

    return deliver


async def test_event_sink_delivers_in_order_from_another_thread() -> None:
    """Events published on a thread reach the loop in publication order, none lost."""
    delivered: list[EventItem] = []
    sink = EventSink(asyncio.get_running_loop(), into(delivered))

    def publish() -> None:
        for tick in range(1, 2001):
            sink.broadcast(TickStartEvent, tick=tick)

    thread = threading.Thread(target=publish)
    thread.start()
    thread.join()
    for _ in range(200):
        if len(delivered) == 2000:
            break
        await asyncio.sleep(0.01)
    assert [d.event.tick for d in delivered] == list(range(1, 2001))  # type: ignore[attr-defined]
    assert all(d.to is None and b'"seq"' not in d.body for d in delivered)


async def test_event_sink_refuses_replies_as_broadcasts_and_bad_fields() -> None:
    """Only events with a seq can be broadcast, and their fields are validated at once."""
    sink = EventSink(asyncio.get_running_loop(), lambda items: None)
    with pytest.raises(ValueError, match="not a broadcast event"):
        sink.broadcast(CommandAckEvent, command_type="stop", tick=0)
    with pytest.raises(ValidationError):
        sink.broadcast(AgentUpdateEvent, tick=-1, agent_id="a", data={})


class Harness:
    """A World on its own thread, its events collected on this loop."""

    def __init__(self, world_kwargs: dict[str, Any]) -> None:
        self.events: list[EventItem] = []
        self.commands = CommandQueue(64)
        sink = EventSink(asyncio.get_running_loop(), into(self.events))
        self.world = World(Boundary(self.commands, sink), **world_kwargs)

    async def send(self, wire: str, **fields: Any) -> Any:
        """Queue one command and return its reply (ack or error)."""
        command_id = f"id{len(self.events)}-{time.monotonic_ns()}"
        assert self.commands.put(item(wire, command_id=command_id, **fields))
        for _ in range(500):
            for event in self.events:
                if event.to == "c1" and getattr(event.event, "command_id", None) == command_id:
                    return event.event
            await asyncio.sleep(0.01)
        raise AssertionError(f"no reply to {wire}")

    def of(self, model: type[BaseModel]) -> list[Any]:
        return [e.event for e in self.events if isinstance(e.event, model)]


@pytest.fixture
async def sim() -> AsyncIterator[Harness]:
    harness = Harness({"seed_agents": 2, "tick_rate": 50})
    harness.world.start()
    yield harness
    harness.world.stop()


@pytest.mark.parametrize(
    ("steps", "codes"),
    [
        (["pause"], ["invalid_state"]),
        (["resume"], ["invalid_state"]),
        (["stop", "stop"], ["ack", "ack"]),
        (["start", "start"], ["ack", "invalid_state"]),
        (
            ["start", "pause", "pause", "resume", "resume"],
            ["ack", "ack", "invalid_state", "ack", "invalid_state"],
        ),
        (["start", "pause", "stop", "resume"], ["ack", "ack", "ack", "invalid_state"]),
    ],
)
async def test_the_state_machine(sim: Harness, steps: list[str], codes: list[str]) -> None:
    """stopped -start-> running -pause-> paused -resume-> running; stop from anywhere."""
    replies = [await sim.send(step) for step in steps]
    assert [getattr(r, "code", "ack") for r in replies] == codes


async def test_state_is_broadcast_only_on_change(sim: Harness) -> None:
    """A stop while stopped is acked and broadcasts nothing; set_tick_rate works when stopped."""
    before = len(sim.of(SimulationStateEvent))
    await sim.send("stop")
    assert len(sim.of(SimulationStateEvent)) == before
    await sim.send("set_tick_rate", tick_rate=7.5)
    state = sim.of(SimulationStateEvent)[-1]
    assert (state.status, state.tick_rate) == ("stopped", 7.5)


async def test_ticks_bracket_updates_and_agents_stay_in_the_world(sim: Harness) -> None:
    """Each tick is tick_start, its agent_updates, tick_end; positions stay within 0..SIZE."""
    await sim.send("set_tick_rate", tick_rate=100)
    await sim.send("add_agent", agent_id="fast", agent_kind="k", agent_data={"vx": 30, "vy": -45})
    await sim.send("start")
    for _ in range(300):
        if len(sim.of(TickStartEvent)) >= 20:
            break
        await asyncio.sleep(0.01)
    await sim.send("stop")
    wires = [type(e.event).model_fields["type"].default for e in sim.events if e.to is None]
    first = wires.index("tick_start")
    tick = wires[first : wires.index("tick_end", first) + 1]
    assert tick.count("agent_update") == 3 and tick[-1] == "tick_end"
    fast = [u.data for u in sim.of(AgentUpdateEvent) if u.agent_id == "fast"]
    assert len(fast) >= 19
    assert all(0 <= d["x"] <= SIZE and 0 <= d["y"] <= SIZE for d in fast)
    assert any(e.kind == "bounce" for e in sim.of(WorldEventEvent))


async def test_agent_commands_and_their_errors(sim: Harness) -> None:
    """Agents are added, merged into, removed; motion is filled in or refused when bad."""
    ack = await sim.send("add_agent", agent_id="bob", agent_kind="cat", agent_data={"hue": 3})
    assert isinstance(ack, CommandAckEvent)
    data = sim.world.agents["bob"].data
    assert data["hue"] == 3 and {"x", "y", "vx", "vy"} <= data.keys()
    assert (await sim.send("add_agent", agent_id="bob", agent_kind="k")).code == ("agent_exists")
    await sim.send("modify_agent", agent_id="bob", agent_data={"hue": 4, "x": 1})
    assert sim.world.agents["bob"].data["hue"] == 4 and sim.world.agents["bob"].data["x"] == 1
    bad = await sim.send("modify_agent", agent_id="bob", agent_data={"x": 500, "vy": "up"})
    assert bad.code == "invalid_message"
    assert [d.path for d in bad.details] == ["/agent_data/x", "/agent_data/vy"]
    assert getattr(await sim.send("delete_agent", agent_id="bob"), "code", "ack") == "ack"
    missing = await sim.send("modify_agent", agent_id="bob", agent_data={"x": 1})
    assert missing.code == "agent_not_found"


async def test_max_agents_is_a_clear_error() -> None:
    """Beyond max_agents, add_agent fails with limit_exceeded and nothing is added."""
    harness = Harness({"seed_agents": 1, "max_agents": 1})
    harness.world.start()
    try:
        reply = await harness.send("add_agent", agent_id="two", agent_kind="k")
        assert reply.code == "limit_exceeded"
        assert list(harness.world.agents) == ["agent-1"]
    finally:
        harness.world.stop()


async def test_stop_ends_the_thread(sim: Harness) -> None:
    """stop() closes the queue and joins the simulation thread."""
    thread = sim.world._thread
    assert thread is not None and thread.is_alive()
    sim.world.stop()
    assert not thread.is_alive() and sim.commands.closed


async def test_events_published_before_the_sink_is_connected_are_delivered_in_order() -> None:
    """A simulation may publish while it is built, before the server connects the sink."""
    sink = EventSink(asyncio.get_running_loop())
    sink.broadcast(TickStartEvent, tick=1)
    await asyncio.sleep(0.01)
    delivered: list[EventItem] = []
    sink.connect(into(delivered))
    sink.broadcast(TickStartEvent, tick=2)
    for _ in range(100):
        if len(delivered) == 2:
            break
        await asyncio.sleep(0.01)
    assert [item.event.tick for item in delivered] == [1, 2]  # type: ignore[attr-defined]


async def test_describe_agent_and_list_agents_answer_from_the_world() -> None:
    """describe_agent returns the agent; list_agents pages in creation order, by kind."""
    loop = asyncio.get_running_loop()
    world = World(Boundary(CommandQueue(8), EventSink(loop, lambda items: None)), seed_agents=0)
    for n in range(5):
        world.handlers.handler_for("add_agent")(
            AddAgentCommand(agent_id=f"a{n}", agent_kind="car" if n % 2 else "truck")
        )
    describe = world.handlers.handler_for("describe_agent")
    found = describe(DescribeAgentCommand(agent_id="a1"))
    assert isinstance(found, DescribeAgentResult) and found.agent_kind == "car"
    with pytest.raises(AgentNotFound):
        describe(DescribeAgentCommand(agent_id="nobody"))
    listing = world.handlers.handler_for("list_agents")
    first = cast(ListAgentsResult, listing(ListAgentsCommand(limit=2)))
    assert [a.agent_id for a in first.agents] == ["a0", "a1"] and first.next == "a1"
    rest = cast(ListAgentsResult, listing(ListAgentsCommand(after=first.next, limit=10)))
    assert [a.agent_id for a in rest.agents] == ["a2", "a3", "a4"] and rest.next is MISSING
    cars = cast(ListAgentsResult, listing(ListAgentsCommand(agent_kind="car")))
    assert [a.agent_id for a in cars.agents] == ["a1", "a3"]


async def test_an_ack_carries_the_result_its_schema_declares_and_only_that() -> None:
    """A valid result rides on the ack; a missing, wrong or undeclared one becomes a
    simulation_error reply (nothing raises on the simulation's thread)."""
    delivered: list[EventItem] = []
    sink = EventSink(asyncio.get_running_loop(), into(delivered))
    describe = item("describe_agent", command_id="d", agent_id="a")
    sink.ack(describe, 1, {"agent_id": "a", "agent_kind": "k", "data": {}})
    sink.ack(describe, 1, None)
    sink.ack(describe, 1, {"agent_id": "a"})
    sink.ack(item("stop", command_id="s"), 1, {"unexpected": True})
    await asyncio.sleep(0.01)
    replies = [orjson.loads(d.body) for d in delivered]
    assert replies[0]["type"] == "command_ack"
    assert replies[0]["result"] == {"agent_id": "a", "agent_kind": "k", "data": {}}
    assert [r["code"] for r in replies[1:]] == ["simulation_error"] * 3
    assert "declares none" in replies[3]["message"]
