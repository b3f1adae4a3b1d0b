"""Route-Sim's shape on spine-ws: the core lifecycle under the team's names (its
schema/envelope.json), and dotted messages of its own: `map.create` (long-running, with
progress, cancellable, others answered busy), `world.survey` (long-running while the
world keeps ticking), `map.import` (a frame of up to 4 MiB) and `map.created`.

`routesim_protocol` is what `spine-ws gen --python-out routesim_protocol` wrote from
./schema; this module imports only it and `spine_ws.sim`.
"""

from __future__ import annotations

import base64
import time
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
    MapImportCommand,
    MapImportResult,
    Registrar,
    WorldSurveyCommand,
    WorldSurveyResult,
)

from spine_ws.sim import AgentAddedEvent, AgentNotFound, Boundary, Job, TickingSimulation

SPACING = 100.0  # metres between intersections
STEP = 0.02  # seconds of work per row of a map, or per step of a survey


class RouteSim(TickingSimulation):
    def __init__(self, boundary: Boundary) -> None:
        super().__init__(boundary, tick_rate=20.0, catalog=CATALOG)
        handlers: Registrar = self.handlers
        handlers.register(MapCreateCommand, self.create_map)
        handlers.register(WorldSurveyCommand, self.survey)
        handlers.register(MapImportCommand, self.import_map)
        handlers.register(AddAgentCommand, self.add)
        handlers.register(DescribeAgentCommand, self.describe)
        self.agents: dict[str, tuple[str, dict[str, Any]]] = {}

    def start(self) -> None:
        self.events.broadcast(
            AgentAddedEvent, tick=0, agent_id="truck-1", agent_kind="truck", data={"x": 0.0}
        )
        super().start()

    def create_map(self, command: MapCreateCommand, job: Job) -> MapCreateResult:
        size = command.size
        nodes: list[list[float]] = []
        for y in range(size):
            time.sleep(STEP)  # the work of a row
            nodes += [[x * SPACING, y * SPACING] for x in range(size)]
            job.progress((y + 1) / size, f"row {y + 1} of {size}")  # raises if cancelled
        self.events.broadcast(MapCreatedEvent, tick=self.tick, size=size, nodes=nodes)
        return MapCreateResult(nodes=len(nodes), edges=2 * size * (size - 1))

    def survey(self, command: WorldSurveyCommand, job: Job) -> WorldSurveyResult:
        first = self.tick
        for step in range(command.steps):
            time.sleep(STEP)
            job.progress((step + 1) / command.steps)  # due ticks run here
        return WorldSurveyResult(ticks=self.tick - first)

    def import_map(self, command: MapImportCommand) -> MapImportResult:
        return MapImportResult(bytes=len(base64.b64decode(command.file_content)))

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
