# GENERATED from schema/ by `make gen` (spine_ws.codegen) - do not edit.
"""Lookup tables and constants of the protocol, generated with the models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, Protocol, overload

from pydantic import BaseModel

from . import models

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
SCHEMA_HASH: Final = "712711ca30cc10910deb3edc5b3b7f56129f03d190313155852d582c2d65da5f"
# The WebSocket subprotocol of this major version (offered by clients, selected by
# the server).
SUBPROTOCOL: Final = "spine.v1"
# A command `id` (schema/defs/command_id.json), as a regular expression.
COMMAND_ID_PATTERN: Final = "^[A-Za-z0-9._:-]{1,64}$"

# Wire type -> model of every command (schema/commands/<type>.json).
COMMAND_MODELS: Final[dict[str, type[BaseModel]]] = {
    "add_agent": models.AddAgentCommand,
    "cancel": models.CancelCommand,
    "delete_agent": models.DeleteAgentCommand,
    "describe_agent": models.DescribeAgentCommand,
    "list_agents": models.ListAgentsCommand,
    "modify_agent": models.ModifyAgentCommand,
    "pause": models.PauseCommand,
    "playback.live": models.PlaybackLiveCommand,
    "playback.pause": models.PlaybackPauseCommand,
    "playback.play": models.PlaybackPlayCommand,
    "playback.seek": models.PlaybackSeekCommand,
    "playback.speed": models.PlaybackSpeedCommand,
    "resume": models.ResumeCommand,
    "set_tick_rate": models.SetTickRateCommand,
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
    "describe_agent": models.DescribeAgentResult,
    "list_agents": models.ListAgentsResult,
    "playback.live": models.PlaybackLiveResult,
    "playback.pause": models.PlaybackPauseResult,
    "playback.play": models.PlaybackPlayResult,
    "playback.seek": models.PlaybackSeekResult,
    "playback.speed": models.PlaybackSpeedResult,
    "subscribe": models.SubscribeResult,
}

# Commands that run long (x-spine-long-running): what the server does with the
# others meanwhile (queue them, or answer busy) and whether ticks go on.
LONG_RUNNING: Final[dict[str, dict[str, str]]] = {}

# Commands that may come in a frame larger than the server's limit (x-spine-max-bytes).
MAX_BYTES: Final[dict[str, int]] = {}

# The envelope the schema tree declares (its envelope.json), as written: the
# server speaks it to clients that name no subprotocol. None: spine's own.
ENVELOPE: Final[dict[str, Any] | None] = None

# Wire type -> model of every event (schema/events/<type>.json).
EVENT_MODELS: Final[dict[str, type[BaseModel]]] = {
    "agent_added": models.AgentAddedEvent,
    "agent_columns": models.AgentColumnsEvent,
    "agent_entered": models.AgentEnteredEvent,
    "agent_index": models.AgentIndexEvent,
    "agent_left": models.AgentLeftEvent,
    "agent_removed": models.AgentRemovedEvent,
    "agent_update": models.AgentUpdateEvent,
    "batch": models.BatchEvent,
    "command_ack": models.CommandAckEvent,
    "error": models.ErrorEvent,
    "playback": models.PlaybackEvent,
    "progress": models.ProgressEvent,
    "resumed": models.ResumedEvent,
    "simulation_state": models.SimulationStateEvent,
    "skipped": models.SkippedEvent,
    "snapshot": models.SnapshotEvent,
    "tick_end": models.TickEndEvent,
    "tick_start": models.TickStartEvent,
    "world_event": models.WorldEventEvent,
}

# Events that may be broadcast to every client: they carry `seq` when they are.
BROADCAST_EVENT_TYPES: Final = frozenset(
    {
        "agent_added",
        "agent_entered",
        "agent_left",
        "agent_removed",
        "agent_update",
        "error",
        "simulation_state",
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
        model: type[models.ModifyAgentCommand],
        handler: Callable[[models.ModifyAgentCommand], None],
        /,
    ) -> None: ...
    @overload
    def register(
        self, model: type[models.PauseCommand], handler: Callable[[models.PauseCommand], None], /
    ) -> None: ...
    @overload
    def register(
        self, model: type[models.ResumeCommand], handler: Callable[[models.ResumeCommand], None], /
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
        self, model: type[models.StartCommand], handler: Callable[[models.StartCommand], None], /
    ) -> None: ...
    @overload
    def register(
        self, model: type[models.StopCommand], handler: Callable[[models.StopCommand], None], /
    ) -> None: ...
    def register(self, model: Any, handler: Any, /) -> None: ...
