// GENERATED from schema/ by `make gen` (spine_ws.codegen) - do not edit.

import type { Command, DescribeAgentResult, ListAgentsResult, PlaybackLiveResult, PlaybackPauseResult, PlaybackPlayResult, PlaybackSeekResult, PlaybackSpeedResult, ServerEvent, SubscribeResult } from "./protocol.js";

/** The result type of each command that returns one (schema/results/<type>.json). */
export type CommandResults = {
  describe_agent: DescribeAgentResult;
  list_agents: ListAgentsResult;
  "playback.live": PlaybackLiveResult;
  "playback.pause": PlaybackPauseResult;
  "playback.play": PlaybackPlayResult;
  "playback.seek": PlaybackSeekResult;
  "playback.speed": PlaybackSpeedResult;
  subscribe: SubscribeResult;
};
/** What `command_ack.result` holds for a command of type T (undefined: no result). */
export type ResultOf<T extends string> = T extends keyof CommandResults
  ? CommandResults[T]
  : undefined;
/** Protocol version these types were generated for. */
export const PROTOCOL_VERSION = "1.9.0" as const;
/** SHA-256 of schema/ these types come from; compare with the snapshot's. */
export const SCHEMA_HASH = "712711ca30cc10910deb3edc5b3b7f56129f03d190313155852d582c2d65da5f";
/** The WebSocket subprotocol of this major version. */
export const SUBPROTOCOL = "spine.v1";
/** A command `id` (schema/defs/command_id.json). */
export const COMMAND_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** Wire type of every command. */
export const COMMAND_TYPES = [
  "add_agent",
  "cancel",
  "delete_agent",
  "describe_agent",
  "list_agents",
  "modify_agent",
  "pause",
  "playback.live",
  "playback.pause",
  "playback.play",
  "playback.seek",
  "playback.speed",
  "resume",
  "set_tick_rate",
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
  "agent_added",
  "agent_columns",
  "agent_entered",
  "agent_index",
  "agent_left",
  "agent_removed",
  "agent_update",
  "batch",
  "command_ack",
  "error",
  "playback",
  "progress",
  "resumed",
  "simulation_state",
  "skipped",
  "snapshot",
  "tick_end",
  "tick_start",
  "world_event",
] as const;
/** Events that may be broadcast to every client (they carry `seq` when they are). */
export const BROADCAST_EVENT_TYPES = [
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
