"""Subscriptions and shaping, sans-I/O: what one client is sent of a stream."""

from __future__ import annotations

import orjson
import pytest

from spine_ws.core.delivery import (
    SHARED_BATCH_EVENTS,
    Burst,
    Shaping,
    Subscription,
    Tag,
    filtered_replay,
    tag_of,
)
from spine_ws.generated import SkippedEvent, SubscribeCommand

TIME = ("tick_start", "simulation_state")
KINDS = {"t1": {"agent_kind": "truck"}, "c1": {"agent_kind": "car"}}


def sub(**members: object) -> Subscription:
    return Subscription.of(SubscribeCommand.model_validate({"type": "subscribe", **members}))


def frame(seq: int, kind: str, **members: object) -> bytes:
    return orjson.dumps({"seq": seq, "type": kind, **members})


def tag(kind: str, agent: str | None = None) -> Tag:
    return tag_of(kind, agent, None, KINDS)


def test_an_empty_subscribe_is_everything() -> None:
    assert sub().everything and not sub().filtered
    assert not sub(batch=True).everything and not sub(max_rate=2).everything


@pytest.mark.parametrize(
    ("members", "wanted"),
    [
        ({"event_types": ["world_event"]}, {"tick_start", "world_event", "simulation_state"}),
        ({"agent_kinds": ["truck"]}, {*TIME, "update t1", "world_event", "removed x"}),
        ({"agent_ids": ["c1"]}, {*TIME, "update c1", "world_event", "removed x"}),
        (
            {"agent_ids": ["c1"], "agent_kinds": ["truck"]},
            {*TIME, "update c1", "update t1", "world_event", "removed x"},
        ),
        ({"event_types": ["agent_update"], "agent_kinds": ["car"]}, {*TIME, "update c1"}),
    ],
)
def test_filters_pass_time_and_state_always_and_combine_ids_and_kinds(
    members: dict[str, object], wanted: set[str]
) -> None:
    """tick/state/error always pass; ids and kinds are a union; an event about no agent
    is not filtered by them; the removal of an agent the server forgot always passes."""
    events = {
        "tick_start": tag("tick_start"),
        "simulation_state": tag("simulation_state"),
        "update t1": tag("agent_update", "t1"),
        "update c1": tag("agent_update", "c1"),
        "world_event": tag("world_event"),
        "removed x": tag("agent_removed", "x"),
    }
    subscription = sub(**members)
    assert {name for name, t in events.items() if subscription.wants(t)} == wanted


def test_a_batch_holds_each_run_of_events_and_replies_come_between_in_order() -> None:
    shaping = Shaping(sub(batch=True))
    shaping.offer(1, tag("tick_start"), frame(1, "tick_start", tick=1))
    shaping.offer(2, tag("agent_update", "t1"), frame(2, "agent_update", agent_id="t1"))
    shaping.reply(b'{"type":"command_ack","command_type":"stop","tick":1}')
    shaping.offer(3, tag("tick_end"), frame(3, "tick_end", tick=1))
    frames, skipped = shaping.take(0.0)
    assert skipped == 0
    parsed = [orjson.loads(f) for f in frames]
    assert [p["type"] for p in parsed] == ["batch", "command_ack", "batch"]
    assert [e["seq"] for e in parsed[0]["events"]] == [1, 2]
    # The members are the frames as they were, byte for byte.
    assert frames[0] == b'{"type":"batch","events":[' + frame(1, "tick_start", tick=1) + b"," + (
        frame(2, "agent_update", agent_id="t1") + b"]}"
    )
    assert shaping.take(0.0) == ([], 0)


def test_a_reply_before_any_event_of_its_burst_brings_no_empty_batch() -> None:
    """The hub offers a shaped client what a burst holds before a reply to it: when that
    is nothing yet, no batch frame (one with no events is invalid)."""
    shaping = Shaping(sub(batch=True))
    burst = Burst()
    shaping.offer_burst(burst, 0, 0)
    shaping.reply(b'{"type":"command_ack","command_type":"stop","tick":1}')
    burst.events.append((1, tag("tick_start"), frame(1, "tick_start", tick=1)))
    shaping.offer_burst(burst, 0, 1)
    frames, _ = shaping.take(0.0)
    assert [orjson.loads(f)["type"] for f in frames] == ["command_ack", "batch"]


