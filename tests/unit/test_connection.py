"""A connection's send-queue policy without sockets: flush, limits, shedding, abort."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import msgpack
import orjson
import pytest

from spine_ws.connection import HARD_FACTOR, SMALL_SNAPSHOT, Connection
from spine_ws.core.delivery import Burst, Subscription, Tag
from spine_ws.core.history import Trimmed
from spine_ws.core.hub import Hub
from spine_ws.core.messages import to_json
from spine_ws.core.packed import PackedSession
from spine_ws.core.status import (
    WS_1008_POLICY_VIOLATION,
    WS_1009_MESSAGE_TOO_BIG,
    WS_1013_TRY_AGAIN_LATER,
)
from spine_ws.generated import TickEndEvent
from spine_ws.sim.boundary import CommandQueue, EventItem

pytestmark = pytest.mark.anyio


class FakeTransport:
    """A `Transport` whose socket takes nothing until `drain` is called."""

    def __init__(self, close_hangs: bool = False) -> None:
        self.pending: list[bytes] = []
        self.wrote: list[bytes] = []  # every message flushed, in order
        self.unsent = 0
        # How many of the unsent messages the kernel's send buffer holds (not ours).
        self.in_kernel = 0
        self.drained = 0
        self.closes: list[tuple[int, str]] = []
        self.aborted = False
        self.stopped = False
        self.closed = False
        self._close_hangs = close_hangs
        self.large: list[bytes] = []
        self.large_binary: list[bool] = []
        self.binaries: list[bytes] = []
        self.large_released = asyncio.Event()
        self.many: list[bytes] = []
        self.many_released = asyncio.Event()

    def send(self, message: bytes) -> None:
        self.pending.append(message)

    def send_binary(self, message: bytes) -> None:
        self.binaries.append(message)
        self.pending.append(message)

    def flush(self) -> None:
        self.wrote += self.pending
        self.unsent += len(self.pending)
        self.pending = []

    async def send_large(
        self,
        parts: Sequence[bytes | memoryview],
        progress: Callable[[], None],
        binary: bool = False,
    ) -> None:
        self.large.append(b"".join(parts))
        self.large_binary.append(binary)
        progress()
        await self.large_released.wait()

    async def send_many(
        self, messages: Iterable[bytes], progress: Callable[[], None], binary: bool = False
    ) -> None:
        """Takes one message each time `many_released` is set (then clears it)."""
        for message in messages:
            await self.many_released.wait()
            self.many_released.clear()
            self.many.append(message)
            progress()

    def backlog(self) -> tuple[int, int]:
        held = self.unsent + len(self.pending)
        return held, held * 10

    def held(self) -> int:
        unsent = max(self.unsent - self.in_kernel, 0)
        return (unsent + len(self.pending)) * 10

    def written(self) -> tuple[int, int]:
        return len(self.wrote), sum(map(len, self.wrote))

    def taken(self) -> int:
        return self.drained * 10  # 10 bytes a message, as `backlog` counts them

    def drain(self) -> None:
        self.take(self.unsent)

    def take(self, messages: int) -> None:
        """The socket takes `messages` of what it holds (a slow reader)."""
        messages = min(messages, self.unsent)
        self.drained += messages
        self.unsent -= messages

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


def tick_end(tick: int) -> EventItem:
    """A broadcast as the simulation's sink makes it (serialised without its seq)."""
    event = TickEndEvent(tick=tick, seq=1)
    return EventItem(event, to_json(event, exclude={"seq"}))


