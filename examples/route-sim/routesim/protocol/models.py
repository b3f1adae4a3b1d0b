# GENERATED from schema/ by `spine-ws gen` (datamodel-code-generator) - do not edit.
# ruff: noqa: F401

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    MISSING,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
)
from spine_ws.generated.models import (  # the core's, re-exported
    AddAgentCommand,
    AgentAddedEvent,
    AgentColumnsEvent,
    AgentDataPatch,
    AgentEnteredEvent,
    AgentId,
    AgentIndexEvent,
    AgentKind,
    AgentLeftEvent,
    AgentRemovedEvent,
    AgentState,
    AgentSummary,
    AgentUpdateEvent,
    BatchEvent,
    BatchMember,
    CancelCommand,
    Capability,
    CommandAckEvent,
    CommandId,
    CommandType,
    Data,
    DeleteAgentCommand,
    DescribeAgentCommand,
    DescribeAgentResult,
    ErrorCode,
    ErrorDetail,
    ErrorEvent,
    EventType,
    ListAgentsCommand,
    ListAgentsResult,
    ModifyAgentCommand,
    Patches,
    PauseCommand,
    PlaybackEvent,
    PlaybackLiveCommand,
    PlaybackLiveResult,
    PlaybackPauseCommand,
    PlaybackPauseResult,
    PlaybackPlayCommand,
    PlaybackPlayResult,
    PlaybackSeekCommand,
    PlaybackSeekResult,
    PlaybackSpeedCommand,
    PlaybackSpeedResult,
    PlaybackState,
    ProgressEvent,
    ProtocolVersion,
    Region,
    ResumeCommand,
    ResumedEvent,
    ResumeRefused,
    Role,
    Seq,
    SetTickRateCommand,
    SimulationInfo,
    SimulationStateEvent,
    SimulationStatus,
    SkippedEvent,
    SnapshotEvent,
    StartCommand,
    StopCommand,
    SubscribeCommand,
    SubscribeResult,
    Tick,
    TickEndEvent,
    TickRate,
    TickStartEvent,
    WorldEventEvent,
)
from typing_extensions import TypeAliasType

SpineProtocol = TypeAliasType(
    "SpineProtocol", Annotated[Any, Field(title="SpineProtocol")]
)
"""
spine-ws protocol 1.9.0, bundled from schema/.
"""


UrbanActivityRateRangeItem = TypeAliasType(
    "UrbanActivityRateRangeItem", Annotated[StrictFloat, Field(ge=0.0)]
)


RuralActivityRateRangeItem = TypeAliasType(
    "RuralActivityRateRangeItem", Annotated[StrictFloat, Field(ge=0.0)]
)


GasStationCapacityRangeItem = TypeAliasType(
    "GasStationCapacityRangeItem", Annotated[StrictInt, Field(ge=0)]
)


GasStationCostFactorRangeItem = TypeAliasType(
    "GasStationCostFactorRangeItem", Annotated[StrictFloat, Field(ge=0.0)]
)


class BrokerAgent(BaseModel):
    """
    The broker that assigns packages to trucks, whole.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[StrictStr, Field(min_length=1)]
    """
    The agent's id.
    """
    kind: Literal["broker"] = "broker"
    """
    Always broker.
    """
    balance_ducats: StrictFloat
    """
    Its money.
    """
    queue_size: Annotated[StrictInt, Field(ge=0)]
    """
    Packages waiting for a truck.
    """
    assigned_count: Annotated[StrictInt, Field(ge=0)]
    """
    Packages assigned so far.
    """
    has_active_negotiation: StrictBool
    """
    Negotiating with a truck now.
    """
    inbox_count: Annotated[StrictInt, Field(ge=0)]
    """
    Messages waiting for it.
    """
    outbox_count: Annotated[StrictInt, Field(ge=0)]
    """
    Messages it sent.
    """
    tags: dict[str, Any]
    """
    Anything else known about it.
    """


class Edge(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: StrictStr
    """
    The road's id.
    """
    from_node: StrictStr
    """
    Where it starts.
    """
    to_node: StrictStr
    """
    Where it ends.
    """
    length_m: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Length, in metres.
    """
    mode: Annotated[StrictInt, Field(ge=1)]
    """
    1: road.
    """
    road_class: Literal["A", "S", "GP", "G", "Z", "L", "D"]
    """
    Class: A motorway ... D local.
    """
    lanes: Annotated[StrictInt, Field(ge=1)]
    """
    Lanes.
    """
    max_speed_kph: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Speed limit, in km/h.
    """
    weight_limit_kg: StrictFloat | None
    """
    Weight limit, in kg; null: none.
    """


class RouteBuilding(BaseModel):
    """
    A building on an intersection: a parking, a delivery site or a gas station.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[StrictStr, Field(min_length=1)]
    """
    The building's id.
    """
    type: Literal["parking", "site", "gas_station"]
    """
    What it is.
    """
    capacity: Annotated[StrictInt | MISSING, Field(ge=0)] = MISSING
    """
    Trucks it takes at once (parking, gas station).
    """
    name: StrictStr | MISSING = MISSING
    """
    Its name (site).
    """
    activity_rate: Annotated[StrictFloat | MISSING, Field(ge=0.0)] = MISSING
    """
    Packages an hour it sends (site).
    """
    cost_factor: Annotated[StrictFloat | MISSING, Field(ge=0.0)] = MISSING
    """
    Its price factor (gas station).
    """


