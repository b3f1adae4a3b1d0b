// GENERATED from schema/ by `make gen` (json-schema-to-typescript) - do not edit.

/**
 * Members to set on the agent's data (at least one).
 */
export type AgentDataPatch = Data;
/**
 * Unique id of an agent. Constraints: matches `^[A-Za-z0-9._:-]{1,64}$`.
 */
export type AgentId = string;
/**
 * Kind of an agent, chosen by whoever creates it. Constraints: matches `^[A-Za-z0-9._:-]{1,64}$`.
 */
export type AgentKind = string;
/**
 * Client-chosen id of a command, echoed as command_id in its one reply. Constraints: matches `^[A-Za-z0-9._:-]{1,64}$`.
 */
export type CommandId = string;
/**
 * Wire type of a command (the name of its schema file). Constraints: matches `^[a-z][a-z0-9_]{0,63}$`.
 */
export type CommandType =
  | "add_agent"
  | "delete_agent"
  | "describe_agent"
  | "list_agents"
  | "modify_agent"
  | "pause"
  | "resume"
  | "set_tick_rate"
  | "start"
  | "stop";
/**
 * Why a message failed. invalid_json: not parseable JSON (or a non-finite number). invalid_message: valid JSON that breaks a schema, a binary frame, or JSON too deep or too large. unknown_command: a type no command schema has. unsupported_command: a command of the protocol that the running simulation does not handle (the snapshot lists those it does). queue_full: the simulation's command queue is full; nothing was applied, retry later. invalid_state: the command is not allowed in the simulation's current state. agent_not_found: no agent has that id. agent_exists: an agent with that id already exists. forbidden: this connection's role may not send commands. rate_limited: too many commands from this connection; nothing was applied. limit_exceeded: a configured limit (agent count, agent_data size) would be exceeded. internal_error: an unexpected server fault. simulation_error: the simulation raised while ticking or handling a command. unavailable: the simulation host of this cluster did not answer in time (a gateway could not reach it); nothing is known to have been applied, retry later.
 */
export type ErrorCode =
  | "invalid_json"
  | "invalid_message"
  | "unknown_command"
  | "unsupported_command"
  | "queue_full"
  | "invalid_state"
  | "agent_not_found"
  | "agent_exists"
  | "forbidden"
  | "rate_limited"
  | "limit_exceeded"
  | "internal_error"
  | "simulation_error"
  | "unavailable";
/**
 * Semantic version of this protocol; bumped on every change to schema/ (major on breaking changes).
 */
export type ProtocolVersion = "1.4.0";
/**
 * Sequence number of a broadcast event: grows by exactly 1 per broadcast event of this server run. Constraints: at least 1.
 */
export type Seq = number;
/**
 * Lifecycle state of the simulation.
 */
export type SimulationStatus = "running" | "paused" | "stopped";
/**
 * Simulation tick number, counting from 0. Constraints: at least 0.
 */
export type Tick = number;
/**
 * Simulation speed in ticks per second; out-of-range values are an error, never clamped. Constraints: at least 0.1; at most 100.
 */
export type TickRate = number;
/**
 * Any command a client may send.
 */
export type Command =
  | AddAgentCommand
  | DeleteAgentCommand
  | DescribeAgentCommand
  | ListAgentsCommand
  | ModifyAgentCommand
  | PauseCommand
  | ResumeCommand
  | SetTickRateCommand
  | StartCommand
  | StopCommand;
/**
 * Any event the server may send.
 */
export type ServerEvent =
  | AgentAddedEvent
  | AgentRemovedEvent
  | AgentUpdateEvent
  | CommandAckEvent
  | ErrorEvent
  | ResumedEvent
  | SimulationStateEvent
  | SnapshotEvent
  | TickEndEvent
  | TickStartEvent
  | WorldEventEvent;

/**
 * spine-ws protocol 1.4.0, bundled from schema/.
 */
export interface SpineProtocol {
  [k: string]: unknown | undefined;
}
/**
 * Create an agent. Fails with agent_exists if the id is taken.
 */
