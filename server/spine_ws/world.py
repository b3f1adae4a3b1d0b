"""The embedded default simulation: agents moving in a bounded 2D world, bouncing off walls.

Small but real, so `make run` shows something moving on a fresh machine. Agent data
members `x`, `y` (position, 0..SIZE) and `vx`, `vy` (units per tick) are numbers; missing
ones are chosen at random; any other members are kept and echoed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from pydantic import MISSING

# Through the public plug-in API only, as any other simulation.
from spine_ws.sim import (
    AddAgentCommand,
    AgentAddedEvent,
    AgentExists,
    AgentNotFound,
    AgentRemovedEvent,
    AgentSummary,
    AgentUpdateEvent,
    Boundary,
    DeleteAgentCommand,
    DescribeAgentCommand,
    DescribeAgentResult,
    InvalidMessage,
    LimitExceeded,
    ListAgentsCommand,
    ListAgentsResult,
    ModifyAgentCommand,
    TickingSimulation,
    WorldEventEvent,
)

__all__ = ["SIZE", "World", "default_simulation"]

SIZE = 100.0
MOTION = ("x", "y", "vx", "vy")
# Agents in a list_agents page when the command gives no limit.
LIST_LIMIT = 100


@dataclass
class Agent:
    kind: str
    data: dict[str, Any]


class World(TickingSimulation):
    """The default simulation; `seed_agents` are created before the first client joins."""

    def __init__(
        self,
        boundary: Boundary,
        *,
        tick_rate: float = 20.0,
        seed_agents: int = 8,
        max_agents: int = 10_000,
        autostart: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        super().__init__(boundary, tick_rate)
        self.agents: dict[str, Agent] = {}
        self.max_agents = max_agents
        self._autostart = autostart
        self._seed_agents = seed_agents
        self._rng = rng or random.Random()
        self.handlers.register(AddAgentCommand, self._add)
        self.handlers.register(DeleteAgentCommand, self._delete)
        self.handlers.register(ModifyAgentCommand, self._modify)
        # Read-only queries are answered here, on the simulation's thread: from its own
        # state, in order with the commands before them (a client reads its writes).
        self.handlers.register(DescribeAgentCommand, self._describe)
        self.handlers.register(ListAgentsCommand, self._list)

    def start(self) -> None:
        for n in range(1, self._seed_agents + 1):
            self._add(AddAgentCommand(agent_id=f"agent-{n}", agent_kind="walker"))
        if self._autostart:
            self.status = "running"
        super().start()

    def on_tick(self) -> None:
        # Agents whose data has the same members move as one set of columns: a tick's
        # updates are published at once (and reach a columns client as one frame).
        moved: dict[tuple[str, ...], list[str]] = {}
        for agent_id, agent in self.agents.items():
            data = agent.data
            for axis, velocity in (("x", "vx"), ("y", "vy")):
                position = data[axis] + data[velocity]
                wall = None
                if position < 0:
                    position, wall = -position, f"{axis}=0"
                elif position > SIZE:
                    position, wall = 2 * SIZE - position, f"{axis}={SIZE:g}"
                if wall:
                    data[velocity] = -data[velocity]
                    self.events.broadcast(
                        WorldEventEvent,
                        tick=self.tick,
                        kind="bounce",
                        data={"agent_id": agent_id, "wall": wall},
                    )
                data[axis] = min(max(position, 0.0), SIZE)
            moved.setdefault(tuple(data), []).append(agent_id)
        for names, ids in moved.items():
            self._publish(names, ids)

    def _publish(self, names: tuple[str, ...], ids: list[str]) -> None:
        agents = self.agents
        columns = {name: [agents[agent_id].data[name] for agent_id in ids] for name in names}
        try:
            self.events.broadcast_updates(self.tick, ids, columns)
        except ValueError:  # a member that is not a scalar (an object, a list): one by one
            for agent_id in ids:
                data = agents[agent_id].data
                self.events.broadcast(
                    AgentUpdateEvent, tick=self.tick, agent_id=agent_id, data=data
                )

    def _add(self, command: AddAgentCommand) -> None:
        if command.agent_id in self.agents:
            raise AgentExists(f"an agent with id {command.agent_id!r} already exists")
        if len(self.agents) >= self.max_agents:
            raise LimitExceeded(f"the world holds at most {self.max_agents} agents")
        data = dict(command.agent_data) if command.agent_data is not MISSING else {}
        _check_motion(data, "/agent_data")
        data.setdefault("x", round(self._rng.uniform(0, SIZE), 3))
        data.setdefault("y", round(self._rng.uniform(0, SIZE), 3))
        data.setdefault("vx", round(self._rng.uniform(-1.5, 1.5), 3))
        data.setdefault("vy", round(self._rng.uniform(-1.5, 1.5), 3))
        self.agents[command.agent_id] = Agent(command.agent_kind, data)
        self.events.broadcast(
            AgentAddedEvent,
            tick=self.tick,
            agent_id=command.agent_id,
            agent_kind=command.agent_kind,
            data=data,
        )

    def _delete(self, command: DeleteAgentCommand) -> None:
        if self.agents.pop(command.agent_id, None) is None:
            raise AgentNotFound(f"no agent has id {command.agent_id!r}")
        self.events.broadcast(AgentRemovedEvent, tick=self.tick, agent_id=command.agent_id)

    def _modify(self, command: ModifyAgentCommand) -> None:
        agent = self.agents.get(command.agent_id)
        if agent is None:
            raise AgentNotFound(f"no agent has id {command.agent_id!r}")
        _check_motion(command.agent_data, "/agent_data")
        agent.data.update(command.agent_data)
        self.events.broadcast(
            AgentUpdateEvent, tick=self.tick, agent_id=command.agent_id, data=agent.data
        )

    def _describe(self, command: DescribeAgentCommand) -> DescribeAgentResult:
        agent = self.agents.get(command.agent_id)
        if agent is None:
            raise AgentNotFound(f"no agent has id {command.agent_id!r}")
        return DescribeAgentResult(
            agent_id=command.agent_id, agent_kind=agent.kind, data=dict(agent.data)
        )

    def _list(self, command: ListAgentsCommand) -> ListAgentsResult:
        limit = LIST_LIMIT if command.limit is MISSING else command.limit
        ids = iter(self.agents)
        if command.after is not MISSING:
            if command.after not in self.agents:
                raise AgentNotFound(f"no agent has id {command.after!r} (the page's after)")
            for agent_id in ids:  # skip up to and including `after`
                if agent_id == command.after:
                    break
        kind = None if command.agent_kind is MISSING else command.agent_kind
        page: list[AgentSummary] = []
        for agent_id in ids:
            agent = self.agents[agent_id]
            if kind is not None and agent.kind != kind:
                continue
            if len(page) == limit:  # one more exists: the page has a next
                return ListAgentsResult(agents=page, next=page[-1].agent_id)
            page.append(AgentSummary(agent_id=agent_id, agent_kind=agent.kind))
        return ListAgentsResult(agents=page)


def _check_motion(data: dict[str, Any], path: str) -> None:
    """Positions and velocities must be finite numbers, positions inside the world."""
    problems = []
    for key in MOTION:
        if key not in data:
            continue
        value = data[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            problems.append((f"{path}/{key}", "must be a number"))
        elif key in ("x", "y") and not 0 <= value <= SIZE:
            problems.append((f"{path}/{key}", f"must be within 0..{SIZE:g}"))
    if problems:
        raise InvalidMessage("agent_data has invalid motion members", problems)


def default_simulation(
    boundary: Boundary,
    *,
    tick_rate: float = 20.0,
    seed_agents: int = 8,
    max_agents: int = 10_000,
    autostart: bool = False,
) -> World:
    """The simulation `make run` serves unless `--simulation module:factory` is given."""
    return World(
        boundary,
        tick_rate=tick_rate,
        seed_agents=seed_agents,
        max_agents=max_agents,
        autostart=autostart,
    )
