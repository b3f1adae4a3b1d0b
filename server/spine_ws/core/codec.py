"""The codec seam: where a message is made into the bytes one encoding sends.

The core builds every message in `spine` (JSON, `type` plus flat members). A
connection of another profile carries an `Envelope`, which translates at its edge:
what it receives into spine commands, its replies into its own responses, and every
other frame into its own shape. Broadcast frames are shared: the hub encodes each one
once per burst per encoding in use (`ENCODERS`), never once per client.

    profile   subprotocol           encoding of the stream
    spine     spine.v1              the core's own frames, as they are
    jsonrpc   spine.v1.jsonrpc      JSON-RPC 2.0 notifications (spine_ws.core.jsonrpc)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from spine_ws.core import jsonrpc

__all__ = ["ENCODERS", "PROFILES", "SPINE", "Envelope", "Profile", "envelope_for"]

Profile = Literal["spine", "jsonrpc"]
PROFILES: tuple[Profile, ...] = ("spine", "jsonrpc")
SPINE = "spine"

# A broadcast frame (spine bytes) -> the same frame in another encoding.
ENCODERS: dict[str, Callable[[bytes], bytes]] = {"jsonrpc": jsonrpc.encode_event}


class Envelope(Protocol):
    """One connection's profile, when it is not `spine`."""

    @property
    def encoding(self) -> str:
        """Its key in `ENCODERS`: how the hub encodes broadcasts for it."""

    def decode(self, text: str) -> jsonrpc.Decoded:
        """A received text frame as spine commands, and any response due at once."""

    def reply(self, message: bytes) -> bytes | None:
        """A spine reply as this profile's response (None: none is sent, yet)."""

    def frame(self, message: bytes) -> bytes:
        """Any other spine frame (event, batch, notice) in this profile's shape."""

    def snapshot(self, parts: Sequence[bytes | memoryview]) -> bytes:
        """The snapshot (`parts` joined) in this profile's shape."""


def envelope_for(profile: Profile) -> Envelope | None:
    """A fresh envelope for one connection of `profile` (None for `spine`)."""
    return jsonrpc.JsonRpcSession() if profile == "jsonrpc" else None
