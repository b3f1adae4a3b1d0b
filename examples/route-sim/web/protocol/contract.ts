// GENERATED from schema/ by `spine-ws gen` (spine_ws.codegen) - do not edit.

import type { AddAgentCommand, AgentAddedEvent, AgentColumnsEvent, AgentCreateCommand, AgentCreateResult, AgentDeleteCommand, AgentDeleteResult, AgentDeletedEvent, AgentDescribeCommand, AgentDescribeResult, AgentEnteredEvent, AgentIndexEvent, AgentLeftEvent, AgentListCommand, AgentListResult, AgentRemovedEvent, AgentUpdateCommand, AgentUpdateEvent, AgentUpdateResult, AgentUpdatedEvent, BatchEvent, BuildingCreateCommand, BuildingCreateResult, BuildingCreatedEvent, BuildingUpdatedEvent, CancelCommand, ClockTickEndEvent, ClockTickStartEvent, Command, CommandAckEvent, DeleteAgentCommand, DescribeAgentCommand, DescribeAgentResult, ErrorEvent, ListAgentsCommand, ListAgentsResult, MapCreateCommand, MapCreateResult, MapCreatedEvent, MapExportCommand, MapExportResult, MapImportCommand, MapImportResult, MapImportedEvent, ModifyAgentCommand, PackageCreatedEvent, PackageDeliveredEvent, PackageExpiredEvent, PackagePickedUpEvent, PauseCommand, PlaybackEvent, PlaybackLiveCommand, PlaybackLiveResult, PlaybackPauseCommand, PlaybackPauseResult, PlaybackPlayCommand, PlaybackPlayResult, PlaybackSeekCommand, PlaybackSeekResult, PlaybackSpeedCommand, PlaybackSpeedResult, ProgressEvent, ResumeCommand, ResumedEvent, ServerEvent, SetTickRateCommand, SimulationExportStateCommand, SimulationExportStateResult, SimulationImportStateCommand, SimulationImportStateResult, SimulationPauseCommand, SimulationPausedEvent, SimulationResumeCommand, SimulationResumedEvent, SimulationStartCommand, SimulationStartResult, SimulationStartedEvent, SimulationStateEvent, SimulationStateImportedEvent, SimulationStopCommand, SimulationStoppedEvent, SimulationUpdateCommand, SimulationUpdateResult, SimulationUpdatedEvent, SkippedEvent, SnapshotEvent, StartCommand, StopCommand, SubscribeCommand, SubscribeResult, TickEndEvent, TickStartEvent, WorldEventEvent } from "./protocol.js";

/** The result type of each command that returns one (schema/results/<type>.json). */
export type CommandResults = {
  "agent.create": AgentCreateResult;
  "agent.delete": AgentDeleteResult;
  "agent.describe": AgentDescribeResult;
  "agent.list": AgentListResult;
  "agent.update": AgentUpdateResult;
  "building.create": BuildingCreateResult;
  describe_agent: DescribeAgentResult;
  list_agents: ListAgentsResult;
  "map.create": MapCreateResult;
  "map.export": MapExportResult;
  "map.import": MapImportResult;
  "playback.live": PlaybackLiveResult;
  "playback.pause": PlaybackPauseResult;
  "playback.play": PlaybackPlayResult;
  "playback.seek": PlaybackSeekResult;
  "playback.speed": PlaybackSpeedResult;
  "simulation.export_state": SimulationExportStateResult;
  "simulation.import_state": SimulationImportStateResult;
  "simulation.start": SimulationStartResult;
  "simulation.update": SimulationUpdateResult;
  subscribe: SubscribeResult;
};
/** What `command_ack.result` holds for a command of type T (undefined: no result). */
export type ResultOf<T extends string> = T extends keyof CommandResults
  ? CommandResults[T]
  : undefined;
/** Protocol version these types were generated for. */
export const PROTOCOL_VERSION = "1.9.0" as const;
/** SHA-256 of schema/ these types come from; compare with the snapshot's. */
export const SCHEMA_HASH = "2abbba19e17bf64e784c6ca7816195b7128ca8a9e877f71900d906ae46865c9d";
/** The WebSocket subprotocol of this major version. */
export const SUBPROTOCOL = "spine.v1";
/** A command `id` (schema/defs/command_id.json). */
export const COMMAND_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** Wire type of every command. */
export const COMMAND_TYPES = [
  "add_agent",
  "agent.create",
  "agent.delete",
  "agent.describe",
  "agent.list",
  "agent.update",
  "building.create",
  "cancel",
  "delete_agent",
  "describe_agent",
  "list_agents",
  "map.create",
  "map.export",
  "map.import",
  "modify_agent",
  "pause",
  "playback.live",
  "playback.pause",
  "playback.play",
  "playback.seek",
  "playback.speed",
  "resume",
  "set_tick_rate",
  "simulation.export_state",
  "simulation.import_state",
  "simulation.pause",
  "simulation.resume",
  "simulation.start",
  "simulation.stop",
  "simulation.update",
  "start",
  "stop",
  "subscribe",
] as const;
/** Commands about the connection itself, answered by the server (a viewer may
 * send them): `x-spine-scope: connection` in their schema. */
