"""A connection's send-queue policy without sockets: flush, limits, shedding, abort."""

from __future__ import annotations

import asyncio

import pytest

from spine_ws.core.connection import Connection
from spine_ws.core.status import WS_1008_POLICY_VIOLATION

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

    def send(self, message: bytes) -> None:
        self.pending.append(message)

    def flush(self) -> None:
        self.written += self.pending
        self.unsent += len(self.pending)
        self.pending = []

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


def connection(transport: FakeTransport, max_messages: int = 3) -> Connection:
    return Connection(
        "c1",
        transport,
        role="controller",
        max_messages=max_messages,
        max_bytes=1_000_000,
        close_timeout=0.05,
        rate=1.0,
        burst=2,
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


async def test_a_backlog_over_the_limit_sheds_with_1008_then_aborts() -> None:
    """Crossing the limit drops the backlog, sends close 1008, and aborts after the timeout."""
    transport = FakeTransport()
    client = connection(transport, max_messages=3)
    for n in range(4):
        client.send(b"%d" % n)
        client.flush()
    assert client.shed
    assert transport.written == [b"0", b"1", b"2"]  # the 4th was dropped, not written
    await client.finish()
    assert transport.closes == [(WS_1008_POLICY_VIOLATION, "slow consumer")]
    assert transport.aborted and transport.stopped


async def test_a_close_that_never_completes_is_cut_short_by_the_abort() -> None:
    """A close stuck behind an unread backlog does not hold the connection."""
    transport = FakeTransport(close_hangs=True)
    client = connection(transport, max_messages=0)
    client.send(b"x")
    client.flush()
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
