# GENERATED from schema/ by `make gen` (datamodel-code-generator) - do not edit.

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
from typing_extensions import TypeAliasType

SpineProtocol = TypeAliasType(
    "SpineProtocol", Annotated[Any, Field(title="SpineProtocol")]
)
"""
spine-ws protocol 1.9.0, bundled from schema/.
"""


AgentDataPatch = TypeAliasType(
    "AgentDataPatch",
    Annotated[dict[str, Any], Field(min_length=1, title="AgentDataPatch")],
)
"""
Members to set on the agent's data (at least one).
"""


class Region(BaseModel):
    """
    Receive only the agents whose position (the numbers x and y in their data) is inside this rectangle, bounds included: the agents inside it come in the ack (or the snapshot), an agent that moves in comes as agent_entered (its whole state), one that moves out as agent_left, and the agents outside are not sent at all (their events, agent_added and agent_removed included). An agent without a numeric x and y is never inside. Events about no agent are not filtered by it; it narrows agent_ids, agent_kinds and event_types further. Change it with another subscribe (a viewer that pans sends one per view). A resume's replay with a region (connect time) brings each agent that moved in as agent_entered and each that moved out as agent_left, once: it assumes the client held this region at its seq (an agent_left may then name one it did not hold: nothing to forget). With columns, a tick's frame holds only the rows inside.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    x_min: StrictFloat
    """
    Left edge.
    """
    y_min: StrictFloat
    """
    Bottom edge.
    """
    x_max: StrictFloat
    """
    Right edge (at least x_min).
    """
    y_max: StrictFloat
    """
    Top edge (at least y_min).
    """


AgentId = TypeAliasType(
    "AgentId",
    Annotated[StrictStr, Field(pattern="^[A-Za-z0-9._:-]{1,64}$", title="AgentId")],
)
"""
Unique id of an agent.
"""


AgentKind = TypeAliasType(
    "AgentKind",
    Annotated[StrictStr, Field(pattern="^[A-Za-z0-9._:-]{1,64}$", title="AgentKind")],
)
"""
Kind of an agent, chosen by whoever creates it.
"""


class AgentSummary(BaseModel):
    """
    One agent's id and kind.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    agent_id: AgentId
    """
    The agent's id.
    """
    agent_kind: AgentKind
    """
    The agent's kind.
    """


Capability = TypeAliasType(
    "Capability",
    Annotated[StrictStr, Field(pattern="^[a-z][a-z0-9_]{0,31}$", title="Capability")],
)
"""
A feature this server supports, for clients to check instead of versions: resume (/ws?resume= replays from the history), subscribe (the subscribe command and /ws?subscribe=), batch (batch frames), columns (subscribe's columns: a tick's agent updates as one agent_columns frame, over spine.v1.msgpack), region (subscribe's region: only the agents inside a rectangle), cluster (a gateway or host of a NATS cluster), playback (a recording played back: the playback commands). A client ignores names it does not know: newer servers may add some.
"""


CommandId = TypeAliasType(
    "CommandId",
    Annotated[StrictStr, Field(pattern="^[A-Za-z0-9._:-]{1,64}$", title="CommandId")],
)
"""
Client-chosen id of a command, echoed as command_id in its one reply.
"""


CommandType = TypeAliasType(
    "CommandType",
    Annotated[
        StrictStr,
        Field(
            pattern="^[a-z][a-z0-9_]{0,63}(\\.[a-z][a-z0-9_]{0,63})*$",
            title="CommandType",
        ),
    ],
)
"""
Wire type of a command (the name of its schema file): lowercase words, or `<domain>.<action>` dotted as a team names its messages (at most 64 characters in all).
"""


Data = TypeAliasType("Data", dict[str, Any])
"""
Free-form JSON object.
"""


ErrorCode = TypeAliasType(
    "ErrorCode",
    Annotated[
        Literal[
            "invalid_json",
            "invalid_message",
            "unknown_command",
            "unsupported_command",
            "queue_full",
            "invalid_state",
            "agent_not_found",
            "agent_exists",
            "forbidden",
            "rate_limited",
            "limit_exceeded",
            "internal_error",
            "simulation_error",
            "unavailable",
            "busy",
            "cancelled",
        ],
        Field(title="ErrorCode"),
    ],
)
"""
Why a message failed. invalid_json: not parseable JSON (or a non-finite number). invalid_message: valid JSON that breaks a schema, a binary frame, or JSON too deep or too large. unknown_command: a type no command schema has. unsupported_command: a command of the protocol that the running simulation does not handle (the snapshot lists those it does). queue_full: the simulation's command queue is full; nothing was applied, retry later. invalid_state: the command is not allowed in the simulation's current state. agent_not_found: no agent has that id. agent_exists: an agent with that id already exists. forbidden: this connection's role may not send commands. rate_limited: too many commands from this connection; nothing was applied. limit_exceeded: a configured limit (agent count, agent_data size) would be exceeded. internal_error: an unexpected server fault. simulation_error: the simulation raised while ticking or handling a command. unavailable: the simulation host of this cluster did not answer in time (a gateway could not reach it); nothing is known to have been applied, retry later. busy: a long-running command that does not share the simulation is at work (its schema's x-spine-long-running says others: busy); nothing was applied, retry when it ends. cancelled: the command was cancelled at its sender's request (cancel).
"""


