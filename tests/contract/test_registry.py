"""Registry ↔ schemas: every command schema has one handler bound to its generated model,
every event schema has a generated model the server emits, and drift fails loudly.

Sans-I/O: no sockets. The emission test runs the real app's lifespan (simulation thread,
hub, event sink) and joins a fake connection to the hub.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel, create_model

from spine_ws.app import create_app
from spine_ws.codegen.contract import SCHEMA_DIR, load_contract
from spine_ws.generated import COMMAND_MODELS, EVENT_MODELS, AddAgentCommand, StopCommand
from spine_ws.settings import Settings
from spine_ws.sim.boundary import Boundary, CommandQueue, EventSink
from spine_ws.sim.registry import LIFECYCLE, Registry, RegistryError
from spine_ws.world import World
from tests.support.outbox import FakeOutbox
from tests.support.server import validate_event

COMMAND_FILES = sorted(p.stem for p in (SCHEMA_DIR / "commands").glob("*.json"))
EVENT_FILES = sorted(p.stem for p in (SCHEMA_DIR / "events").glob("*.json"))


def _schema(folder: str, wire: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((SCHEMA_DIR / folder / f"{wire}.json").read_text("utf-8"))
    return doc


def _stand_in(wire: str) -> type[BaseModel]:
    """A message model for a command type that has no generated model (yet)."""
    title = "".join(part.title() for part in wire.split("_")) + "Command"
    literal: Any = Literal[wire]
    model: type[BaseModel] = create_model(title, type=(literal, wire))
    return model


@pytest.fixture
def world() -> Iterator[World]:
    """The default simulation, constructed but never started (its loop is never run)."""
    loop = asyncio.new_event_loop()
    try:
        yield World(Boundary(CommandQueue(8), EventSink(loop, lambda item: None)))
    finally:
        loop.close()


def test_schema_tree_has_commands_and_events() -> None:
    """schema/commands and schema/events are not empty, so the set comparisons below bite."""
    assert COMMAND_FILES and EVENT_FILES


# What the default world handles today: a schema added later need not be one of them.
WORLD_COMMANDS = [
    "add_agent",
    "delete_agent",
    "describe_agent",
    "list_agents",
    "modify_agent",
    "pause",
    "resume",
    "set_tick_rate",
    "start",
    "stop",
]


def test_the_default_world_handles_command_schemas_and_the_lifecycle(world: World) -> None:
    """Each handler type is a file in schema/commands (and the generated table); the
    lifecycle is among them; the check passes."""
    assert sorted(COMMAND_MODELS) == COMMAND_FILES
    assert set(world.handlers.types()) <= set(COMMAND_FILES)
    assert set(LIFECYCLE) <= set(world.handlers.types())
    assert world.handlers.types() == WORLD_COMMANDS
    world.handlers.check()


@pytest.mark.parametrize("wire", WORLD_COMMANDS)
def test_each_handler_is_bound_to_its_schemas_generated_model(world: World, wire: str) -> None:
    """model_for(type) is the generated class named by the schema's title, with its members."""
    schema = _schema("commands", wire)
    model = world.handlers.model_for(wire)
    assert model is COMMAND_MODELS[wire]
    assert model.__name__ == schema["title"]
    assert model.model_fields["type"].default == wire
    assert set(model.model_fields) == set(schema["properties"])
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    assert required == set(schema["required"]) - {"type"}
    assert callable(world.handlers.handler_for(wire))


@pytest.mark.parametrize("wire", EVENT_FILES)
def test_every_event_schema_has_a_generated_model(wire: str) -> None:
    """EVENT_MODELS[type] is the class named by the schema's title, with the same members."""
    schema = _schema("events", wire)
    model = EVENT_MODELS[wire]
    assert sorted(EVENT_MODELS) == EVENT_FILES
    assert model.__name__ == schema["title"]
    assert model.model_fields["type"].default == wire
    assert set(model.model_fields) == set(schema["properties"])


async def _emit_every_event() -> list[dict[str, Any]]:
    app = create_app(Settings(seed_agents=1, tick_rate=100))
    async with app.router.lifespan_context(app):
        hub = app.state.spine.hub
        connection, batched = FakeOutbox("fake-1"), FakeOutbox("fake-2", role="viewer")
        hub.join(connection)
        hub.join(batched)
        # A viewer may subscribe; at most 5 deliveries a second, so updates coalesce.
        hub.submit(batched, json.dumps({"type": "subscribe", "batch": True, "max_rate": 5}))
        for command in [
            {"type": "start", "id": "s"},
            # At x=99.5 moving +2 a tick, the agent bounces off the wall x=100 at once.
            {
                "type": "add_agent",
                "id": "a",
                "agent_id": "bouncer",
                "agent_kind": "ball",
                "agent_data": {"x": 99.5, "y": 50, "vx": 2, "vy": 0},
            },
            {"type": "delete_agent", "id": "d", "agent_id": "agent-1"},
            {"type": "delete_agent", "id": "gone", "agent_id": "agent-1"},
        ]:
            hub.submit(connection, json.dumps(command))
        hub.submit(connection, "{not json")
        frames: list[dict[str, Any]] = []
        for _ in range(500):
            frames = connection.frames() + batched.frames()
            if {frame["type"] for frame in frames} >= SERVER_EVENTS | WORLD_EVENTS:
                break
            await asyncio.sleep(0.01)
        hub.leave(connection)
        hub.leave(batched)
    return frames


