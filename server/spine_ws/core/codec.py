"""The codec seam: where a message is made into the bytes one encoding sends.

The core builds every message in `spine` (JSON, `type` plus flat members). A
connection of another profile carries an `Envelope`, which translates at its edge:
what it receives into spine commands, its replies into its own responses, and every
other frame into its own shape. Broadcast frames are shared: the hub encodes each one
once per burst per encoding in use (`ENCODERS`), never once per client.

    profile   subprotocol           encoding of the stream
    spine     spine.v1              the core's own frames, as they are
    jsonrpc   spine.v1.jsonrpc      JSON-RPC 2.0 notifications (spine_ws.core.jsonrpc)
    msgpack   spine.v1.msgpack      the same frames in MessagePack, binary (core/packed.py)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, Protocol

import orjson

from spine_ws.core import jsonrpc, packed

__all__ = [
    "ENCODERS",
    "PROFILES",
    "SPINE",
    "Envelope",
    "Profile",
    "batch_frame",
    "entered_frame",
    "envelope_for",
    "left_frame",
    "resumed_frame",
    "skipped_frame",
    "snapshot_head",
    "stamp",
]

Profile = Literal["spine", "jsonrpc", "msgpack"]
PROFILES: tuple[Profile, ...] = ("spine", "jsonrpc", "msgpack")
SPINE = "spine"

# A broadcast frame (spine bytes) -> the same frame in another encoding.
ENCODERS: dict[str, Callable[[bytes], bytes]] = {
    "jsonrpc": jsonrpc.encode_event,
    packed.ENCODING: packed.encode,
}


class Envelope(Protocol):
    """One connection's profile, when it is not `spine`."""

    @property
    def encoding(self) -> str:
        """Its key in `ENCODERS`: how the hub encodes broadcasts for it."""

    @property
    def binary(self) -> bool:
        """Whether its frames are binary (MessagePack) rather than text (JSON)."""

    def decode(self, text: str) -> jsonrpc.Decoded:
        """A received text frame as spine commands, and any response due at once."""

    def decode_binary(self, data: bytes) -> jsonrpc.Decoded:
        """A received binary frame, the same way (a text profile refuses it)."""

    def command_type(self, message: dict[str, Any]) -> str | None:
        """The core type of the command a parsed frame carries, if it names one."""

    def reply(self, message: bytes) -> bytes | None:
        """A spine reply as this profile's response (None: none is sent, yet)."""

    def frame(self, message: bytes) -> bytes:
        """Any other spine frame (event, batch, notice) in this profile's shape."""

    def snapshot(self, parts: Sequence[bytes | memoryview]) -> bytes:
        """The snapshot (`parts` joined) in this profile's shape."""


def envelope_for(profile: Profile) -> Envelope | None:
    """A fresh envelope for one connection of `profile` (None for `spine`)."""
    if profile == "jsonrpc":
        return jsonrpc.JsonRpcSession()
    if profile == "msgpack":
        return packed.PackedSession()
    return None


# The spine encoding's frames. The core makes each one here and nowhere else: the rest
# of it passes bytes along (and an envelope, above, turns them into its own).

_BATCH_HEAD = b'{"type":"batch","events":['


def stamp(body: bytes, seq: int) -> bytes:
    """`body` (a JSON object without `seq`) with `"seq":<seq>` as its first member.

    Whatever the order of the body's members: only its opening brace is assumed. The
    event was serialised once, on the simulation's thread; this is the whole per-event
    cost of numbering it.
    """
    if body == b"{}":
        return b'{"seq":%d}' % seq
    return b'{"seq":%d,' % seq + body[1:]


def batch_frame(messages: Iterable[bytes]) -> bytes:
    """One `batch` frame of broadcast frames, joined as they are (none serialised again)."""
    return _BATCH_HEAD + b",".join(messages) + b"]}"


def skipped_frame(reason: str, count: int, first_seq: int, last_seq: int) -> bytes:
    """The `skipped` notice: `count` updates left out between two seqs, and why."""
    members = {"reason": reason, "count": count, "first_seq": first_seq, "last_seq": last_seq}
    return orjson.dumps({"type": "skipped", **members})


def entered_frame(seq: int, tick: int, agent_id: str, agent_kind: str, data: Any) -> bytes:
    """`agent_entered`: an agent came into a client's region (the update's seq)."""
    members = {"tick": tick, "agent_id": agent_id, "agent_kind": agent_kind, "data": data}
    return orjson.dumps({"seq": seq, "type": "agent_entered", **members})


def left_frame(seq: int, tick: int, agent_id: str) -> bytes:
    """`agent_left`: an agent went out of a client's region (the update's seq)."""
    return orjson.dumps({"seq": seq, "type": "agent_left", "tick": tick, "agent_id": agent_id})


def snapshot_head(connection_id: str, role: str, refused: dict[str, Any] | None) -> bytes:
    """What opens one client's snapshot, before the body shared by every joiner at a seq
    (`snapshot body[1:]` follows): its id, its role, and why its resume was refused."""
    resume = b'"resume":' + orjson.dumps(refused) + b"," if refused is not None else b""
    return b'{"connection_id":%b,"role":"%b",%b' % (
        orjson.dumps(connection_id),
        role.encode(),
        resume,
    )


def resumed_frame(members: dict[str, Any]) -> bytes:
    """The `resumed` frame that opens a replay."""
    return orjson.dumps({"type": "resumed", **members})
