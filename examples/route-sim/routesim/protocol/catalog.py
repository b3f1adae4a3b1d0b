# GENERATED from schema/ by `spine-ws gen` (spine_ws.codegen) - do not edit.
"""Lookup tables and constants of the protocol, generated with the models."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Protocol, overload

from pydantic import BaseModel

from . import models

if TYPE_CHECKING:
    from spine_ws.sim import Job

__all__ = [
    "BROADCAST_EVENT_TYPES",
    "COMMAND_ID_PATTERN",
    "COMMAND_MODELS",
    "CONNECTION_COMMAND_TYPES",
    "ENVELOPE",
    "EVENT_MODELS",
    "LONG_RUNNING",
    "MAX_BYTES",
    "PROTOCOL_VERSION",
    "RESULT_MODELS",
    "SCHEMA_HASH",
    "SUBPROTOCOL",
    "Registrar",
]

PROTOCOL_VERSION: Final = "1.9.0"
SCHEMA_HASH: Final = "2abbba19e17bf64e784c6ca7816195b7128ca8a9e877f71900d906ae46865c9d"
# The WebSocket subprotocol of this major version (offered by clients, selected by
# the server).
SUBPROTOCOL: Final = "spine.v1"
# A command `id` (schema/defs/command_id.json), as a regular expression.
COMMAND_ID_PATTERN: Final = "^[A-Za-z0-9._:-]{1,64}$"

# Wire type -> model of every command (schema/commands/<type>.json).
COMMAND_MODELS: Final[dict[str, type[BaseModel]]] = {
    "add_agent": models.AddAgentCommand,
    "agent.create": models.AgentCreateCommand,
    "agent.delete": models.AgentDeleteCommand,
    "agent.describe": models.AgentDescribeCommand,
    "agent.list": models.AgentListCommand,
    "agent.update": models.AgentUpdateCommand,
    "building.create": models.BuildingCreateCommand,
    "cancel": models.CancelCommand,
    "delete_agent": models.DeleteAgentCommand,
    "describe_agent": models.DescribeAgentCommand,
    "list_agents": models.ListAgentsCommand,
    "map.create": models.MapCreateCommand,
    "map.export": models.MapExportCommand,
    "map.import": models.MapImportCommand,
    "modify_agent": models.ModifyAgentCommand,
    "pause": models.PauseCommand,
    "playback.live": models.PlaybackLiveCommand,
    "playback.pause": models.PlaybackPauseCommand,
    "playback.play": models.PlaybackPlayCommand,
    "playback.seek": models.PlaybackSeekCommand,
    "playback.speed": models.PlaybackSpeedCommand,
    "resume": models.ResumeCommand,
    "set_tick_rate": models.SetTickRateCommand,
    "simulation.export_state": models.SimulationExportStateCommand,
    "simulation.import_state": models.SimulationImportStateCommand,
    "simulation.pause": models.SimulationPauseCommand,
    "simulation.resume": models.SimulationResumeCommand,
    "simulation.start": models.SimulationStartCommand,
    "simulation.stop": models.SimulationStopCommand,
    "simulation.update": models.SimulationUpdateCommand,
    "start": models.StartCommand,
    "stop": models.StopCommand,
    "subscribe": models.SubscribeCommand,
}

# Commands about the connection itself (`x-spine-scope: connection`): the server
# answers them, never the simulation, and a viewer may send them.
CONNECTION_COMMAND_TYPES: Final = frozenset(
    {
        "cancel",
        "playback.live",
        "playback.pause",
        "playback.play",
        "playback.seek",
        "playback.speed",
        "subscribe",
    }
)

# Command type -> model of its result, for the commands that return one
# (schema/results/<type>.json): the command_ack's `result` is validated against it.
RESULT_MODELS: Final[dict[str, Any]] = {  # a model, or an alias ($ref, oneOf)
    "agent.create": models.AgentCreateResult,
    "agent.delete": models.AgentDeleteResult,
    "agent.describe": models.AgentDescribeResult,
    "agent.list": models.AgentListResult,
    "agent.update": models.AgentUpdateResult,
    "building.create": models.BuildingCreateResult,
    "describe_agent": models.DescribeAgentResult,
    "list_agents": models.ListAgentsResult,
    "map.create": models.MapCreateResult,
    "map.export": models.MapExportResult,
    "map.import": models.MapImportResult,
    "playback.live": models.PlaybackLiveResult,
    "playback.pause": models.PlaybackPauseResult,
    "playback.play": models.PlaybackPlayResult,
    "playback.seek": models.PlaybackSeekResult,
    "playback.speed": models.PlaybackSpeedResult,
    "simulation.export_state": models.SimulationExportStateResult,
    "simulation.import_state": models.SimulationImportStateResult,
    "simulation.start": models.SimulationStartResult,
    "simulation.update": models.SimulationUpdateResult,
    "subscribe": models.SubscribeResult,
}

# Commands that run long (x-spine-long-running): what the server does with the
# others meanwhile (queue them, or answer busy) and whether ticks go on.
LONG_RUNNING: Final[dict[str, dict[str, str]]] = {
    "map.create": {"others": "busy", "ticks": "refuse"}
}

# Commands that may come in a frame larger than the server's limit (x-spine-max-bytes).
MAX_BYTES: Final[dict[str, int]] = {
    "map.import": 8388608,
    "simulation.import_state": 8388608,
}

# The envelope the schema tree declares (its envelope.json), as written: the
# server speaks it to clients that name no subprotocol. None: spine's own.
ENVELOPE: Final[dict[str, Any] | None] = {
    "name": "routesim",
    "command": {"name": "action", "members": "params", "id": "request_id"},
    "event": {"name": "signal", "members": "data", "seq": "seq"},
    "reply": {"ack": "command.done", "error": "error"},
    "replies": {
        "simulation.start": "simulation.started",
        "simulation.stop": "simulation.stopped",
        "simulation.pause": "simulation.paused",
        "simulation.resume": "simulation.resumed",
        "simulation.update": "simulation.updated",
        "simulation.export_state": "simulation.state_exported",
        "simulation.import_state": "simulation.state_imported",
        "map.create": "map.created",
        "map.export": "map.exported",
        "map.import": "map.imported",
        "agent.create": "agent.created",
        "agent.update": "agent.updated",
        "agent.delete": "agent.deleted",
        "agent.describe": "agent.described",
        "agent.list": "agent.listed",
        "building.create": "building.created",
    },
    "names": {},
}

# Wire type -> model of every event (schema/events/<type>.json).
EVENT_MODELS: Final[dict[str, type[BaseModel]]] = {
    "agent.deleted": models.AgentDeletedEvent,
    "agent.updated": models.AgentUpdatedEvent,
    "agent_added": models.AgentAddedEvent,
    "agent_columns": models.AgentColumnsEvent,
    "agent_entered": models.AgentEnteredEvent,
    "agent_index": models.AgentIndexEvent,
    "agent_left": models.AgentLeftEvent,
    "agent_removed": models.AgentRemovedEvent,
    "agent_update": models.AgentUpdateEvent,
    "batch": models.BatchEvent,
    "building.created": models.BuildingCreatedEvent,
    "building.updated": models.BuildingUpdatedEvent,
    "command_ack": models.CommandAckEvent,
    "error": models.ErrorEvent,
    "map.created": models.MapCreatedEvent,
    "map.imported": models.MapImportedEvent,
    "package.created": models.PackageCreatedEvent,
    "package.delivered": models.PackageDeliveredEvent,
    "package.expired": models.PackageExpiredEvent,
    "package.picked_up": models.PackagePickedUpEvent,
    "playback": models.PlaybackEvent,
    "progress": models.ProgressEvent,
    "resumed": models.ResumedEvent,
    "simulation.paused": models.SimulationPausedEvent,
    "simulation.resumed": models.SimulationResumedEvent,
    "simulation.started": models.SimulationStartedEvent,
    "simulation.state_imported": models.SimulationStateImportedEvent,
    "simulation.stopped": models.SimulationStoppedEvent,
    "simulation.updated": models.SimulationUpdatedEvent,
    "simulation_state": models.SimulationStateEvent,
    "skipped": models.SkippedEvent,
    "snapshot": models.SnapshotEvent,
    "tick.end": models.ClockTickEndEvent,
    "tick.start": models.ClockTickStartEvent,
    "tick_end": models.TickEndEvent,
    "tick_start": models.TickStartEvent,
    "world_event": models.WorldEventEvent,
}

# Events that may be broadcast to every client: they carry `seq` when they are.
BROADCAST_EVENT_TYPES: Final = frozenset(
    {
        "agent.deleted",
        "agent.updated",
        "agent_added",
        "agent_entered",
        "agent_left",
        "agent_removed",
        "agent_update",
        "building.created",
        "building.updated",
        "error",
        "map.created",
        "map.imported",
        "package.created",
        "package.delivered",
        "package.expired",
        "package.picked_up",
        "simulation.paused",
        "simulation.resumed",
        "simulation.started",
        "simulation.state_imported",
        "simulation.stopped",
        "simulation.updated",
        "simulation_state",
        "tick.end",
        "tick.start",
        "tick_end",
        "tick_start",
        "world_event",
    }
)


class Registrar(Protocol):
    """A command registry as a type checker sees it: the handler of a command returns
    its result (schema/results/<type>.json), or None if it declares none."""

    @overload
    def register(
        self,
        model: type[models.AddAgentCommand],
        handler: Callable[[models.AddAgentCommand], None],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.AgentCreateCommand],
        handler: Callable[[models.AgentCreateCommand], models.AgentCreateResult],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.AgentDeleteCommand],
        handler: Callable[[models.AgentDeleteCommand], models.AgentDeleteResult],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.AgentDescribeCommand],
        handler: Callable[[models.AgentDescribeCommand], models.AgentDescribeResult],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.AgentListCommand],
        handler: Callable[[models.AgentListCommand], models.AgentListResult],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.AgentUpdateCommand],
        handler: Callable[[models.AgentUpdateCommand], models.AgentUpdateResult],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.BuildingCreateCommand],
        handler: Callable[[models.BuildingCreateCommand], models.BuildingCreateResult],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.DeleteAgentCommand],
        handler: Callable[[models.DeleteAgentCommand], None],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.DescribeAgentCommand],
        handler: Callable[[models.DescribeAgentCommand], models.DescribeAgentResult],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.ListAgentsCommand],
        handler: Callable[[models.ListAgentsCommand], models.ListAgentsResult],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.MapCreateCommand],
        handler: Callable[[models.MapCreateCommand, Job], models.MapCreateResult],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.MapExportCommand],
        handler: Callable[[models.MapExportCommand], models.MapExportResult],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.MapImportCommand],
        handler: Callable[[models.MapImportCommand], models.MapImportResult],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.ModifyAgentCommand],
        handler: Callable[[models.ModifyAgentCommand], None],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.PauseCommand],
        handler: Callable[[models.PauseCommand], None],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.ResumeCommand],
        handler: Callable[[models.ResumeCommand], None],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.SetTickRateCommand],
        handler: Callable[[models.SetTickRateCommand], None],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.SimulationExportStateCommand],
        handler: Callable[
            [models.SimulationExportStateCommand], models.SimulationExportStateResult
        ],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.SimulationImportStateCommand],
        handler: Callable[
            [models.SimulationImportStateCommand], models.SimulationImportStateResult
        ],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.SimulationPauseCommand],
        handler: Callable[[models.SimulationPauseCommand], None],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.SimulationResumeCommand],
        handler: Callable[[models.SimulationResumeCommand], None],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.SimulationStartCommand],
        handler: Callable[
            [models.SimulationStartCommand], models.SimulationStartResult
        ],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.SimulationStopCommand],
        handler: Callable[[models.SimulationStopCommand], None],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.SimulationUpdateCommand],
        handler: Callable[
            [models.SimulationUpdateCommand], models.SimulationUpdateResult
        ],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.StartCommand],
        handler: Callable[[models.StartCommand], None],
        /,
    ) -> None: ...
    @overload
    def register(
        self,
        model: type[models.StopCommand],
        handler: Callable[[models.StopCommand], None],
        /,
    ) -> None: ...
    def register(self, model: Any, handler: Any, /) -> None: ...
