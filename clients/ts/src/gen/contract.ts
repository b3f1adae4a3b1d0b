// GENERATED from schema/ by `make gen` (server/codegen) - do not edit.

/** Protocol version these types were generated for. */
export const PROTOCOL_VERSION = "1.1.0" as const;
/** SHA-256 of schema/ these types come from; compare with the snapshot's. */
export const SCHEMA_HASH = "cf507d8cbe0f42e65a8783a19e2a50678b17607bc5dc342ddef44ee8ec6e9512";
/** The WebSocket subprotocol of this major version. */
export const SUBPROTOCOL = "spine.v1";
/** A command `id` (schema/defs/command_id.json). */
export const COMMAND_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** Wire type of every command. */
export const COMMAND_TYPES = [
  "add_agent",
  "delete_agent",
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
