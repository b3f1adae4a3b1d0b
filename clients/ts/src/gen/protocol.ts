// GENERATED from schema/ by `make gen` (json-schema-to-typescript) - do not edit.

/**
 * Members to set on the agent's data (at least one).
 */
export type AgentDataPatch = Data;
/**
 * Wire type of an event (the name of its schema file): lowercase words, or `<domain>.<action>` dotted as a team names its messages (at most 64 characters in all). Constraints: matches `^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63})*$`.
 */
export type EventType = string;
/**
 * Unique id of an agent. Constraints: matches `^[A-Za-z0-9._:-]{1,64}$`.
 */
export type AgentId = string;
/**
 * Kind of an agent, chosen by whoever creates it. Constraints: matches `^[A-Za-z0-9._:-]{1,64}$`.
 */
export type AgentKind = string;
/**
 * A feature this server supports, for clients to check instead of versions: resume (/ws?resume= replays from the history), subscribe (the subscribe command and /ws?subscribe=), batch (batch frames), columns (subscribe's columns: a tick's agent updates as one agent_columns frame, over spine.v1.msgpack), region (subscribe's region: only the agents inside a rectangle), cluster (a gateway or host of a NATS cluster), playback (a recording played back: the playback commands). A client ignores names it does not know: newer servers may add some. Constraints: matches `^[a-z][a-z0-9_]{0,31}$`.
 */
export type Capability = string;
/**
 * Client-chosen id of a command, echoed as command_id in its one reply. Constraints: matches `^[A-Za-z0-9._:-]{1,64}$`.
 */
export type CommandId = string;
/**
 * Wire type of a command (the name of its schema file): lowercase words, or `<domain>.<action>` dotted as a team names its messages (at most 64 characters in all). Constraints: matches `^[a-z][a-z0-9_]{0,63}(\.[a-z][a-z0-9_]{0,63})*$`.
 */
export type CommandType =
  | "add_agent"
  | "cancel"
  | "delete_agent"
  | "describe_agent"
  | "list_agents"
  | "modify_agent"
  | "pause"
  | "playback.live"
  | "playback.pause"
  | "playback.play"
  | "playback.seek"
  | "playback.speed"
  | "resume"
  | "set_tick_rate"
  | "start"
  | "stop"
  | "subscribe";
/**
 * Why a message failed. invalid_json: not parseable JSON (or a non-finite number). invalid_message: valid JSON that breaks a schema, a binary frame, or JSON too deep or too large. unknown_command: a type no command schema has. unsupported_command: a command of the protocol that the running simulation does not handle (the snapshot lists those it does). queue_full: the simulation's command queue is full; nothing was applied, retry later. invalid_state: the command is not allowed in the simulation's current state. agent_not_found: no agent has that id. agent_exists: an agent with that id already exists. forbidden: this connection's role may not send commands. rate_limited: too many commands from this connection; nothing was applied. limit_exceeded: a configured limit (agent count, agent_data size) would be exceeded. internal_error: an unexpected server fault. simulation_error: the simulation raised while ticking or handling a command. unavailable: the simulation host of this cluster did not answer in time (a gateway could not reach it); nothing is known to have been applied, retry later. busy: a long-running command that does not share the simulation is at work (its schema's x-spine-long-running says others: busy); nothing was applied, retry when it ends. cancelled: the command was cancelled at its sender's request (cancel).
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
  | "unavailable"
  | "busy"
  | "cancelled";
/**
 * Semantic version of this protocol; bumped on every change to schema/ (major on breaking changes).
 */
export type ProtocolVersion = "1.9.0";
/**
 * What a connection may do, from its token: a viewer receives events and may send only the commands that are about its own connection (subscribe); a controller may send every command.
 */
export type Role = "viewer" | "controller";
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
 * The result of playback.live: where this connection's playback stands now.
 */
export type PlaybackLiveResult = PlaybackState;
/**
 * The result of playback.pause: where this connection's playback stands now.
 */
export type PlaybackPauseResult = PlaybackState;
/**
 * The result of playback.play: where this connection's playback stands now.
 */
export type PlaybackPlayResult = PlaybackState;
/**
 * The result of playback.seek: where this connection's playback stands now.
 */
export type PlaybackSeekResult = PlaybackState;
/**
 * The result of playback.speed: where this connection's playback stands now.
 */