export const CONNECTION_COMMAND_TYPES = [
  "cancel",
  "playback.live",
  "playback.pause",
  "playback.play",
  "playback.seek",
  "playback.speed",
  "subscribe",
] as const;
/** Wire type of every event. */
export const EVENT_TYPES = [
  "agent.deleted",
  "agent.updated",
  "agent_added",
  "agent_columns",
  "agent_entered",
  "agent_index",
  "agent_left",
  "agent_removed",
  "agent_update",
  "batch",
  "building.created",
  "building.updated",
  "command_ack",
  "error",
  "map.created",
  "map.imported",
  "package.created",
  "package.delivered",
  "package.expired",
  "package.picked_up",
  "playback",
  "progress",
  "resumed",
  "simulation.paused",
  "simulation.resumed",
  "simulation.started",
  "simulation.state_imported",
  "simulation.stopped",
  "simulation.updated",
  "simulation_state",
  "skipped",
  "snapshot",
  "tick.end",
  "tick.start",
  "tick_end",
  "tick_start",
  "world_event",
] as const;
/** Events that may be broadcast to every client (they carry `seq` when they are). */
export const BROADCAST_EVENT_TYPES = [
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
] as const;
/** The message types of this contract: `new SpineClient<Protocol>(url, …)`. */
export interface Protocol {
  command: Command;
  event: ServerEvent;
  results: CommandResults;
}
/**
 * This contract's identity, for `SpineClient`'s `contract` option: the version it
 * checks a server's against, and the event types it dispatches (others it ignores).
 */
export const CONTRACT = {
  protocolVersion: PROTOCOL_VERSION,
  schemaHash: SCHEMA_HASH,
  eventTypes: EVENT_TYPES,
} as const;
/** The envelope schema/envelope.json declares: where a message's name, members
 * and correlation id go, and the team's names for the core's messages. */