export interface AddAgentCommand {
  /**
   * Message type: always "add_agent".
   */
  type: "add_agent";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
  /**
   * Id of the new agent.
   */
  agent_id: AgentId;
  /**
   * Kind of the new agent.
   */
  agent_kind: AgentKind;
  /**
   * Initial data of the agent (the default simulation reads numbers x, y, vx, vy and keeps every other member).
   */
  agent_data?: Data;
}
/**
 * Remove an agent. Fails with agent_not_found if no agent has the id.
 */
export interface DeleteAgentCommand {
  /**
   * Message type: always "delete_agent".
   */
  type: "delete_agent";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
  /**
   * Id of the agent to remove.
   */
  agent_id: AgentId;
}
/**
 * Ask for one agent as it stands: its kind and full data, in the command_ack's result (DescribeAgentResult). Fails with agent_not_found if no agent has the id.
 */
export interface DescribeAgentCommand {
  /**
   * Message type: always "describe_agent".
   */
  type: "describe_agent";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
  /**
   * Id of the agent to describe.
   */
  agent_id: AgentId;
}
/**
 * Ask for a page of agents, in creation order: their ids and kinds, in the command_ack's result (ListAgentsResult).
 */
export interface ListAgentsCommand {
  /**
   * Message type: always "list_agents".
   */
  type: "list_agents";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
  /**
   * Only agents of this kind.
   */
  agent_kind?: AgentKind;
  /**
   * Start after this agent: the previous page's next.
   */
  after?: AgentId;
  /**
   * Agents in the page, at most (100 when absent). Constraints: at least 1; at most 1000.
   */
  limit?: number;
}
/**
 * Shallow-merge agent_data into an agent's data. Fails with agent_not_found if no agent has the id.
 */
export interface ModifyAgentCommand {
  /**
   * Message type: always "modify_agent".
   */
  type: "modify_agent";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
  /**
   * Id of the agent to change.
   */
  agent_id: AgentId;
  agent_data: AgentDataPatch;
}
/**
 * Pause the simulation: running -> paused.
 */
export interface PauseCommand {
  /**
   * Message type: always "pause".
   */
  type: "pause";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
}
/**
 * Resume the simulation: paused -> running.
 */
export interface ResumeCommand {
  /**
   * Message type: always "resume".
   */
  type: "resume";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
}
/**
 * Change the simulation's speed; allowed in every state.
 */
export interface SetTickRateCommand {
  /**
   * Message type: always "set_tick_rate".
   */
  type: "set_tick_rate";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
  /**
   * New speed in ticks per second.
   */
  tick_rate: TickRate;
}
/**
 * Start the simulation: stopped -> running. Keeps the current tick rate unless tick_rate is given (the default rate is 20).
 */
export interface StartCommand {
  /**
   * Message type: always "start".
   */
  type: "start";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
  /**
   * Speed to run at, in ticks per second.
   */
  tick_rate?: TickRate;
}
/**
 * Stop the simulation; allowed in every state (a stop while stopped is acknowledged and changes nothing).
 */
export interface StopCommand {
  /**
   * Message type: always "stop".
   */
  type: "stop";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
}
/**
 * One agent as it stands: id, kind and its full data.
 */
export interface AgentState {
  /**
   * The agent's id.
   */
  agent_id: AgentId;
  /**
   * The agent's kind.
   */
  agent_kind: AgentKind;
  /**
   * The agent's full data.
   */
  data: Data;
}
/**
 * One agent's id and kind.
 */
export interface AgentSummary {
  /**
   * The agent's id.
   */
  agent_id: AgentId;
  /**
   * The agent's kind.
   */
  agent_kind: AgentKind;
}
/**
 * Free-form JSON object.
 */
export interface Data {
  [k: string]: unknown | undefined;
}
/**
 * One thing wrong with the offending message.
 */
export interface ErrorDetail {
  /**
   * JSON Pointer (RFC 6901) into the offending message; empty for the whole message.
   */
  path: string;
  /**
   * What is wrong there, for humans.
   */
  message: string;
}
/**
 * Why a connection that asked to resume (/ws?resume=<epoch>:<seq>) got a snapshot instead.
 */
