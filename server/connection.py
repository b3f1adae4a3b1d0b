"""One client: a bounded send queue, never awaited by whoever sends.

Broadcasting hands each connection an already-serialised message (`send`, synchronous).
Under uvicorn the frame is written straight to the transport (`server.frames.Wire`) and
the queue is the transport's write buffer; under another ASGI server, a deque drained by
the connection's own writer task. Either way a slow client delays nobody but itself. A
client whose queue overflows is closed with 1008 "slow consumer"; if the close frame
cannot be flushed quickly (it waits behind the backlog of a client that stopped
reading), the TCP connection is aborted so its memory is released.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Literal

from server.frames import Wire

__all__ = ["Connection", "Role"]

log = logging.getLogger("spine_ws.connection")
Role = Literal["viewer", "controller"]

SLOW_CONSUMER = 1008


class Connection:
    """Send side of one WebSocket; `send` never blocks and never raises."""

    # Slots, here and below: these live as long as their connection.
    __slots__ = (
        "_abort",
        "_bucket",
        "_close",
        "_close_timeout",
        "_closing",
        "_max_bytes",
        "_max_messages",
        "_out",
        "_shedding",
        "id",
        "role",
    )

    def __init__(
        self,
        connection_id: str,
        wire: Wire | None,
        send_text: Callable[[str], Awaitable[None]],
        close: Callable[[int, str], Awaitable[None]],
        abort: Callable[[], None] | None,
        *,
        role: Role,
        max_messages: int,
        max_bytes: int,
        close_timeout: float,
        rate: float,
        burst: int,
    ) -> None:
        self.id = connection_id
        self.role = role
        self._out: Wire | _Writer = wire if wire is not None else _Writer(connection_id, send_text)
        self._close = close
        self._abort = abort
        self._max_messages = max_messages
        self._max_bytes = max_bytes
        self._close_timeout = close_timeout
        self._closing = False
        self._shedding: asyncio.Task[None] | None = None
        self._bucket = TokenBucket(rate, burst)

    @property
    def queued(self) -> tuple[int, int]:
        """Messages and bytes waiting to be written."""
        return self._out.backlog()

    def send(self, message: bytes) -> None:
        """Queue one text message (UTF-8 JSON); `flush` sends it."""
        if not self._closing:
            self._out.send(message)

    def flush(self) -> None:
        """Send what was queued (the hub calls this after each burst of events).

        A queue over its limits closes the connection instead. Checked once a burst, not
        per message: the per-client work of a broadcast stays one append.
        """
        if self._closing:
            return
        if self._out.closed:
            self._out.drop()
            return
        messages, size = self._out.backlog()
        if messages > self._max_messages or size > self._max_bytes:
            self._shed()
        else:
            self._out.flush()

    def allow_command(self) -> bool:
        """Take one token from this connection's command bucket."""
        return self._bucket.take()

    async def finish(self) -> None:
        """Stop the writer (the socket is gone or going); drop what was queued."""
        self._closing = True
        await self._out.stop()
        if self._shedding is not None:
            await asyncio.gather(self._shedding, return_exceptions=True)

    def _shed(self) -> None:
        self._closing = True
        log.warning(
            "closing %s: slow consumer (%d messages, %d bytes queued)", self.id, *self.queued
        )
        self._out.drop()
        self._shedding = asyncio.get_running_loop().create_task(self._close_slow())

    async def _close_slow(self) -> None:
        deadline = time.monotonic() + self._close_timeout
        # A timeout, or the socket is already gone: either way, abort below.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._close(SLOW_CONSUMER, "slow consumer"), self._close_timeout)
        # Even a close frame that was written may sit behind a backlog the peer never
        # reads; give it the rest of the timeout, then drop the TCP connection.
        if self._abort is not None:
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            self._abort()


class _Writer:
    """The ASGI path (no `Wire`): a deque drained by one task awaiting `send_text`."""

    __slots__ = ("_id", "_queue", "_queued_bytes", "_send_text", "_task", "_wake", "closed")

    def __init__(self, connection_id: str, send_text: Callable[[str], Awaitable[None]]) -> None:
        self._id = connection_id
        self._send_text = send_text
        self._queue: deque[bytes] = deque()
        self._queued_bytes = 0
        self._wake = asyncio.Event()
        self.closed = False
        self._task = asyncio.get_running_loop().create_task(self._write())

    def send(self, message: bytes) -> None:
        self._queue.append(message)
        self._queued_bytes += len(message)

    def flush(self) -> None:
        self._wake.set()

    def backlog(self) -> tuple[int, int]:
        return len(self._queue), self._queued_bytes

    def drop(self) -> None:
        """Forget the backlog and stop writing (a slow consumer is being closed)."""
        self._queue.clear()
        self._queued_bytes = 0
        self._task.cancel()

    async def stop(self) -> None:
        self.drop()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _write(self) -> None:
        queue = self._queue
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while queue:
                    message = queue.popleft()
                    self._queued_bytes -= len(message)
                    await self._send_text(message.decode())
        except Exception as exc:  # the peer went away mid-send: the endpoint cleans up
            log.debug("writer of %s stopped: %r", self._id, exc)
            self.closed = True


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up."""

    __slots__ = ("_burst", "_rate", "_stamp", "_tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True