export const ENVELOPE = {
  "name": "routesim",
  "command": {
    "name": "action",
    "members": "params",
    "id": "request_id"
  },
  "event": {
    "name": "signal",
    "members": "data",
    "seq": "seq"
  },
  "reply": {
    "ack": "command.done",
    "error": "error"
  },
  "names": {},
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
    "building.create": "building.created"
  }
} as const;
/** Each command under the name it has on the wire: its members. */
export type WireCommands = {
  add_agent: Omit<AddAgentCommand, "type" | "id">;
  "agent.create": Omit<AgentCreateCommand, "type" | "id">;
  "agent.delete": Omit<AgentDeleteCommand, "type" | "id">;
  "agent.describe": Omit<AgentDescribeCommand, "type" | "id">;
  "agent.list": Omit<AgentListCommand, "type" | "id">;
  "agent.update": Omit<AgentUpdateCommand, "type" | "id">;
  "building.create": Omit<BuildingCreateCommand, "type" | "id">;
  cancel: Omit<CancelCommand, "type" | "id">;
  delete_agent: Omit<DeleteAgentCommand, "type" | "id">;
  describe_agent: Omit<DescribeAgentCommand, "type" | "id">;
  list_agents: Omit<ListAgentsCommand, "type" | "id">;
  "map.create": Omit<MapCreateCommand, "type" | "id">;
  "map.export": Omit<MapExportCommand, "type" | "id">;
  "map.import": Omit<MapImportCommand, "type" | "id">;
  modify_agent: Omit<ModifyAgentCommand, "type" | "id">;
  pause: Omit<PauseCommand, "type" | "id">;
  "playback.live": Omit<PlaybackLiveCommand, "type" | "id">;
  "playback.pause": Omit<PlaybackPauseCommand, "type" | "id">;
  "playback.play": Omit<PlaybackPlayCommand, "type" | "id">;
  "playback.seek": Omit<PlaybackSeekCommand, "type" | "id">;
  "playback.speed": Omit<PlaybackSpeedCommand, "type" | "id">;
  resume: Omit<ResumeCommand, "type" | "id">;
  set_tick_rate: Omit<SetTickRateCommand, "type" | "id">;
  "simulation.export_state": Omit<SimulationExportStateCommand, "type" | "id">;
  "simulation.import_state": Omit<SimulationImportStateCommand, "type" | "id">;
  "simulation.pause": Omit<SimulationPauseCommand, "type" | "id">;
  "simulation.resume": Omit<SimulationResumeCommand, "type" | "id">;
  "simulation.start": Omit<SimulationStartCommand, "type" | "id">;
  "simulation.stop": Omit<SimulationStopCommand, "type" | "id">;
  "simulation.update": Omit<SimulationUpdateCommand, "type" | "id">;
  start: Omit<StartCommand, "type" | "id">;
  stop: Omit<StopCommand, "type" | "id">;
  subscribe: Omit<SubscribeCommand, "type" | "id">;
};
/** Each event (and the two replies) under its wire name: its members. */
export type WireEvents = {
  "agent.created": AgentCreateResult;
  "agent.deleted": Omit<AgentDeletedEvent, "type" | "seq"> | AgentDeleteResult;
  "agent.described": AgentDescribeResult;
  "agent.listed": AgentListResult;
  "agent.updated": Omit<AgentUpdatedEvent, "type" | "seq"> | AgentUpdateResult;
  agent_added: Omit<AgentAddedEvent, "type" | "seq">;
  agent_columns: Omit<AgentColumnsEvent, "type" | "seq">;
  agent_entered: Omit<AgentEnteredEvent, "type" | "seq">;
  agent_index: Omit<AgentIndexEvent, "type" | "seq">;
  agent_left: Omit<AgentLeftEvent, "type" | "seq">;
  agent_removed: Omit<AgentRemovedEvent, "type" | "seq">;
  agent_update: Omit<AgentUpdateEvent, "type" | "seq">;
  batch: Omit<BatchEvent, "type" | "seq">;
  "building.created": Omit<BuildingCreatedEvent, "type" | "seq"> | BuildingCreateResult;
  "building.updated": Omit<BuildingUpdatedEvent, "type" | "seq">;
  "command.done": Omit<CommandAckEvent, "type" | "command_id">;
  error: Omit<ErrorEvent, "type" | "command_id">;
  "map.created": Omit<MapCreatedEvent, "type" | "seq"> | MapCreateResult;
  "map.exported": MapExportResult;
  "map.imported": Omit<MapImportedEvent, "type" | "seq"> | MapImportResult;
  "package.created": Omit<PackageCreatedEvent, "type" | "seq">;
  "package.delivered": Omit<PackageDeliveredEvent, "type" | "seq">;
  "package.expired": Omit<PackageExpiredEvent, "type" | "seq">;
  "package.picked_up": Omit<PackagePickedUpEvent, "type" | "seq">;
  playback: Omit<PlaybackEvent, "type" | "seq">;
  progress: Omit<ProgressEvent, "type" | "seq">;
  resumed: Omit<ResumedEvent, "type" | "seq">;
  "simulation.paused": Omit<SimulationPausedEvent, "type" | "seq"> | Record<string, never>;
  "simulation.resumed": Omit<SimulationResumedEvent, "type" | "seq"> | Record<string, never>;
  "simulation.started": Omit<SimulationStartedEvent, "type" | "seq"> | SimulationStartResult;
  "simulation.state_exported": SimulationExportStateResult;
  "simulation.state_imported": Omit<SimulationStateImportedEvent, "type" | "seq"> | SimulationImportStateResult;
  "simulation.stopped": Omit<SimulationStoppedEvent, "type" | "seq"> | Record<string, never>;
  "simulation.updated": Omit<SimulationUpdatedEvent, "type" | "seq"> | SimulationUpdateResult;
  simulation_state: Omit<SimulationStateEvent, "type" | "seq">;
  skipped: Omit<SkippedEvent, "type" | "seq">;
  snapshot: Omit<SnapshotEvent, "type" | "seq">;
  "tick.end": Omit<ClockTickEndEvent, "type" | "seq">;
  "tick.start": Omit<ClockTickStartEvent, "type" | "seq">;
  tick_end: Omit<TickEndEvent, "type" | "seq">;
  tick_start: Omit<TickStartEvent, "type" | "seq">;
  world_event: Omit<WorldEventEvent, "type" | "seq">;
};
/** The result a command's reply carries, for the commands that return one. */
export type WireResults = {
  "agent.create": AgentCreateResult;
  "agent.delete": AgentDeleteResult;
  "agent.describe": AgentDescribeResult;
  "agent.list": AgentListResult;
  "agent.update": AgentUpdateResult;
  "building.create": BuildingCreateResult;
  describe_agent: DescribeAgentResult;
  list_agents: ListAgentsResult;
  "map.create": MapCreateResult;
  "map.export": MapExportResult;
  "map.import": MapImportResult;
  "playback.live": PlaybackLiveResult;
  "playback.pause": PlaybackPauseResult;
  "playback.play": PlaybackPlayResult;
  "playback.seek": PlaybackSeekResult;
  "playback.speed": PlaybackSpeedResult;
  "simulation.export_state": SimulationExportStateResult;
  "simulation.import_state": SimulationImportStateResult;
  "simulation.start": SimulationStartResult;
  "simulation.update": SimulationUpdateResult;
  subscribe: SubscribeResult;
};
/** A command as a client sends it in this envelope. */
export type WireCommand = {
  [K in keyof WireCommands]: { action: K; params: WireCommands[K]; request_id?: string | number };
}[keyof WireCommands];
/** An event (or a reply) as a client receives it in this envelope. */
export type WireEvent = {
  [K in keyof WireEvents]: { signal: K; data: WireEvents[K]; request_id?: string | number; seq?: number };
}[keyof WireEvents];
/** This contract in its envelope: `new EnvelopeClient<WireProtocol>(url, ENVELOPE)`. */
export interface WireProtocol {
  commands: WireCommands;
  events: WireEvents;
  results: WireResults;
}
