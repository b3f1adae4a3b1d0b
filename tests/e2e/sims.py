"""Simulations plugged in with `--simulation tests.e2e.sims:<factory>` by the e2e tests."""

from __future__ import annotations

import time
from typing import Any

import numpy

from spine_ws.sim import (
    AddAgentCommand,
    AgentAddedEvent,
    AgentUpdateEvent,
    Boundary,
    DeleteAgentCommand,
    ModifyAgentCommand,
    Registry,
    StopCommand,
    TickingSimulation,
)
from spine_ws.world import World


def incomplete(boundary: Boundary) -> TickingSimulation:
    """Handles only the lifecycle commands: the agent commands are unsupported."""
    return TickingSimulation(boundary)


class Lifeless:
    """Handles `stop` only: no lifecycle, refused at start-up."""

    def __init__(self, boundary: Boundary) -> None:
        self.handlers = Registry()
        self.handlers.register(StopCommand, lambda command: None)

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def lifeless(boundary: Boundary) -> Lifeless:
    return Lifeless(boundary)


class Faulty(World):
    """Raises on every third tick and whenever `modify_agent` sets `explode`."""

    def on_tick(self) -> None:
        if self.tick % 3 == 0:
            raise RuntimeError(f"boom at tick {self.tick}")
        super().on_tick()

    def _modify(self, command: ModifyAgentCommand) -> None:
        if command.agent_data.get("explode"):
            raise ZeroDivisionError("explode requested")
        super()._modify(command)


def faulty(boundary: Boundary) -> Faulty:
    return Faulty(boundary, seed_agents=2, tick_rate=50)


class Sluggish(World):
    """Takes 200 ms per agent command, so a small command queue fills up."""

    def _add(self, command: AddAgentCommand) -> None:
        time.sleep(0.2)
        super()._add(command)

    def _delete(self, command: DeleteAgentCommand) -> None:
        time.sleep(0.2)
        super()._delete(command)


def sluggish(boundary: Boundary) -> Sluggish:
    return Sluggish(boundary, seed_agents=0)


class Fragile(World):
    """`modify_agent` with `{"exit": true}` ends the thread (SystemExit escapes the
    loop); with `{"block": seconds}` its handler blocks that long."""

    def _modify(self, command: ModifyAgentCommand) -> None:
        if command.agent_data.get("exit"):
            raise SystemExit("the plug-in called sys.exit")
        if block := command.agent_data.get("block"):
            time.sleep(float(block))
        super()._modify(command)


def fragile(boundary: Boundary) -> Fragile:
    return Fragile(boundary, seed_agents=1)


class Crowd(World):
    """5,000 agents with 1 KB of data each, running; only ten move per tick (light live
    traffic beside a large snapshot)."""

    def start(self) -> None:
        for n in range(1, 5001):
            self._add(
                AddAgentCommand(
                    agent_id=f"a{n}", agent_kind="walker", agent_data={"pad": "x" * 1000}
                )
            )
        self.status = "running"
        super().start()

    def on_tick(self) -> None:
        for agent_id in ("a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10"):
            data = self.agents[agent_id].data
            data["x"] = (data["x"] + 1) % 100
            self.events.broadcast(AgentUpdateEvent, tick=self.tick, agent_id=agent_id, data=data)


def crowd(boundary: Boundary) -> Crowd:
    return Crowd(boundary, seed_agents=0, tick_rate=20)


class Sparse(World):
    """1,000 agents with 200 bytes of data each, running at 100 ticks/s; three move per
    tick. What resume is for: the missed events are far fewer bytes than the world."""

    def start(self) -> None:
        for n in range(1, 1001):
            self._add(
                AddAgentCommand(
                    agent_id=f"a{n}", agent_kind="walker", agent_data={"pad": "x" * 200}
                )
            )
        self.status = "running"
        super().start()

    def on_tick(self) -> None:
        for n in range(3):
            agent_id = f"a{(self.tick * 3 + n) % 1000 + 1}"
            data = self.agents[agent_id].data
            data["x"] = (data["x"] + 1) % 100
            self.events.broadcast(AgentUpdateEvent, tick=self.tick, agent_id=agent_id, data=data)


def sparse(boundary: Boundary) -> Sparse:
    return Sparse(boundary, seed_agents=0, tick_rate=100)


SWARM = 50


class Swarm(TickingSimulation):
    """`SWARM` agents, every one moving each tick, published as columns
    (`broadcast_updates`): float64, float32, integer, boolean and string columns."""

    def start(self) -> None:
        for n in range(SWARM):
            self.events.broadcast(
                AgentAddedEvent, tick=0, agent_id=f"s{n}", agent_kind="walker", data={}
            )
        super().start()

    def columns(self) -> dict[str, Any]:
        n = numpy.arange(SWARM)
        return {
            "x": n * 0.5 + self.tick / 3,
            "y": (n / 7 - self.tick).astype(numpy.float32),
            "k": n * self.tick,
            "up": (n + self.tick) % 2 == 0,
            "label": [f"t{self.tick}" if i % 3 else None for i in range(SWARM)],
        }

    def on_tick(self) -> None:
        ids = [f"s{n}" for n in range(SWARM)]
        self.events.broadcast_updates(self.tick, ids, self.columns())


class SwarmEach(Swarm):
    """The same world, one `broadcast(AgentUpdateEvent, ...)` per agent."""

    def on_tick(self) -> None:
        columns = {name: list(column) for name, column in self.columns().items()}
        for n in range(SWARM):
            data = {name: _plain(column[n]) for name, column in columns.items()}
            self.events.broadcast(AgentUpdateEvent, tick=self.tick, agent_id=f"s{n}", data=data)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it stands for."""
    return value.item() if isinstance(value, numpy.generic) else value


def swarm(boundary: Boundary) -> Swarm:
    return Swarm(boundary, tick_rate=50)


def swarm_each(boundary: Boundary) -> SwarmEach:
    return SwarmEach(boundary, tick_rate=50)