export type PlaybackSpeedResult = PlaybackState;
/**
 * Any command a client may send.
 */
export type Command =
  | AddAgentCommand
  | CancelCommand
  | DeleteAgentCommand
  | DescribeAgentCommand
  | ListAgentsCommand
  | ModifyAgentCommand
  | PauseCommand
  | PlaybackLiveCommand
  | PlaybackPauseCommand
  | PlaybackPlayCommand
  | PlaybackSeekCommand
  | PlaybackSpeedCommand
  | ResumeCommand
  | SetTickRateCommand
  | StartCommand
  | StopCommand
  | SubscribeCommand;
/**
 * Any event the server may send.
 */
export type ServerEvent =
  | AgentAddedEvent
  | AgentColumnsEvent
  | AgentEnteredEvent
  | AgentIndexEvent
  | AgentLeftEvent
  | AgentRemovedEvent
  | AgentUpdateEvent
  | BatchEvent
  | CommandAckEvent
  | ErrorEvent
  | PlaybackEvent
  | ProgressEvent
  | ResumedEvent
  | SimulationStateEvent
  | SkippedEvent
  | SnapshotEvent
  | TickEndEvent
  | TickStartEvent
  | WorldEventEvent;

/**
 * spine-ws protocol 1.9.0, bundled from schema/.
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
 * Ask that one of this connection's own commands, still queued or running, be cancelled. Its ack says the request was taken; the cancelled command then gets its one reply: an error `cancelled` if it was stopped (a queued command never starts; a long-running one stops at its next check), or its usual reply if it finished first. About this connection: the server answers it itself.
 */
