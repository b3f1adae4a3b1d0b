"""A region of interest without a socket: the grid finds every update a rectangle may
hold, a region client's shaping turns crossings into agent_entered / agent_left (also
while coalescing), and a resume's replay does the same once per agent."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest

from spine_ws.core.codec import stamp
from spine_ws.core.delivery import Burst, Shaping, Subscription, filtered_replay
from spine_ws.core.region import Grid, Region, position

HALF = Region(0.0, 0.0, 50.0, 100.0)


def frame(seq: int, kind: str, agent: str, **members: Any) -> bytes:
    body = {"type": kind, "tick": 1, "agent_id": agent, **members}
    return stamp(orjson.dumps(body), seq)


def update(seq: int, agent: str, x: float, y: float = 10.0) -> bytes:
    return frame(seq, "agent_update", agent, data={"x": x, "y": y})


def test_position_is_two_finite_numbers() -> None:
    assert position({"x": 1, "y": 2.5}) == (1.0, 2.5)
    for data in ({"x": 1}, {"x": True, "y": 1}, {"x": float("nan"), "y": 1}, [1, 2], None):
        assert position(data) is None
    assert HALF.contains((50.0, 100.0)) and HALF.contains((0.0, 0.0))
    assert not HALF.contains((50.0001, 1.0)) and not HALF.contains(None)


@pytest.mark.parametrize("seed", range(20))
def test_the_grid_finds_every_point_a_region_holds(seed: int) -> None:
    rng = random.Random(seed)
    spread = rng.choice([1.0, 100.0, 1e6])
    points = [(i, rng.uniform(-spread, spread), rng.uniform(0, spread)) for i in range(500)]
    points += [(500, 0.0, 0.0), (501, 0.0, 0.0)]  # a repeated point
    grid = Grid(points)
    for _ in range(30):
        x0, x1 = sorted(rng.uniform(-1.5 * spread, 1.5 * spread) for _ in range(2))
        y0, y1 = sorted(rng.uniform(-0.5 * spread, 1.5 * spread) for _ in range(2))
        region = Region(x0, y0, x1, y1)
        found = set(grid.within(region))
        assert {i for i, x, y in points if region.contains((x, y))} <= found
    assert Grid([]).within(HALF) == []
    # One point, or all in a line: a grid of one row still finds them.
    assert Grid([(0, 5.0, 5.0)]).within(HALF) == [0]
    assert sorted(Grid([(0, 5.0, 1.0), (1, 5.0, 9.0)]).within(HALF)) == [0, 1]


def region_client(pressured: bool = False) -> Shaping:
    shaping = Shaping(Subscription(region=HALF))
    shaping.hold(["in"])
    shaping.pressured = pressured
    return shaping


def offer(shaping: Shaping, seq: int, message: bytes) -> None:
    event = orjson.loads(message)
    kind = event["type"]
    agent_kind = event.get("agent_kind", "walker")
    shaping.offer(seq, (kind, event["agent_id"], agent_kind), message, position(event.get("data")))


def types(frames: list[bytes]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    for raw in frames:
        event = orjson.loads(raw)
        if event["type"] == "skipped":
            out.append(("skipped", str(event["count"])))
        else:
            out.append((event["type"], event["agent_id"]))
    return out


def test_crossings_become_entered_and_left_and_outside_is_never_sent() -> None:
    shaping = region_client()
    offer(shaping, 1, update(1, "in", 10))
    offer(shaping, 2, update(2, "out", 70))  # outside, never held: nothing
    offer(shaping, 3, update(3, "in", 60))  # leaves
    offer(shaping, 4, update(4, "out", 40))  # comes in: its whole state
    offer(shaping, 5, update(5, "out", 41))
    offer(shaping, 6, frame(6, "agent_added", "new", agent_kind="k", data={"x": 99, "y": 1}))
    offer(shaping, 7, frame(7, "agent_removed", "new"))  # never held: nothing
    offer(shaping, 8, frame(8, "agent_removed", "out"))
    frames, _ = shaping.take(0.0)
    assert types(frames) == [
        ("agent_update", "in"),
        ("agent_left", "in"),
        ("agent_entered", "out"),
        ("agent_update", "out"),
        ("agent_removed", "out"),
    ]
    entered = orjson.loads(frames[2])
    assert entered == {
        "seq": 4,
        "type": "agent_entered",
        "tick": 1,
        "agent_id": "out",
        "agent_kind": "walker",
        "data": {"x": 40, "y": 10.0},
    }


def test_coalescing_never_folds_an_update_into_an_entering_or_a_leaving() -> None:
    shaping = region_client(pressured=True)
    offer(shaping, 1, update(1, "in", 10))
    offer(shaping, 2, update(2, "in", 11))  # replaces seq 1
    offer(shaping, 3, update(3, "in", 60))  # leaves: the pending update stands before it
    offer(shaping, 4, update(4, "in", 20))  # back in, whole
    offer(shaping, 5, update(5, "in", 21))  # after the entering: kept
    offer(shaping, 6, update(6, "in", 22))  # replaces seq 5
    frames, skipped = shaping.take(0.0)
    assert skipped == 2
    assert types(frames) == [
        ("skipped", "2"),
        ("agent_update", "in"),
        ("agent_left", "in"),
        ("agent_entered", "in"),
        ("agent_update", "in"),
    ]
    assert orjson.loads(frames[-1])["data"]["x"] == 22


def test_a_burst_is_read_through_the_grid_in_seq_order() -> None:
    burst = Burst(regional=True)
    assert burst.where is not None
    moves = [("in", 10.0), ("far", 70.0), ("in", 60.0), ("near", 40.0)]
    for seq, (agent, x) in enumerate(moves, 1):
        burst.events.append((seq, ("agent_update", agent, "walker"), update(seq, agent, x)))
        burst.where.append((x, 10.0))
    burst.events.append((5, ("tick_end", None, None), b'{"seq":5,"type":"tick_end"}'))
    burst.where.append(None)
    picks = burst.regions().picks(HALF, {"in"}, 0, 5)
    assert picks == [0, 2, 3, 4]  # "far" is in no cell the region touches
    shaping = region_client()
    shaping.offer_burst(burst, 0, 5)
    frames, _ = shaping.take(0.0)
    assert [orjson.loads(f)["type"] for f in frames] == [
        "agent_update",
        "agent_left",
        "agent_entered",
        "tick_end",
    ]


def test_a_replay_under_a_region_tells_each_crossing_once() -> None:
    frames = [
        update(1, "a", 70),  # the client may hold it: told it left
        update(2, "a", 80),  # already told
        update(3, "b", 10),  # may be new to it: whole
        update(4, "b", 11),
        frame(5, "agent_added", "c", agent_kind="k", data={"x": 90, "y": 1}),
        frame(6, "agent_removed", "c"),  # added outside: not told
        update(7, "a", 20),  # back in
    ]
    kinds = {"a": {"agent_kind": "walker"}, "b": {"agent_kind": "walker"}}
    replay = list(filtered_replay(frames, Subscription(region=HALF), kinds))
    assert types(replay) == [
        ("agent_left", "a"),
        ("agent_entered", "b"),
        ("agent_update", "b"),
        ("agent_entered", "a"),
    ]
