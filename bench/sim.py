"""The benchmark simulation, served through the public plug-in: `--simulation bench.sim:simulation`.

It publishes nothing until told to. A `modify_agent` command for the reserved agent id
`bench`, with `agent_data = {"rate": R, "count": N, "run": r}`, starts a run: ticks at
min(60, R) per second, each tick `tick_start`, R / tick_rate `agent_update` events (the
fraction carried over to the next tick) and `tick_end`, until N `agent_update` events are
out; then the simulation stops. Every `agent_update` is about 100 bytes on the wire and
carries `data = {"r": run, "t": time.time_ns() at publication, "n": index in the run}`.

Every other command is acknowledged and does nothing, so the command benchmark measures
the server's path (parse, validate, queue, the simulation thread, the ack) and not a world.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from spine_ws.sim import (
    AddAgentCommand,
    AgentAddedEvent,
    AgentUpdateEvent,
    Boundary,
    DeleteAgentCommand,
    InvalidMessage,
    ModifyAgentCommand,
    StartCommand,
    StopCommand,
    TickingSimulation,
)

__all__ = [
    "AGENTS",
    "CONTROL_AGENT",
    "MAX_TICK_RATE",
    "BenchSimulation",
    "Crowd",
    "crowd",
    "simulation",
]

CONTROL_AGENT = "bench"
# The agents the updates of a run cycle through (a filtered client follows one: 1 %).
AGENTS = 100
MAX_TICK_RATE = 60.0


class BenchSimulation(TickingSimulation):
    """Publishes runs of `agent_update` events at a requested rate, on command."""

    def __init__(self, boundary: Boundary) -> None:
        super().__init__(boundary, tick_rate=MAX_TICK_RATE)
        self.handlers.register(AddAgentCommand, _ignore)
        self.handlers.register(DeleteAgentCommand, _ignore)
        self.handlers.register(ModifyAgentCommand, self._modify)
        self._run_id = 0
        self._count = 0
        self._sent = 0
        self._per_tick = 0.0
        self._carry = 0.0

    def on_tick(self) -> None:
        self._carry += self._per_tick
        broadcast, run, count = self.events.broadcast, self._run_id, self._count
        while self._carry >= 1.0 and self._sent < count:
            n = self._sent
            broadcast(
                AgentUpdateEvent,
                tick=self.tick,
                agent_id=f"a{n % AGENTS}",
                data={"r": run, "t": time.time_ns(), "n": n},
            )
            self._sent += 1
            self._carry -= 1.0
        if self._sent >= count:
            self._stop(StopCommand())

    def _modify(self, command: ModifyAgentCommand) -> None:
        if command.agent_id != CONTROL_AGENT:
            return
        run = _run_parameters(command.agent_data)
        rate, self._count, self._run_id = run
        tick_rate = min(MAX_TICK_RATE, rate)
        self._per_tick = rate / tick_rate
        self._carry = 0.0
        self._sent = 0
        self._start(StartCommand(tick_rate=tick_rate))


def _run_parameters(data: dict[str, Any]) -> tuple[float, int, int]:
    try:
        rate, count, run = float(data["rate"]), int(data["count"]), int(data["run"])
    except (KeyError, TypeError, ValueError):
        raise InvalidMessage(
            "bench control wants agent_data {rate, count, run}", [("/agent_data", "bad")]
        ) from None
    if not (rate >= 0.1 and count >= 1):
        raise InvalidMessage("bench control wants rate >= 0.1 and count >= 1")
    return rate, count, run


def _ignore(command: Any) -> None:
    """Acknowledge and do nothing (the command benchmark's target)."""


def simulation(boundary: Boundary) -> BenchSimulation:
    """The factory for `spine-ws serve --simulation bench.sim:simulation`."""
    return BenchSimulation(boundary)


class Crowd(BenchSimulation):
    """A large world for the join storm: `CROWD_AGENTS` agents with 1 KB of data each,
    running at 20 ticks/s with ten of them moving per tick (light live traffic)."""

    def start(self) -> None:
        pad = "x" * 1000
        for n in range(CROWD_AGENTS):
            self.events.broadcast(
                AgentAddedEvent, tick=0, agent_id=f"c{n}", agent_kind="walker", data={"pad": pad}
            )
        self.status, self.tick_rate = "running", 20.0
        super().start()

    def on_tick(self) -> None:
        for n in range(10):
            self.events.broadcast(
                AgentUpdateEvent, tick=self.tick, agent_id=f"c{n}", data={"t": time.time_ns()}
            )


CROWD_AGENTS = int(os.environ.get("SPINE_BENCH_CROWD", "5000"))


def crowd(boundary: Boundary) -> Crowd:
    """`--simulation bench.sim:crowd` (SPINE_BENCH_CROWD agents, default 5,000)."""
    return Crowd(boundary)


class Atlas(BenchSimulation):
    """A large, mostly still world for the resume rows: `ATLAS_AGENTS` agents with small
    data (positions), ten moving per tick (at 100 ticks/s, SPINE_BENCH_ATLAS_RATE, ~1,200
    events/s), each update an agent's whole data, as the plug-in contract asks."""

    def start(self) -> None:
        for n in range(ATLAS_AGENTS):
            self.events.broadcast(
                AgentAddedEvent, tick=0, agent_id=f"a{n}", agent_kind="walker", data=_spot(n, 0)
            )
        self.status = "running"
        self.tick_rate = float(os.environ.get("SPINE_BENCH_ATLAS_RATE", "100"))
        super().start()

    def on_tick(self) -> None:
        for k in range(10):
            n = (self.tick * 10 + k) % ATLAS_AGENTS
            self.events.broadcast(
                AgentUpdateEvent, tick=self.tick, agent_id=f"a{n}", data=_spot(n, self.tick)
            )


def _spot(n: int, tick: int) -> dict[str, Any]:
    return {"x": (n * 7 + tick) % 1000 / 10, "y": (n * 13) % 1000 / 10, "heading": tick % 360}


ATLAS_AGENTS = int(os.environ.get("SPINE_BENCH_ATLAS", "10000"))


def atlas(boundary: Boundary) -> Atlas:
    """`--simulation bench.sim:atlas` (SPINE_BENCH_ATLAS agents, default 10,000)."""
    return Atlas(boundary)


class Swarm(BenchSimulation):
    """A big world for the big-world rows: `SPINE_BENCH_SWARM` agents (default 10,000),
    every one moving each tick at `SPINE_BENCH_SWARM_RATE` ticks/s (default 10), their
    data the default world's movers' (x, y, vx, vy), bouncing off the walls of a
    1,000 x 1,000 world, published a tick at a time as columns (`broadcast_updates`)."""

    def start(self) -> None:
        agents = int(os.environ.get("SPINE_BENCH_SWARM", "10000"))
        rng = np.random.default_rng(7)
        self._ids = [f"s{n}" for n in range(agents)]
        self._position = rng.uniform(0, SWARM_SIZE, (agents, 2)).round(3)
        self._velocity = rng.uniform(-1.5, 1.5, (agents, 2)).round(3)
        for n, agent_id in enumerate(self._ids):
            self.events.broadcast(
                AgentAddedEvent,
                tick=0,
                agent_id=agent_id,
                agent_kind="walker",
                data=self._data(n),
            )
        self.status = "running"
        self.tick_rate = float(os.environ.get("SPINE_BENCH_SWARM_RATE", "10"))
        super().start()

    def _data(self, n: int) -> dict[str, float]:
        (x, y), (vx, vy) = self._position[n].tolist(), self._velocity[n].tolist()
        return {"x": x, "y": y, "vx": vx, "vy": vy}

    def on_tick(self) -> None:
        position, velocity = self._position, self._velocity
        position += velocity
        out = (position < 0) | (position > SWARM_SIZE)
        velocity[out] = -velocity[out]
        np.clip(position, 0, SWARM_SIZE, out=position)
        columns = {
            "x": position[:, 0],
            "y": position[:, 1],
            "vx": velocity[:, 0],
            "vy": velocity[:, 1],
        }
        self.events.broadcast_updates(self.tick, self._ids, columns)


SWARM_SIZE = 1000.0


def swarm(boundary: Boundary) -> Swarm:
    """`--simulation bench.sim:swarm` (SPINE_BENCH_SWARM agents, SPINE_BENCH_SWARM_RATE)."""
    return Swarm(boundary)
