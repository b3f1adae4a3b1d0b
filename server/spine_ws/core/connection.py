"""One client: a bounded send queue, never awaited by whoever sends.

Broadcasting hands each connection an already-serialised message (`send`, synchronous);
the `Transport` holds it until the socket takes it. A slow client delays nobody but
itself: one whose backlog crosses a limit is closed with 1008 "slow consumer", and if the
close frame cannot be flushed quickly (it waits behind the backlog of a client that
stopped reading), the TCP connection is aborted so its memory is released.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from spine_ws.core.outbox import Role, Transport
from spine_ws.core.status import WS_1008_POLICY_VIOLATION

__all__ = ["Connection", "TokenBucket"]

log = logging.getLogger("spine_ws.connection")


class Connection:
    """The `Outbox` of one WebSocket; `send` never blocks and never raises."""

    # Slots, here and below: these live as long as their connection.
    __slots__ = (
        "_bucket",
        "_close_timeout",
        "_closing",
        "_max_bytes",
        "_max_messages",
        "_shedding",
        "_transport",
        "id",
        "role",
    )

    def __init__(
        self,
        connection_id: str,
        transport: Transport,
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
        self._transport = transport
        self._max_messages = max_messages
        self._max_bytes = max_bytes
        self._close_timeout = close_timeout
        self._closing = False
        self._shedding: asyncio.Task[None] | None = None
        self._bucket = TokenBucket(rate, burst)

    @property
    def queued(self) -> tuple[int, int]:
        """Messages and bytes waiting to be written."""
        return self._transport.backlog()

    @property
    def shed(self) -> bool:
        """Closed as a slow consumer (or being closed)."""
        return self._shedding is not None

    def send(self, message: bytes) -> None:
        """Queue one text message (UTF-8 JSON); `flush` sends it."""
        if not self._closing:
            self._transport.send(message)

    def flush(self) -> None:
        """Send what was queued (the hub calls this after each burst of events).

        A queue over its limits closes the connection instead. Checked once a burst, not
        per message: the per-client work of a broadcast stays one append.
        """
        if self._closing:
            return
        if self._transport.closed:
            self._transport.drop()
            return
        messages, size = self._transport.backlog()
        if messages > self._max_messages or size > self._max_bytes:
            self._shed()
        else:
            self._transport.flush()

    def allow_command(self) -> bool:
        """Take one token from this connection's command bucket."""
        return self._bucket.take()

    async def finish(self) -> None:
        """Stop the transport (the socket is gone or going); drop what was queued."""
        self._closing = True
        await self._transport.stop()
        if self._shedding is not None:
            await asyncio.gather(self._shedding, return_exceptions=True)

    def _shed(self) -> None:
        self._closing = True
        log.warning(
            "closing %s: slow consumer (%d messages, %d bytes queued)", self.id, *self.queued
        )
        self._transport.drop()
        self._shedding = asyncio.get_running_loop().create_task(self._close_slow())

    async def _close_slow(self) -> None:
        deadline = time.monotonic() + self._close_timeout
        # A timeout, or the socket is already gone: either way, abort below.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                self._transport.close(WS_1008_POLICY_VIOLATION, "slow consumer"),
                self._close_timeout,
            )
        # Even a close frame that was written may sit behind a backlog the peer never
        # reads; give it the rest of the timeout, then drop the TCP connection.
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
        self._transport.abort()


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
