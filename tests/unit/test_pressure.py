"""The send-queue policy as a pure object: every verdict at the time given, no sleeping.
(How a `Connection` acts on them, on a fake transport: test_connection.py.)"""

from __future__ import annotations

from spine_ws.core.pressure import HARD_FACTOR, Pressure


def pressure() -> Pressure:
    """100 messages, 1,000 bytes, a grace of 2 s."""
    return Pressure(max_messages=100, max_bytes=1000, grace=2.0)


def test_a_plain_client_over_the_limits_has_its_grace_then_is_shed() -> None:
    p = pressure()
    assert p.plain(10.0, 150, 500, 500) is None  # over: the grace starts
    assert p.plain(11.9, 150, 500, 500) is None
    assert p.plain(12.1, 150, 500, 500) == "over the limits for 2.1 s"


def test_draining_within_the_grace_starts_it_over() -> None:
    p = pressure()
    assert p.plain(10.0, 150, 500, 500) is None
    assert p.plain(11.0, 50, 500, 500) is None  # drained: no longer over
    assert p.over_since is None
    assert p.plain(12.5, 150, 500, 500) is None  # over again: a new grace
    assert p.plain(14.4, 150, 500, 500) is None
    assert p.plain(14.6, 150, 500, 500) is not None


def test_over_the_hard_limit_is_shed_at_once() -> None:
    p = pressure()
    assert p.plain(0.0, 1, HARD_FACTOR * 1000 + 1, HARD_FACTOR * 1000 + 1) == "over the hard limit"
    assert (
        p.plain(0.0, 1, HARD_FACTOR * 1000, HARD_FACTOR * 1000) is None
    )  # only over the limits: its grace


def test_what_the_kernel_holds_is_latency_not_a_reason_to_shed_at_once() -> None:
    # On loopback the kernel's send buffer alone holds megabytes: a reader that pauses
    # for a moment fills it, and that must not look like a server holding too much.
    p = pressure()
    assert p.plain(0.0, 1, HARD_FACTOR * 1000 + 1, held=1000) is None  # its grace
    assert p.plain(2.1, 1, HARD_FACTOR * 1000 + 1, held=1000) == "over the limits for 2.1 s"
    q = pressure()
    q.coalescing(0.0, taken=0)
    assert q.coalesced(0.5, fixed=HARD_FACTOR * 1000 + 1, messages=1, taken=1, held=900) is None
    assert (
        q.coalesced(
            0.6, fixed=HARD_FACTOR * 1000 + 1, messages=1, taken=2, held=HARD_FACTOR * 1000 + 1
        )
        == "over the hard limit with what cannot be coalesced"
    )


def test_the_soft_limit_is_half_the_limits_or_the_limits_behind_a_stream() -> None:
    p = pressure()
    assert not p.past_soft(50, 500, streaming=False)
    assert p.past_soft(51, 0, streaming=False)
    assert p.past_soft(0, 501, streaming=False)
    assert not p.past_soft(100, 1000, streaming=True)
    assert p.past_soft(101, 0, streaming=True)


def test_a_coalesced_client_that_takes_nothing_for_the_grace_is_shed() -> None:
    p = pressure()
    p.coalescing(5.0, taken=300)
    assert p.coalesced(6.0, fixed=0, messages=0, taken=300, held=0) is None
    assert p.coalesced(7.1, fixed=0, messages=0, taken=300, held=0) == "took nothing for 2.1 s"


def test_a_coalesced_client_that_takes_a_little_each_grace_is_kept() -> None:
    p = pressure()
    p.coalescing(0.0, taken=0)
    for second in range(1, 20):
        assert p.coalesced(float(second), fixed=0, messages=0, taken=second, held=0) is None


def test_only_what_cannot_be_coalesced_counts_against_the_limits() -> None:
    p = pressure()
    p.coalescing(0.0, taken=0)
    assert p.coalesced(1.0, fixed=900, messages=10, taken=1, held=900) is None
    assert p.over_since is None
    assert p.coalesced(2.0, fixed=1500, messages=10, taken=2, held=1500) is None  # over: grace
    assert (
        p.coalesced(4.5, fixed=1500, messages=10, taken=3, held=1500) == "over the limits for 2.5 s"
    )
    assert (
        pressure().coalesced(
            0.0, fixed=HARD_FACTOR * 1000 + 1, messages=0, taken=0, held=HARD_FACTOR * 1000 + 1
        )
        == "over the hard limit with what cannot be coalesced"
    )


def test_catching_up_gives_the_next_stretch_behind_its_own_grace() -> None:
    p = pressure()
    p.coalescing(0.0, taken=0)
    assert p.coalesced(0.5, fixed=1500, messages=0, taken=1, held=1500) is None
    assert p.over_since == 0.5
    assert not p.caught_up(26, 0)  # over a quarter of the limits
    assert p.caught_up(25, 250)
    assert p.over_since is None
    assert (
        p.coalesced(3.0, fixed=1500, messages=0, taken=2, held=1500) is None
    )  # a new grace from 3.0


def test_a_stream_is_judged_by_its_progress_and_what_waits_behind_it() -> None:
    p = pressure()
    p.progressed(10.0)
    assert p.streaming(11.0, held=0) is None
    p.progressed(11.5)
    assert p.streaming(13.4, held=0) is None
    assert p.streaming(13.6, held=0) == "took none of its snapshot"
    assert p.streaming(11.6, held=HARD_FACTOR * 1000 + 1) == "too much held behind the snapshot"


def test_over_keeps_a_grace_that_already_runs() -> None:
    p = pressure()
    p.over(1.0, 150, 0)
    p.over(2.0, 150, 0)
    assert p.over_since == 1.0
    p.over(3.0, 10, 10)  # not over: nothing changes (plain() says when it drained)
    assert p.over_since == 1.0