export interface CancelCommand {
  /**
   * Message type: always "cancel".
   */
  type: "cancel";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
  /**
   * The id of the command to cancel, as this connection sent it.
   */
  command_id: CommandId;
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
 * Return this connection from the recorded past to the live stream: it is sent the snapshot of now, then the live stream (a connection that is live already is answered as it is). A replay has no live stream: it answers invalid_state. Answered by a server that plays back a recording (`spine-ws replay`) or records one (`serve --record`): its snapshot lists the playback commands and its capabilities include playback; any other answers unsupported_command. About this connection only: the others play on.
 */
export interface PlaybackLiveCommand {
  /**
   * Message type: always "playback.live".
   */
  type: "playback.live";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
}
/**
 * Pause this connection's playback: no frame is sent until playback.play or a seek. On a live connection it freezes the view where it is: the connection leaves the live stream, and playback.play plays on from there at its speed (behind live until playback.live). Answered by a server that plays back a recording (`spine-ws replay`) or records one (`serve --record`): its snapshot lists the playback commands and its capabilities include playback; any other answers unsupported_command. About this connection only: the others play on.
 */
export interface PlaybackPauseCommand {
  /**
   * Message type: always "playback.pause".
   */
  type: "playback.pause";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
}
/**
 * Play this connection's recording from where it stands, at its speed; at the end it stops. Answered by a server that plays back a recording (`spine-ws replay`) or records one (`serve --record`): its snapshot lists the playback commands and its capabilities include playback; any other answers unsupported_command. About this connection only: the others play on.
 */
export interface PlaybackPlayCommand {
  /**
   * Message type: always "playback.play".
   */
  type: "playback.play";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
}
/**
 * Move this connection's playback to a moment of the recording, given by exactly one of seq, tick or time (a moment outside the recording is its first or last): it is sent a snapshot of that moment (the nearest checkpoint before it and the recorded frames after that), then the frames from there, if playing. Its reply follows the snapshot. On a live server it leaves the live stream; playing on, it returns to live by itself when it catches up with it. Answered by a server that plays back a recording (`spine-ws replay`) or records one (`serve --record`): its snapshot lists the playback commands and its capabilities include playback; any other answers unsupported_command. About this connection only: the others play on.
 */
export interface PlaybackSeekCommand {
  /**
   * Message type: always "playback.seek".
   */
  type: "playback.seek";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
  /**
   * The moment after this frame. Constraints: at least 0.
   */
  seq?: number;
  /**
   * The moment after this tick's last frame. Constraints: at least 0.
   */
  tick?: number;
  /**
   * The moment this many seconds of recorded time after the recording's start. Constraints: at least 0.
   */
  time?: number;
}
/**
 * Change how fast this connection's recording plays: recorded seconds a second, from 0.1 to 100. Answered by a server that plays back a recording (`spine-ws replay`) or records one (`serve --record`): its snapshot lists the playback commands and its capabilities include playback; any other answers unsupported_command. About this connection only: the others play on.
 */
export interface PlaybackSpeedCommand {
  /**
   * Message type: always "playback.speed".
   */
  type: "playback.speed";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
  /**
   * Recorded seconds played a second. Constraints: at least 0.1; at most 100.
   */
  speed: number;
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
 * Set what this connection receives, from the seq its ack states: which broadcast events (tick_start, tick_end, simulation_state and error always pass), about which agents, batched or not, and how often agent updates come. Each member left out means everything (or off); an empty subscribe is the default: every event, one frame each. About this connection, not the simulation: the server answers it itself, and a viewer may send it. Filtered events keep their seq, so a filtered client sees gaps by design. Also given at connect time as /ws?subscribe=<url-encoded JSON of these members>, where it shapes the snapshot and a resume's replay too.
 */
export interface SubscribeCommand {
  /**
   * Message type: always "subscribe".
   */
  type: "subscribe";
  /**
   * Optional id chosen by the client; the reply echoes it as command_id.
   */
  id?: CommandId;
  /**
   * The broadcast event types to receive (left out: all); tick_start, tick_end, simulation_state and error are always received. Constraints: at most 64 items.
   *
   * @maxItems 64
   */
  event_types?: EventType[];
  /**
   * Receive the events about these agents (with agent_kinds: about these agents and the agents of those kinds); left out with agent_kinds: every agent. Events about no agent are not filtered by these. Constraints: at most 10000 items.
   *
   * @maxItems 10000
   */
  agent_ids?: AgentId[];
  /**
   * Receive the events about agents of these kinds (see agent_ids). Constraints: at most 256 items.
   *
   * @maxItems 256
   */
  agent_kinds?: AgentKind[];
  /**
   * true: one batch frame per burst of events instead of a frame per event (default false).
   */
  batch?: boolean;
  /**
   * At most this many deliveries a second: each brings every event since the last in order, with each agent's agent_update coalesced to the latest (a skipped notice counts the ones left out). Left out: every event as it comes. Constraints: more than 0; at most 1000.
   */
  max_rate?: number;
  /**
   * true (a spine.v1.msgpack connection only; any other is refused invalid_message): each tick's agent updates that the simulation published at once come as one agent_columns frame (typed arrays; the agents named by index, the table sent in agent_index frames) instead of an agent_update frame each; under max_rate, a filter or backpressure they come one by one as without it (default false).
   */
  columns?: boolean;
  /**
   * Receive only the agents whose position (the numbers x and y in their data) is inside this rectangle, bounds included: the agents inside it come in the ack (or the snapshot), an agent that moves in comes as agent_entered (its whole state), one that moves out as agent_left, and the agents outside are not sent at all (their events, agent_added and agent_removed included). An agent without a numeric x and y is never inside. Events about no agent are not filtered by it; it narrows agent_ids, agent_kinds and event_types further. Change it with another subscribe (a viewer that pans sends one per view). A resume's replay with a region (connect time) brings each agent that moved in as agent_entered and each that moved out as agent_left, once: it assumes the client held this region at its seq (an agent_left may then name one it did not hold: nothing to forget). With columns, a tick's frame holds only the rows inside.
   */
  region?: {
    /**
     * Left edge.
     */
    x_min: number;
    /**
     * Bottom edge.
     */
    y_min: number;
    /**
     * Right edge (at least x_min).
     */
    x_max: number;
    /**
     * Top edge (at least y_min).
     */
    y_max: number;
  };
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
 * One broadcast event inside a batch, exactly as it would have been sent alone: its own schema (schema/events/<type>.json) describes the rest of it.
 */
export interface BatchMember {
  /**
   * The event's type.
   */
  type: EventType;
  /**
   * The event's broadcast sequence number. Constraints: at least 1.
   */
  seq: number;
  [k: string]: unknown | undefined;
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
 * Where one connection's playback of a recording stands: a `spine-ws replay` server plays its recording to each connection on its own, from the recording's start; a live server that records (--record) lets each connection go back into the recorded past of its epoch and return to live. The connection's view is the recorded world as of `seq`.
 */
export interface PlaybackState {
  /**
   * Whether this connection follows the live stream (a live server that records, until the connection seeks or pauses; never on a replay).
   */
  live: boolean;
  /**
   * Whether frames are being sent at the recording's pace times speed (false: paused, or at the end).
   */
  playing: boolean;
  /**
   * How many recorded seconds are played in a second. Constraints: at least 0.1; at most 100.
   */
  speed: number;
  /**
   * The last frame this connection was sent (or the seq of the snapshot it was sent last, after a seek). Constraints: at least 0.
   */
  seq: number;
  /**
   * The simulation's tick as of seq. Constraints: at least 0.
   */
  tick: number;
  /**
   * Seconds from the recording's start to seq's frame, in recorded time. Constraints: at least 0.
   */
  time: number;
  /**
   * The seq the recording starts at (its first snapshot's). Constraints: at least 0.
   */
  first_seq: number;
  /**
   * The recording's last frame. Constraints: at least 0.
   */
  last_seq: number;
  /**
   * The tick at first_seq. Constraints: at least 0.
   */
  first_tick: number;
  /**
   * The tick at last_seq. Constraints: at least 0.
   */
  last_tick: number;
  /**
   * Seconds from the recording's start to its last frame, in recorded time. Constraints: at least 0.
   */
  duration: number;
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
 * Sent, in MessagePack only, to a client that subscribed with columns: true, in place of the agent_update events of one tick that the simulation published at once (EventSink.broadcast_updates): count of them, with the consecutive seqs first_seq to last_seq, row i being seq first_seq + i. Row i is the agent whose index (agent_index) is the i-th uint32 of index; its whole data is, for each member of unchanged (and of patches, but in the rows a patch lists), the value its agent already has, for each member of columns, the i-th float64 of that column, and for each member of values, the i-th item of that array. Decoded row by row it is, member for member, the agent_update events it replaces. Layout version 1: every byte string is little-endian, with no padding or header.
 */
export interface AgentColumnsEvent {
  /**
   * Message type: always "agent_columns".
   */
  type: "agent_columns";
  /**
   * The byte layout's version: 1 (uint32 indices, float64 columns, little-endian).
   */
  layout: 1;
  /**
   * The tick of every row (each agent_update's tick).
   */
  tick: Tick;
  /**
   * The seq of row 0.
   */
  first_seq: Seq;
  /**
   * The seq of the last row: first_seq + count - 1.
   */
  last_seq: Seq;
  /**
   * How many rows (agent updates). Constraints: at least 1.
   */
  count: number;
  /**
   * A MessagePack binary string of count little-endian uint32: each row's agent, as its index in the table agent_index frames build.
   */
  index: Uint8Array;
  /**
   * The numeric members of the agents' data: member name -> a MessagePack binary string of count little-endian float64 (an integer member's values are exact: the wire carries none beyond 2^53).
   */
  columns: {
    [k: string]: Uint8Array | undefined;
  };
  /**
   * The other members of the agents' data: member name -> an array of count values (strings, booleans, null, or numbers of a member that is not numeric in every row).
   */
  values: {
    [k: string]: unknown[] | undefined;
  };
  /**
   * Numeric members left out because every row's value is the one its agent already has (the data last sent for it). A client is sent a frame with unchanged or patches only if it was sent every event before it.
   */
  unchanged: string[];
  /**
   * Numeric members of which only some rows changed: member name -> the rows that did and their values; every other row keeps the value its agent already has (as for unchanged).
   */
  patches: {
    [k: string]:
      | {
          /**
           * The rows that changed: a MessagePack binary string of little-endian uint32, ascending.
           */
          rows: Uint8Array;
          /**
           * Their values: a MessagePack binary string of as many little-endian float64.
           */
          data: Uint8Array;
        }
      | undefined;
  };
}
/**
 * Sent to a client subscribed to a region only, in place of the agent_update (or agent_added) that brought an agent into its region: the agent's whole state. It keeps that event's seq.
 */
export interface AgentEnteredEvent {
  /**
   * Message type: always "agent_entered".
   */
  type: "agent_entered";
  /**
   * Sequence number of the event it stands for.
   */
  seq: Seq;
  /**
   * Tick this event belongs to.
   */
  tick: Tick;
  /**
   * The agent that came in.
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
 * Sent, in MessagePack only, to a client that subscribed with columns: true, before the first agent_columns frame that names an agent it has no index for: agent_ids[i] is the agent of index start + i. The table belongs to the epoch: it only grows (an index is never reused, an agent keeps its index). start 0 begins it anew: the server sends it whole again after a new subscription or snapshot.
 */
export interface AgentIndexEvent {
  /**
   * Message type: always "agent_index".
   */
  type: "agent_index";
  /**
   * The index of agent_ids[0]. Constraints: at least 0.
   */
  start: number;
  /**
   * The agents of indices start, start + 1, ... Constraints: at least 1 items.
   *
   * @minItems 1
   */
  agent_ids: [AgentId, ...AgentId[]];
}
/**
 * Sent to a client subscribed to a region only, in place of the agent_update that took an agent out of its region: the client forgets it (it still exists; agent_removed says an agent is gone). It keeps that event's seq.
 */
export interface AgentLeftEvent {
  /**
   * Message type: always "agent_left".
   */
  type: "agent_left";
  /**
   * Sequence number of the event it stands for.
   */
  seq: Seq;
  /**
   * Tick this event belongs to.
   */
  tick: Tick;
  /**
   * The agent that went out.
   */
  agent_id: AgentId;
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
 * Sent to a client that subscribed with batch: true instead of one frame per broadcast event: the events of one burst, in seq order, each unchanged. Replies to the client's commands are never inside a batch; they come between batches, in order.
 */
export interface BatchEvent {
  /**
   * Message type: always "batch".
   */
  type: "batch";
  /**
   * The broadcast events, in seq order. Constraints: at least 1 items.
   *
   * @minItems 1
   */
  events: [BatchMember, ...BatchMember[]];
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
 * Sent to this client only, by a server that plays back a recording: where its playback stands, after its snapshot (so a viewer knows it watches a recording, and its span) and whenever that changes by itself (it reached the end). Not a broadcast: it has no seq.
 */
export interface PlaybackEvent {
  /**
   * Message type: always "playback".
   */
  type: "playback";
  /**
   * Where this connection's playback stands.
   */
  state: PlaybackState;
}
/**
 * Sent to the sender only, while a long-running command (its schema's x-spine-long-running) works: how far it got. Any number of these may come; exactly one reply (command_ack or error) ends the command.
 */
export interface ProgressEvent {
  /**
   * Message type: always "progress".
   */
  type: "progress";
  /**
   * Type of the command at work.
   */
  command_type: CommandType;
  /**
   * The command's id, if it carried one.
   */
  command_id?: CommandId;
  /**
   * How much of the work is done, from 0 to 1. Constraints: at least 0; at most 1.
   */
  fraction: number;
  /**
   * What it is doing now, for a person to read (may be empty). Constraints: at most 256 characters.
   */
  message: string;
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
   * This connection's role, from its token: a viewer's controls are read-only.
   */
  role: Role;
  /**
   * What this server supports, sorted: check a feature here, not the protocol_version.
   */
  capabilities: Capability[];
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
 * Sent to this client only, before the events that follow the ones it was not sent: count agent_update events with seqs from first_seq to last_seq were left out, each replaced by a later agent_update of the same agent (which follows), so the client's view is current and it knows it was thinned. Nothing else is ever left out: lifecycle, world and other events, and replies, are all delivered.
 */
export interface SkippedEvent {
  /**
   * Message type: always "skipped".
   */
  type: "skipped";
  /**
   * max_rate: the client's subscription asked for at most max_rate deliveries a second; backpressure: the client's send queue passed its soft limit (it reads slower than events come).
   */
  reason: "max_rate" | "backpressure";
  /**
   * How many agent_update events were left out. Constraints: at least 1.
   */
  count: number;
  /**
   * The seq of the first one left out. Constraints: at least 1.
   */
  first_seq: number;
  /**
   * The seq of the last one left out. Constraints: at least 1.
   */
  last_seq: number;
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
   * This connection's role, from its token: a viewer's controls are read-only.
   */
  role: Role;
  /**
   * What this server supports, sorted: check a feature here, not the protocol_version.
   */
  capabilities: Capability[];
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
/**
 * The result of subscribe: where the new subscription starts, and the agents it covers as they stand there.
 */
export interface SubscribeResult {
  /**
   * The last broadcast event sent under the old subscription: every event after it follows the new one. Constraints: at least 0.
   */
  seq: number;
  /**
   * Every agent the new subscription covers, as of seq, in creation order: the client's view of the agents starts over from these.
   */
  agents: AgentState[];
}