def test_max_rate_holds_until_due_and_coalesces_updates_to_the_latest() -> None:
    """Everything in seq order at each delivery; each agent's updates coalesced; a
    skipped notice first, naming how many and which seqs."""
    shaping = Shaping(sub(max_rate=2))
    assert shaping.take(0.0) == ([], 0)
    shaping.offer(1, tag("agent_update", "t1"), frame(1, "agent_update", agent_id="t1", n=1))
    assert [orjson.loads(f)["seq"] for f in shaping.take(10.0)[0]] == [1]  # due at once
    for seq, agent in [(2, "t1"), (3, "c1"), (4, "t1"), (5, "t1")]:
        shaping.offer(seq, tag("agent_update", agent), frame(seq, "agent_update", agent_id=agent))
    shaping.offer(6, tag("tick_end"), frame(6, "tick_end", tick=1))
    assert shaping.take(10.4) == ([], 0), "not due before 10.5"
    frames, skipped = shaping.take(10.5)
    parsed = [orjson.loads(f) for f in frames]
    notice = SkippedEvent.model_validate(parsed[0])
    assert (notice.reason, notice.count, notice.first_seq, notice.last_seq) == ("max_rate", 2, 2, 4)
    assert skipped == 2 and shaping.coalesced == 2
    assert [p["seq"] for p in parsed[1:]] == [3, 5, 6]


def test_a_reply_brings_a_max_rate_delivery_forward() -> None:
    shaping = Shaping(sub(max_rate=1))
    shaping.offer(1, tag("tick_end"), frame(1, "tick_end", tick=0))
    assert len(shaping.take(0.0)[0]) == 1  # the first goes at once; the next 1 s later
    shaping.offer(1, tag("tick_start"), frame(1, "tick_start", tick=1))
    assert shaping.take(0.1) == ([], 0)
    shaping.reply(b'{"type":"error","code":"invalid_json","message":"x"}')
    assert [orjson.loads(f)["type"] for f in shaping.take(0.2)[0]] == ["tick_start", "error"]


def test_under_pressure_updates_coalesce_and_nothing_else_is_left_out() -> None:
    shaping = Shaping(Subscription())
    shaping.pressured = True
    messages = [
        (1, tag("agent_update", "t1")),
        (2, tag("world_event")),
        (3, tag("agent_update", "t1")),
        (4, tag("agent_removed", "t1")),
        (5, tag("agent_update", "c1")),
        (6, tag("agent_update", "c1")),
    ]
    for seq, t in messages:
        shaping.offer(seq, t, frame(seq, t[0], agent_id=t[1]))
    assert shaping.take(0.0, hold=True) == ([], 0), "held while the socket does not drain"
    assert shaping.fixed_bytes == len(frame(2, "world_event", agent_id=None)) + len(
        frame(4, "agent_removed", agent_id="t1")
    )
    frames, skipped = shaping.take(0.0)
    parsed = [orjson.loads(f) for f in frames]
    assert skipped == 2
    assert parsed[0]["type"] == "skipped" and parsed[0]["reason"] == "backpressure"
    assert (parsed[0]["count"], parsed[0]["first_seq"], parsed[0]["last_seq"]) == (2, 1, 5)
    assert [p["seq"] for p in parsed[1:]] == [2, 3, 4, 6]


def test_a_filtered_replay_reads_kinds_of_agents_added_within_it() -> None:
    frames = [
        frame(1, "agent_added", agent_id="t9", agent_kind="truck", data={}),
        frame(2, "agent_update", agent_id="t9", data={}),
        frame(3, "agent_update", agent_id="c1", data={}),
        frame(4, "tick_end", tick=1),
        frame(5, "agent_removed", agent_id="t9"),
    ]
    kept = filtered_replay(frames, sub(agent_kinds=["truck"]), KINDS)
    assert [orjson.loads(f)["seq"] for f in kept] == [1, 2, 4, 5]


def test_a_big_burst_to_a_batched_client_stays_coalescible_while_it_is_held() -> None:
    """A tick of a big world, offered to a batched client just as it falls behind: held,
    its updates are replaced by the next tick's (told in `skipped`), and only what
    cannot be coalesced counts against the limits, not the whole burst as one frame."""
    agents = SHARED_BATCH_EVENTS + 1
    shaping = Shaping(sub(batch=True))

    def tick(first: int) -> Burst:
        burst = Burst()
        for n in range(agents):
            seq = first + n
            agent = f"a{n}"
            burst.events.append(
                (seq, tag("agent_update", agent), frame(seq, "agent_update", agent_id=agent))
            )
        return burst

    shaping.offer_burst(tick(1), 0, agents)
    shaping.pressured = True  # the socket stopped draining before this burst was written
    assert shaping.take(0.0, hold=True) == ([], 0)
    shaping.offer_burst(tick(1 + agents), 0, agents)
    assert shaping.fixed_bytes == 0, "nothing held that coalescing cannot save"
    frames, skipped = shaping.take(0.0)
    notice, batch = (orjson.loads(f) for f in frames)
    assert skipped == agents and notice["count"] == agents
    assert [e["seq"] for e in batch["events"]] == list(range(1 + agents, 1 + 2 * agents))
