"""Columnar tick frames without sockets (spine_ws.core.columnar, and the hub's columns
clients): which columns travel as float64, one frame shared by every columns client,
the index table sent once and then only what grew, and a thinned client falls back to
coalesced updates, one by one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import msgpack
import numpy
import orjson
import pytest

from spine_ws.core.columnar import AgentIndex, ColumnsRun, decode
from spine_ws.core.delivery import Subscription
from spine_ws.core.deltas import KEY_EVERY, Deltas, split
from spine_ws.core.hub import Hub
from spine_ws.core.items import AgentUpdates, Published
from spine_ws.generated import AgentAddedEvent, AgentRemovedEvent, AgentUpdateEvent, TickStartEvent
from spine_ws.sim import EventSink
from spine_ws.sim.boundary import CommandQueue
from spine_ws.sim.columns import checked, float64
from tests.support.outbox import FakeOutbox
from tests.unit.test_columns import published
from tests.unit.test_hub import broadcast


def test_numeric_columns_are_float64_the_rest_travel_as_they_are() -> None:
    names = ["x", "k", "on", "big", "label", "mixed"]
    values: list[list[Any]] = [
        [1.5, -0.25],
        [3, 4],
        [True, False],
        [2**53 + 1, 1],
        ["a", None],
        [1, "b"],
    ]
    numeric, other = split(names, values)
    assert list(numeric) == ["x", "k"]
    assert numpy.frombuffer(numeric["x"], "<f8").tolist() == [1.5, -0.25]
    assert numpy.frombuffer(numeric["k"], "<f8").tolist() == [3.0, 4.0]
    assert other == {
        "on": [True, False],
        "big": [2**53 + 1, 1],
        "label": ["a", None],
        "mixed": [1, "b"],
    }


def parsed(client: FakeOutbox) -> list[dict[str, Any]]:
    """Every message flushed to a MessagePack client: JSON ones are the core's own,
    which its envelope (not part of this fake) would encode."""
    return [
        orjson.loads(m) if m.startswith(b"{") else msgpack.unpackb(m, raw=False)
        for burst in client.flushed
        for m in burst
    ]


def columns_client(hub: Hub, name: str) -> FakeOutbox:
    client = FakeOutbox(name)
    client.encoding = "msgpack"
    hub.join(client, subscription=hub.subscription_of('{"columns": true}', "msgpack"))
    return client


def tick(hub: Hub, number: int, ids: list[str], extra: list[Published] | None = None) -> None:
    items: list[Published] = [broadcast(TickStartEvent, tick=number), *(extra or [])]
    x = numpy.arange(len(ids)) + number / 2
    items.append(published(number, ids, {"x": x, "name": [f"n{number}"] * len(ids)}))
    hub.deliver(items)


def added(agent_id: str) -> Published:
    return broadcast(AgentAddedEvent, tick=0, agent_id=agent_id, agent_kind="a", data={})


def test_columns_clients_share_each_ticks_frame_and_get_the_table_once_then_what_grew() -> None:
    hub = Hub(CommandQueue(4), clock=time.monotonic)
    hub.deliver([added("a"), added("b")])
    first, second = columns_client(hub, "c1"), columns_client(hub, "c2")
    tick(hub, 1, ["a", "b"])
    frame = first.flushed[-1][-1]
    assert frame is second.flushed[-1][-1], "one frame for every columns client"
    tick(hub, 2, ["b", "a"], [added("c")])
    tick(hub, 3, ["a", "b", "c"])
    kinds = [(m["type"], m.get("start")) for m in parsed(first)[1:]]
    assert kinds == [
        ("tick_start", None),
        ("agent_index", 0),
        ("agent_columns", None),
        ("tick_start", None),
        ("agent_added", None),
        ("agent_columns", None),
        ("tick_start", None),
        ("agent_index", 2),
        ("agent_columns", None),
    ]
    table: list[str] = []
    updates = []
    for message in parsed(first):
        if message["type"] == "agent_index":
            table.extend(message["agent_ids"])
        elif message["type"] == "agent_columns":
            updates += decode(message, table, {})
    assert [(u["agent_id"], u["data"]["x"], u["data"]["name"]) for u in updates[-3:]] == [
        ("a", 1.5, "n3"),
        ("b", 2.5, "n3"),
        ("c", 3.5, "n3"),
    ]
    # The seqs are the stream's: the last update is the hub's last broadcast.
    assert updates[-1]["seq"] == hub.seq and updates[0]["seq"] == 4


def test_a_thinned_columns_client_gets_the_latest_tick_of_the_same_agents_whole() -> None:
    """Under max_rate (as under backpressure) a held tick's frame is replaced by the next
    one of the same agents (a skipped notice counts its rows), which then goes as a key
    frame: every column whole, as the client never got the frame its deltas are from."""
    hub = Hub(CommandQueue(4), clock=time.monotonic)
    hub.deliver([added("a"), added("b")])
    client = FakeOutbox("slow")
    client.encoding = "msgpack"
    hub.join(client, subscription=Subscription(columns=True, max_rate=0.001))
    ids, velocity = ["a", "b"], {"vx": numpy.array([1.0, 2.0])}

    def publish(sink: EventSink) -> None:
        for number in (1, 2, 3):
            sink.broadcast_updates(number, ids, {"x": numpy.array([number, -number]), **velocity})

    ticks = sink_items(publish)
    assert [tick.columns.unchanged for tick in ticks] == [[], ["vx"], ["vx"]]  # one sink
    hub.deliver([ticks[0]])
    delivered = len(parsed(client))  # the first delivery is due at once
    for tick in ticks[1:]:
        hub.deliver([tick])
    assert len(parsed(client)) == delivered, "held until due"
    client.shaping._due = 0.0  # type: ignore[union-attr]  # due now
    client.flush()
    got = parsed(client)[delivered:]
    assert [m["type"] for m in got] == ["skipped", "agent_columns"]
    assert (got[0]["count"], got[0]["first_seq"], got[0]["last_seq"]) == (2, 5, 6)
    key = got[1]
    assert key["unchanged"] == [] and key["patches"] == {} and sorted(key["columns"]) == ["vx", "x"]
    rows = decode(key, ["a", "b"], {})
    assert [(r["seq"], r["agent_id"], r["data"]) for r in rows] == [
        (7, "a", {"x": 3.0, "vx": 1.0}),
        (8, "b", {"x": -3.0, "vx": 2.0}),
    ]


def test_columns_are_for_msgpack_connections_only() -> None:
    hub = Hub(CommandQueue(4), clock=time.monotonic)
    with pytest.raises(Exception, match=r"spine\.v1\.msgpack"):
        hub.subscription_of('{"columns": true}')


def test_a_numeric_column_is_left_out_only_when_the_same_agents_had_the_same_bytes() -> None:
    deltas = Deltas()
    names = ["x", "vx", "label"]

    def publish(ids: list[str], x: list[float], vx: list[float]) -> list[str]:
        return deltas.columns(ids, names, [x, vx, ["l"] * len(ids)]).unchanged

    assert publish(["a", "b"], [1.0, 2.0], [0.5, 0.5]) == []  # nothing before
    assert publish(["a", "b"], [1.5, 2.5], [0.5, 0.5]) == ["vx"]
    assert publish(["b", "a"], [2.5, 1.5], [0.5, 0.5]) == []  # other order: other rows
    assert publish(["c"], [9.0], [1.0]) == []
    assert publish(["b", "a"], [3.0, 2.0], [0.5, 0.5]) == ["vx"]  # each set remembered
    assert publish(["c"], [9.0], [1.0]) == ["x", "vx"]
    deltas.touched()  # say, an agent_update of one of them, published alone
    assert publish(["c"], [9.0], [1.0]) == []
    frames = [publish(["c"], [9.0], [1.0]) for _ in range(KEY_EVERY + 1)]
    assert frames[-1] == [] and all(frame == ["x", "vx"] for frame in frames[:-1]), "key frames"


def sink_items(publish: Callable[[EventSink], object]) -> list[AgentUpdates]:
    """What one sink hands the hub from `publish`: its ticks published at once."""
    got: list[Published] = []
    loop = asyncio.new_event_loop()
    try:
        publish(EventSink(loop, got.extend))
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    return [item for item in got if isinstance(item, AgentUpdates)]


def test_the_sink_forgets_its_columns_when_an_agent_changes_another_way() -> None:
    """broadcast(AgentUpdateEvent) of an agent between two ticks published at once:
    the second frame carries every column, as the agent's data is no longer the last's."""
    same = {"x": numpy.array([1.0]), "vx": numpy.array([0.5])}

    def publish(sink: EventSink) -> None:
        sink.broadcast_updates(1, ["a"], same)
        sink.broadcast_updates(2, ["a"], same)
        sink.broadcast(AgentUpdateEvent, tick=2, agent_id="a", data={"x": 7.0, "vx": 0.5})
        sink.broadcast_updates(3, ["a"], same)

    assert [item.columns.unchanged for item in sink_items(publish)] == [[], ["x", "vx"], []]


def test_a_column_of_which_few_rows_changed_travels_as_a_patch_and_decodes_whole() -> None:
    """1,000 agents, three of them bounced: their velocity rows only, as a patch."""
    ids = [f"a{n}" for n in range(1000)]
    x = numpy.arange(1000) * 0.5
    vx = numpy.full(1000, 0.25)
    deltas = Deltas()
    first = deltas.columns(ids, ["x", "vx"], [x.tolist(), vx.tolist()])
    bounced = vx.copy()
    bounced[[3, 500, 999]] = -0.25
    second = deltas.columns(ids, ["x", "vx"], [(x + 1).tolist(), bounced.tolist()])
    assert not first.patches and list(second.numeric) == ["x"] and second.unchanged == []
    rows, values = second.patches["vx"]
    assert numpy.frombuffer(rows, "<u4").tolist() == [3, 500, 999]
    assert numpy.frombuffer(values, "<f8").tolist() == [-0.25] * 3
    table = AgentIndex()
    run = ColumnsRun(0, 1000, 7, 2, ids, second, table, table.indices(ids), 1000)
    previous = {agent: {"x": float(x[n]), "vx": 0.25} for n, agent in enumerate(ids)}
    decoded = decode(msgpack.unpackb(run.frame()), table.ids, previous)
    assert [u["data"] for u in decoded] == [
        {"x": float(x[n] + 1), "vx": float(bounced[n])} for n in range(1000)
    ]
    assert decoded[0]["seq"] == 7 and decoded[-1]["seq"] == 1006
    # Most rows changed: the column goes whole.
    third = deltas.columns(ids, ["x", "vx"], [(x + 1).tolist(), (-bounced).tolist()])
    assert list(third.numeric) == ["vx"] and not third.patches and third.unchanged == ["x"]


def test_numpy_columns_are_packed_by_numpy_as_the_lists_would_be() -> None:
    """float64() makes a numpy column's bytes without a loop over its values: the same
    bytes as the values' own; an integer array beyond 2^53, or booleans, are not numeric."""
    columns: dict[str, Any] = {
        "x": numpy.array([0.1, 2.5]),
        "y": numpy.array([0.1, 0.2], dtype=numpy.float32),
        "k": numpy.array([3, -4], dtype=numpy.int64),
        "big": numpy.array([2**53 + 1, 0], dtype=numpy.int64),
        "on": numpy.array([True, False]),
        "label": ["a", "b"],
    }
    packed = float64(columns)
    assert sorted(packed) == ["k", "x", "y"]
    names, values = checked(["a", "b"], columns)
    from_lists, _ = split(names, values)
    assert packed == {name: from_lists[name] for name in packed}
    assert "big" not in from_lists and "on" not in from_lists


