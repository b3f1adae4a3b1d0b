"""Route-Sim's simulation on spine-ws: every action of SPINE 0.36, in its envelope.

`routesim.protocol` is what `make gen` (spine-ws gen) writes from ../schema; this module
imports only it, `spine_ws.sim` and its own world. Each handler returns its command's
result, which goes back to the sender as the reply the frontend's table names
(agent.create -> agent.created, ...) with its request_id; what every client must see is
broadcast as well (simulation.started, map.created, agent.updated, ...).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pydantic import MISSING, BaseModel

from routesim.protocol import (
    CATALOG,
    AgentCreateCommand,
    AgentDeleteCommand,
    AgentDeletedEvent,
    AgentDeleteResult,
    AgentDescribeCommand,
    AgentListCommand,
    AgentListResult,
    AgentUpdateCommand,
    AgentUpdatedEvent,
    BrokerAgent,
    BuildingAgent,
    BuildingCreateCommand,
    BuildingCreatedEvent,
    BuildingCreateResult,
    ClockTickEndEvent,
    ClockTickStartEvent,
    MapCreateCommand,
    MapCreatedEvent,
    MapExportCommand,
    MapImportCommand,
    MapImportedEvent,
    PackageCreatedEvent,
    PackageDeliveredEvent,
    PackageExpiredEvent,
    PackagePickedUpEvent,
    Registrar,
    RouteFile,
    RouteFileName,
    RouteMap,
    RouteRates,
    SimulationExportStateCommand,
    SimulationImportStateCommand,
    SimulationPauseCommand,
    SimulationPausedEvent,
    SimulationResumeCommand,
    SimulationResumedEvent,
    SimulationStartCommand,
    SimulationStartedEvent,
    SimulationStateImportedEvent,
    SimulationStopCommand,
    SimulationStoppedEvent,
    SimulationUpdateCommand,
    SimulationUpdatedEvent,
    TruckAgent,
    TruckUpdate,
)
from routesim.roads import Graph, generate
from routesim.world import Truck, World
from spine_ws.sim import (
    AgentExists,
    AgentNotFound,
    Boundary,
    InvalidMessage,
    InvalidState,
    Job,
    PauseCommand,
    ResumeCommand,
    SetTickRateCommand,
    StartCommand,
    StopCommand,
    TickingSimulation,
)

__all__ = ["RouteSim", "create"]

# Each event a tick of the world may publish, by its wire type.
_WORLD_EVENTS: dict[str, type[BaseModel]] = {
    "agent.updated": AgentUpdatedEvent,
    "package.created": PackageCreatedEvent,
    "package.picked_up": PackagePickedUpEvent,
    "package.delivered": PackageDeliveredEvent,
    "package.expired": PackageExpiredEvent,
}
_TRUCK_SETTINGS = (
    "max_speed_kph",
    "capacity",
    "risk_factor",
    "fuel_tank_capacity_l",
    "balance_ducats",
)


class RouteSim(TickingSimulation):
    tick_events = (ClockTickStartEvent, ClockTickEndEvent)

    def __init__(self, boundary: Boundary) -> None:
        super().__init__(boundary, tick_rate=20.0, catalog=CATALOG)
        self.world = World()
        self.params: dict[str, Any] | None = None
        handlers: Registrar = self.handlers
        handlers.register(SimulationStartCommand, self.start_simulation)
        handlers.register(SimulationStopCommand, self.stop_simulation)
        handlers.register(SimulationPauseCommand, self.pause_simulation)
        handlers.register(SimulationResumeCommand, self.resume_simulation)
        handlers.register(SimulationUpdateCommand, self.update_simulation)
        handlers.register(SimulationExportStateCommand, self.export_state)
        handlers.register(SimulationImportStateCommand, self.import_state)
        handlers.register(MapCreateCommand, self.create_map)
        handlers.register(MapExportCommand, self.export_map)
        handlers.register(MapImportCommand, self.import_map)
        handlers.register(AgentCreateCommand, self.create_agent)
        handlers.register(AgentUpdateCommand, self.update_agent)
        handlers.register(AgentDeleteCommand, self.delete_agent)
        handlers.register(AgentDescribeCommand, self.describe_agent)
        handlers.register(AgentListCommand, self.list_agents)
        handlers.register(BuildingCreateCommand, self.create_building)

    # The clock on the tick events, and a tick of the world.

    def tick_members(self) -> dict[str, Any]:
        return {"time": round(self.world.time, 4), "day": self.world.day}

    def on_tick(self) -> None:
        for kind, members in self.world.step(self.tick):
            self.events.broadcast(_WORLD_EVENTS[kind], **members)

    # simulation.*: the core's lifecycle (its handlers), under SPINE's names and members.

    def _core(self, command: BaseModel) -> None:
        self.handlers.handler_for(command.model_fields["type"].default)(command)

    def start_simulation(self, command: SimulationStartCommand) -> RouteRates:
        self._core(StartCommand(tick_rate=command.tick_rate))
        self.world.speed = command.speed
        rates = {"tick_rate": command.tick_rate, "speed": command.speed}
        self.events.broadcast(SimulationStartedEvent, **rates)
        return RouteRates.model_validate(rates)

    def stop_simulation(self, command: SimulationStopCommand) -> None:
        self._core(StopCommand())
        self.events.broadcast(SimulationStoppedEvent)

    def pause_simulation(self, command: SimulationPauseCommand) -> None:
        self._core(PauseCommand())
        self.events.broadcast(SimulationPausedEvent)

    def resume_simulation(self, command: SimulationResumeCommand) -> None:
        self._core(ResumeCommand())
        self.events.broadcast(SimulationResumedEvent)

    def update_simulation(self, command: SimulationUpdateCommand) -> RouteRates:
        self._core(SetTickRateCommand(tick_rate=command.tick_rate))
        self.world.speed = command.speed
        rates = {"tick_rate": command.tick_rate, "speed": command.speed}
        self.events.broadcast(SimulationUpdatedEvent, **rates)
        return RouteRates.model_validate(rates)

    # Files: exported to the sender only, imported whole in one frame (x-spine-max-bytes).

    def export_state(self, command: SimulationExportStateCommand) -> RouteFile:
        return _file(f"{command.filename}.ssave", self.world.state_file())

    def import_state(self, command: SimulationImportStateCommand) -> RouteFileName:
        doc = _read_file(command.file_content, "/file_content")
        try:
            world = World.from_state_file(doc)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidMessage(f"not a state file: {exc}") from None
        self._core(StopCommand())
        self.world = world
        self.events.broadcast(SimulationStateImportedEvent, filename=command.filename)
        return RouteFileName(filename=command.filename)

    def create_map(self, command: MapCreateCommand, job: Job) -> RouteMap:
        """Minutes for a large map in SPINE; progress as it goes, cancellable."""
        params = command.model_dump(mode="json", exclude={"type", "id"})
        graph = generate(params, job.progress)
        self._replace(graph)
        self.params = params
        made = self._map()
        self.events.broadcast(MapCreatedEvent, **made)
        return RouteMap.model_validate(made)

    def export_map(self, command: MapExportCommand) -> RouteFile:
        return _file(f"{command.filename}.smap", self.world.graph.to_dict())

    def import_map(self, command: MapImportCommand) -> RouteFileName:
        doc = _read_file(command.file_content, "/file_content")
        try:
            graph = Graph.from_dict(doc)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidMessage(f"not a map file: {exc}") from None
        self._core(StopCommand())
        self._replace(graph)
        self.events.broadcast(MapImportedEvent, filename=command.filename)
        return RouteFileName(filename=command.filename)

    def _replace(self, graph: Graph) -> None:
        self.world.graph = graph
        self.world.packages.clear()
        first = next(iter(graph.nodes), None)
        for truck in self.world.trucks.values():
            truck.current_node, truck.current_edge, truck.route, truck.errand = (
                first,
                None,
                [],
                None,
            )

    def _map(self) -> dict[str, Any]:
        graph, params = self.world.graph, self.params or {}
        count = {
            kind: sum(1 for _ in graph.all_buildings(kind))
            for kind in ("site", "parking", "gas_station")
        }
        return {
            **params,
            "generated_nodes": len(graph.nodes),
            "generated_edges": len(graph.edges),
            "generated_sites": count["site"],
            "generated_parkings": count["parking"],
            "generated_gas_stations": count["gas_station"],
            "graph": graph.to_dict(),
        }

    # agent.*

    def create_agent(self, command: AgentCreateCommand) -> Agent:
        agent_id, world = command.agent_id, self.world
        if world.describe(agent_id) is not None:
            raise AgentExists(f"{agent_id} exists")
        data = dict(command.agent_data) if command.agent_data is not MISSING else {}
        if command.agent_kind == "truck":
            if not world.graph.nodes:
                raise InvalidState("a truck needs a map: map.create or map.import first")
            settings = {k: data[k] for k in _TRUCK_SETTINGS if k in data}
            truck = Truck(agent_id, **settings)
            truck.current_fuel_l = float(data.get("initial_fuel_l", truck.fuel_tank_capacity_l))
            truck.current_node = world.rng.choice(list(world.graph.nodes))
            world.trucks[agent_id] = truck
            return _agent(truck.full())
        if command.agent_kind == "broker":
            if any(a["kind"] == "broker" for a in world.others.values()):
                raise AgentExists("there is a broker already: there is one at most")
            agent = {
                "id": agent_id,
                "kind": "broker",
                "balance_ducats": float(data.get("balance_ducats", 10000)),
                "queue_size": 0,
                "assigned_count": 0,
                "has_active_negotiation": False,
            }
        else:
            agent = {
                "id": agent_id,
                "kind": "building",
                "building": {"id": agent_id, "type": "site"},
            }
        world.others[agent_id] = {**agent, "inbox_count": 0, "outbox_count": 0, "tags": {}}
        return _agent(world.others[agent_id])

    def update_agent(self, command: AgentUpdateCommand) -> TruckUpdate:
        truck = self.world.trucks.get(command.agent_id)
        if truck is None:
            raise AgentNotFound(f"no truck {command.agent_id}")
        data = dict(command.agent_data) if command.agent_data is not MISSING else {}
        for key, value in data.items():
            if key in _TRUCK_SETTINGS:
                setattr(truck, key, value)
            else:
                truck.tags[key] = value
        state = {"agent_id": truck.id, "tick": self.tick, **truck.state()}
        self.events.broadcast(AgentUpdatedEvent, **state)
        return TruckUpdate.model_validate(state)

    def delete_agent(self, command: AgentDeleteCommand) -> AgentDeleteResult:
        world = self.world
        if (
            world.trucks.pop(command.agent_id, None) is None
            and world.others.pop(command.agent_id, None) is None
        ):
            raise AgentNotFound(f"no agent {command.agent_id}")
        for package in world.packages.values():
            if package.carrier == command.agent_id:
                package.carrier = None
        gone = {"agent_id": command.agent_id, "tick": self.tick}
        self.events.broadcast(AgentDeletedEvent, **gone)
        return AgentDeleteResult.model_validate(gone)

    def describe_agent(self, command: AgentDescribeCommand) -> Agent:
        agent = self.world.describe(command.agent_id)
        if agent is None:
            raise AgentNotFound(f"no agent {command.agent_id}")
        return _agent(agent)

    def list_agents(self, command: AgentListCommand) -> AgentListResult:
        kind = command.agent_kind if command.agent_kind is not MISSING else None
        agents = self.world.agents(kind)
        return AgentListResult.model_validate(
            {"total": len(agents), "agents": agents, "tick": self.tick}
        )

    # building.create

    def create_building(self, command: BuildingCreateCommand) -> BuildingCreateResult:
        graph = self.world.graph
        if command.node_id not in graph.nodes:
            raise InvalidMessage(f"no intersection {command.node_id}")
        if graph.building(command.building_id) is not None:
            raise AgentExists(f"building {command.building_id} exists")
        building = {
            "id": command.building_id,
            "type": command.building_type,
            **command.model_dump(
                include={"capacity", "name", "activity_rate", "cost_factor"}, exclude_unset=True
            ),
        }
        graph.buildings.setdefault(command.node_id, []).append(building)
        made = {"node_id": command.node_id, "building": building, "tick": self.tick}
        self.events.broadcast(BuildingCreatedEvent, **made)
        return BuildingCreateResult.model_validate(made)


def _file(filename: str, doc: dict[str, Any]) -> RouteFile:
    """A file as SPINE sends it: indented JSON, base64."""
    content = base64.b64encode(json.dumps(doc, indent=2).encode()).decode()
    return RouteFile(filename=filename, file_content=content)


Agent = TruckAgent | BrokerAgent | BuildingAgent
_KINDS: dict[str, type[Agent]] = {
    "truck": TruckAgent,
    "broker": BrokerAgent,
    "building": BuildingAgent,
}


def _agent(doc: dict[str, Any]) -> Agent:
    """An agent, whole, as the model of its kind (agent.created, agent.described)."""
    return _KINDS[doc["kind"]].model_validate(doc)


def _read_file(content: str, where: str) -> dict[str, Any]:
    try:
        doc = json.loads(base64.b64decode(content, validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidMessage(f"{where[1:]} is not base64 of a JSON file: {exc}") from None
    if not isinstance(doc, dict):
        raise InvalidMessage(f"{where[1:]} is not a JSON object")
    return doc


def create(boundary: Boundary) -> RouteSim:
    """The factory: `spine-ws serve --simulation routesim.sim:create`."""
    return RouteSim(boundary)