export interface ResumeRefused {
  /**
   * The resume value the client sent (cut to 128 characters). Constraints: at most 128 characters.
   */
  requested: string;
  /**
   * invalid: not <epoch>:<seq>; epoch_changed: the server restarted (a new epoch); too_old: the history no longer holds every event after seq; ahead: seq is beyond the last event of this epoch; snapshot_smaller: the snapshot is fewer bytes than the replay would be.
   */
  reason: "invalid" | "epoch_changed" | "too_old" | "ahead" | "snapshot_smaller";
}
/**
 * The simulation's lifecycle state, tick and speed.
 */
export interface SimulationInfo {
  /**
   * Lifecycle state.
   */
  status: SimulationStatus;
  /**
   * Current tick.
   */
  tick: Tick;
  /**
   * Current speed in ticks per second.
   */
  tick_rate: TickRate;
}
/**
 * An agent was created.
 */
export interface AgentAddedEvent {
  /**
   * Message type: always "agent_added".
   */
  type: "agent_added";
  /**
   * Sequence number of this broadcast event.
   */
  seq: Seq;
  /**
   * Tick this event belongs to.
   */
  tick: Tick;
  /**
   * The new agent.
   */
  agent_id: AgentId;
  /**
   * Its kind.
   */
  agent_kind: AgentKind;
  /**
   * Its full data.
   */
  data: Data;
}
/**
 * An agent was removed.
 */
export interface AgentRemovedEvent {
  /**
   * Message type: always "agent_removed".
   */
  type: "agent_removed";
  /**
   * Sequence number of this broadcast event.
   */
  seq: Seq;
  /**
   * Tick this event belongs to.
   */
  tick: Tick;
  /**
   * The removed agent.
   */
  agent_id: AgentId;
}
/**
 * An agent's state changed; data is its full data after the change.
 */
export interface AgentUpdateEvent {
  /**
   * Message type: always "agent_update".
   */
  type: "agent_update";
  /**
   * Sequence number of this broadcast event.
   */
  seq: Seq;
  /**
   * Tick this event belongs to.
   */
  tick: Tick;
  /**
   * The agent that changed.
   */
  agent_id: AgentId;
  /**
   * The agent's full data after the change.
   */
  data: Data;
}
/**
 * Sent to the sender only: its command was applied. Broadcasts the command caused arrive before this. A command that returns data (schema/results/) carries it in result.
 */
export interface CommandAckEvent {
  /**
   * Message type: always "command_ack".
   */
  type: "command_ack";
  /**
   * Type of the applied command.
   */
  command_type: CommandType;
  /**
   * The command's id, if it carried one.
   */
  command_id?: CommandId;
  /**
   * Tick at which the command was applied.
   */
  tick: Tick;
  /**
   * The command's result, for a command whose schema/results/<command_type>.json declares one (validated against it by the server); absent otherwise.
   */
  result?: {
    [k: string]: unknown | undefined;
  };
}
/**
 * To the sender: its message failed and nothing was applied. Broadcast (with seq) for a simulation fault.
 */
export interface ErrorEvent {
  /**
   * Message type: always "error".
   */
  type: "error";
  /**
   * Machine-readable reason.
   */
  code: ErrorCode;
  /**
   * What went wrong, for humans.
   */
  message: string;
  /**
   * Id of the failed command, if it carried a valid one.
   */
  command_id?: CommandId;
  /**
   * Type of the failed command; present only when the message named a known command type.
   */
  command_type?: CommandType;
  /**
   * Each thing wrong with the message.
   */
  details?: ErrorDetail[];
  /**
   * Present only on broadcast errors (simulation faults).
   */
  seq?: Seq;
}
/**
 * Sent first to a client that connected with /ws?resume=<epoch>:<seq> when the server still holds every broadcast event after seq: exactly those events follow (replayed of them, seq + 1 onwards, as the connected clients got them), then the live stream. The client keeps what it knew instead of a snapshot.
 */
