"""A connection's send-queue policy without sockets: flush, limits, shedding, abort."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import pytest

from spine_ws.core.connection import HARD_FACTOR, SMALL_SNAPSHOT, Connection
from spine_ws.core.history import Trimmed
from spine_ws.core.status import (
    WS_1008_POLICY_VIOLATION,
    WS_1009_MESSAGE_TOO_BIG,
    WS_1013_TRY_AGAIN_LATER,
)

pytestmark = pytest.mark.anyio


class FakeTransport:
    """A `Transport` whose socket takes nothing until `drain` is called."""

    def __init__(self, close_hangs: bool = False) -> None:
        self.pending: list[bytes] = []
        self.written: list[bytes] = []
        self.unsent = 0
        self.closes: list[tuple[int, str]] = []
        self.aborted = False
        self.stopped = False
        self.closed = False
        self._close_hangs = close_hangs
        self.large: list[bytes] = []
        self.large_released = asyncio.Event()
        self.many: list[bytes] = []
        self.many_released = asyncio.Event()

    def send(self, message: bytes) -> None:
        self.pending.append(message)

    def flush(self) -> None:
        self.written += self.pending
        self.unsent += len(self.pending)
        self.pending = []

    async def send_large(
        self, parts: Sequence[bytes | memoryview], progress: Callable[[], None]
    ) -> None:
        self.large.append(b"".join(parts))
        progress()
        await self.large_released.wait()

    async def send_many(self, messages: Iterable[bytes], progress: Callable[[], None]) -> None:
        """Takes one message each time `many_released` is set (then clears it)."""
        for message in messages:
            await self.many_released.wait()
            self.many_released.clear()
            self.many.append(message)
            progress()

    def backlog(self) -> tuple[int, int]:
        held = self.unsent + len(self.pending)
        return held, held * 10

    def drain(self) -> None:
        self.unsent = 0

    def drop(self) -> None:
        self.pending = []

    async def close(self, code: int, reason: str) -> None:
        self.closes.append((code, reason))
        if self._close_hangs:
            await asyncio.sleep(3600)

    def abort(self) -> None:
        self.aborted = True

    async def stop(self) -> None:
        self.stopped = True


def connection(
    transport: FakeTransport, max_messages: int = 3, grace: float = 0.05, **kwargs: Any
) -> Connection:
    return Connection(
        "c1",
        transport,
        role="controller",
        max_messages=max_messages,
        max_bytes=kwargs.pop("max_bytes", 1_000_000),
        close_timeout=0.05,
        rate=1.0,
        burst=2,
        grace=grace,
        **kwargs,
    )


async def test_flush_writes_what_was_sent_in_order() -> None:
    """Messages reach the transport in order, at flush."""
    transport = FakeTransport()
    client = connection(transport)
    client.send(b"1")
    client.send(b"2")
    assert transport.written == []
    client.flush()
    assert transport.written == [b"1", b"2"]


async def test_a_client_that_drains_is_never_shed() -> None:
    """Within the limit after each drain, any number of bursts goes through."""
    transport = FakeTransport()
    client = connection(transport)
    for n in range(20):
        client.send(b"%d" % n)
        client.flush()
        transport.drain()
    assert len(transport.written) == 20 and not client.shed


async def test_one_burst_over_the_limit_is_not_shed_if_it_drains_in_time() -> None:
    """A burst the server caused (a stalled loop, a join storm) gets `grace` to drain."""
    transport = FakeTransport()
    client = connection(transport, max_messages=3, grace=0.2)
    for n in range(6):
        client.send(b"%d" % n)
    client.flush()
    assert not client.shed and len(transport.written) == 6
    transport.drain()
    await asyncio.sleep(0.3)
    client.send(b"after")
    client.flush()
    assert not client.shed


async def test_a_backlog_over_the_limit_for_longer_than_grace_sheds_with_1008() -> None:
    """Still over the limits after `grace`: backlog dropped, close 1008, then abort."""
    transport = FakeTransport()
    client = connection(transport, max_messages=3, grace=0.05)
    for n in range(5):
        client.send(b"%d" % n)
        client.flush()
    assert not client.shed
    await asyncio.sleep(0.1)
    client.send(b"late")
    client.flush()
    assert client.shed
    assert b"late" not in transport.written
    await client.finish()
    assert transport.closes == [(WS_1008_POLICY_VIOLATION, "slow consumer")]
    assert transport.aborted and transport.stopped


async def test_a_backlog_over_the_hard_limit_sheds_at_once() -> None:
    """HARD_FACTOR x max_bytes bounds what one client costs, grace or not."""
    transport = FakeTransport()
    client = connection(transport, max_messages=10**6, max_bytes=1024, grace=60)
    for _ in range(HARD_FACTOR * 1024 // 10 + 1):
        client.send(b"x")
    client.flush()
    client.send(b"x")
    client.flush()
    assert client.shed
    await client.finish()


async def test_events_wait_behind_a_streaming_snapshot_in_order() -> None:
    """A large snapshot streams first; what was sent meanwhile follows, in order."""
    transport = FakeTransport()
    client = connection(transport, max_messages=2, grace=5)
    client.send_snapshot((b'{"a":', b"0" * SMALL_SNAPSHOT + b"}"))
    await asyncio.sleep(0)
    for n in range(10):  # more than max_messages: held, not judged by the limits
        client.send(b"%d" % n)
        client.flush()
    assert transport.written == [] and not client.shed
    transport.large_released.set()
    await asyncio.sleep(0.01)
    assert transport.large[0].startswith(b'{"a":')
    assert transport.written == [b"%d" % n for n in range(10)]
    await client.finish()


async def test_a_client_that_takes_none_of_its_snapshot_is_shed() -> None:
    """No progress on the snapshot for `grace`: slow consumer."""
    transport = FakeTransport()
    client = connection(transport, grace=0.05)
    client.send_snapshot((b"{", b"0" * SMALL_SNAPSHOT + b"}"))
    await asyncio.sleep(0.1)
    client.send(b"event")
    client.flush()
    assert client.shed
    await client.finish()


async def test_a_snapshot_over_the_ceiling_is_refused_with_1009() -> None:
    """Beyond max_snapshot_bytes the join is closed with a reason, nothing sent."""
    transport = FakeTransport()
    client = connection(transport, max_snapshot_bytes=1024)
    client.send_snapshot((b"{", b"0" * 2000 + b"}"))
    await client.finish()
    assert transport.closes == [(WS_1009_MESSAGE_TOO_BIG, "snapshot too large")]
    assert transport.large == [] and transport.written == []


async def test_a_close_that_never_completes_is_cut_short_by_the_abort() -> None:
    """A close stuck behind an unread backlog does not hold the connection."""
    transport = FakeTransport(close_hangs=True)
    client = connection(transport, max_messages=0, grace=0.01)
    client.send(b"x")
    client.flush()
    await asyncio.sleep(0.02)
    client.send(b"y")
    client.flush()
    assert client.shed
    await asyncio.wait_for(client.finish(), 2)
    assert transport.aborted


async def test_nothing_is_written_once_shed_or_closed() -> None:
    """After shedding, or a close frame either way, sends and flushes are no-ops."""
    transport = FakeTransport()
    transport.closed = True
    client = connection(transport)
    client.send(b"late")
    client.flush()
    assert transport.written == []


async def test_the_command_bucket_refuses_beyond_its_burst() -> None:
    """`burst` commands at once, then refusals until tokens come back."""
    client = connection(FakeTransport())
    assert [client.allow_command() for _ in range(3)] == [True, True, False]


async def test_a_small_replay_goes_through_the_send_queue_at_once() -> None:
    transport = FakeTransport()
    client = connection(transport, max_messages=2)
    client.send_replay(b"resumed", iter([b"3", b"4", b"5"]), 3)
    assert transport.written == [b"resumed", b"3", b"4", b"5"] and transport.many == []
    await client.finish()


async def test_a_large_replay_streams_as_taken_and_live_events_wait_behind_it() -> None:
    """A replay of many frames is never judged by the send-queue limits (it is the
    client's own), only by its progress; what is sent meanwhile follows it in order."""
    transport = FakeTransport()
    client = connection(transport, max_messages=2, grace=5)
    frames = [b"%06d" % n for n in range(SMALL_SNAPSHOT // 6 + 10)]
    client.send_replay(b"resumed", iter(frames), 6 * len(frames))
    for n in range(5):
        client.send(b"live-%d" % n)
        client.flush()
    for _ in range(len(frames) + 1):
        transport.many_released.set()
        await asyncio.sleep(0)
    await asyncio.sleep(0.01)
    assert transport.many == [b"resumed", *frames] and not client.shed
    assert transport.written == [b"live-%d" % n for n in range(5)]
    await client.finish()


async def test_a_client_that_takes_none_of_its_replay_is_shed() -> None:
    transport = FakeTransport()
    client = connection(transport, grace=0.05)
    client.send_replay(b"resumed", iter([b"x" * 1000] * 100), 100_000)
    await asyncio.sleep(0.1)
    client.send(b"event")
    client.flush()
    assert client.shed
    await client.finish()


async def test_a_replay_the_history_outran_closes_with_1013() -> None:
    """If frames it still had to send left the history, the client cannot have them
    all: it is told to come back (1013), never given a stream with a hole."""

    def frames() -> Iterator[bytes]:
        yield b"x" * SMALL_SNAPSHOT
        raise Trimmed("event 7 left the history during the replay")

    transport = FakeTransport()
    client = connection(transport, grace=5)
    client.send_replay(b"resumed", frames(), 2 * SMALL_SNAPSHOT)
    for _ in range(3):
        transport.many_released.set()
        await asyncio.sleep(0)
    await asyncio.sleep(0.1)
    await client.finish()
    assert transport.closes == [(WS_1013_TRY_AGAIN_LATER, "replay fell behind the history")]
