"""The fast path: text frames built once and written straight to uvicorn's TCP transport.

Frames a server sends are not masked (RFC 6455 §5.1), so a broadcast's frame is the same
bytes for every client: build it once, `transport.write` it to each. That skips, per
client and per message, the ASGI `websocket.send` round (a coroutine, a dict, re-framing
by the WebSocket library) and the writer task that awaited it.

Only uvicorn's websockets-sansio protocol is known to write whole frames with single
`transport.write` calls, on the loop (so ours never land inside one of its frames).
Per-message deflate must be off (it is, in `transport.server`): these frames are
uncompressed.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

__all__ = ["FastTransport", "reset", "text_frame"]

_FIN_TEXT = 0x81


# A broadcast hands the same payload object to every connection: frame it once.
@lru_cache(maxsize=1)
def text_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked text frame carrying `payload` (UTF-8 JSON)."""
    size = len(payload)
    if size < 126:
        header = bytes((_FIN_TEXT, size))
    elif size < 1 << 16:
        header = bytes((_FIN_TEXT, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((_FIN_TEXT, 127)) + size.to_bytes(8, "big")
    return header + payload


def reset(transport: asyncio.Transport) -> None:
    """Abort with a TCP reset, so that the peer learns it at once.

    `abort()` alone closes the socket, but the kernel still owes the peer the unsent
    backlog and then the FIN; a peer that never reads never gets either, and keeps the
    connection (and the kernel its buffers). Linger 0 makes the close a reset.
    """
    sock = transport.get_extra_info("socket")
    with contextlib.suppress(AttributeError, OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class FastTransport:
    """The `Transport` of one accepted uvicorn websockets-sansio connection.

    `send` only collects frames; `flush` writes them with one `transport.write` (one
    syscall for a whole burst of events instead of one per event). The transport's
    write buffer is the send queue.
    """

    __slots__ = (
        "_close",
        "_paused_frames",
        "_pending",
        "_pending_bytes",
        "_protocol",
        "_transport",
    )

    def __init__(
        self,
        protocol: WebSocketsSansIOProtocol,
        close: Callable[[int, str], Awaitable[None]],
    ) -> None:
        self._protocol = protocol
        self._transport: asyncio.Transport = protocol.transport
        self._close = close
        self._paused_frames = 0
        self._pending: list[bytes] = []
        self._pending_bytes = 0

    @staticmethod
    def protocol_of(send: Any) -> WebSocketsSansIOProtocol | None:
        """The uvicorn protocol behind an ASGI `send`, if it is websockets-sansio."""
        protocol = getattr(send, "__self__", None)
        return protocol if isinstance(protocol, WebSocketsSansIOProtocol) else None

    @property
    def closed(self) -> bool:
        return self._protocol.conn.state is not State.OPEN or self._transport.is_closing()

    def send(self, message: bytes) -> None:
        frame = text_frame(message)
        self._pending.append(frame)
        self._pending_bytes += len(frame)

    def flush(self) -> None:
        """Write what `send` collected, unless a close frame went meanwhile."""
        frames = self._pending
        if not frames:
            return
        self._pending = []
        self._pending_bytes = 0
        if self.closed:
            return
        if not self._protocol.writable.is_set():
            self._paused_frames += len(frames)
        self._transport.write(frames[0] if len(frames) == 1 else b"".join(frames))

    def backlog(self) -> tuple[int, int]:
        """Frames collected, or written since the transport paused, and their bytes.

        While the transport is not paused the kernel is taking what we write, so only
        frames written since it paused count as held (the transport buffers them).
        """
        if self._protocol.writable.is_set():
            self._paused_frames = 0
        buffered = self._transport.get_write_buffer_size()
        return self._paused_frames + len(self._pending), buffered + self._pending_bytes

    def drop(self) -> None:
        """Forget what was not flushed; what was is the transport's to send or abort."""
        self._pending = []
        self._pending_bytes = 0

    async def close(self, code: int, reason: str) -> None:
        await self._close(code, reason)

    def abort(self) -> None:
        reset(self._transport)

    async def stop(self) -> None:
        """Nothing to stop: this transport has no task."""
        self.drop()
