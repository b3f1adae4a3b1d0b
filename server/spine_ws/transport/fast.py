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
import fcntl
import socket
import struct
import termios
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

__all__ = [
    "FRAGMENT",
    "FastTransport",
    "binary_frame",
    "fragments",
    "reset",
    "text_frame",
    "unsent",
]

_FIN = 0x80
_TEXT = 0x1
_BINARY = 0x2
_CONTINUATION = 0x0
# A large message goes out in fragments of this size (RFC 6455 §5.4): uvicorn may write
# a ping or a pong between two of them, never inside one.
FRAGMENT = 128 * 1024
# Bytes of a replay written between two yields to the loop.
_BATCH = 64 * 1024


def _header(first_byte: int, size: int) -> bytes:
    if size < 126:
        return bytes((first_byte, size))
    if size < 1 << 16:
        return bytes((first_byte, 126)) + size.to_bytes(2, "big")
    return bytes((first_byte, 127)) + size.to_bytes(8, "big")


# A broadcast hands the same payload object to every connection: frame it once.
@lru_cache(maxsize=1)
def text_frame(payload: bytes) -> bytes:
    """The unmasked text frame carrying `payload` (UTF-8 JSON); above `FRAGMENT`, the
    fragments of one message, as a snapshot goes (a megabyte map or file included)."""
    return _framed(payload, _TEXT)


@lru_cache(maxsize=1)
def binary_frame(payload: bytes) -> bytes:
    """The same for a binary message (an encoding such as MessagePack)."""
    return _framed(payload, _BINARY)


def _framed(payload: bytes, opcode: int) -> bytes:
    if len(payload) <= FRAGMENT:
        return _header(_FIN | opcode, len(payload)) + payload
    return b"".join(header + piece for header, piece in fragments((payload,), opcode))


def fragments(
    parts: Sequence[bytes | memoryview], first: int = _TEXT
) -> Iterator[tuple[bytes, memoryview]]:
    """(header, payload) of each frame of one message made of `parts`, fragmented."""
    pieces = [
        view[start : start + FRAGMENT]
        for part in parts
        if len(view := memoryview(part))
        for start in range(0, len(view), FRAGMENT)
    ]
    for number, piece in enumerate(pieces):
        opcode = first if number == 0 else _CONTINUATION
        fin = _FIN if number == len(pieces) - 1 else 0
        yield _header(fin | opcode, len(piece)), piece


def unsent(fd: int) -> int:
    """Bytes the kernel holds for a socket and the peer has not acknowledged (Linux's
    SIOCOUTQ); 0 where that cannot be read."""
    try:
        return struct.unpack("i", fcntl.ioctl(fd, termios.TIOCOUTQ, b"\0\0\0\0"))[0]  # type: ignore[no-any-return]
    except OSError:
        return 0


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
        "_fd",
        "_paused_frames",
        "_pending",
        "_pending_bytes",
        "_protocol",
        "_transport",
        "_written",
        "_written_bytes",
    )

    def __init__(
        self,
        protocol: WebSocketsSansIOProtocol,
        close: Callable[[int, str], Awaitable[None]],
        kernel_buffer: int | None = None,
    ) -> None:
        self._protocol = protocol
        self._transport: asyncio.Transport = protocol.transport
        self._close = close
        self._paused_frames = 0
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._written = 0
        self._written_bytes = 0
        sock = self._transport.get_extra_info("socket")
        self._fd: int = sock.fileno() if sock is not None else -1
        if kernel_buffer is not None and sock is not None:
            # A fixed send buffer instead of the kernel's autotuned megabytes: what a
            # slow reader cannot take backs up here, where it can be coalesced, not
            # seconds deep in the kernel.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, kernel_buffer)

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

    def send_binary(self, message: bytes) -> None:
        frame = binary_frame(message)
        self._pending.append(frame)
        self._pending_bytes += len(frame)

    def flush(self) -> None:
        """Write what `send` collected, unless a close frame went meanwhile."""
        frames = self._pending
        if not frames:
            return
        size = self._pending_bytes
        self._pending = []
        self._pending_bytes = 0
        if self.closed:
            return
        if not self._protocol.writable.is_set():
            self._paused_frames += len(frames)
        self._written += len(frames)
        self._written_bytes += size
        self._transport.write(frames[0] if len(frames) == 1 else b"".join(frames))

    async def send_large(
        self,
        parts: Sequence[bytes | memoryview],
        progress: Callable[[], None],
        binary: bool = False,
    ) -> None:
        """Write one message in fragments, each once the transport has room for it.

        The transport copies only what the socket does not take at once, so a large
        snapshot shared by many joiners costs each about one fragment of memory.
        """
        writable = self._protocol.writable
        for header, piece in fragments(parts, _BINARY if binary else _TEXT):
            # Yield between fragments even when there is room: one joiner's megabytes
            # must not hold up the loop (the other clients' events, other joiners).
            await asyncio.sleep(0)
            while not writable.is_set():
                await writable.wait()
            if self.closed:
                return
            self._transport.write(header)
            self._transport.write(piece)
            self._written_bytes += len(header) + len(piece)
            progress()
        self._written += 1

    async def send_many(
        self, messages: Iterable[bytes], progress: Callable[[], None], binary: bool = False
    ) -> None:
        """Write messages as the transport has room, yielding to the loop every
        `_BATCH` bytes: one resume's replay must not hold up everyone else."""
        writable = self._protocol.writable
        written = 0
        for message in messages:
            while not writable.is_set():
                await writable.wait()
            if self.closed:
                return
            frame = binary_frame(message) if binary else text_frame(message)
            self._transport.write(frame)
            self._written += 1
            self._written_bytes += len(frame)
            written += len(message)
            if written >= _BATCH:
                progress()
                written = 0
                await asyncio.sleep(0)
        progress()

    def backlog(self) -> tuple[int, int]:
        """Frames collected, or written since the transport paused, and their bytes:
        ours, the transport's and, once those are not empty, the kernel's.

        While the transport is not paused the kernel is taking what we write, so only
        frames written since it paused count as held (the transport buffers them). Once
        the transport buffers anything, the kernel's send buffer is full: on loopback
        or a fast link it holds megabytes, seconds of a slow reader's stream, which
        count too (one ioctl, only for a client that is not keeping up).
        """
        if self._protocol.writable.is_set():
            self._paused_frames = 0
        buffered = self._transport.get_write_buffer_size()
        if buffered:
            buffered += unsent(self._fd)
        return self._paused_frames + len(self._pending), buffered + self._pending_bytes

    def written(self) -> tuple[int, int]:
        """Frames and bytes (headers included) handed to the TCP transport."""
        return self._written, self._written_bytes

    def taken(self) -> int:
        """What was written less what the transport and, once it buffers (the kernel's
        send buffer is full), the kernel still hold."""
        buffered = self._transport.get_write_buffer_size()
        if buffered:
            buffered += unsent(self._fd)
        return self._written_bytes - buffered

    def held(self) -> int:
        return self._transport.get_write_buffer_size() + self._pending_bytes

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
