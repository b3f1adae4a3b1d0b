"""The fallback: frames through the ASGI interface, for any ASGI server.

A deque drained by one writer task per connection that awaits `websocket.send`. Slower
than the fast path (a coroutine and a re-framing per message per client), and it cannot
abort a TCP connection (ASGI has no such call), but it needs nothing of the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence

__all__ = ["AsgiTransport"]

log = logging.getLogger("spine_ws.connection")


class AsgiTransport:
    """The `Transport` of one connection on the ASGI path."""

    __slots__ = (
        "_close",
        "_queue",
        "_queued_bytes",
        "_send_bytes",
        "_send_text",
        "_task",
        "_wake",
        "_written",
        "_written_bytes",
        "closed",
    )

    def __init__(
        self,
        send_text: Callable[[str], Awaitable[None]],
        close: Callable[[int, str], Awaitable[None]],
        send_bytes: Callable[[bytes], Awaitable[None]] | None = None,
    ) -> None:
        self._send_text = send_text
        self._send_bytes = send_bytes
        self._close = close
        # Text messages as bytes; a binary one wrapped in a 1-tuple (rare: its encoding).
        self._queue: deque[bytes | tuple[bytes]] = deque()
        self._queued_bytes = 0
        self._wake = asyncio.Event()
        self.closed = False
        self._written = 0
        self._written_bytes = 0
        # Started by the first flush: a refused handshake never starts it.
        self._task: asyncio.Task[None] | None = None

    def send(self, message: bytes) -> None:
        self._queue.append(message)
        self._queued_bytes += len(message)

    def send_binary(self, message: bytes) -> None:
        self._queue.append((message,))
        self._queued_bytes += len(message)

    def flush(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._write())
        self._wake.set()

    async def send_large(
        self,
        parts: Sequence[bytes | memoryview],
        progress: Callable[[], None],
        binary: bool = False,
    ) -> None:
        """One ASGI send of the whole message: ASGI has no way to stream a message, so
        the server holds a copy of it until the socket takes it."""
        message = b"".join(parts)
        await self._send(message, binary)
        self._count(message)
        progress()

    async def send_many(
        self, messages: Iterable[bytes], progress: Callable[[], None], binary: bool = False
    ) -> None:
        """One ASGI send per message, each awaited: the server's own backpressure."""
        for message in messages:
            await self._send(message, binary)
            self._count(message)
            progress()

    async def _send(self, message: bytes, binary: bool) -> None:
        if binary and self._send_bytes is not None:
            await self._send_bytes(message)
        else:
            await self._send_text(message.decode())

    def backlog(self) -> tuple[int, int]:
        """Messages in the queue (not yet handed to the server) and their bytes."""
        return len(self._queue), self._queued_bytes

    def written(self) -> tuple[int, int]:
        """Messages and bytes handed to the ASGI server."""
        return self._written, self._written_bytes

    def taken(self) -> int:
        """Bytes handed to the ASGI server: its `send` returns once the socket drains."""
        return self._written_bytes

    def held(self) -> int:
        """The queue: what the ASGI server was handed is its to buffer."""
        return self._queued_bytes

    def _count(self, message: bytes) -> None:
        self._written += 1
        self._written_bytes += len(message)

    def drop(self) -> None:
        """Forget the backlog and stop writing (the connection is being closed)."""
        self._queue.clear()
        self._queued_bytes = 0
        if self._task is not None:
            self._task.cancel()

    async def close(self, code: int, reason: str) -> None:
        await self._close(code, reason)

    def abort(self) -> None:
        """ASGI cannot abort a connection: the close already sent is all there is."""
        log.debug("no abort on the ASGI path: left to the server's close timeout")

    async def stop(self) -> None:
        self.drop()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _write(self) -> None:
        queue = self._queue
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while queue:
                    entry = queue.popleft()
                    binary = isinstance(entry, tuple)
                    message = entry[0] if isinstance(entry, tuple) else entry
                    self._queued_bytes -= len(message)
                    await self._send(message, binary)
                    self._count(message)
        except Exception as exc:  # the peer went away mid-send: the endpoint cleans up
            log.debug("ASGI writer stopped: %r", exc)
            self.closed = True
