"""A team's own envelope, declared: where a message's name goes, whether its members are
flat or under one key, which member correlates a reply with its request, and the names
the team uses for the core's messages. Sans-I/O.

For a protocol such as Route-Sim's,

    {"action": "agent.create", "params": {...}, "request_id": "<uuid>"}   in
    {"signal": "agent.created", "data": {...}}                             out

the declaration is

    {"name": "routesim",
     "command": {"name": "action", "members": "params", "id": "request_id"},
     "event": {"name": "signal", "members": "data"},
     "names": {"simulation.start": "start", "agent.create": "add_agent",
               "agent.created": "agent_added", ...}}

and the core speaks spine inside: a command's name is looked up in `names` (a name not
there is the core's own), its members become the spine command's, and its one reply
comes back as the `reply.ack` or `reply.error` signal carrying the request's id as it
was sent. Every event is `{signal: <the team's name, or the core's>, data: {..., seq}}`,
encoded once per burst for all the connections of this envelope. A message the core
needs that the team's protocol lacks keeps the core's name, inside the team's envelope.

Errors point into the message as sent (`/params/agent_id`, `/action`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from spine_ws.core.jsonrpc import Decoded

__all__ = ["DeclaredEnvelope", "EnvelopeSpec"]

_RESERVED = ("type", "id")
# What a spine frame opens with: an envelope's event name may not be one of them, so a
# frame it made (a reply held among a shaped client's events) is told from one it did not.
_SPINE_FIRST = ("seq", "type", "connection_id")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CommandShape(_Strict):
    """Where a received command keeps its name, members and correlation id."""

    name: str = Field(description="The member that names the command (e.g. action).")
    members: str | None = Field(
        None, description="The member holding its members (e.g. params); none: flat."
    )
    id: str = Field("id", description="The member a reply echoes (e.g. request_id).")


class EventShape(_Strict):
    """Where a sent event keeps its name and members."""

    name: str = Field(
        description="The member that names the event (e.g. signal); not seq, type or "
        "connection_id, which open the core's own frames.",
    )

    @field_validator("name")
    @classmethod
    def _not_the_cores(cls, name: str) -> str:
        if name in _SPINE_FIRST:
            raise ValueError(f"{name!r} opens the core's own frames: name the event otherwise")
        return name

    members: str | None = Field(
        None, description="The member holding its members (e.g. data); none: flat."
    )
    seq: str | None = Field(
        None,
        description="The member that carries a broadcast's seq beside the name and the "
        "members (e.g. seq), so the members are exactly the message's own; none: seq is "
        "one of the members.",
    )

    @model_validator(mode="after")
    def _apart(self) -> EventShape:
        if self.seq is not None and self.seq in (self.name, self.members):
            raise ValueError("seq needs a member of its own")
        return self


class ReplyNames(_Strict):
    """The names of the two replies (each carries the request's id)."""

    ack: str = "command_ack"
    error: str = "error"


class EnvelopeSpec(_Strict):
    """An envelope, as a schema tree declares it (its `envelope.json`)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$", description="Its subprotocol suffix.")
    command: CommandShape
    event: EventShape
    reply: ReplyNames = ReplyNames()
    names: dict[str, str] = Field(
        default_factory=dict, description="The team's name -> the core's, for each renamed."
    )
    replies: dict[str, str] = Field(
        default_factory=dict,
        description="A command's name -> the name of the message that answers it, for the "
        "commands answered by name (agent.create -> agent.created): its members are the "
        "command's result ({} if it has none), with the request's id. Every other command "
        "is answered reply.ack.",
    )

    def core_name(self, wire: str) -> str:
        return self.names.get(wire, wire)

    def wire_names(self) -> dict[str, str]:
        """The core's name -> the team's."""
        return {core: wire for wire, core in self.names.items()}


class DeclaredEncoder:
    """Spine event frames in a declared envelope: shared by its connections."""

    def __init__(self, spec: EnvelopeSpec) -> None:
        self._spec = spec
        self._wire = spec.wire_names()

    def __call__(self, frame: bytes) -> bytes:
        return orjson.dumps(self.event(orjson.loads(frame)))

    def event(self, event: dict[str, Any]) -> dict[str, Any]:
        kind = event.pop("type")
        if kind == "batch":
            event["events"] = [self.event(member) for member in event["events"]]
        elif kind == "snapshot":  # what the simulation handles, as the team names it
            event["commands"] = [self._wire.get(c, c) for c in event["commands"]]
        seq = self._spec.event.seq
        if seq is not None and "seq" in event:
            return self.wrap(self._wire.get(kind, kind), event, {seq: event.pop("seq")})
        return self.wrap(self._wire.get(kind, kind), event)

    def wrap(
        self, name: str, members: dict[str, Any], extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        shape = self._spec.event
        message = (
            {shape.name: name, shape.members: members}
            if shape.members
            else {shape.name: name, **members}
        )
        return {**message, **(extra or {})}


class DeclaredEnvelope:
    """One connection of a declared envelope: the requests it still owes a reply."""

    def __init__(self, spec: EnvelopeSpec, encoder: DeclaredEncoder) -> None:
        self._spec = spec
        self._encoder = encoder
        self._wire = spec.wire_names()
        self._made = b'{"%b":' % spec.event.name.encode()
        self._next = 0
        self._pending: dict[str, tuple[Any, bool]] = {}  # ours -> (their id, had one)

    @property
    def encoding(self) -> str:
        return self._spec.name

    binary = False

    def decode_binary(self, data: bytes) -> Decoded:
        why = "a command travels in a text frame, not a binary one"
        return Decoded(response=self._error(None, False, "invalid_message", why))

    def decode(self, text: str) -> Decoded:
        shape = self._spec.command
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            return Decoded(
                response=self._error(None, False, "invalid_json", f"not valid JSON: {exc}")
            )
        if not isinstance(message, dict):
            return Decoded(
                response=self._error(None, False, "invalid_message", "a command is a JSON object")
            )
        has_id = shape.id in message
        their_id = message.get(shape.id)
        name = message.get(shape.name)
        if not isinstance(name, str):
            why = f"{shape.name} must be a string naming the command"
            return Decoded(
                response=self._error(their_id, has_id, "invalid_message", why, f"/{shape.name}")
            )
        if shape.members:
            members = message.get(shape.members, {})
            extra = sorted(set(message) - {shape.name, shape.members, shape.id})
        else:
            members = {k: v for k, v in message.items() if k not in (shape.name, shape.id)}
            extra = []
        if extra:
            why = "not a member of a command"
            return Decoded(
                response=self._error(their_id, has_id, "invalid_message", why, f"/{extra[0]}")
            )
        prefix = f"/{shape.members}" if shape.members else ""
        if not isinstance(members, dict):
            why = f"{shape.members} must be an object"
            return Decoded(response=self._error(their_id, has_id, "invalid_message", why, prefix))
        reserved = [key for key in _RESERVED if key in members]
        if reserved:
            why = "not a member of any command"
            return Decoded(
                response=self._error(
                    their_id, has_id, "invalid_message", why, f"{prefix}/{reserved[0]}"
                )
            )
        self._next += 1
        ours = f"env-{self._next}"
        self._pending[ours] = (their_id, has_id)
        core = self._spec.core_name(name)
        if core == "cancel" and "command_id" in members:  # the request's id as they sent it
            members = {**members, "command_id": self._ours(members["command_id"])}
        if core == "subscribe" and isinstance(members.get("event_types"), list):
            # The team subscribes to its own names for the core's events.
            members = {
                **members,
                "event_types": [
                    self._spec.core_name(t) if isinstance(t, str) else t
                    for t in members["event_types"]
                ],
            }
        command = {"id": ours, "type": core, **members}
        return Decoded(commands=[orjson.dumps(command).decode()])

    def command_type(self, message: dict[str, Any]) -> str | None:
        name = message.get(self._spec.command.name)
        return self._spec.core_name(name) if isinstance(name, str) else None

    def _ours(self, theirs: Any) -> Any:
        """Our id of the pending request they know as `theirs` (for cancel)."""
        for ours, (their_id, has_id) in self._pending.items():
            if has_id and their_id == theirs:
                return ours
        return theirs

    def reply(self, message: bytes) -> bytes | None:
        reply = orjson.loads(message)
        if reply["type"] == "progress":  # not the reply: the request stays pending
            their_id, has_id = self._pending.get(reply.get("command_id", ""), (None, False))
            members = {k: v for k, v in reply.items() if k not in ("type", "command_id")}
            members["command_type"] = self._wire.get(
                members["command_type"], members["command_type"]
            )
            return self._dump(self._wire.get("progress", "progress"), members, their_id, has_id)
        their_id, has_id = self._pending.pop(reply.get("command_id", ""), (None, False))
        members = {k: v for k, v in reply.items() if k not in ("type", "command_id")}
        if "command_type" in members:
            members["command_type"] = self._wire.get(
                members["command_type"], members["command_type"]
            )
        if reply["type"] == "error":
            if members.get("details"):
                details = members["details"]
                members["details"] = [{**d, "path": self._path(d["path"])} for d in details]
            return self._dump(self._spec.reply.error, members, their_id, has_id)
        named = self._spec.replies.get(members.get("command_type", ""))
        if named is not None:  # answered by name: the result is the message
            return self._dump(named, members.get("result", {}), their_id, has_id)
        return self._dump(self._spec.reply.ack, members, their_id, has_id)

    def frame(self, message: bytes) -> bytes:
        if message.startswith(self._made):  # a reply made here, held among events
            return message
        return self._encoder(message)

    def snapshot(self, parts: Sequence[bytes | memoryview]) -> bytes:
        return self._encoder(b"".join(parts))

    def _path(self, path: str) -> str:
        shape = self._spec.command
        if path == "/type":
            return f"/{shape.name}"
        return (f"/{shape.members}" if shape.members else "") + path

    def _error(
        self, their_id: Any, has_id: bool, code: str, why: str, path: str | None = None
    ) -> bytes:
        members: dict[str, Any] = {"code": code, "message": why}
        if path is not None:
            members["details"] = [{"path": path, "message": why}]
        return self._dump(self._spec.reply.error, members, their_id, has_id)

    def _dump(self, name: str, members: dict[str, Any], their_id: Any, has_id: bool) -> bytes:
        extra = {self._spec.command.id: their_id} if has_id else None
        return orjson.dumps(self._encoder.wrap(name, members, extra))