def test_a_world_watched_as_columns_alone_makes_no_frame_and_no_data_per_agent() -> None:
    """Only columns clients: a tick is one entry of the log and of the mirror, and its
    updates' frames and data are made only when read (a snapshot, a resume), exactly
    as one by one; a JSON client makes them at once."""
    hub = Hub(CommandQueue(4), clock=time.monotonic)
    hub.deliver([added("a"), added("b"), added("c")])
    columns_client(hub, "c1")
    ids = ["a", "b", "c"]
    columns = {"x": numpy.array([0.5, 1.5, 2.5]), "name": ["p", "q", "r"]}
    assert published(1, ids, columns)._bodies is not None, "a JSON client: made by the sink"
    updates = published(1, ids, columns, one_by_one=False)
    hub.deliver([broadcast(TickStartEvent, tick=1), updates])
    assert updates._rows is None and updates._bodies is None, "made for no reader"
    seq = hub.stream.seq
    assert seq == 3 + 1 + 3
    # Read: the log's frames and the snapshot's agents are those of the updates.
    frames = [orjson.loads(f) for f in hub.stream.history.frames_after(seq - 3, seq)]
    assert [(f["seq"], f["agent_id"], f["data"]) for f in frames] == [
        (seq - 2, "a", {"x": 0.5, "name": "p"}),
        (seq - 1, "b", {"x": 1.5, "name": "q"}),
        (seq, "c", {"x": 2.5, "name": "r"}),
    ]
    snapshot = orjson.loads(hub.stream.snapshot())
    assert [a["data"] for a in snapshot["agents"]] == [f["data"] for f in frames]
    # A JSON client: the next tick's frames are made for it, one by one.
    plain = FakeOutbox("plain")
    hub.join(plain)
    later = published(
        2, ids, {"x": numpy.array([1.0, 2.0, 3.0]), "name": ["p", "q", "r"]}, one_by_one=False
    )
    hub.deliver([later])
    assert later._bodies is not None
    assert [orjson.loads(m)["agent_id"] for m in plain.flushed[-1]] == ids


def test_the_mirror_folds_ticks_in_order_with_the_events_between() -> None:
    """An agent removed after a pending tick stays removed; one added again takes
    its new data, and a later tick of the same agents replaces an earlier one."""
    hub = Hub(CommandQueue(4), clock=time.monotonic)
    hub.deliver([added("a"), added("b")])
    columns_client(hub, "c1")
    hub.deliver([published(1, ["a", "b"], {"x": [1, 2]})])
    hub.deliver([published(2, ["a", "b"], {"x": [3, 4]})])
    removed = broadcast(AgentRemovedEvent, tick=2, agent_id="a")
    hub.deliver([removed, added("a")])
    hub.deliver([published(3, ["b"], {"x": [5]})])
    agents = hub.stream.mirror.agents
    assert {agent: state["data"] for agent, state in agents.items()} == {
        "b": {"x": 5},
        "a": {},
    }
