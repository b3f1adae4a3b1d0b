"""The `msgpack` profile (subprotocol `spine.v1.msgpack`): spine's messages, member for
member, in MessagePack, in binary frames both ways. Sans-I/O.

A client of it gets, frame for frame, what a spine client gets, decoded: the same
members, integers as integers, floats as 64-bit floats, agent `data` whole. It sends
commands the same way: a MessagePack map per binary frame, checked by the same parser
and schemas as a JSON one (it is read into the JSON the core parses). What MessagePack
has and JSON has not (binary strings, extension types, non-string keys, NaN and the
infinities) is refused as `invalid_message`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import msgpack
import orjson

from spine_ws.core.jsonrpc import Decoded

__all__ = ["ENCODING", "PackedSession", "encode"]

ENCODING = "msgpack"


def encode(frame: bytes) -> bytes:
    """A spine frame (JSON) as MessagePack: shared by every connection of the profile."""
    packed: bytes = msgpack.packb(orjson.loads(frame), use_bin_type=True)
    return packed


class PackedSession:
    """One connection of the profile: its commands go to the hub as they are."""

    encoding = ENCODING
    binary = True

    def decode(self, text: str) -> Decoded:
        why = "a spine.v1.msgpack connection sends MessagePack in binary frames, not text"
        return Decoded(response=_error(why))

    def decode_binary(self, data: bytes) -> Decoded:
        try:
            message = msgpack.unpackb(data, raw=False, strict_map_key=True)
        except (ValueError, msgpack.UnpackException, TypeError) as exc:
            return Decoded(response=_error(f"not a MessagePack message: {exc}"))
        problem = _not_json(message, "")
        if problem is not None:
            return Decoded(response=_error(problem[1], problem[0]))
        return Decoded(commands=[orjson.dumps(message).decode()])

    def command_type(self, message: dict[str, Any]) -> str | None:
        kind = message.get("type")
        return kind if isinstance(kind, str) else None

    def reply(self, message: bytes) -> bytes | None:
        return encode(message)

    def frame(self, message: bytes) -> bytes:
        # A reply encoded by `reply` is held among a shaped client's events and passes
        # here again: a spine frame is a JSON object, a MessagePack map never opens with {.
        return message if not message.startswith(b"{") else encode(message)

    def snapshot(self, parts: Sequence[bytes | memoryview]) -> bytes:
        return encode(b"".join(parts))


def _error(why: str, path: str | None = None) -> bytes:
    error: dict[str, Any] = {"type": "error", "code": "invalid_message", "message": why}
    if path is not None:
        error["details"] = [{"path": path or "/", "message": why}]
    packed: bytes = msgpack.packb(error, use_bin_type=True)
    return packed


def _not_json(value: Any, path: str) -> tuple[str, str] | None:
    """(pointer, why) of the first value JSON cannot carry, if there is one."""
    if isinstance(value, dict):
        for key, member in value.items():
            found = _not_json(member, f"{path}/{key}")
            if found is not None:
                return found
        return None
    if isinstance(value, list):
        for index, member in enumerate(value):
            found = _not_json(member, f"{path}/{index}")
            if found is not None:
                return found
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return path, "not a finite number"
    if isinstance(value, bytes | msgpack.ExtType):
        return path, "binary and extension types are not part of the protocol"
    return None