class RouteFile(BaseModel):
    """
    A file, whole, as base64.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    filename: Annotated[StrictStr, Field(max_length=255, min_length=1)]
    """
    The file's name.
    """
    file_content: Annotated[
        StrictStr, Field(json_schema_extra={"contentEncoding": "base64"})
    ]
    """
    The file, base64.
    """


class RouteFileName(BaseModel):
    """
    The name of the file that was read.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    filename: Annotated[StrictStr, Field(max_length=255, min_length=1)]
    """
    The file's name.
    """


class RouteRates(BaseModel):
    """
    The simulation's pace: simulation.started and simulation.updated.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    tick_rate: Annotated[StrictInt, Field(ge=1, le=100)]
    """
    Ticks a second.
    """
    speed: Annotated[StrictFloat, Field(gt=0.0, le=10.0)]
    """
    Simulated seconds per real second, over the tick rate's pace.
    """


class TruckAgent(BaseModel):
    """
    A truck, whole.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[StrictStr, Field(min_length=1)]
    """
    The agent's id.
    """
    kind: Literal["truck"] = "truck"
    """
    Always truck.
    """
    max_speed_kph: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Top speed, in km/h.
    """
    capacity: Annotated[StrictInt, Field(ge=1)]
    """
    Packages it carries at most.
    """
    risk_factor: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    How much risk it takes.
    """
    balance_ducats: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Its money.
    """
    current_node: StrictStr | None
    """
    The intersection it is at; null: on a road.
    """
    current_edge: StrictStr | None
    """
    The road it is on; null: at an intersection.
    """
    edge_progress_m: Annotated[StrictFloat, Field(ge=0.0)]
    """
    How far along its road, in metres.
    """
    route: list[StrictStr]
    """
    Intersections ahead.
    """
    destination: StrictStr | None
    """
    Where it is going; null: idle.
    """
    current_building_id: StrictStr | None
    """
    The building it is in; null: none.
    """
    loaded_packages: list[StrictStr]
    """
    Packages aboard.
    """
    current_speed_kph: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Speed now, in km/h.
    """
    fuel_tank_capacity_l: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Tank size, in litres.
    """
    current_fuel_l: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Fuel in the tank, in litres.
    """
    co2_emitted_kg: Annotated[StrictFloat, Field(ge=0.0)]
    """
    CO2 emitted so far, in kg.
    """
    is_resting: StrictBool
    """
    Resting (driving-time rules).
    """
    is_fueling: StrictBool
    """
    Filling up.
    """
    inbox_count: Annotated[StrictInt, Field(ge=0)]
    """
    Messages waiting for it.
    """
    outbox_count: Annotated[StrictInt, Field(ge=0)]
    """
    Messages it sent.
    """
    tags: dict[str, Any]
    """
    Anything else known about it.
    """


