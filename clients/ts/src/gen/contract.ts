// GENERATED from schema/ by `make gen` (spine_ws.codegen) - do not edit.

import type { Command, DescribeAgentResult, ListAgentsResult, ServerEvent } from "./protocol.js";

/** The result type of each command that returns one (schema/results/<type>.json). */
export type CommandResults = {
  describe_agent: DescribeAgentResult;
  list_agents: ListAgentsResult;
};
/** What `command_ack.result` holds for a command of type T (undefined: no result). */
export type ResultOf<T extends string> = T extends keyof CommandResults
  ? CommandResults[T]
  : undefined;
/** Protocol version these types were generated for. */
export const PROTOCOL_VERSION = "1.4.0" as const;
/** SHA-256 of schema/ these types come from; compare with the snapshot's. */
export const SCHEMA_HASH = "b1fc2dc885120373935e37376c1d35c4c5ca29434dc51591c632574564c27678";
/** The WebSocket subprotocol of this major version. */
export const SUBPROTOCOL = "spine.v1";
/** A command `id` (schema/defs/command_id.json). */
export const COMMAND_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** Wire type of every command. */
export const COMMAND_TYPES = [
  "add_agent",
  "delete_agent",
  "describe_agent",
  "list_agents",
  "modify_agent",
  "pause",
  "resume",
  "set_tick_rate",
  "start",
  "stop",
] as const;
/** Wire type of every event. */
export const EVENT_TYPES = [
  "agent_added",
  "agent_removed",
  "agent_update",
  "command_ack",
  "error",
  "resumed",
  "simulation_state",
  "snapshot",
  "tick_end",
  "tick_start",
  "world_event",
] as const;
/** Events that may be broadcast to every client (they carry `seq` when they are). */
export const BROADCAST_EVENT_TYPES = [
  "agent_added",
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
/** This contract's identity, for `SpineClient`'s `contract` option. */
export const CONTRACT = {
  protocolVersion: PROTOCOL_VERSION,
  schemaHash: SCHEMA_HASH,
} as const;