class FakeClock:
    """The connection's clock, moved by the test: a grace passes without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


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
    assert transport.wrote == []
    client.flush()
    assert transport.wrote == [b"1", b"2"]


async def test_a_client_that_drains_is_never_shed() -> None:
    """Within the limit after each drain, any number of bursts goes through."""
    transport = FakeTransport()
    client = connection(transport)
    for n in range(20):
        client.send(b"%d" % n)
        client.flush()
        transport.drain()
    assert len(transport.wrote) == 20 and not client.shed


async def test_one_burst_over_the_limit_is_not_shed_if_it_drains_in_time() -> None:
    """A burst the server caused (a stalled loop, a join storm) gets `grace` to drain."""
    transport, clock = FakeTransport(), FakeClock()
    client = connection(transport, max_messages=3, grace=0.2, clock=clock)
    for n in range(6):
        client.send(b"%d" % n)
    client.flush()
    assert not client.shed and len(transport.wrote) == 6
    transport.drain()
    clock.advance(0.3)
    client.send(b"after")
    client.flush()
    assert not client.shed


async def test_a_backlog_over_the_limit_for_longer_than_grace_sheds_with_1008() -> None:
    """Still over the limits after `grace`: backlog dropped, close 1008, then abort."""
    transport, clock = FakeTransport(), FakeClock()
    client = connection(transport, max_messages=3, grace=0.05, clock=clock)
    for n in range(5):
        client.send(b"%d" % n)
        client.flush()
    assert not client.shed
    clock.advance(0.1)
    client.send(b"late")
    client.flush()
    assert client.shed
    assert b"late" not in transport.wrote
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


async def test_what_the_kernel_holds_is_judged_by_the_grace_not_the_hard_limit() -> None:
    """On loopback the kernel's send buffer holds megabytes: a reader that pauses fills
    it, which is latency (the limits and their grace), not the server's memory."""
    transport = FakeTransport()
    clock = FakeClock()
    client = connection(transport, max_messages=10**6, max_bytes=1024, grace=2, clock=clock)
    for _ in range(HARD_FACTOR * 1024 // 10 + 1):
        client.send(b"x")
    transport.in_kernel = HARD_FACTOR * 1024 // 10 + 1
    client.flush()
    client.send(b"x")
    client.flush()
    assert not client.shed  # over the limits: its grace runs
    clock.advance(2.1)
    client.send(b"x")
    client.flush()
    assert client.shed  # still behind after the grace


async def test_events_wait_behind_a_streaming_snapshot_in_order() -> None:
    """A large snapshot streams first; what was sent meanwhile follows, in order."""
    transport = FakeTransport()
    client = connection(transport, max_messages=2, grace=5)
    client.send_snapshot((b'{"a":', b"0" * SMALL_SNAPSHOT + b"}"))
    await asyncio.sleep(0)
    for n in range(10):  # more than max_messages: held, not judged by the limits
        client.send(b"%d" % n)
        client.flush()
    assert transport.wrote == [] and not client.shed
    transport.large_released.set()
    await asyncio.sleep(0.01)
    assert transport.large[0].startswith(b'{"a":')
    assert transport.wrote == [b"%d" % n for n in range(10)]
    await client.finish()


async def test_a_client_that_takes_none_of_its_snapshot_is_shed() -> None:
    """No progress on the snapshot for `grace`: slow consumer."""
    transport, clock = FakeTransport(), FakeClock()
    client = connection(transport, grace=0.05, clock=clock)
    client.send_snapshot((b"{", b"0" * SMALL_SNAPSHOT + b"}"))
    await asyncio.sleep(0)  # the stream starts, takes its first part and stalls
    clock.advance(0.1)
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
    assert transport.large == [] and transport.wrote == []


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
    assert transport.wrote == []


async def test_the_command_bucket_refuses_beyond_its_burst() -> None:
    """`burst` commands at once, then refusals until tokens come back."""
    client = connection(FakeTransport())
    assert [client.allow_command() for _ in range(3)] == [True, True, False]


async def test_a_small_replay_goes_through_the_send_queue_at_once() -> None:
    transport = FakeTransport()
    client = connection(transport, max_messages=2)
    client.send_replay(b"resumed", iter([b"3", b"4", b"5"]), 3)
    assert transport.wrote == [b"resumed", b"3", b"4", b"5"] and transport.many == []
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
    assert transport.wrote == [b"live-%d" % n for n in range(5)]
    await client.finish()


async def test_a_client_that_takes_none_of_its_replay_is_shed() -> None:
    transport, clock = FakeTransport(), FakeClock()
    client = connection(transport, grace=0.05, clock=clock)
    client.send_replay(b"resumed", iter([b"x" * 1000] * 100), 100_000)
    await asyncio.sleep(0)  # the stream starts and waits for the socket
    clock.advance(0.1)
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


def offer(client: Connection, seq: int, tag: Tag, message: bytes) -> None:
    """One broadcast, as the hub offers a burst to a shaped connection."""
    burst = Burst()
    burst.events.append((seq, tag, message))
    client.offer(burst, 0, 1)


def update(seq: int, agent: str) -> tuple[int, Tag, bytes]:
    message = b'{"seq":%d,"type":"agent_update","tick":1,"agent_id":"%b","data":{}}' % (
        seq,
        agent.encode(),
    )
    return seq, ("agent_update", agent, "walker"), message


async def test_past_the_soft_limit_updates_coalesce_and_the_client_is_told() -> None:
    """Over half its limits the connection stops queueing: each agent's pending updates
    are replaced by the latest, and once the socket drains the client gets a skipped
    notice, then every other event and the latest updates, in seq order."""
    transport = FakeTransport()
    client = connection(transport, max_messages=10, grace=5)
    for n in range(6):  # over 10 // 2 queued and not taken
        client.send(b"%d" % n)
    client.flush()
    assert client.shaping is not None, "shaped from now on: the hub offers it events"
    for seq, agent in [(1, "a"), (2, "b"), (3, "a"), (4, "a")]:
        offer(client, *update(seq, agent))
    offer(client, 5, ("tick_end", None, None), b'{"seq":5,"type":"tick_end","tick":1}')
    client.flush()
    assert client.shaping is not None
    assert len(transport.wrote) == 6, "nothing more while the socket does not drain"
    transport.drain()
    client.flush()
    assert client.shaping is None, "caught up: plain again"
    released = [orjson.loads(m) for m in transport.wrote[6:]]
    assert released[0] == {
        "type": "skipped",
        "reason": "backpressure",
        "count": 2,
        "first_seq": 1,
        "last_seq": 3,
    }
    assert [m["seq"] for m in released[1:]] == [2, 4, 5]
    assert not client.shed


async def test_coalesced_updates_do_not_count_against_the_limits_the_rest_does() -> None:
    """A stream of one agent's updates never sheds a coalesced client; events that must
    all be delivered, over the limits for `grace`, do (1008)."""
    transport = FakeTransport()
    client = connection(transport, max_messages=20, max_bytes=2048, grace=0.05)
    for n in range(15):  # over the soft limit; the slow reads below never catch it up
        client.send(b"%d" % n)
    client.flush()
    for seq in range(1, 200):
        offer(client, *update(seq, "a"))
        client.flush()
    for _ in range(4):  # a slow reader, not a dead one: it takes within every grace
        await asyncio.sleep(0.025)
        transport.take(1)
    client.flush()
    assert not client.shed
    state = b'{"seq":%d,"type":"simulation_state","status":"running","tick":1,"tick_rate":20}'
    for seq in range(200, 260):
        offer(client, seq, ("simulation_state", None, None), state % seq)
        client.flush()
    for _ in range(4):
        await asyncio.sleep(0.025)
        transport.take(1)
    client.flush()
    assert client.shed and client.closed_with == 1008


def coalesced_under_the_limits(
    transport: FakeTransport, grace: float, clock: FakeClock
) -> Connection:
    """A client pressured into coalescing, then offered one agent's updates only: what
    it holds stays under the limits, so only what it takes can judge it."""
    client = connection(transport, max_messages=10, max_bytes=2048, grace=grace, clock=clock)
    for n in range(9):  # over the soft limit (half), under the limit
        client.send(b"%d" % n)
    client.flush()
    assert client.shaping is not None and client.shaping.pressured
    return client


async def test_a_coalesced_client_that_takes_nothing_for_the_grace_is_shed() -> None:
    """Coalescing keeps a dead reader under the limits forever; taking no byte at all
    for `grace` sheds it (1008) all the same."""
    transport, clock = FakeTransport(), FakeClock()
    client = coalesced_under_the_limits(transport, grace=0.05, clock=clock)
    offer(client, *update(1, "a"))
    client.flush()
    assert not client.shed
    clock.advance(0.1)
    offer(client, *update(2, "a"))
    client.flush()
    assert client.shed and client.closed_with == 1008


async def test_a_coalesced_client_that_takes_a_little_each_grace_is_kept() -> None:
    """A slow reader that takes something within every grace stays, coalesced."""
    transport, clock = FakeTransport(), FakeClock()
    client = coalesced_under_the_limits(transport, grace=0.05, clock=clock)
    for seq in range(1, 6):
        clock.advance(0.03)
        transport.take(1)
        offer(client, *update(seq, "a"))
        client.flush()
    assert not client.shed and client.shaping is not None


async def test_what_cannot_be_coalesced_past_the_hard_limit_sheds_at_once() -> None:
    transport = FakeTransport()
    client = connection(transport, max_messages=10, max_bytes=1024, grace=5)
    for n in range(6):
        client.send(b"%d" % n)
    client.flush()
    big = b'{"seq":1,"type":"world_event","tick":1,"kind":"k","data":{"x":"%b"}}' % (b"y" * 5000)
    offer(client, 1, ("world_event", None, None), big)
    client.flush()
    assert client.shed and client.closed_with == 1008


@pytest.mark.parametrize("batch", [False, True], ids=["plain", "batched"])
async def test_a_client_that_caught_up_is_given_its_grace_again_next_time(batch: bool) -> None:
    """The grace counts one stretch over the limits: a client that fell behind, caught
    up and kept up for a while is not shed the moment it falls behind again (a tab
    that reads a little slower than a busy stream does this every second)."""
    transport, clock = FakeTransport(), FakeClock()
    client = connection(transport, max_messages=10, grace=0.2, clock=clock)
    if batch:
        client.subscribe(Subscription(batch=True))

    def fall_behind() -> None:
        for n in range(12):  # over the limits: 10 messages not taken
            client.send(b"%d" % n)
        client.flush()
        state = b'{"seq":1,"type":"simulation_state","status":"running","tick":1,"tick_rate":20}'
        offer(client, 1, ("simulation_state", None, None), state)
        client.flush()

    fall_behind()
    transport.drain()
    client.flush()  # caught up
    clock.advance(0.3)  # keeping up for longer than the grace
    client.flush()
    fall_behind()
    assert not client.shed, "over the limits a moment ago, not for the grace"
    clock.advance(0.3)
    client.flush()
    assert client.shed and client.closed_with == WS_1008_POLICY_VIOLATION, "still judged"


async def test_what_waited_behind_a_snapshot_is_written_to_a_coalescing_client() -> None:
    """A batched client whose snapshot streamed while events came: the events held
    behind it go to the socket at once, even while it is coalesced (nothing of its own
    to deliver then), so it catches up instead of waiting on them until it is shed."""
    transport = FakeTransport()
    client = connection(transport, max_messages=10, grace=0.2)
    client.subscribe(Subscription(batch=True))
    client.send_snapshot((b'{"a":', b"0" * SMALL_SNAPSHOT + b"}"))
    await asyncio.sleep(0)
    for seq in range(1, 21):  # held behind the snapshot: over the limits
        offer(client, *update(seq, "a"))
        client.flush()
    transport.large_released.set()
    await asyncio.sleep(0.01)
    # Eleven held up to the limit, written at once; the 12th came before the flush that
    # found the client over it, the rest were coalesced.
    assert len(transport.wrote) == 11, "what was held is written, not left queued"
    transport.drain()
    for _ in range(5):
        client.flush()
        await asyncio.sleep(0.1)
    assert not client.shed
    released = [orjson.loads(m) for m in transport.wrote[11:]]
    assert released[0] == {
        "type": "skipped",
        "reason": "backpressure",
        "count": 7,
        "first_seq": 13,
        "last_seq": 19,
    }, released
    assert [[e["seq"] for e in m["events"]] for m in released[1:]] == [[12], [20]]
    await client.finish()


async def test_a_fast_stream_behind_a_slow_snapshot_is_coalesced_not_held() -> None:
    """What comes while a large snapshot streams is held only up to the limits; past
    them, the connection coalesces, so what follows the snapshot is bounded by the
    world's agents, not by the stream's rate times the snapshot's duration (which shed
    a browser tab taking a snapshot at 100,000 updates a second)."""
    transport = FakeTransport()
    client = connection(transport, max_messages=100, grace=5, max_bytes=10_000)
    client.send_snapshot((b'{"a":', b"0" * SMALL_SNAPSHOT + b"}"))
    await asyncio.sleep(0)
    agents = ["a", "b", "c"]
    shaped = False
    for seq in range(1, 3001):
        event = update(seq, agents[seq % 3])
        if shaped:
            offer(client, *event)
        else:
            client.send(event[2])
        client.flush()
        shaped = client.shaping is not None
    messages, size = client.queued
    assert shaped and messages <= 101 and size <= 10_100, client.queued
    assert not client.shed
    transport.large_released.set()
    await asyncio.sleep(0.01)
    transport.drain()
    client.flush()
    after = [orjson.loads(m) for m in transport.wrote]
    notice = next(m for m in after if m["type"] == "skipped")
    delivered = sum(m["type"] == "agent_update" for m in after)
    assert delivered <= 110 and delivered + notice["count"] == 3000, "each seq sent or told"
    assert [m["seq"] for m in after[-3:]] == [2998, 2999, 3000], "each agent's latest"
    assert not client.shed
    await client.finish()


async def test_a_connection_that_catches_up_between_bursts_loses_nothing_after() -> None:
    """A connection coalescing under pressure that catches up on its own timer (no
    burst came meanwhile) is plain again before the hub next looks: the next burst
    must still reach it whole (it lost two ticks in CI once)."""
    hub = Hub(CommandQueue(4), clock=time.monotonic)
    transport = FakeTransport()
    client = connection(transport, max_messages=10, grace=5)
    hub.join(client)
    seq = 0

    def burst(n: int) -> None:
        nonlocal seq
        hub.deliver([tick_end(seq + i + 1) for i in range(n)])
        seq += n

    burst(12)  # over the limits, not taken: shaped from now on
    burst(3)  # held while the socket takes nothing
    assert client.shaping is not None and client.shaping.holding
    transport.drain()
    await asyncio.sleep(0.1)  # its timer finds it caught up: plain again
    assert client.shaping is None
    burst(3)
    transport.drain()
    hub.deliver([tick_end(seq + 1)])
    seq += 1
    delivered = [orjson.loads(m) for m in transport.wrote]
    assert [m["seq"] for m in delivered[1:]] == list(range(1, seq + 1))
    await client.finish()


async def test_a_binary_encoding_writes_binary_frames_snapshot_included() -> None:
    """A connection of the msgpack profile: every message, and its streamed snapshot,
    goes out as binary (a spine one as text)."""
    transport = FakeTransport()
    client = connection(transport, envelope=PackedSession())
    client.send_snapshot((b'{"type":"snapshot","pad":"', b"0" * SMALL_SNAPSHOT + b'"}'))
    await asyncio.sleep(0)
    assert transport.large_binary == [True]
    assert msgpack.unpackb(transport.large[0])["type"] == "snapshot"
    transport.large_released.set()
    await asyncio.sleep(0.01)
    client.send(b"\x81\xa1a\x01")
    client.flush()
    assert transport.binaries == [b"\x81\xa1a\x01"]
    await client.finish()

    plain = FakeTransport()
    spine = connection(plain)
    spine.send(b'{"a":1}')
    spine.flush()
    assert plain.binaries == [] and plain.wrote == [b'{"a":1}']