class TruckUpdate(BaseModel):
    """
    A truck's state, as agent.updated carries it.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    agent_id: StrictStr
    """
    Its id.
    """
    tick: Tick
    """
    As of this tick.
    """
    id: Annotated[StrictStr, Field(min_length=1)]
    """
    The agent's id.
    """
    kind: Literal["truck"] = "truck"
    """
    Always truck.
    """
    max_speed_kph: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Top speed, in km/h.
    """
    capacity: Annotated[StrictInt, Field(ge=1)]
    """
    Packages it carries at most.
    """
    risk_factor: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    How much risk it takes.
    """
    balance_ducats: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Its money.
    """
    current_node: StrictStr | None
    """
    The intersection it is at; null: on a road.
    """
    current_edge: StrictStr | None
    """
    The road it is on; null: at an intersection.
    """
    edge_progress_m: Annotated[StrictFloat, Field(ge=0.0)]
    """
    How far along its road, in metres.
    """
    route: list[StrictStr]
    """
    Intersections ahead.
    """
    destination: StrictStr | None
    """
    Where it is going; null: idle.
    """
    current_building_id: StrictStr | None
    """
    The building it is in; null: none.
    """
    loaded_packages: list[StrictStr]
    """
    Packages aboard.
    """
    current_speed_kph: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Speed now, in km/h.
    """
    fuel_tank_capacity_l: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Tank size, in litres.
    """
    current_fuel_l: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Fuel in the tank, in litres.
    """
    co2_emitted_kg: Annotated[StrictFloat, Field(ge=0.0)]
    """
    CO2 emitted so far, in kg.
    """
    is_resting: StrictBool
    """
    Resting (driving-time rules).
    """
    is_fueling: StrictBool
    """
    Filling up.
    """


class AgentDeletedEvent(BaseModel):
    """
    An agent was removed.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent.deleted"] = "agent.deleted"
    """
    Message type: always "agent.deleted".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    agent_id: StrictStr
    """
    Its id.
    """
    tick: Tick
    """
    When.
    """


class AgentUpdatedEvent(BaseModel):
    """
    A truck's state after a tick it moved in (or an agent.update).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent.updated"] = "agent.updated"
    """
    Message type: always "agent.updated".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    agent_id: StrictStr
    """
    Its id.
    """
    tick: Tick
    """
    As of this tick.
    """
    id: Annotated[StrictStr, Field(min_length=1)]
    """
    The agent's id.
    """
    kind: Literal["truck"] = "truck"
    """
    Always truck.
    """
    max_speed_kph: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Top speed, in km/h.
    """
    capacity: Annotated[StrictInt, Field(ge=1)]
    """
    Packages it carries at most.
    """
    risk_factor: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    How much risk it takes.
    """
    balance_ducats: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Its money.
    """
    current_node: StrictStr | None
    """
    The intersection it is at; null: on a road.
    """
    current_edge: StrictStr | None
    """
    The road it is on; null: at an intersection.
    """
    edge_progress_m: Annotated[StrictFloat, Field(ge=0.0)]
    """
    How far along its road, in metres.
    """
    route: list[StrictStr]
    """
    Intersections ahead.
    """
    destination: StrictStr | None
    """
    Where it is going; null: idle.
    """
    current_building_id: StrictStr | None
    """
    The building it is in; null: none.
    """
    loaded_packages: list[StrictStr]
    """
    Packages aboard.
    """
    current_speed_kph: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Speed now, in km/h.
    """
    fuel_tank_capacity_l: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Tank size, in litres.
    """
    current_fuel_l: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Fuel in the tank, in litres.
    """
    co2_emitted_kg: Annotated[StrictFloat, Field(ge=0.0)]
    """
    CO2 emitted so far, in kg.
    """
    is_resting: StrictBool
    """
    Resting (driving-time rules).
    """
    is_fueling: StrictBool
    """
    Filling up.
    """


class BuildingCreatedEvent(BaseModel):
    """
    A building was put on an intersection.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["building.created"] = "building.created"
    """
    Message type: always "building.created".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    node_id: StrictStr
    """
    The intersection.
    """
    building: RouteBuilding
    """
    The building.
    """
    tick: Tick
    """
    When.
    """


class BuildingUpdatedEvent(BaseModel):
    """
    A building changed (a truck came or went).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["building.updated"] = "building.updated"
    """
    Message type: always "building.updated".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    building_id: StrictStr
    """
    Its id.
    """
    building: RouteBuilding
    """
    The building.
    """
    tick: Tick
    """
    When.
    """


class MapImportedEvent(BaseModel):
    """
    A map file replaced the road network.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["map.imported"] = "map.imported"
    """
    Message type: always "map.imported".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    filename: StrictStr
    """
    The file's name.
    """


class PackageCreatedEvent(BaseModel):
    """
    A site has a package to send.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["package.created"] = "package.created"
    """
    Message type: always "package.created".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    package_id: StrictStr
    """
    Its id.
    """
    origin_building_id: StrictStr
    """
    The site it leaves from.
    """
    destination_building_id: StrictStr
    """
    The site it goes to.
    """
    created_at_tick: Tick
    """
    When it appeared.
    """
    size: Annotated[StrictInt, Field(ge=1)]
    """
    Size, in pallets.
    """
    value_currency: Annotated[StrictFloat, Field(ge=0.0)]
    """
    What delivering it earns.
    """
    priority: Literal["LOW", "MEDIUM", "HIGH", "URGENT"]
    """
    Priority.
    """
    urgency: Literal["STANDARD", "EXPRESS", "SAME_DAY"]
    """
    Urgency.
    """
    pickup_deadline_tick: Tick
    """
    Pick it up by this tick.
    """
    delivery_deadline_tick: Tick
    """
    Deliver it by this tick.
    """
    tick: Tick
    """
    The tick.
    """


class PackageDeliveredEvent(BaseModel):
    """
    A package reached its destination.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["package.delivered"] = "package.delivered"
    """
    Message type: always "package.delivered".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    package_id: StrictStr
    """
    Its id.
    """
    site_id: StrictStr
    """
    Where.
    """
    value: Annotated[StrictFloat, Field(ge=0.0)]
    """
    What it earned.
    """
    tick: Tick
    """
    When.
    """


class PackageExpiredEvent(BaseModel):
    """
    A package was not picked up in time.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["package.expired"] = "package.expired"
    """
    Message type: always "package.expired".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    package_id: StrictStr
    """
    Its id.
    """
    site_id: StrictStr
    """
    Where it waited.
    """
    value_lost: Annotated[StrictFloat, Field(ge=0.0)]
    """
    What it would have earned.
    """
    tick: Tick
    """
    When.
    """


class PackagePickedUpEvent(BaseModel):
    """
    A truck picked a package up.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["package.picked_up"] = "package.picked_up"
    """
    Message type: always "package.picked_up".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    package_id: StrictStr
    """
    Its id.
    """
    agent_id: StrictStr
    """
    The truck.
    """
    tick: Tick
    """
    When.
    """


class SimulationPausedEvent(BaseModel):
    """
    The simulation paused.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation.paused"] = "simulation.paused"
    """
    Message type: always "simulation.paused".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """


