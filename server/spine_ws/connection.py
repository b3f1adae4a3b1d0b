"""One client: a bounded send queue, never awaited by whoever sends.

Broadcasting hands each connection an already-serialised message (`send`, synchronous);
the `Transport` holds it until the socket takes it. A slow client delays nobody but
itself, and is judged by whether it drains, not by one burst: a backlog over the limits
(`max_messages`, `max_bytes`) for longer than `grace` seconds, or over the hard ceiling
(`HARD_FACTOR` times `max_bytes` in this process's memory, the kernel's send buffer
aside) at any time, closes it with 1008 "slow consumer"; if the
close frame cannot be flushed quickly (it waits behind the backlog of a client that
stopped reading), the TCP connection is aborted so its memory is released.

The snapshot is not in that queue: however large, it is streamed as the socket takes it
(`Transport.send_large`), and the live events that arrive meanwhile wait behind it, up
to the limits; past them they are coalesced, as for a client behind on its queue. A
client is judged then by the snapshot's progress (one that takes none of it for `grace`
seconds is slow) and by the hard ceiling, not by the limits. A resume's replay is
streamed the same way (`Transport.send_many`): a client is never shed for the size of
its own replay, only for taking none of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from itertools import chain

from spine_ws.core.codec import SPINE, Envelope
from spine_ws.core.delivery import Burst, Shaping, Subscription
from spine_ws.core.history import Trimmed
from spine_ws.core.outbox import Role, Transport
from spine_ws.core.pressure import HARD_FACTOR, Pressure
from spine_ws.core.status import (
    WS_1008_POLICY_VIOLATION,
    WS_1009_MESSAGE_TOO_BIG,
    WS_1013_TRY_AGAIN_LATER,
)

__all__ = ["HARD_FACTOR", "SMALL_SNAPSHOT", "Connection", "TokenBucket"]

log = logging.getLogger("spine_ws.connection")

# A snapshot up to this size goes through the send queue like any message.
SMALL_SNAPSHOT = 64 * 1024


class Connection:
    """The `Outbox` of one WebSocket; `send` never blocks and never raises."""

    # Slots, here and below: these live as long as their connection.
    __slots__ = (
        "_bucket",
        "_clock",
        "_close_timeout",
        "_closing",
        "_held",
        "_held_bytes",
        "_largest",
        "_max_snapshot",
        "_pressure",
        "_shaping",
        "_shedding",
        "_streaming",
        "_timer",
        "_transport",
        "_write",
        "closed_with",
        "coalesced",
        "envelope",
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
        grace: float = 2.0,
        max_snapshot_bytes: int = 128 * 1024 * 1024,
        envelope: Envelope | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.id = connection_id
        self.role = role
        # Its profile's translation, when it is not spine (spine_ws.core.codec).
        self.envelope = envelope
        self._transport = transport
        # Text frames, or binary ones for a binary encoding (MessagePack).
        self._write = transport.send_binary if envelope and envelope.binary else transport.send
        # The policy's verdicts (core/pressure.py), at the times this clock tells.
        self._pressure = Pressure(max_messages, max_bytes, grace)
        # The largest message sent whole: a snapshot, a frame a shaped flush wrote (for
        # the log line of a shed client).
        self._largest = 0
        self._clock = clock
        self._close_timeout = close_timeout
        self._max_snapshot = max_snapshot_bytes
        self._closing = False
        self._shedding: asyncio.Task[None] | None = None
        self._bucket = TokenBucket(rate, burst, clock)
        # While a snapshot streams: the events held behind it.
        self._streaming: asyncio.Task[None] | None = None
        self._held: list[bytes] = []
        self._held_bytes = 0
        # The close code this side chose, once it closes the connection itself.
        self.closed_with: int | None = None
        # Its subscription and coalescing, once it has either (None: plain, the hub
        # writes it the shared frames); a timer for a delivery held for later.
        self._shaping: Shaping | None = None
        self._timer: asyncio.TimerHandle | None = None
        # agent_updates left out for it so far (kept when its shaping ends).
        self.coalesced = 0

    @property
    def queued(self) -> tuple[int, int]:
        """Messages and bytes waiting to be written."""
        messages, size = self._transport.backlog()
        return messages + len(self._held), size + self._held_bytes

    def written(self) -> tuple[int, int]:
        """Messages and bytes written to this client so far."""
        return self._transport.written()

    @property
    def shaping(self) -> Shaping | None:
        return self._shaping

    @property
    def encoding(self) -> str:
        return SPINE if self.envelope is None else self.envelope.encoding

    def subscribe(self, subscription: Subscription) -> None:
        """From now on, shape what it is sent by `subscription` (the default: plain
        again, once nothing is held for it)."""
        if self._shaping is None:
            if subscription.everything:
                return
            self._shaping = Shaping(subscription)
        else:
            self._shaping.subscription = subscription

    def offer(self, burst: Burst, start: int, end: int) -> None:
        """A burst's broadcasts, to a shaped connection (the hub sends a plain one the
        frames)."""
        if self._shaping is not None and not self._closing:
            self._shaping.offer_burst(burst, start, end)

    def send_reply(self, message: bytes) -> None:
        """A reply: in order among the events a shaped connection holds."""
        if self.envelope is not None:
            encoded = self.envelope.reply(message)
            if encoded is None:  # a notification's, or a batch still being answered
                return
            message = encoded
        self.send_response(message)

    def send_notice(self, message: bytes) -> None:
        """A message to this client alone that answers no command (a playback notice):
        in order among what it holds, in its profile's shape."""
        if self._shaping is not None and not self._closing:
            self._shaping.reply(message)  # its profile's shape when written, as events
        elif self.envelope is not None:
            encoded = self.envelope.frame(message)
            if encoded:
                self.send(encoded)
        else:
            self.send(message)

    def send_response(self, message: bytes) -> None:
        """A reply already in this connection's profile, in order as `send_reply`'s."""
        if self._shaping is not None and not self._closing:
            self._shaping.reply(message)
        else:
            self.send(message)

    @property
    def shed(self) -> bool:
        """Closed as a slow consumer (or being closed)."""
        return self._shedding is not None

    def send(self, message: bytes) -> None:
        """Queue one text message (UTF-8 JSON); `flush` sends it."""
        if self._closing:
            return
        if self._streaming is not None:
            self._held.append(message)
            self._held_bytes += len(message)
        else:
            self._write(message)

    def send_text(self, message: bytes) -> None:
        """A text message on any profile's connection (Foxglove's JSON operations on a
        connection whose data is binary); `flush` sends it."""
        if not self._closing:
            self._transport.send(message)

    def send_snapshot(self, parts: Sequence[bytes | memoryview]) -> None:
        """Stream the snapshot (`parts` joined) ahead of everything sent after it."""
        if self.envelope is not None:
            parts = (self.envelope.snapshot(parts),)
        size = sum(len(part) for part in parts)
        self._largest = max(self._largest, size)
        if size > self._max_snapshot:
            self._refuse(size)
        elif size <= SMALL_SNAPSHOT:
            self.send(b"".join(parts))
            self.flush()
        else:
            binary = self.envelope is not None and self.envelope.binary
            self._start_stream(lambda: self._transport.send_large(parts, self._progressed, binary))

    @property
    def streaming(self) -> bool:
        """A snapshot or a replay is being streamed to it."""
        return self._streaming is not None

    def restart(self, parts: Sequence[bytes | memoryview]) -> None:
        """A new snapshot on an open connection (a playback's seek): the broadcasts held
        for it are dropped (the snapshot supersedes them; replies stay), then it is sent
        like the first. Not while one is streaming (`streaming`)."""
        assert self._streaming is None, "a snapshot is still streaming"
        if self._shaping is not None:
            self._shaping.forget_broadcasts()
        self.send_snapshot(parts)

    def send_replay(self, first: bytes, frames: Iterator[bytes], size: int) -> None:
        """Send `resumed` and the replayed frames ahead of everything sent after them."""
        if self.envelope is not None:
            first, frames = self.envelope.frame(first), map(self.envelope.frame, frames)
        if size + len(first) <= SMALL_SNAPSHOT:
            try:
                for message in chain((first,), frames):
                    self.send(message)
            except Trimmed:  # cannot happen synchronously; kept for the same outcome
                self._lost_replay()
                return
            self.flush()
        else:
            messages = chain((first,), frames)
            binary = self.envelope is not None and self.envelope.binary
            self._start_stream(
                lambda: self._transport.send_many(messages, self._progressed, binary)
            )

    def _start_stream(self, write: Callable[[], Awaitable[None]]) -> None:
        self._pressure.progressed(self._clock())
        self._streaming = asyncio.get_running_loop().create_task(self._stream(write))

    def flush(self) -> None:
        """Send what was queued (the hub calls this after each burst of events); past
        the soft limit, become shaped (the hub then offers it events instead of sending
        them).

        Checked once a burst, not per message: the per-client work of a broadcast stays
        one append.
        """
        if self._closing:
            return
        if self._transport.closed:
            self._transport.drop()
            return
        now = self._clock()
        if self._shaping is not None:
            self._flush_shaped(now)
            return
        messages, size = self.queued
        # Past the soft limit: coalesce from now on instead of queueing more. Behind a
        # snapshot, past the limits: what a fast stream sends while a large snapshot is
        # taken is then bounded by the world's size, not by the stream's rate times the
        # snapshot's duration (the client must take it all once the snapshot is in).
        if self._pressure.past_soft(messages, size, streaming=self._streaming is not None):
            self._shaping = Shaping(Subscription())
            self._pressured(now)
            if self._streaming is not None:
                self._flush_plain(now)  # the snapshot's checks
            else:
                self._pressure.over(now, messages, size)  # already over the limits?
                self._transport.flush()
            return
        self._flush_plain(now)

    def _flush_plain(self, now: float) -> None:
        if self._streaming is not None:
            held = self._held_bytes + (self._shaping.fixed_bytes if self._shaping else 0)
            why = self._pressure.streaming(now, held)
            if why is not None:
                self._shed(why)
            return
        why = self._pressure.plain(now, *self._transport.backlog(), self._transport.held())
        if why is not None:
            self._shed(why)
            return
        self._transport.flush()

    def _flush_shaped(self, now: float) -> None:
        """Write what the shaping lets go now; judge the client by what it takes."""
        shaping = self._shaping
        assert shaping is not None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # Pressure counts what waits behind a snapshot; the limits below do not (the
        # snapshot's own checks judge a client while it streams).
        pressure, streaming = self._pressure, self._streaming is not None
        messages, size = self._transport.backlog()  # once: it may cost an ioctl
        queued_messages, queued_size = messages + len(self._held), size + self._held_bytes
        if shaping.pressured and pressure.caught_up(queued_messages, queued_size):
            shaping.pressured = False  # caught up: what is held goes, coalesced
        elif not shaping.pressured and pressure.past_soft(
            queued_messages, queued_size, streaming=streaming
        ):
            self._pressured(now)
        if shaping.pressured and not streaming:
            # Only what cannot be coalesced counts against the limits: a client that
            # reads slower than the stream stays, thinned; one that falls behind on
            # what must all be delivered (or stops reading) is shed as before.
            fixed = shaping.fixed_bytes + size
            held = shaping.fixed_bytes + self._transport.held()
            why = pressure.coalesced(now, fixed, messages, self._transport.taken(), held)
            if why is not None:
                self._shed(why)
                return
        frames, skipped = shaping.take(now, hold=shaping.pressured)
        self.coalesced += skipped
        if self.envelope is not None:  # its own: this client's selection, batches, notices
            # (b"": nothing of it for this client, e.g. a Foxglove channel not subscribed)
            frames = [encoded for frame in frames if (encoded := self.envelope.frame(frame))]
        if frames:  # (a big world's tick frame may be over the limits alone: see `_shed`)
            self._largest = max(self._largest, max(map(len, frames)))
        for frame in frames:
            self.send(frame)
        if self._streaming is not None:
            self._flush_plain(now)  # the snapshot's checks; the frames wait behind it
        else:
            # Even with no frame of its own: what was sent before (the messages held
            # behind a snapshot) must not wait in the transport for the next delivery.
            self._transport.flush()
        if shaping.idle:
            self._shaping = None
        elif shaping.holding:
            # Not due yet (max_rate) or waiting for the socket: look again then, even
            # if no event comes meanwhile.
            delay = max(shaping.due - now, 0.0) if not shaping.pressured else 0.05
            self._timer = asyncio.get_running_loop().call_later(delay, self.flush)

    def _pressured(self, now: float) -> None:
        """Coalesce from now on; the grace for taking nothing starts now."""
        assert self._shaping is not None
        self._shaping.pressured = True
        self._pressure.coalescing(now, self._transport.taken())

    def allow_command(self) -> bool:
        """Take one token from this connection's command bucket."""
        return self._bucket.take()

    async def finish(self) -> None:
        """Stop the transport (the socket is gone or going); drop what was queued."""
        self._closing = True
        self._held, self._held_bytes = [], 0
        if self._timer is not None:
            self._timer.cancel()
        if self._streaming is not None:
            self._streaming.cancel()
            await asyncio.gather(self._streaming, return_exceptions=True)
        await self._transport.stop()
        if self._shedding is not None:
            await asyncio.gather(self._shedding, return_exceptions=True)

    async def _stream(self, write: Callable[[], Awaitable[None]]) -> None:
        try:
            await write()
        except Trimmed:
            self._streaming = None
            self._lost_replay()
            return
        except Exception as exc:  # the peer went away: the endpoint cleans up
            log.debug("snapshot or replay to %s not finished: %r", self.id, exc)
            return
        finally:
            self._streaming = None
        held, self._held, self._held_bytes = self._held, [], 0
        if not self._closing:
            for message in held:
                self._write(message)
            self.flush()

    def _progressed(self) -> None:
        self._pressure.progressed(self._clock())

    def close(self, code: int, reason: str) -> None:
        """Close with `code` now, whatever is queued (then a reset if it cannot)."""
        if self._closing:
            return
        self._closing = True
        log.info("closing %s: %s (%d)", self.id, reason, code)
        self._transport.drop()
        self._held, self._held_bytes = [], 0
        if self._streaming is not None:
            self._streaming.cancel()
        self._close_later(code, reason)

    def _lost_replay(self) -> None:
        """The history moved past a replay this client took too slowly: it cannot have
        every event, so it is closed (1013) to reconnect, and then gets a snapshot."""
        self._closing = True
        log.warning("closing %s: its replay fell behind the history", self.id)
        self._transport.drop()
        self._held, self._held_bytes = [], 0
        self._close_later(WS_1013_TRY_AGAIN_LATER, "replay fell behind the history")

    def _refuse(self, size: int) -> None:
        self._closing = True
        log.warning(
            "closing %s: its snapshot is %d bytes, over --max-snapshot-bytes %d",
            self.id,
            size,
            self._max_snapshot,
        )
        self._close_later(WS_1009_MESSAGE_TOO_BIG, "snapshot too large")

    def _shed(self, why: str) -> None:
        self._closing = True
        largest = max(self._largest, max(map(len, self._held), default=0))
        hint = ""
        if largest > self._pressure.max_bytes:  # a big world's: no client could keep up
            hint = (
                f"; one message alone (a frame, the snapshot) is {largest} bytes, over "
                f"--send-queue-bytes ({self._pressure.max_bytes}): raise it to a few of "
                "them for this world"
            )
        log.warning(
            "closing %s: slow consumer, %s (%d messages, %d bytes queued)%s",
            self.id,
            why,
            *self.queued,
            hint,
        )
        self._transport.drop()
        self._held, self._held_bytes = [], 0
        if self._streaming is not None:
            self._streaming.cancel()
        self._close_later(WS_1008_POLICY_VIOLATION, "slow consumer")

    def _close_later(self, code: int, reason: str) -> None:
        self.closed_with = code
        self._shedding = asyncio.get_running_loop().create_task(
            self._close_then_abort(code, reason)
        )

    async def _close_then_abort(self, code: int, reason: str) -> None:
        deadline = time.monotonic() + self._close_timeout
        # A timeout, or the socket is already gone: either way, abort below.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._transport.close(code, reason), self._close_timeout)
        # Even a close frame that was written may sit behind a backlog the peer never
        # reads; give it the rest of the timeout, then drop the TCP connection.
        await asyncio.sleep(max(0.0, deadline - time.monotonic()))
        self._transport.abort()


class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up."""

    __slots__ = ("_burst", "_clock", "_rate", "_stamp", "_tokens")

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._tokens = float(burst)
        self._clock = clock
        self._stamp = clock()

    def take(self) -> bool:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._stamp) * self._rate)
        self._stamp = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True
