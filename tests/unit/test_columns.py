"""A tick's agent states as columns (spine_ws.sim.columns, `broadcast_updates`): checked
a column at a time, and made into the very JSON one `agent_update` model makes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

from spine_ws.core.items import AgentUpdates, Published
from spine_ws.core.messages import to_json
from spine_ws.generated import AgentUpdateEvent, TickStartEvent
from spine_ws.sim import EventSink
from spine_ws.sim.columns import rows


def published(
    tick: int, ids: Sequence[str], columns: dict[str, Any], *, one_by_one: bool = True
) -> AgentUpdates:
    """What `broadcast_updates` hands the hub (`one_by_one`: a client takes the updates
    one by one, so the sink makes them)."""
    got: list[Published] = []
    loop = asyncio.new_event_loop()
    try:
        sink = EventSink(loop)
        sink.connect(got.extend, lambda: one_by_one)
        sink.broadcast_updates(tick, ids, columns)
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    (item,) = got
    assert isinstance(item, AgentUpdates)
    return item


def test_each_agent_gets_its_row_of_every_column_as_python_values() -> None:
    data = rows(
        ["a", "b"],
        {
            "x": numpy.array([1.5, 2.5]),
            "y": numpy.array([0.1, 0.2], dtype=numpy.float32),
            "n": numpy.array([3, 4], dtype=numpy.uint16),
            "on": numpy.array([True, False]),
            "name": ["p", None],
        },
    )
    assert data == [
        {"x": 1.5, "y": float(numpy.float32(0.1)), "n": 3, "on": True, "name": "p"},
        {"x": 2.5, "y": float(numpy.float32(0.2)), "n": 4, "on": False, "name": None},
    ]
    assert [type(data[0][k]) for k in ("x", "y", "n", "on")] == [float, float, int, bool]


@pytest.mark.parametrize(
    ("ids", "columns", "problem"),
    [
        (["a", "b"], {"x": [1.0]}, r"columns\['x'\]: 1 values for 2 agents"),
        (["a"], {"x": numpy.array([numpy.nan])}, r"columns\['x'\]\[0\]: nan is not JSON"),
        (
            ["a", "b"],
            {"x": [1.0, float("inf")]},
            r"columns\['x'\]\[1\]: inf is not a finite number",
        ),
        (["a"], {"x": [{"nested": 1}]}, r"columns\['x'\]\[0\]"),
        (["a"], {"x": ["1", b"2"][1:]}, r"columns\['x'\]\[0\]"),
        (["a"], {"x": numpy.array(["s"])}, r"columns\['x'\]: a <U1 array"),
        (["a"], {"x": numpy.zeros((1, 2))}, r"1-D"),
        (["a b"], {"x": [1]}, r"agent_ids\[0\]: String should match pattern"),
        (["a", "a"], {"x": [1, 2]}, r"agent_ids: an agent appears twice"),
        (["a"], {}, r"columns: at least one"),
        (["a"], {"": [1]}, r"columns: '' is not a member name"),
    ],
)
def test_a_bad_column_is_refused_by_name_and_index(
    ids: list[str], columns: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        rows(ids, columns)


def test_nothing_is_published_when_a_column_is_refused() -> None:
    loop = asyncio.new_event_loop()
    got: list[Published] = []
    try:
        sink = EventSink(loop, got.extend)
        with pytest.raises(ValueError, match="tick"):
            sink.broadcast_updates(-1, ["a"], {"x": [1]})
        with pytest.raises(ValueError, match="agent_ids"):
            sink.broadcast_updates(1, ["a", "a"], {"x": [1, 2]})
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    assert got == []


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
member_names = st.text(min_size=1, max_size=6)


@given(
    st.integers(min_value=0, max_value=2**40),
    st.dictionaries(member_names, st.lists(scalars, min_size=3, max_size=3), min_size=1),
)
def test_the_bodies_are_what_one_model_per_agent_serialises(
    tick: int, columns: dict[str, list[Any]]
) -> None:
    ids = ["a.1", "b:2", "c-3"]
    item = published(tick, ids, columns)
    for index, agent_id in enumerate(ids):
        data = {name: column[index] for name, column in columns.items()}
        event = AgentUpdateEvent(seq=1, tick=tick, agent_id=agent_id, data=data)
        assert item.bodies()[index] == to_json(event, exclude={"seq"})
        assert item.rows()[index] == data
    assert item.agent_ids == ids and item.tick == tick


def test_a_tick_published_at_once_ends_its_burst() -> None:
    """Several ticks pending at once reach the hub a tick a burst: each client's queue is
    judged after each (a slow one is coalesced from the next tick, not after several)."""
    bursts: list[list[Published]] = []
    loop = asyncio.new_event_loop()
    try:
        sink = EventSink(loop)
        sink.connect(lambda items: bursts.append(list(items)))
        for tick in (1, 2):
            sink.broadcast(TickStartEvent, tick=tick)
            sink.broadcast_updates(tick, ["a", "b"], {"x": [1.0, 2.0]})
        sink.broadcast(TickStartEvent, tick=3)
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    kinds = [[type(item).__name__ for item in burst] for burst in bursts]
    assert kinds == [["EventItem", "AgentUpdates"], ["EventItem", "AgentUpdates"], ["EventItem"]]