class SimulationResumedEvent(BaseModel):
    """
    The simulation resumed.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation.resumed"] = "simulation.resumed"
    """
    Message type: always "simulation.resumed".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """


class SimulationStartedEvent(BaseModel):
    """
    The simulation started (broadcast; its sender's reply has the same members).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation.started"] = "simulation.started"
    """
    Message type: always "simulation.started".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    tick_rate: Annotated[StrictInt, Field(ge=1, le=100)]
    """
    Ticks a second.
    """
    speed: Annotated[StrictFloat, Field(gt=0.0, le=10.0)]
    """
    Simulated seconds per real second, over the tick rate's pace.
    """


class SimulationStateImportedEvent(BaseModel):
    """
    A state file replaced the state.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation.state_imported"] = "simulation.state_imported"
    """
    Message type: always "simulation.state_imported".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    filename: StrictStr
    """
    The file's name.
    """


class SimulationStoppedEvent(BaseModel):
    """
    The simulation stopped.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation.stopped"] = "simulation.stopped"
    """
    Message type: always "simulation.stopped".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """


class SimulationUpdatedEvent(BaseModel):
    """
    The pace changed.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation.updated"] = "simulation.updated"
    """
    Message type: always "simulation.updated".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    tick_rate: Annotated[StrictInt, Field(ge=1, le=100)]
    """
    Ticks a second.
    """
    speed: Annotated[StrictFloat, Field(gt=0.0, le=10.0)]
    """
    Simulated seconds per real second, over the tick rate's pace.
    """


class ClockTickEndEvent(BaseModel):
    """
    A tick ended: everything it changed came before.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["tick.end"] = "tick.end"
    """
    Message type: always "tick.end".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    tick: Tick
    """
    The tick.
    """
    time: Annotated[StrictFloat, Field(ge=0.0, lt=24.0)]
    """
    Hour of the simulated day.
    """
    day: Annotated[StrictInt, Field(ge=1)]
    """
    Simulated day, from 1.
    """


class ClockTickStartEvent(BaseModel):
    """
    A tick begins, with the simulated clock.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["tick.start"] = "tick.start"
    """
    Message type: always "tick.start".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    tick: Tick
    """
    The tick.
    """
    time: Annotated[StrictFloat, Field(ge=0.0, lt=24.0)]
    """
    Hour of the simulated day.
    """
    day: Annotated[StrictInt, Field(ge=1)]
    """
    Simulated day, from 1.
    """


class AgentDeleteResult(BaseModel):
    """
    The agent removed.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    agent_id: StrictStr
    """
    Its id.
    """
    tick: Tick
    """
    When.
    """


AgentUpdateResult = TypeAliasType(
    "AgentUpdateResult", Annotated[TruckUpdate, Field(title="AgentUpdateResult")]
)
"""
The truck's state now.
"""


class BuildingCreateResult(BaseModel):
    """
    The building.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    node_id: StrictStr
    """
    The intersection.
    """
    building: RouteBuilding
    """
    The building.
    """
    tick: Tick
    """
    When.
    """


MapExportResult = TypeAliasType(
    "MapExportResult", Annotated[RouteFile, Field(title="MapExportResult")]
)
"""
The map file.
"""


MapImportResult = TypeAliasType(
    "MapImportResult", Annotated[RouteFileName, Field(title="MapImportResult")]
)
"""
The file read.
"""


SimulationExportStateResult = TypeAliasType(
    "SimulationExportStateResult",
    Annotated[RouteFile, Field(title="SimulationExportStateResult")],
)
"""
The state file.
"""


SimulationImportStateResult = TypeAliasType(
    "SimulationImportStateResult",
    Annotated[RouteFileName, Field(title="SimulationImportStateResult")],
)
"""
The file read.
"""


SimulationStartResult = TypeAliasType(
    "SimulationStartResult", Annotated[RouteRates, Field(title="SimulationStartResult")]
)
"""
The pace it started at.
"""


SimulationUpdateResult = TypeAliasType(
    "SimulationUpdateResult",
    Annotated[RouteRates, Field(title="SimulationUpdateResult")],
)
"""
The pace now.
"""


class AgentCreateCommand(BaseModel):
    """
    Add an agent: a truck (on a random intersection), the broker (one at most) or a building agent.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent.create"] = "agent.create"
    """
    Message type: always "agent.create".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """
    agent_id: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    """
    Its id.
    """
    agent_kind: Literal["truck", "building", "broker"]
    """
    What it is.
    """
    agent_data: dict[str, Any] | MISSING = MISSING
    """
    Its settings: max_speed_kph, capacity, fuel_tank_capacity_l, ... for a truck; balance_ducats for the broker.
    """


class AgentDeleteCommand(BaseModel):
    """
    Remove an agent.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent.delete"] = "agent.delete"
    """
    Message type: always "agent.delete".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """
    agent_id: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    """
    Its id.
    """


class AgentDescribeCommand(BaseModel):
    """
    An agent, whole: answered agent.described.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent.describe"] = "agent.describe"
    """
    Message type: always "agent.describe".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """
    agent_id: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    """
    Its id.
    """


class AgentListCommand(BaseModel):
    """
    Every agent, or those of one kind: answered agent.listed.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent.list"] = "agent.list"
    """
    Message type: always "agent.list".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """
    agent_kind: Literal["truck", "building", "broker"] | MISSING = MISSING
    """
    Only agents of this kind.
    """


class AgentUpdateCommand(BaseModel):
    """
    Change members of an agent.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent.update"] = "agent.update"
    """
    Message type: always "agent.update".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """
    agent_id: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    """
    Its id.
    """
    agent_data: dict[str, Any] | MISSING = MISSING
    """
    The members to change.
    """


class BuildingCreateCommand(BaseModel):
    """
    Put a building on an intersection.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["building.create"] = "building.create"
    """
    Message type: always "building.create".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """
    building_type: Literal["parking", "site", "gas_station"]
    """
    What to build.
    """
    building_id: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    """
    Its id.
    """
    node_id: Annotated[StrictStr, Field(min_length=1)]
    """
    The intersection.
    """
    capacity: Annotated[StrictInt | MISSING, Field(ge=1)] = MISSING
    """
    Trucks it takes at once (parking, gas station).
    """
    name: StrictStr | MISSING = MISSING
    """
    Its name (site).
    """
    activity_rate: Annotated[StrictFloat | MISSING, Field(gt=0.0)] = MISSING
    """
    Packages an hour it sends (site).
    """
    cost_factor: Annotated[StrictFloat | MISSING, Field(gt=0.0)] = MISSING
    """
    Its price factor (gas station).
    """


class MapCreateCommand(BaseModel):
    """
    Generate a road network: minutes for a large one, reporting progress and cancellable (cancel). Other commands are answered busy meanwhile; refused while the simulation runs (pause or stop it first). Answered map.created.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["map.create"] = "map.create"
    """
    Message type: always "map.create".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """
    map_width: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Width of the map, in metres.
    """
    map_height: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Height of the map, in metres.
    """
    num_major_centers: Annotated[StrictInt, Field(ge=1)]
    """
    Cities.
    """
    minor_per_major: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Towns around each city.
    """
    center_separation: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Least distance between cities, in metres.
    """
    urban_sprawl: Annotated[StrictFloat, Field(gt=0.0)]
    """
    How far a city spreads, in metres.
    """
    local_density: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Intersections per km² in a city.
    """
    rural_density: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Intersections per km² outside the cities.
    """
    intra_connectivity: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    How densely a city's own roads connect (0 to 1).
    """
    inter_connectivity: Annotated[StrictFloat, Field(ge=1.0)]
    """
    Roads from each city to its nearest cities.
    """
    arterial_ratio: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    Share of a city's roads that are arterial.
    """
    gridness: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    How grid-like a city's streets are.
    """
    ring_road_prob: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    Chance that a city gets a ring road.
    """
    highway_curviness: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    How much highways bend.
    """
    rural_settlement_prob: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    Chance of a settlement at a rural intersection.
    """
    urban_sites_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Delivery sites per km² in cities.
    """
    rural_sites_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Delivery sites per km² elsewhere.
    """
    urban_parkings_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Truck parkings per km² in cities.
    """
    rural_parkings_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Truck parkings per km² elsewhere.
    """
    urban_gas_stations_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Gas stations per km² in cities.
    """
    rural_gas_stations_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Gas stations per km² elsewhere.
    """
    urban_activity_rate_range: Annotated[
        list[UrbanActivityRateRangeItem], Field(max_length=2, min_length=2)
    ]
    """
    [least, most] packages an hour at a city site.
    """
    rural_activity_rate_range: Annotated[
        list[RuralActivityRateRangeItem], Field(max_length=2, min_length=2)
    ]
    """
    [least, most] packages an hour at a rural site.
    """
    gas_station_capacity_range: Annotated[
        list[GasStationCapacityRangeItem], Field(max_length=2, min_length=2)
    ]
    """
    [least, most] trucks a gas station serves at once.
    """
    gas_station_cost_factor_range: Annotated[
        list[GasStationCostFactorRangeItem], Field(max_length=2, min_length=2)
    ]
    """
    [least, most] price factor of a gas station.
    """
    seed: StrictInt
    """
    Seed of the generator: the same parameters and seed make the same map.
    """


class MapExportCommand(BaseModel):
    """
    The road network as a file (base64): answered map.exported, to the sender only.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["map.export"] = "map.export"
    """
    Message type: always "map.export".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """
    filename: Annotated[StrictStr, Field(max_length=255, min_length=1)]
    """
    The file's name (.smap is added).
    """


class MapImportCommand(BaseModel):
    """
    Replace the road network with a file map.export wrote; stops the simulation. The file comes whole, in one frame of up to 8 MiB.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["map.import"] = "map.import"
    """
    Message type: always "map.import".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """
    filename: Annotated[StrictStr, Field(max_length=255, min_length=1)]
    """
    The file's name.
    """
    file_content: Annotated[
        StrictStr, Field(json_schema_extra={"contentEncoding": "base64"})
    ]
    """
    The file, base64.
    """


class SimulationExportStateCommand(BaseModel):
    """
    The whole state as a file (base64): answered simulation.state_exported, to the sender only.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation.export_state"] = "simulation.export_state"
    """
    Message type: always "simulation.export_state".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """
    filename: Annotated[StrictStr, Field(max_length=255, min_length=1)]
    """
    The file's name (.ssave is added).
    """


class SimulationImportStateCommand(BaseModel):
    """
    Replace the state with a file simulation.export_state wrote; stops the simulation. The file comes whole, in one frame of up to 8 MiB.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation.import_state"] = "simulation.import_state"
    """
    Message type: always "simulation.import_state".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """
    filename: Annotated[StrictStr, Field(max_length=255, min_length=1)]
    """
    The file's name.
    """
    file_content: Annotated[
        StrictStr, Field(json_schema_extra={"contentEncoding": "base64"})
    ]
    """
    The file, base64.
    """


class SimulationPauseCommand(BaseModel):
    """
    Pause: no ticks until simulation.resume.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation.pause"] = "simulation.pause"
    """
    Message type: always "simulation.pause".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """


class SimulationResumeCommand(BaseModel):
    """
    Resume after simulation.pause.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation.resume"] = "simulation.resume"
    """
    Message type: always "simulation.resume".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """


class SimulationStartCommand(BaseModel):
    """
    Start ticking at this pace.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation.start"] = "simulation.start"
    """
    Message type: always "simulation.start".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """
    tick_rate: Annotated[StrictInt, Field(ge=1, le=100)]
    """
    Ticks a second.
    """
    speed: Annotated[StrictFloat, Field(gt=0.0, le=10.0)]
    """
    Simulated seconds per real second, over the tick rate's pace.
    """


class SimulationStopCommand(BaseModel):
    """
    Stop ticking.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation.stop"] = "simulation.stop"
    """
    Message type: always "simulation.stop".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """


class SimulationUpdateCommand(BaseModel):
    """
    Change the pace.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation.update"] = "simulation.update"
    """
    Message type: always "simulation.update".
    """
    id: CommandId | MISSING = MISSING
    """
    The request's id (request_id on the wire); its reply echoes it.
    """
    tick_rate: Annotated[StrictInt, Field(ge=1, le=100)]
    """
    Ticks a second.
    """
    speed: Annotated[StrictFloat, Field(gt=0.0, le=10.0)]
    """
    Simulated seconds per real second, over the tick rate's pace.
    """


class BuildingAgent(BaseModel):
    """
    A building as an agent, whole.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    id: Annotated[StrictStr, Field(min_length=1)]
    """
    The agent's id.
    """
    kind: Literal["building"] = "building"
    """
    Always building.
    """
    building: RouteBuilding
    """
    The building.
    """
    inbox_count: Annotated[StrictInt, Field(ge=0)]
    """
    Messages waiting for it.
    """
    outbox_count: Annotated[StrictInt, Field(ge=0)]
    """
    Messages it sent.
    """
    tags: dict[str, Any]
    """
    Anything else known about it.
    """


class Node(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    id: StrictStr
    """
    The intersection's id.
    """
    x: StrictFloat
    """
    East, in metres.
    """
    y: StrictFloat
    """
    North, in metres.
    """
    buildings: list[RouteBuilding]
    """
    Its buildings.
    """


class RoadGraph(BaseModel):
    """
    The road network: intersections and the roads between them.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    nodes: list[Node]
    """
    Intersections.
    """
    edges: list[Edge]
    """
    Roads, one way each.
    """


RouteAgent = TypeAliasType(
    "RouteAgent",
    Annotated[TruckAgent | BrokerAgent | BuildingAgent, Field(title="RouteAgent")],
)
"""
An agent, whole: a truck, a broker or a building.
"""


class RouteMap(BaseModel):
    """
    A generated map: its parameters, what was generated, and the graph.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    map_width: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Width of the map, in metres.
    """
    map_height: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Height of the map, in metres.
    """
    num_major_centers: Annotated[StrictInt, Field(ge=1)]
    """
    Cities.
    """
    minor_per_major: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Towns around each city.
    """
    center_separation: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Least distance between cities, in metres.
    """
    urban_sprawl: Annotated[StrictFloat, Field(gt=0.0)]
    """
    How far a city spreads, in metres.
    """
    local_density: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Intersections per km² in a city.
    """
    rural_density: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Intersections per km² outside the cities.
    """
    intra_connectivity: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    How densely a city's own roads connect (0 to 1).
    """
    inter_connectivity: Annotated[StrictFloat, Field(ge=1.0)]
    """
    Roads from each city to its nearest cities.
    """
    arterial_ratio: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    Share of a city's roads that are arterial.
    """
    gridness: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    How grid-like a city's streets are.
    """
    ring_road_prob: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    Chance that a city gets a ring road.
    """
    highway_curviness: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    How much highways bend.
    """
    rural_settlement_prob: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    Chance of a settlement at a rural intersection.
    """
    urban_sites_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Delivery sites per km² in cities.
    """
    rural_sites_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Delivery sites per km² elsewhere.
    """
    urban_parkings_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Truck parkings per km² in cities.
    """
    rural_parkings_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Truck parkings per km² elsewhere.
    """
    urban_gas_stations_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Gas stations per km² in cities.
    """
    rural_gas_stations_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Gas stations per km² elsewhere.
    """
    urban_activity_rate_range: Annotated[
        list[UrbanActivityRateRangeItem], Field(max_length=2, min_length=2)
    ]
    """
    [least, most] packages an hour at a city site.
    """
    rural_activity_rate_range: Annotated[
        list[RuralActivityRateRangeItem], Field(max_length=2, min_length=2)
    ]
    """
    [least, most] packages an hour at a rural site.
    """
    gas_station_capacity_range: Annotated[
        list[GasStationCapacityRangeItem], Field(max_length=2, min_length=2)
    ]
    """
    [least, most] trucks a gas station serves at once.
    """
    gas_station_cost_factor_range: Annotated[
        list[GasStationCostFactorRangeItem], Field(max_length=2, min_length=2)
    ]
    """
    [least, most] price factor of a gas station.
    """
    seed: StrictInt
    """
    Seed of the generator: the same parameters and seed make the same map.
    """
    generated_nodes: Annotated[StrictInt, Field(ge=0)]
    """
    Intersections generated.
    """
    generated_edges: Annotated[StrictInt, Field(ge=0)]
    """
    Roads generated.
    """
    generated_sites: Annotated[StrictInt, Field(ge=0)]
    """
    Delivery sites generated.
    """
    generated_parkings: Annotated[StrictInt, Field(ge=0)]
    """
    Parkings generated.
    """
    generated_gas_stations: Annotated[StrictInt, Field(ge=0)]
    """
    Gas stations generated.
    """
    graph: RoadGraph
    """
    The network.
    """


class MapCreatedEvent(BaseModel):
    """
    A new road network is in place (broadcast; its sender's reply has the same members).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["map.created"] = "map.created"
    """
    Message type: always "map.created".
    """
    seq: Seq
    """
    Sequence number of this broadcast (beside data on the wire).
    """
    map_width: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Width of the map, in metres.
    """
    map_height: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Height of the map, in metres.
    """
    num_major_centers: Annotated[StrictInt, Field(ge=1)]
    """
    Cities.
    """
    minor_per_major: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Towns around each city.
    """
    center_separation: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Least distance between cities, in metres.
    """
    urban_sprawl: Annotated[StrictFloat, Field(gt=0.0)]
    """
    How far a city spreads, in metres.
    """
    local_density: Annotated[StrictFloat, Field(gt=0.0)]
    """
    Intersections per km² in a city.
    """
    rural_density: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Intersections per km² outside the cities.
    """
    intra_connectivity: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    How densely a city's own roads connect (0 to 1).
    """
    inter_connectivity: Annotated[StrictFloat, Field(ge=1.0)]
    """
    Roads from each city to its nearest cities.
    """
    arterial_ratio: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    Share of a city's roads that are arterial.
    """
    gridness: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    How grid-like a city's streets are.
    """
    ring_road_prob: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    Chance that a city gets a ring road.
    """
    highway_curviness: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    How much highways bend.
    """
    rural_settlement_prob: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    Chance of a settlement at a rural intersection.
    """
    urban_sites_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Delivery sites per km² in cities.
    """
    rural_sites_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Delivery sites per km² elsewhere.
    """
    urban_parkings_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Truck parkings per km² in cities.
    """
    rural_parkings_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Truck parkings per km² elsewhere.
    """
    urban_gas_stations_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Gas stations per km² in cities.
    """
    rural_gas_stations_per_km2: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Gas stations per km² elsewhere.
    """
    urban_activity_rate_range: Annotated[
        list[UrbanActivityRateRangeItem], Field(max_length=2, min_length=2)
    ]
    """
    [least, most] packages an hour at a city site.
    """
    rural_activity_rate_range: Annotated[
        list[RuralActivityRateRangeItem], Field(max_length=2, min_length=2)
    ]
    """
    [least, most] packages an hour at a rural site.
    """
    gas_station_capacity_range: Annotated[
        list[GasStationCapacityRangeItem], Field(max_length=2, min_length=2)
    ]
    """
    [least, most] trucks a gas station serves at once.
    """
    gas_station_cost_factor_range: Annotated[
        list[GasStationCostFactorRangeItem], Field(max_length=2, min_length=2)
    ]
    """
    [least, most] price factor of a gas station.
    """
    seed: StrictInt
    """
    Seed of the generator: the same parameters and seed make the same map.
    """
    generated_nodes: Annotated[StrictInt, Field(ge=0)]
    """
    Intersections generated.
    """
    generated_edges: Annotated[StrictInt, Field(ge=0)]
    """
    Roads generated.
    """
    generated_sites: Annotated[StrictInt, Field(ge=0)]
    """
    Delivery sites generated.
    """
    generated_parkings: Annotated[StrictInt, Field(ge=0)]
    """
    Parkings generated.
    """
    generated_gas_stations: Annotated[StrictInt, Field(ge=0)]
    """
    Gas stations generated.
    """
    graph: RoadGraph
    """
    The network.
    """


AgentCreateResult = TypeAliasType(
    "AgentCreateResult", Annotated[RouteAgent, Field(title="AgentCreateResult")]
)
"""
The agent, whole.
"""


AgentDescribeResult = TypeAliasType(
    "AgentDescribeResult", Annotated[RouteAgent, Field(title="AgentDescribeResult")]
)
"""
The agent, whole.
"""


class AgentListResult(BaseModel):
    """
    The agents.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    total: Annotated[StrictInt, Field(ge=0)]
    """
    How many.
    """
    agents: list[RouteAgent]
    """
    Each, whole.
    """
    tick: Tick
    """
    As of this tick.
    """


MapCreateResult = TypeAliasType(
    "MapCreateResult", Annotated[RouteMap, Field(title="MapCreateResult")]
)
"""
The map: its parameters, what was generated, the graph.
"""


Command = TypeAliasType(
    "Command",
    Annotated[
        AddAgentCommand
        | AgentCreateCommand
        | AgentDeleteCommand
        | AgentDescribeCommand
        | AgentListCommand
        | AgentUpdateCommand
        | BuildingCreateCommand
        | CancelCommand
        | DeleteAgentCommand
        | DescribeAgentCommand
        | ListAgentsCommand
        | MapCreateCommand
        | MapExportCommand
        | MapImportCommand
        | ModifyAgentCommand
        | PauseCommand
        | PlaybackLiveCommand
        | PlaybackPauseCommand
        | PlaybackPlayCommand
        | PlaybackSeekCommand
        | PlaybackSpeedCommand
        | ResumeCommand
        | SetTickRateCommand
        | SimulationExportStateCommand
        | SimulationImportStateCommand
        | SimulationPauseCommand
        | SimulationResumeCommand
        | SimulationStartCommand
        | SimulationStopCommand
        | SimulationUpdateCommand
        | StartCommand
        | StopCommand
        | SubscribeCommand,
        Field(discriminator="type"),
    ],
)
"""
Any command a client may send.
"""


ServerEvent = TypeAliasType(
    "ServerEvent",
    Annotated[
        AgentDeletedEvent
        | AgentUpdatedEvent
        | AgentAddedEvent
        | AgentColumnsEvent
        | AgentEnteredEvent
        | AgentIndexEvent
        | AgentLeftEvent
        | AgentRemovedEvent
        | AgentUpdateEvent
        | BatchEvent
        | BuildingCreatedEvent
        | BuildingUpdatedEvent
        | CommandAckEvent
        | ErrorEvent
        | MapCreatedEvent
        | MapImportedEvent
        | PackageCreatedEvent
        | PackageDeliveredEvent
        | PackageExpiredEvent
        | PackagePickedUpEvent
        | PlaybackEvent
        | ProgressEvent
        | ResumedEvent
        | SimulationPausedEvent
        | SimulationResumedEvent
        | SimulationStartedEvent
        | SimulationStateImportedEvent
        | SimulationStoppedEvent
        | SimulationUpdatedEvent
        | SimulationStateEvent
        | SkippedEvent
        | SnapshotEvent
        | ClockTickEndEvent
        | ClockTickStartEvent
        | TickEndEvent
        | TickStartEvent
        | WorldEventEvent,
        Field(discriminator="type"),
    ],
)
"""
Any event the server may send.
"""

__all__ = [
    "AddAgentCommand",
    "AgentAddedEvent",
    "AgentColumnsEvent",
    "AgentCreateCommand",
    "AgentCreateResult",
    "AgentDataPatch",
    "AgentDeleteCommand",
    "AgentDeleteResult",
    "AgentDeletedEvent",
    "AgentDescribeCommand",
    "AgentDescribeResult",
    "AgentEnteredEvent",
    "AgentId",
    "AgentIndexEvent",
    "AgentKind",
    "AgentLeftEvent",
    "AgentListCommand",
    "AgentListResult",
    "AgentRemovedEvent",
    "AgentState",
    "AgentSummary",
    "AgentUpdateCommand",
    "AgentUpdateEvent",
    "AgentUpdateResult",
    "AgentUpdatedEvent",
    "BatchEvent",
    "BatchMember",
    "BrokerAgent",
    "BuildingAgent",
    "BuildingCreateCommand",
    "BuildingCreateResult",
    "BuildingCreatedEvent",
    "BuildingUpdatedEvent",
    "CancelCommand",
    "Capability",
    "ClockTickEndEvent",
    "ClockTickStartEvent",
    "Command",
    "CommandAckEvent",
    "CommandId",
    "CommandType",
    "Data",
    "DeleteAgentCommand",
    "DescribeAgentCommand",
    "DescribeAgentResult",
    "Edge",
    "ErrorCode",
    "ErrorDetail",
    "ErrorEvent",
    "EventType",
    "GasStationCapacityRangeItem",
    "GasStationCostFactorRangeItem",
    "ListAgentsCommand",
    "ListAgentsResult",
    "MapCreateCommand",
    "MapCreateResult",
    "MapCreatedEvent",
    "MapExportCommand",
    "MapExportResult",
    "MapImportCommand",
    "MapImportResult",
    "MapImportedEvent",
    "ModifyAgentCommand",
    "Node",
    "PackageCreatedEvent",
    "PackageDeliveredEvent",
    "PackageExpiredEvent",
    "PackagePickedUpEvent",
    "Patches",
    "PauseCommand",
    "PlaybackEvent",
    "PlaybackLiveCommand",
    "PlaybackLiveResult",
    "PlaybackPauseCommand",
    "PlaybackPauseResult",
    "PlaybackPlayCommand",
    "PlaybackPlayResult",
    "PlaybackSeekCommand",
    "PlaybackSeekResult",
    "PlaybackSpeedCommand",
    "PlaybackSpeedResult",
    "PlaybackState",
    "ProgressEvent",
    "ProtocolVersion",
    "Region",
    "ResumeCommand",
    "ResumeRefused",
    "ResumedEvent",
    "RoadGraph",
    "Role",
    "RouteAgent",
    "RouteBuilding",
    "RouteFile",
    "RouteFileName",
    "RouteMap",
    "RouteRates",
    "RuralActivityRateRangeItem",
    "Seq",
    "ServerEvent",
    "SetTickRateCommand",
    "SimulationExportStateCommand",
    "SimulationExportStateResult",
    "SimulationImportStateCommand",
    "SimulationImportStateResult",
    "SimulationInfo",
    "SimulationPauseCommand",
    "SimulationPausedEvent",
    "SimulationResumeCommand",
    "SimulationResumedEvent",
    "SimulationStartCommand",
    "SimulationStartResult",
    "SimulationStartedEvent",
    "SimulationStateEvent",
    "SimulationStateImportedEvent",
    "SimulationStatus",
    "SimulationStopCommand",
    "SimulationStoppedEvent",
    "SimulationUpdateCommand",
    "SimulationUpdateResult",
    "SimulationUpdatedEvent",
    "SkippedEvent",
    "SnapshotEvent",
    "SpineProtocol",
    "StartCommand",
    "StopCommand",
    "SubscribeCommand",
    "SubscribeResult",
    "Tick",
    "TickEndEvent",
    "TickRate",
    "TickStartEvent",
    "TruckAgent",
    "TruckUpdate",
    "UrbanActivityRateRangeItem",
    "WorldEventEvent",
]