# What the server sends of itself, and what the default world broadcasts. A new event
# schema is not in either until something emits it (its examples prove its schema).
SERVER_EVENTS = {
    "snapshot",
    "command_ack",
    "error",
    "simulation_state",
    "tick_start",
    "tick_end",
    "batch",
    "skipped",
}
WORLD_EVENTS = {"agent_added", "agent_update", "agent_removed", "world_event"}


def test_the_server_emits_its_events_and_each_validates() -> None:
    """A short scenario makes the server send its own events and the default world's,
    each one a schema of schema/events, all valid."""
    frames = asyncio.run(_emit_every_event())
    for frame in frames:
        validate_event(frame)
        for member in frame.get("events", []) if frame["type"] == "batch" else []:
            validate_event(member)  # each one is an event of its own schema
    emitted = {frame["type"] for frame in frames}
    assert emitted == SERVER_EVENTS | WORLD_EVENTS
    assert emitted <= set(EVENT_FILES)


def test_a_command_schema_without_a_handler_is_simply_not_supported(world: World) -> None:
    """A `warp` schema the world has no handler for passes the check: the world does not
    support it (the server answers it unsupported_command)."""
    world.handlers.check(expected={**COMMAND_MODELS, "warp": _stand_in("warp")})
    assert "warp" not in world.handlers.types()


def test_a_schema_file_added_to_a_copy_of_the_tree_touches_no_simulation(
    world: World, tmp_path: Path
) -> None:
    """schema/commands/warp.json in a copy of the tree: the check of the default world
    still passes, with no declaration anywhere."""
    root = shutil.copytree(SCHEMA_DIR, tmp_path / "schema")
    warp = _schema("commands", "stop")
    warp["title"] = "WarpCommand"
    warp["description"] = "Jump the simulation to a tick."
    warp["properties"]["type"] = {"const": "warp", "description": 'Always "warp".'}
    (root / "commands" / "warp.json").write_text(json.dumps(warp), encoding="utf-8")
    contract = load_contract(root)
    assert "warp" in contract.commands
    expected = {wire: COMMAND_MODELS.get(wire) or _stand_in(wire) for wire in contract.commands}
    world.handlers.check(expected=expected)


@pytest.mark.parametrize("wire", LIFECYCLE)
def test_a_simulation_without_a_lifecycle_handler_fails_naming_it(wire: str) -> None:
    """Every simulation handles start, stop, pause, resume and set_tick_rate."""
    registry = Registry()
    for other in LIFECYCLE:
        if other != wire:
            registry.register(COMMAND_MODELS[other], lambda command: None)
    with pytest.raises(RegistryError) as failure:
        registry.check()
    assert f"no handler for lifecycle command(s) {wire}:" in str(failure.value)


def test_an_orphan_handler_fails_naming_the_type_and_the_fix(world: World) -> None:
    """A handler whose schema is gone is named, with "add the schema … or drop the handler"."""
    expected = {wire: model for wire, model in COMMAND_MODELS.items() if wire != "pause"}
    with pytest.raises(RegistryError) as failure:
        world.handlers.check(expected=expected)
    assert str(failure.value) == (
        "handler(s) for pause but no schema/commands/<type>.json: "
        "add the schema and run `make gen`, or drop the handler"
    )


def test_a_duplicate_registration_is_refused_naming_the_type(world: World) -> None:
    """Registering a second handler for add_agent raises and keeps the first one."""
    first = world.handlers.handler_for("add_agent")
    with pytest.raises(RegistryError) as failure:
        world.handlers.register(AddAgentCommand, lambda command: None)
    assert str(failure.value) == (
        "command type 'add_agent' is registered twice; keep one handler for it"
    )
    with pytest.raises(RegistryError, match="'stop' is registered twice"):
        world.handlers.on(StopCommand)(lambda command: None)
    assert world.handlers.handler_for("add_agent") == first


def test_a_look_alike_model_is_refused_naming_the_schema() -> None:
    """Only the generated model may be registered: a hand-made `stop` model is refused."""

    class MyStop(StopCommand):
        pass

    registry = Registry()
    with pytest.raises(RegistryError) as failure:
        registry.register(MyStop, lambda command: None)
    assert "MyStop is not the generated model of a command schema" in str(failure.value)
    assert "schema/commands/stop.json" in str(failure.value)
    assert registry.types() == []


def test_a_handler_bound_to_another_model_fails_the_check(world: World) -> None:
    """If the schema's model is not the one registered, check names the type."""
    with pytest.raises(RegistryError, match="'stop' is bound to a model that is not its schema's"):
        world.handlers.check(expected={**COMMAND_MODELS, "stop": _stand_in("stop")})