class ErrorDetail(BaseModel):
    """
    One thing wrong with the offending message.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    path: StrictStr
    """
    JSON Pointer (RFC 6901) into the offending message; empty for the whole message.
    """
    message: StrictStr
    """
    What is wrong there, for humans.
    """


EventType = TypeAliasType(
    "EventType",
    Annotated[
        StrictStr,
        Field(
            pattern="^[a-z][a-z0-9_]{0,63}(\\.[a-z][a-z0-9_]{0,63})*$",
            title="EventType",
        ),
    ],
)
"""
Wire type of an event (the name of its schema file): lowercase words, or `<domain>.<action>` dotted as a team names its messages (at most 64 characters in all).
"""


class PlaybackState(BaseModel):
    """
    Where one connection's playback of a recording stands: a `spine-ws replay` server plays its recording to each connection on its own, from the recording's start; a live server that records (--record) lets each connection go back into the recorded past of its epoch and return to live. The connection's view is the recorded world as of `seq`.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    live: StrictBool
    """
    Whether this connection follows the live stream (a live server that records, until the connection seeks or pauses; never on a replay).
    """
    playing: StrictBool
    """
    Whether frames are being sent at the recording's pace times speed (false: paused, or at the end).
    """
    speed: Annotated[StrictFloat, Field(ge=0.1, le=100.0)]
    """
    How many recorded seconds are played in a second.
    """
    seq: Annotated[StrictInt, Field(ge=0)]
    """
    The last frame this connection was sent (or the seq of the snapshot it was sent last, after a seek).
    """
    tick: Annotated[StrictInt, Field(ge=0)]
    """
    The simulation's tick as of seq.
    """
    time: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Seconds from the recording's start to seq's frame, in recorded time.
    """
    first_seq: Annotated[StrictInt, Field(ge=0)]
    """
    The seq the recording starts at (its first snapshot's).
    """
    last_seq: Annotated[StrictInt, Field(ge=0)]
    """
    The recording's last frame.
    """
    first_tick: Annotated[StrictInt, Field(ge=0)]
    """
    The tick at first_seq.
    """
    last_tick: Annotated[StrictInt, Field(ge=0)]
    """
    The tick at last_seq.
    """
    duration: Annotated[StrictFloat, Field(ge=0.0)]
    """
    Seconds from the recording's start to its last frame, in recorded time.
    """


ProtocolVersion = TypeAliasType(
    "ProtocolVersion", Annotated[Literal["1.9.0"], Field(title="ProtocolVersion")]
)
"""
Semantic version of this protocol; bumped on every change to schema/ (major on breaking changes).
"""


class ResumeRefused(BaseModel):
    """
    Why a connection that asked to resume (/ws?resume=<epoch>:<seq>) got a snapshot instead.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    requested: Annotated[StrictStr, Field(max_length=128)]
    """
    The resume value the client sent (cut to 128 characters).
    """
    reason: Literal["invalid", "epoch_changed", "too_old", "ahead", "snapshot_smaller"]
    """
    invalid: not <epoch>:<seq>; epoch_changed: the server restarted (a new epoch); too_old: the history no longer holds every event after seq; ahead: seq is beyond the last event of this epoch; snapshot_smaller: the snapshot is fewer bytes than the replay would be.
    """


Role = TypeAliasType(
    "Role", Annotated[Literal["viewer", "controller"], Field(title="Role")]
)
"""
What a connection may do, from its token: a viewer receives events and may send only the commands that are about its own connection (subscribe); a controller may send every command.
"""


Seq = TypeAliasType("Seq", Annotated[StrictInt, Field(ge=1, title="Seq")])
"""
Sequence number of a broadcast event: grows by exactly 1 per broadcast event of this server run.
"""


SimulationStatus = TypeAliasType(
    "SimulationStatus",
    Annotated[Literal["running", "paused", "stopped"], Field(title="SimulationStatus")],
)
"""
Lifecycle state of the simulation.
"""


Tick = TypeAliasType("Tick", Annotated[StrictInt, Field(ge=0, title="Tick")])
"""
Simulation tick number, counting from 0.
"""


TickRate = TypeAliasType(
    "TickRate", Annotated[StrictFloat, Field(ge=0.1, le=100.0, title="TickRate")]
)
"""
Simulation speed in ticks per second; out-of-range values are an error, never clamped.
"""


class AgentAddedEvent(BaseModel):
    """
    An agent was created.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent_added"] = "agent_added"
    """
    Message type: always "agent_added".
    """
    seq: Seq
    """
    Sequence number of this broadcast event.
    """
    tick: Tick
    """
    Tick this event belongs to.
    """
    agent_id: AgentId
    """
    The new agent.
    """
    agent_kind: AgentKind
    """
    Its kind.
    """
    data: Data
    """
    Its full data.
    """


class Patches(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    rows: Any
    """
    The rows that changed: a MessagePack binary string of little-endian uint32, ascending.
    """
    data: Any
    """
    Their values: a MessagePack binary string of as many little-endian float64.
    """


class AgentColumnsEvent(BaseModel):
    """
    Sent, in MessagePack only, to a client that subscribed with columns: true, in place of the agent_update events of one tick that the simulation published at once (EventSink.broadcast_updates): count of them, with the consecutive seqs first_seq to last_seq, row i being seq first_seq + i. Row i is the agent whose index (agent_index) is the i-th uint32 of index; its whole data is, for each member of unchanged (and of patches, but in the rows a patch lists), the value its agent already has, for each member of columns, the i-th float64 of that column, and for each member of values, the i-th item of that array. Decoded row by row it is, member for member, the agent_update events it replaces. Layout version 1: every byte string is little-endian, with no padding or header.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent_columns"] = "agent_columns"
    """
    Message type: always "agent_columns".
    """
    layout: Literal[1] = 1
    """
    The byte layout's version: 1 (uint32 indices, float64 columns, little-endian).
    """
    tick: Tick
    """
    The tick of every row (each agent_update's tick).
    """
    first_seq: Seq
    """
    The seq of row 0.
    """
    last_seq: Seq
    """
    The seq of the last row: first_seq + count - 1.
    """
    count: Annotated[StrictInt, Field(ge=1)]
    """
    How many rows (agent updates).
    """
    index: Any
    """
    A MessagePack binary string of count little-endian uint32: each row's agent, as its index in the table agent_index frames build.
    """
    columns: dict[str, Any]
    """
    The numeric members of the agents' data: member name -> a MessagePack binary string of count little-endian float64 (an integer member's values are exact: the wire carries none beyond 2^53).
    """
    values: dict[str, list[Any]]
    """
    The other members of the agents' data: member name -> an array of count values (strings, booleans, null, or numbers of a member that is not numeric in every row).
    """
    unchanged: list[StrictStr]
    """
    Numeric members left out because every row's value is the one its agent already has (the data last sent for it). A client is sent a frame with unchanged or patches only if it was sent every event before it.
    """
    patches: dict[str, Patches]
    """
    Numeric members of which only some rows changed: member name -> the rows that did and their values; every other row keeps the value its agent already has (as for unchanged).
    """


class AgentEnteredEvent(BaseModel):
    """
    Sent to a client subscribed to a region only, in place of the agent_update (or agent_added) that brought an agent into its region: the agent's whole state. It keeps that event's seq.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent_entered"] = "agent_entered"
    """
    Message type: always "agent_entered".
    """
    seq: Seq
    """
    Sequence number of the event it stands for.
    """
    tick: Tick
    """
    Tick this event belongs to.
    """
    agent_id: AgentId
    """
    The agent that came in.
    """
    agent_kind: AgentKind
    """
    Its kind.
    """
    data: Data
    """
    Its full data.
    """


class AgentIndexEvent(BaseModel):
    """
    Sent, in MessagePack only, to a client that subscribed with columns: true, before the first agent_columns frame that names an agent it has no index for: agent_ids[i] is the agent of index start + i. The table belongs to the epoch: it only grows (an index is never reused, an agent keeps its index). start 0 begins it anew: the server sends it whole again after a new subscription or snapshot.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent_index"] = "agent_index"
    """
    Message type: always "agent_index".
    """
    start: Annotated[StrictInt, Field(ge=0)]
    """
    The index of agent_ids[0].
    """
    agent_ids: Annotated[list[AgentId], Field(min_length=1)]
    """
    The agents of indices start, start + 1, ...
    """


class AgentLeftEvent(BaseModel):
    """
    Sent to a client subscribed to a region only, in place of the agent_update that took an agent out of its region: the client forgets it (it still exists; agent_removed says an agent is gone). It keeps that event's seq.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent_left"] = "agent_left"
    """
    Message type: always "agent_left".
    """
    seq: Seq
    """
    Sequence number of the event it stands for.
    """
    tick: Tick
    """
    Tick this event belongs to.
    """
    agent_id: AgentId
    """
    The agent that went out.
    """


class AgentRemovedEvent(BaseModel):
    """
    An agent was removed.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent_removed"] = "agent_removed"
    """
    Message type: always "agent_removed".
    """
    seq: Seq
    """
    Sequence number of this broadcast event.
    """
    tick: Tick
    """
    Tick this event belongs to.
    """
    agent_id: AgentId
    """
    The removed agent.
    """


class AgentUpdateEvent(BaseModel):
    """
    An agent's state changed; data is its full data after the change.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["agent_update"] = "agent_update"
    """
    Message type: always "agent_update".
    """
    seq: Seq
    """
    Sequence number of this broadcast event.
    """
    tick: Tick
    """
    Tick this event belongs to.
    """
    agent_id: AgentId
    """
    The agent that changed.
    """
    data: Data
    """
    The agent's full data after the change.
    """


class CommandAckEvent(BaseModel):
    """
    Sent to the sender only: its command was applied. Broadcasts the command caused arrive before this. A command that returns data (schema/results/) carries it in result.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["command_ack"] = "command_ack"
    """
    Message type: always "command_ack".
    """
    command_type: CommandType
    """
    Type of the applied command.
    """
    command_id: CommandId | MISSING = MISSING
    """
    The command's id, if it carried one.
    """
    tick: Tick
    """
    Tick at which the command was applied.
    """
    result: dict[str, Any] | MISSING = MISSING
    """
    The command's result, for a command whose schema/results/<command_type>.json declares one (validated against it by the server); absent otherwise.
    """


class ErrorEvent(BaseModel):
    """
    To the sender: its message failed and nothing was applied. Broadcast (with seq) for a simulation fault.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["error"] = "error"
    """
    Message type: always "error".
    """
    code: ErrorCode
    """
    Machine-readable reason.
    """
    message: StrictStr
    """
    What went wrong, for humans.
    """
    command_id: CommandId | MISSING = MISSING
    """
    Id of the failed command, if it carried a valid one.
    """
    command_type: CommandType | MISSING = MISSING
    """
    Type of the failed command; present only when the message named a known command type.
    """
    details: list[ErrorDetail] | MISSING = MISSING
    """
    Each thing wrong with the message.
    """
    seq: Seq | MISSING = MISSING
    """
    Present only on broadcast errors (simulation faults).
    """


class PlaybackEvent(BaseModel):
    """
    Sent to this client only, by a server that plays back a recording: where its playback stands, after its snapshot (so a viewer knows it watches a recording, and its span) and whenever that changes by itself (it reached the end). Not a broadcast: it has no seq.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["playback"] = "playback"
    """
    Message type: always "playback".
    """
    state: PlaybackState
    """
    Where this connection's playback stands.
    """


class ProgressEvent(BaseModel):
    """
    Sent to the sender only, while a long-running command (its schema's x-spine-long-running) works: how far it got. Any number of these may come; exactly one reply (command_ack or error) ends the command.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["progress"] = "progress"
    """
    Message type: always "progress".
    """
    command_type: CommandType
    """
    Type of the command at work.
    """
    command_id: CommandId | MISSING = MISSING
    """
    The command's id, if it carried one.
    """
    fraction: Annotated[StrictFloat, Field(ge=0.0, le=1.0)]
    """
    How much of the work is done, from 0 to 1.
    """
    message: Annotated[StrictStr, Field(max_length=256)]
    """
    What it is doing now, for a person to read (may be empty).
    """


class ResumedEvent(BaseModel):
    """
    Sent first to a client that connected with /ws?resume=<epoch>:<seq> when the server still holds every broadcast event after seq: exactly those events follow (replayed of them, seq + 1 onwards, as the connected clients got them), then the live stream. The client keeps what it knew instead of a snapshot.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["resumed"] = "resumed"
    """
    Message type: always "resumed".
    """
    epoch: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    """
    The server run resumed (the one the client asked for).
    """
    seq: Annotated[StrictInt, Field(ge=0)]
    """
    The last broadcast event the client had processed, as it asked: the next event is seq + 1.
    """
    connection_id: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    """
    This connection's id, as the server logs it.
    """
    role: Role
    """
    This connection's role, from its token: a viewer's controls are read-only.
    """
    capabilities: list[Capability]
    """
    What this server supports, sorted: check a feature here, not the protocol_version.
    """
    protocol_version: ProtocolVersion
    """
    Protocol version the server speaks.
    """
    schema_hash: Annotated[StrictStr, Field(pattern="^[0-9a-f]{64}$")]
    """
    SHA-256 of the canonical content of schema/ the server was built from.
    """
    replayed: Annotated[StrictInt, Field(ge=0)]
    """
    How many broadcast events follow this one before the live stream: seq + 1 to seq + replayed.
    """


class SimulationStateEvent(BaseModel):
    """
    The simulation's state or speed changed.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["simulation_state"] = "simulation_state"
    """
    Message type: always "simulation_state".
    """
    seq: Seq
    """
    Sequence number of this broadcast event.
    """
    status: SimulationStatus
    """
    New lifecycle state.
    """
    tick: Tick
    """
    Tick at the change.
    """
    tick_rate: TickRate
    """
    Speed in ticks per second.
    """


class SkippedEvent(BaseModel):
    """
    Sent to this client only, before the events that follow the ones it was not sent: count agent_update events with seqs from first_seq to last_seq were left out, each replaced by a later agent_update of the same agent (which follows), so the client's view is current and it knows it was thinned. Nothing else is ever left out: lifecycle, world and other events, and replies, are all delivered.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["skipped"] = "skipped"
    """
    Message type: always "skipped".
    """
    reason: Literal["max_rate", "backpressure"]
    """
    max_rate: the client's subscription asked for at most max_rate deliveries a second; backpressure: the client's send queue passed its soft limit (it reads slower than events come).
    """
    count: Annotated[StrictInt, Field(ge=1)]
    """
    How many agent_update events were left out.
    """
    first_seq: Annotated[StrictInt, Field(ge=1)]
    """
    The seq of the first one left out.
    """
    last_seq: Annotated[StrictInt, Field(ge=1)]
    """
    The seq of the last one left out.
    """


class TickEndEvent(BaseModel):
    """
    A tick is complete.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["tick_end"] = "tick_end"
    """
    Message type: always "tick_end".
    """
    seq: Seq
    """
    Sequence number of this broadcast event.
    """
    tick: Tick
    """
    Tick this event belongs to.
    """


class TickStartEvent(BaseModel):
    """
    A tick begins; its agent_update and world_event events follow, then tick_end.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["tick_start"] = "tick_start"
    """
    Message type: always "tick_start".
    """
    seq: Seq
    """
    Sequence number of this broadcast event.
    """
    tick: Tick
    """
    Tick this event belongs to.
    """


class WorldEventEvent(BaseModel):
    """
    Anything else the world reports (the default simulation reports kind "bounce" when an agent hits a wall).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["world_event"] = "world_event"
    """
    Message type: always "world_event".
    """
    seq: Seq
    """
    Sequence number of this broadcast event.
    """
    tick: Tick
    """
    Tick this event belongs to.
    """
    kind: Annotated[StrictStr, Field(pattern="^[A-Za-z0-9._:-]{1,64}$")]
    """
    What happened.
    """
    data: Data
    """
    Details of what happened.
    """


class DescribeAgentResult(BaseModel):
    """
    The result of describe_agent: the agent as it stands.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    agent_id: AgentId
    """
    The agent's id.
    """
    agent_kind: AgentKind
    """
    The agent's kind.
    """
    data: Data
    """
    The agent's full data.
    """


class ListAgentsResult(BaseModel):
    """
    The result of list_agents: one page of agents, in creation order.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    agents: list[AgentSummary]
    """
    The page.
    """
    next: AgentId | MISSING = MISSING
    """
    Pass it as after for the next page; absent after the last one.
    """


PlaybackLiveResult = TypeAliasType(
    "PlaybackLiveResult", Annotated[PlaybackState, Field(title="PlaybackLiveResult")]
)
"""
The result of playback.live: where this connection's playback stands now.
"""


PlaybackPauseResult = TypeAliasType(
    "PlaybackPauseResult", Annotated[PlaybackState, Field(title="PlaybackPauseResult")]
)
"""
The result of playback.pause: where this connection's playback stands now.
"""


PlaybackPlayResult = TypeAliasType(
    "PlaybackPlayResult", Annotated[PlaybackState, Field(title="PlaybackPlayResult")]
)
"""
The result of playback.play: where this connection's playback stands now.
"""


PlaybackSeekResult = TypeAliasType(
    "PlaybackSeekResult", Annotated[PlaybackState, Field(title="PlaybackSeekResult")]
)
"""
The result of playback.seek: where this connection's playback stands now.
"""


PlaybackSpeedResult = TypeAliasType(
    "PlaybackSpeedResult", Annotated[PlaybackState, Field(title="PlaybackSpeedResult")]
)
"""
The result of playback.speed: where this connection's playback stands now.
"""


class AddAgentCommand(BaseModel):
    """
    Create an agent. Fails with agent_exists if the id is taken.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["add_agent"] = "add_agent"
    """
    Message type: always "add_agent".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """
    agent_id: AgentId
    """
    Id of the new agent.
    """
    agent_kind: AgentKind
    """
    Kind of the new agent.
    """
    agent_data: Data | MISSING = MISSING
    """
    Initial data of the agent (the default simulation reads numbers x, y, vx, vy and keeps every other member).
    """


class CancelCommand(BaseModel):
    """
    Ask that one of this connection's own commands, still queued or running, be cancelled. Its ack says the request was taken; the cancelled command then gets its one reply: an error `cancelled` if it was stopped (a queued command never starts; a long-running one stops at its next check), or its usual reply if it finished first. About this connection: the server answers it itself.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["cancel"] = "cancel"
    """
    Message type: always "cancel".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """
    command_id: CommandId
    """
    The id of the command to cancel, as this connection sent it.
    """


class DeleteAgentCommand(BaseModel):
    """
    Remove an agent. Fails with agent_not_found if no agent has the id.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["delete_agent"] = "delete_agent"
    """
    Message type: always "delete_agent".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """
    agent_id: AgentId
    """
    Id of the agent to remove.
    """


class DescribeAgentCommand(BaseModel):
    """
    Ask for one agent as it stands: its kind and full data, in the command_ack's result (DescribeAgentResult). Fails with agent_not_found if no agent has the id.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["describe_agent"] = "describe_agent"
    """
    Message type: always "describe_agent".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """
    agent_id: AgentId
    """
    Id of the agent to describe.
    """


class ListAgentsCommand(BaseModel):
    """
    Ask for a page of agents, in creation order: their ids and kinds, in the command_ack's result (ListAgentsResult).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["list_agents"] = "list_agents"
    """
    Message type: always "list_agents".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """
    agent_kind: AgentKind | MISSING = MISSING
    """
    Only agents of this kind.
    """
    after: AgentId | MISSING = MISSING
    """
    Start after this agent: the previous page's next.
    """
    limit: Annotated[StrictInt | MISSING, Field(ge=1, le=1000)] = MISSING
    """
    Agents in the page, at most (100 when absent).
    """


class ModifyAgentCommand(BaseModel):
    """
    Shallow-merge agent_data into an agent's data. Fails with agent_not_found if no agent has the id.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["modify_agent"] = "modify_agent"
    """
    Message type: always "modify_agent".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """
    agent_id: AgentId
    """
    Id of the agent to change.
    """
    agent_data: Annotated[AgentDataPatch, Field(title="AgentDataPatch")]
    """
    Members to set on the agent's data (at least one).
    """


class PauseCommand(BaseModel):
    """
    Pause the simulation: running -> paused.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["pause"] = "pause"
    """
    Message type: always "pause".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """


class PlaybackLiveCommand(BaseModel):
    """
    Return this connection from the recorded past to the live stream: it is sent the snapshot of now, then the live stream (a connection that is live already is answered as it is). A replay has no live stream: it answers invalid_state. Answered by a server that plays back a recording (`spine-ws replay`) or records one (`serve --record`): its snapshot lists the playback commands and its capabilities include playback; any other answers unsupported_command. About this connection only: the others play on.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["playback.live"] = "playback.live"
    """
    Message type: always "playback.live".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """


class PlaybackPauseCommand(BaseModel):
    """
    Pause this connection's playback: no frame is sent until playback.play or a seek. On a live connection it freezes the view where it is: the connection leaves the live stream, and playback.play plays on from there at its speed (behind live until playback.live). Answered by a server that plays back a recording (`spine-ws replay`) or records one (`serve --record`): its snapshot lists the playback commands and its capabilities include playback; any other answers unsupported_command. About this connection only: the others play on.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["playback.pause"] = "playback.pause"
    """
    Message type: always "playback.pause".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """


class PlaybackPlayCommand(BaseModel):
    """
    Play this connection's recording from where it stands, at its speed; at the end it stops. Answered by a server that plays back a recording (`spine-ws replay`) or records one (`serve --record`): its snapshot lists the playback commands and its capabilities include playback; any other answers unsupported_command. About this connection only: the others play on.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["playback.play"] = "playback.play"
    """
    Message type: always "playback.play".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """


class PlaybackSeekCommand(BaseModel):
    """
    Move this connection's playback to a moment of the recording, given by exactly one of seq, tick or time (a moment outside the recording is its first or last): it is sent a snapshot of that moment (the nearest checkpoint before it and the recorded frames after that), then the frames from there, if playing. Its reply follows the snapshot. On a live server it leaves the live stream; playing on, it returns to live by itself when it catches up with it. Answered by a server that plays back a recording (`spine-ws replay`) or records one (`serve --record`): its snapshot lists the playback commands and its capabilities include playback; any other answers unsupported_command. About this connection only: the others play on.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["playback.seek"] = "playback.seek"
    """
    Message type: always "playback.seek".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """
    seq: Annotated[StrictInt | MISSING, Field(ge=0)] = MISSING
    """
    The moment after this frame.
    """
    tick: Annotated[StrictInt | MISSING, Field(ge=0)] = MISSING
    """
    The moment after this tick's last frame.
    """
    time: Annotated[StrictFloat | MISSING, Field(ge=0.0)] = MISSING
    """
    The moment this many seconds of recorded time after the recording's start.
    """


class PlaybackSpeedCommand(BaseModel):
    """
    Change how fast this connection's recording plays: recorded seconds a second, from 0.1 to 100. Answered by a server that plays back a recording (`spine-ws replay`) or records one (`serve --record`): its snapshot lists the playback commands and its capabilities include playback; any other answers unsupported_command. About this connection only: the others play on.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["playback.speed"] = "playback.speed"
    """
    Message type: always "playback.speed".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """
    speed: Annotated[StrictFloat, Field(ge=0.1, le=100.0)]
    """
    Recorded seconds played a second.
    """


class ResumeCommand(BaseModel):
    """
    Resume the simulation: paused -> running.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["resume"] = "resume"
    """
    Message type: always "resume".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """


class SetTickRateCommand(BaseModel):
    """
    Change the simulation's speed; allowed in every state.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["set_tick_rate"] = "set_tick_rate"
    """
    Message type: always "set_tick_rate".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """
    tick_rate: TickRate
    """
    New speed in ticks per second.
    """


class StartCommand(BaseModel):
    """
    Start the simulation: stopped -> running. Keeps the current tick rate unless tick_rate is given (the default rate is 20).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["start"] = "start"
    """
    Message type: always "start".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """
    tick_rate: TickRate | MISSING = MISSING
    """
    Speed to run at, in ticks per second.
    """


class StopCommand(BaseModel):
    """
    Stop the simulation; allowed in every state (a stop while stopped is acknowledged and changes nothing).
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["stop"] = "stop"
    """
    Message type: always "stop".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """


class SubscribeCommand(BaseModel):
    """
    Set what this connection receives, from the seq its ack states: which broadcast events (tick_start, tick_end, simulation_state and error always pass), about which agents, batched or not, and how often agent updates come. Each member left out means everything (or off); an empty subscribe is the default: every event, one frame each. About this connection, not the simulation: the server answers it itself, and a viewer may send it. Filtered events keep their seq, so a filtered client sees gaps by design. Also given at connect time as /ws?subscribe=<url-encoded JSON of these members>, where it shapes the snapshot and a resume's replay too.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["subscribe"] = "subscribe"
    """
    Message type: always "subscribe".
    """
    id: CommandId | MISSING = MISSING
    """
    Optional id chosen by the client; the reply echoes it as command_id.
    """
    event_types: Annotated[list[EventType] | MISSING, Field(max_length=64)] = MISSING
    """
    The broadcast event types to receive (left out: all); tick_start, tick_end, simulation_state and error are always received.
    """
    agent_ids: Annotated[list[AgentId] | MISSING, Field(max_length=10000)] = MISSING
    """
    Receive the events about these agents (with agent_kinds: about these agents and the agents of those kinds); left out with agent_kinds: every agent. Events about no agent are not filtered by these.
    """
    agent_kinds: Annotated[list[AgentKind] | MISSING, Field(max_length=256)] = MISSING
    """
    Receive the events about agents of these kinds (see agent_ids).
    """
    batch: StrictBool | MISSING = MISSING
    """
    true: one batch frame per burst of events instead of a frame per event (default false).
    """
    max_rate: Annotated[StrictFloat | MISSING, Field(gt=0.0, le=1000.0)] = MISSING
    """
    At most this many deliveries a second: each brings every event since the last in order, with each agent's agent_update coalesced to the latest (a skipped notice counts the ones left out). Left out: every event as it comes.
    """
    columns: StrictBool | MISSING = MISSING
    """
    true (a spine.v1.msgpack connection only; any other is refused invalid_message): each tick's agent updates that the simulation published at once come as one agent_columns frame (typed arrays; the agents named by index, the table sent in agent_index frames) instead of an agent_update frame each; under max_rate, a filter or backpressure they come one by one as without it (default false).
    """
    region: Region | MISSING = MISSING
    """
    Receive only the agents whose position (the numbers x and y in their data) is inside this rectangle, bounds included: the agents inside it come in the ack (or the snapshot), an agent that moves in comes as agent_entered (its whole state), one that moves out as agent_left, and the agents outside are not sent at all (their events, agent_added and agent_removed included). An agent without a numeric x and y is never inside. Events about no agent are not filtered by it; it narrows agent_ids, agent_kinds and event_types further. Change it with another subscribe (a viewer that pans sends one per view). A resume's replay with a region (connect time) brings each agent that moved in as agent_entered and each that moved out as agent_left, once: it assumes the client held this region at its seq (an agent_left may then name one it did not hold: nothing to forget). With columns, a tick's frame holds only the rows inside.
    """


class AgentState(BaseModel):
    """
    One agent as it stands: id, kind and its full data.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    agent_id: AgentId
    """
    The agent's id.
    """
    agent_kind: AgentKind
    """
    The agent's kind.
    """
    data: Data
    """
    The agent's full data.
    """


class BatchMember(BaseModel):
    """
    One broadcast event inside a batch, exactly as it would have been sent alone: its own schema (schema/events/<type>.json) describes the rest of it.
    """

    model_config = ConfigDict(
        extra="allow",
    )
    __annotations__ = {
        "__pydantic_extra__": dict[str, Any],
    }
    type: EventType
    """
    The event's type.
    """
    seq: Annotated[StrictInt, Field(ge=1)]
    """
    The event's broadcast sequence number.
    """


class SimulationInfo(BaseModel):
    """
    The simulation's lifecycle state, tick and speed.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    status: SimulationStatus
    """
    Lifecycle state.
    """
    tick: Tick
    """
    Current tick.
    """
    tick_rate: TickRate
    """
    Current speed in ticks per second.
    """


class BatchEvent(BaseModel):
    """
    Sent to a client that subscribed with batch: true instead of one frame per broadcast event: the events of one burst, in seq order, each unchanged. Replies to the client's commands are never inside a batch; they come between batches, in order.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["batch"] = "batch"
    """
    Message type: always "batch".
    """
    events: Annotated[list[BatchMember], Field(min_length=1)]
    """
    The broadcast events, in seq order.
    """


class SnapshotEvent(BaseModel):
    """
    Sent to a client right after it connects: the whole state as of broadcast event seq, so the client's next event is seq + 1.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    type: Literal["snapshot"] = "snapshot"
    """
    Message type: always "snapshot".
    """
    protocol_version: ProtocolVersion
    """
    Protocol version the server speaks.
    """
    schema_hash: Annotated[StrictStr, Field(pattern="^[0-9a-f]{64}$")]
    """
    SHA-256 of the canonical content of schema/ the server was built from.
    """
    epoch: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    """
    Identifies this server run; a new epoch means seq restarted.
    """
    seq: Annotated[StrictInt, Field(ge=0)]
    """
    Last broadcast event this snapshot already reflects (0 before the first one).
    """
    connection_id: Annotated[StrictStr, Field(max_length=64, min_length=1)]
    """
    This connection's id, as the server logs it.
    """
    role: Role
    """
    This connection's role, from its token: a viewer's controls are read-only.
    """
    capabilities: list[Capability]
    """
    What this server supports, sorted: check a feature here, not the protocol_version.
    """
    resume: ResumeRefused | MISSING = MISSING
    """
    Present when the client asked to resume and this snapshot was sent instead: why.
    """
    simulation: SimulationInfo
    """
    The simulation's state.
    """
    commands: list[CommandType]
    """
    The command types the running simulation handles, sorted, each once; any other command gets unsupported_command.
    """
    agents: list[AgentState]
    """
    Every agent, in creation order.
    """


class SubscribeResult(BaseModel):
    """
    The result of subscribe: where the new subscription starts, and the agents it covers as they stand there.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    seq: Annotated[StrictInt, Field(ge=0)]
    """
    The last broadcast event sent under the old subscription: every event after it follows the new one.
    """
    agents: list[AgentState]
    """
    Every agent the new subscription covers, as of seq, in creation order: the client's view of the agents starts over from these.
    """


Command = TypeAliasType(
    "Command",
    Annotated[
        AddAgentCommand
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
        AgentAddedEvent
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
        | WorldEventEvent,
        Field(discriminator="type"),
    ],
)
"""
Any event the server may send.
"""