export interface ResumedEvent {
  /**
   * Message type: always "resumed".
   */
  type: "resumed";
  /**
   * The server run resumed (the one the client asked for). Constraints: at least 1 characters; at most 64 characters.
   */
  epoch: string;
  /**
   * The last broadcast event the client had processed, as it asked: the next event is seq + 1. Constraints: at least 0.
   */
  seq: number;
  /**
   * This connection's id, as the server logs it. Constraints: at least 1 characters; at most 64 characters.
   */
  connection_id: string;
  /**
   * Protocol version the server speaks.
   */
  protocol_version: ProtocolVersion;
  /**
   * SHA-256 of the canonical content of schema/ the server was built from. Constraints: matches `^[0-9a-f]{64}$`.
   */
  schema_hash: string;
  /**
   * How many broadcast events follow this one before the live stream: seq + 1 to seq + replayed. Constraints: at least 0.
   */
  replayed: number;
}
/**
 * The simulation's state or speed changed.
 */
export interface SimulationStateEvent {
  /**
   * Message type: always "simulation_state".
   */
  type: "simulation_state";
  /**
   * Sequence number of this broadcast event.
   */
  seq: Seq;
  /**
   * New lifecycle state.
   */
  status: SimulationStatus;
  /**
   * Tick at the change.
   */
  tick: Tick;
  /**
   * Speed in ticks per second.
   */
  tick_rate: TickRate;
}
/**
 * Sent to a client right after it connects: the whole state as of broadcast event seq, so the client's next event is seq + 1.
 */
export interface SnapshotEvent {
  /**
   * Message type: always "snapshot".
   */
  type: "snapshot";
  /**
   * Protocol version the server speaks.
   */
  protocol_version: ProtocolVersion;
  /**
   * SHA-256 of the canonical content of schema/ the server was built from. Constraints: matches `^[0-9a-f]{64}$`.
   */
  schema_hash: string;
  /**
   * Identifies this server run; a new epoch means seq restarted. Constraints: at least 1 characters; at most 64 characters.
   */
  epoch: string;
  /**
   * Last broadcast event this snapshot already reflects (0 before the first one). Constraints: at least 0.
   */
  seq: number;
  /**
   * This connection's id, as the server logs it. Constraints: at least 1 characters; at most 64 characters.
   */
  connection_id: string;
  /**
   * Present when the client asked to resume and this snapshot was sent instead: why.
   */
  resume?: ResumeRefused;
  /**
   * The simulation's state.
   */
  simulation: SimulationInfo;
  /**
   * The command types the running simulation handles, sorted, each once; any other command gets unsupported_command.
   */
  commands: CommandType[];
  /**
   * Every agent, in creation order.
   */
  agents: AgentState[];
}
/**
 * A tick is complete.
 */
export interface TickEndEvent {
  /**
   * Message type: always "tick_end".
   */
  type: "tick_end";
  /**
   * Sequence number of this broadcast event.
   */
  seq: Seq;
  /**
   * Tick this event belongs to.
   */
  tick: Tick;
}
/**
 * A tick begins; its agent_update and world_event events follow, then tick_end.
 */
export interface TickStartEvent {
  /**
   * Message type: always "tick_start".
   */
  type: "tick_start";
  /**
   * Sequence number of this broadcast event.
   */
  seq: Seq;
  /**
   * Tick this event belongs to.
   */
  tick: Tick;
}
/**
 * Anything else the world reports (the default simulation reports kind "bounce" when an agent hits a wall).
 */
export interface WorldEventEvent {
  /**
   * Message type: always "world_event".
   */
  type: "world_event";
  /**
   * Sequence number of this broadcast event.
   */
  seq: Seq;
  /**
   * Tick this event belongs to.
   */
  tick: Tick;
  /**
   * What happened. Constraints: matches `^[A-Za-z0-9._:-]{1,64}$`.
   */
  kind: string;
  /**
   * Details of what happened.
   */
  data: Data;
}
/**
 * The result of describe_agent: the agent as it stands.
 */
export interface DescribeAgentResult {
  /**
   * The agent's id.
   */
  agent_id: AgentId;
  /**
   * The agent's kind.
   */
  agent_kind: AgentKind;
  /**
   * The agent's full data.
   */
  data: Data;
}
/**
 * The result of list_agents: one page of agents, in creation order.
 */
export interface ListAgentsResult {
  /**
   * The page.
   */
  agents: AgentSummary[];
  /**
   * Pass it as after for the next page; absent after the last one.
   */
  next?: AgentId;
}
