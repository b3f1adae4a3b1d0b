"""Route-Sim's shape on spine-ws: the core lifecycle under the team's names (its
schema/envelope.json) and `map.create`/`map.created`, dotted, of its own.

`routesim_protocol` is what `spine-ws gen --python-out routesim_protocol` wrote from
./schema; this module imports only it and `spine_ws.sim`.
"""

from __future__ import annotations

from typing import Any

from pydantic import MISSING
from routesim_protocol import (
    CATALOG,
    AddAgentCommand,
    DescribeAgentCommand,
    DescribeAgentResult,
    MapCreateCommand,
    MapCreatedEvent,
    MapCreateResult,
    Registrar,
)

from spine_ws.sim import AgentAddedEvent, AgentNotFound, Boundary, TickingSimulation

SPACING = 100.0  # metres between intersections


class RouteSim(TickingSimulation):
    def __init__(self, boundary: Boundary) -> None:
        super().__init__(boundary, tick_rate=20.0, catalog=CATALOG)
        handlers: Registrar = self.handlers
        handlers.register(MapCreateCommand, self.create_map)
        handlers.register(AddAgentCommand, self.add)
        handlers.register(DescribeAgentCommand, self.describe)
        self.agents: dict[str, tuple[str, dict[str, Any]]] = {}

    def start(self) -> None:
        self.events.broadcast(
            AgentAddedEvent, tick=0, agent_id="truck-1", agent_kind="truck", data={"x": 0.0}
        )
        super().start()

    def create_map(self, command: MapCreateCommand) -> MapCreateResult:
        size = command.size
        nodes = [[x * SPACING, y * SPACING] for y in range(size) for x in range(size)]
        self.events.broadcast(MapCreatedEvent, tick=self.tick, size=size, nodes=nodes)
        return MapCreateResult(nodes=len(nodes), edges=2 * size * (size - 1))

    def add(self, command: AddAgentCommand) -> None:
        data = dict(command.agent_data) if command.agent_data is not MISSING else {}
        self.agents[command.agent_id] = (command.agent_kind, data)
        self.events.broadcast(
            AgentAddedEvent,
            tick=self.tick,
            agent_id=command.agent_id,
            agent_kind=command.agent_kind,
            data=data,
        )

    def describe(self, command: DescribeAgentCommand) -> DescribeAgentResult:
        if command.agent_id not in self.agents:
            raise AgentNotFound(f"no agent {command.agent_id}")
        kind, data = self.agents[command.agent_id]
        return DescribeAgentResult(agent_id=command.agent_id, agent_kind=kind, data=data)

    def on_tick(self) -> None:
        pass


def create(boundary: Boundary) -> RouteSim:
    return RouteSim(boundary)
