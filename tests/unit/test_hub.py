"""The hub without sockets: commands in, events out, against fake outboxes."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from spine_ws.core.codec import stamp
from spine_ws.core.errors import ProtocolError
from spine_ws.core.history import History
from spine_ws.core.hub import SMALL_REPLAY, Hub
from spine_ws.core.messages import to_json
from spine_ws.core.parse import Limits
from spine_ws.generated import (
    AgentAddedEvent,
    AgentUpdateEvent,
    CommandAckEvent,
    SnapshotEvent,
    TickEndEvent,
    TickStartEvent,
)
from spine_ws.sim.boundary import CommandQueue, EventItem
from tests.support.outbox import FakeOutbox


def broadcast(model: type[BaseModel], **fields: Any) -> EventItem:
    """An event as `EventSink.broadcast` makes it: validated, serialised without `seq`."""
    event = model.model_validate({**fields, "seq": 1})
    return EventItem(event, to_json(event, exclude={"seq"}))


def reply(to: str, event: BaseModel) -> EventItem:
    return EventItem(event, to_json(event), to)


@pytest.fixture
def queue() -> CommandQueue:
    return CommandQueue(4)


@pytest.fixture
def hub(queue: CommandQueue) -> Hub:
    return Hub(
        queue,
        clock=time.monotonic,
        limits=Limits(max_depth=8, max_members=100),
        max_agent_data_bytes=64,
    )


def test_join_sends_the_snapshot_first_and_alone(hub: Hub) -> None:
    """A new client's first (flushed) message is a snapshot at the hub's current seq."""
    hub.deliver([broadcast(TickStartEvent, tick=1)])
    client = FakeOutbox("a")
    hub.join(client)
    [snapshot] = client.frames()
    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] == 1 and snapshot["epoch"] == hub.epoch
    assert snapshot["connection_id"] == "a"
    assert snapshot["simulation"]["tick"] == 1


def test_the_snapshot_tells_each_client_its_role_and_the_servers_capabilities(
    queue: CommandQueue,
) -> None:
    """Two joiners at one seq share the body, not the role."""
    hub = Hub(queue, clock=time.monotonic, capabilities=["resume", "cluster", "resume"])
    viewer, controller = FakeOutbox("v", role="viewer"), FakeOutbox("c")
    hub.join(viewer)
    hub.join(controller)
    [seen] = viewer.frames()
    assert seen["role"] == "viewer" and seen["capabilities"] == ["cluster", "resume"]
    assert controller.frames()[0]["role"] == "controller"
    SnapshotEvent.model_validate(seen)


def test_deliver_stamps_consecutive_seq_and_gives_every_client_the_same_bytes(hub: Hub) -> None:
    """Each broadcast gets the next seq; all clients get byte-identical messages."""
    first, second = FakeOutbox("a"), FakeOutbox("b")
    hub.join(first)
    hub.join(second)
    hub.deliver([broadcast(TickStartEvent, tick=1), broadcast(TickStartEvent, tick=2)])
    assert first.flushed[1:] == second.flushed[1:]
    assert [f["seq"] for f in first.frames()[1:]] == [1, 2]
    assert hub.seq == 2


def test_a_burst_is_flushed_once_per_client(hub: Hub) -> None:
    """One flush per client per burst, however many events it held."""
    client = FakeOutbox("a")
    hub.join(client)
    hub.deliver([broadcast(TickStartEvent, tick=t) for t in range(1, 6)])
    assert len(client.flushed) == 2  # the snapshot, then the burst
    assert len(client.flushed[1]) == 5


def test_a_reply_goes_to_its_client_only_and_carries_no_seq(hub: Hub) -> None:
    """Replies are addressed; they neither advance seq nor reach other clients."""
    sender, other = FakeOutbox("a"), FakeOutbox("b")
    hub.join(sender)
    hub.join(other)
    ack = CommandAckEvent(command_type="stop", command_id="c1", tick=0)
    hub.deliver([reply("a", ack)])
    assert sender.frames()[-1] == {
        "type": "command_ack",
        "command_type": "stop",
        "command_id": "c1",
        "tick": 0,
    }
    assert len(other.flushed) == 1 and hub.seq == 0


def test_a_reply_to_a_client_that_left_is_dropped(hub: Hub) -> None:
    """A reply for a connection that is gone is dropped, not an error."""
    client = FakeOutbox("a")
    hub.join(client)
    hub.leave(client)
    hub.deliver([reply("a", CommandAckEvent(command_type="stop", tick=0))])
    assert len(client.flushed) == 1


def test_the_mirror_follows_the_broadcasts(hub: Hub) -> None:
    """A later joiner's snapshot has what the stream said, including updates."""
    hub.deliver(
        [
            broadcast(AgentAddedEvent, tick=0, agent_id="x", agent_kind="car", data={"v": 1}),
            broadcast(AgentUpdateEvent, tick=1, agent_id="x", data={"v": 2}),
        ]
    )
    late = FakeOutbox("late")
    hub.join(late)
    [snapshot] = late.frames()
    assert snapshot["agents"] == [{"agent_id": "x", "agent_kind": "car", "data": {"v": 2}}]


def test_the_snapshot_has_the_latest_tick_any_broadcast_showed(hub: Hub) -> None:
    """Not only tick_start's: a simulation may open its ticks with events of its own."""
    hub.deliver(
        [
            broadcast(AgentAddedEvent, tick=0, agent_id="x", agent_kind="car", data={"v": 1}),
            broadcast(AgentUpdateEvent, tick=7, agent_id="x", data={"v": 2}),
        ]
    )
    late = FakeOutbox("late")
    hub.join(late)
    assert late.frames()[0]["simulation"]["tick"] == 7


def test_an_update_for_an_agent_never_added_is_not_invented(hub: Hub) -> None:
    """The mirror drops it, as the TS WorldState does: no agent of kind "unknown"."""
    hub.deliver([broadcast(AgentUpdateEvent, tick=1, agent_id="ghost", data={"v": 2})])
    late = FakeOutbox("late")
    hub.join(late)
    assert late.frames()[0]["agents"] == []


def test_submit_queues_a_valid_command_with_its_sender_and_id(
    hub: Hub, queue: CommandQueue
) -> None:
    """A valid command from a controller is queued for the simulation, no reply yet."""
    client = FakeOutbox("a")
    hub.submit(client, '{"type": "stop", "id": "s1"}')
    item = queue.get(timeout=0)
    assert item is not None
    assert (item.command_type, item.connection_id, item.command_id) == ("stop", "a", "s1")
    assert client.flushed == []


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("{", "invalid_json"),
        ('{"type": "warp", "id": "w1"}', "unknown_command"),
        ('{"type": "set_tick_rate", "id": "w1", "tick_rate": 1000}', "invalid_message"),
        (
            '{"type": "add_agent", "id": "w1", "agent_id": "a", "agent_kind": "k",'
            ' "agent_data": {"pad": "' + "x" * 100 + '"}}',
            "limit_exceeded",
        ),
    ],
)
def test_submit_answers_a_bad_command_at_once_with_one_error(
    hub: Hub, queue: CommandQueue, text: str, code: str
) -> None:
    """Every refused frame gets exactly one error, echoing what of the id it could read."""
    client = FakeOutbox("a")
    hub.submit(client, text)
    [error] = client.frames()
    assert error["type"] == "error" and error["code"] == code
    assert error.get("command_id") == (None if code == "invalid_json" else "w1")
    assert len(queue) == 0


def test_a_viewer_may_not_command(hub: Hub, queue: CommandQueue) -> None:
    """A viewer's valid command is refused as forbidden and never queued."""
    viewer = FakeOutbox("v", role="viewer")
    hub.submit(viewer, '{"type": "stop", "id": "s1"}')
    assert viewer.frames()[0]["code"] == "forbidden"
    assert len(queue) == 0


def test_a_client_over_its_rate_is_refused(hub: Hub, queue: CommandQueue) -> None:
    """Once the client's bucket is empty, commands (valid or not) are rate_limited."""
    client = FakeOutbox("a", tokens=1)
    hub.submit(client, '{"type": "stop"}')
    hub.submit(client, '{"type": "stop"}')
    hub.submit(client, "{")
    assert [e["code"] for e in client.frames()] == ["rate_limited", "rate_limited"]
    assert len(queue) == 1


def test_a_full_command_queue_is_told(hub: Hub, queue: CommandQueue) -> None:
    """Beyond the queue's size, the sender gets queue_full: nothing was applied."""
    client = FakeOutbox("a")
    for n in range(5):
        hub.submit(client, f'{{"type": "stop", "id": "s{n}"}}')
    [error] = client.frames()
    assert (error["code"], error["command_id"]) == ("queue_full", "s4")
    assert len(queue) == 4


@pytest.mark.parametrize(
    "body",
    [b'{"type":"tick_start","tick":3}', b'{"tick":3,"type":"tick_start"}', b'{"type":"x"}'],
)
def test_stamp_puts_seq_first_whatever_the_member_order(body: bytes) -> None:
    """The stamped message is the body plus `seq`, for any member order."""
    stamped = stamp(body, 41)
    assert stamped.startswith(b'{"seq":41,')
    assert orjson.loads(stamped) == {**orjson.loads(body), "seq": 41}


def test_stamp_of_an_empty_object() -> None:
    """An empty body still makes valid JSON."""
    assert orjson.loads(stamp(b"{}", 7)) == {"seq": 7}


def test_a_failed_simulation_answers_what_it_owed_and_everything_after(
    hub: Hub, queue: CommandQueue
) -> None:
    """fail(): the error is broadcast, each unanswered command gets one error reply,
    answered ones get nothing more, and later commands are refused at once."""
    client, watcher = FakeOutbox("a"), FakeOutbox("w")
    hub.join(client)
    hub.join(watcher)
    for n in range(3):
        hub.submit(client, f'{{"type": "stop", "id": "s{n}"}}')
    first = queue.get(timeout=0)
    assert first is not None
    hub.deliver(
        [
            EventItem(
                ack := CommandAckEvent(command_type="stop", command_id="s0", tick=0),
                to_json(ack),
                "a",
                first.ticket,
            )
        ]
    )
    hub.fail("the simulation failed: boom")
    errors = [f for f in client.frames() if f["type"] == "error"]
    assert sorted(e["command_id"] for e in errors if "command_id" in e) == ["s1", "s2"]
    assert [f["message"] for f in watcher.frames()[1:]] == ["the simulation failed: boom"]
    assert len(queue) == 0 and hub.outstanding == {}
    hub.submit(client, '{"type": "stop", "id": "late"}')
    assert client.frames()[-1]["code"] == "simulation_error"
    assert client.frames()[-1]["command_id"] == "late"


def test_joiners_at_one_seq_share_one_serialised_snapshot(hub: Hub) -> None:
    """One serialisation per seq, however many join; a broadcast makes a new one."""
    hub.deliver([broadcast(AgentAddedEvent, tick=0, agent_id="x", agent_kind="k", data={})])
    first = hub.snapshot()
    assert hub.snapshot() is first
    a, b = FakeOutbox("a"), FakeOutbox("b")
    hub.join(a)
    hub.join(b)
    assert [s["connection_id"] for s in (a.frames()[0], b.frames()[0])] == ["a", "b"]
    assert a.frames()[0]["agents"] == b.frames()[0]["agents"]
    hub.deliver([broadcast(TickStartEvent, tick=1)])
    assert hub.snapshot() is not first
    assert orjson.loads(hub.snapshot())["seq"] == 2


def test_the_snapshot_is_a_valid_snapshot_event(hub: Hub) -> None:
    """What orjson writes straight from the mirror is what the schema describes."""
    hub.deliver(
        [broadcast(AgentAddedEvent, tick=0, agent_id="x", agent_kind="k", data={"n": [1, 2.5]})]
    )
    client = FakeOutbox("a")
    hub.join(client)
    snapshot = SnapshotEvent.model_validate_json(client.snapshots[0])
    assert snapshot.connection_id == "a" and snapshot.agents[0].data == {"n": [1, 2.5]}


def test_a_command_the_simulation_does_not_handle_is_unsupported(queue: CommandQueue) -> None:
    """A schema'd command outside `supported`: one unsupported_command naming the
    simulation and what it supports; nothing queued. The snapshot lists `supported`, and
    the commands the server answers itself."""
    hub = Hub(
        queue,
        clock=time.monotonic,
        supported=["start", "stop"],
        simulation_name="the simulation orbit:create",
    )
    client = FakeOutbox("a")
    hub.join(client)
    assert client.frames()[0]["commands"] == ["cancel", "start", "stop", "subscribe"]
    hub.submit(client, '{"type": "pause", "id": "p"}')
    error = client.frames()[-1]
    assert (error["code"], error["command_id"], error["command_type"]) == (
        "unsupported_command",
        "p",
        "pause",
    )
    assert (
        "orbit:create does not support pause; it supports cancel, start, stop, subscribe"
        in (error["message"])
    )
    assert len(queue) == 0


def ticks(hub: Hub, first: int, last: int) -> None:
    hub.deliver([broadcast(TickStartEvent, tick=t) for t in range(first, last + 1)])


def test_a_resume_replays_exactly_the_missed_frames_byte_for_byte(hub: Hub) -> None:
    """`resumed` first, then seq + 1 .. the last, the same bytes the connected client got,
    then the live stream with no gap and no duplicate."""
    stayed = FakeOutbox("stayed")
    hub.join(stayed)
    ticks(hub, 1, 6)
    back = FakeOutbox("back")
    assert hub.join(back, f"{hub.epoch}:2") == f"resumed {hub.epoch}:2 (4 events)"
    ticks(hub, 7, 8)
    resumed, *rest = back.frames()
    assert resumed == {
        "type": "resumed",
        "epoch": hub.epoch,
        "seq": 2,
        "connection_id": "back",
        "role": "controller",
        "capabilities": hub.capabilities,
        "protocol_version": hub.catalog.protocol_version,
        "schema_hash": hub.catalog.schema_hash,
        "replayed": 4,
    }
    stayed_after_2 = [m for burst in stayed.flushed[1:] for m in burst][2:]
    assert [m for burst in back.flushed for m in burst][1:] == stayed_after_2
    assert [f["seq"] for f in rest] == [3, 4, 5, 6, 7, 8]
    assert back.snapshots == []


def test_a_resume_at_the_current_seq_replays_nothing(hub: Hub) -> None:
    ticks(hub, 1, 3)
    back = FakeOutbox("back")
    hub.join(back, f"{hub.epoch}:3")
    [resumed] = back.frames()
    assert (resumed["type"], resumed["replayed"]) == ("resumed", 0)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("not-a-resume", "invalid"),
        ("EPOCH:-1", "invalid"),
        ("EPOCH:1e3", "invalid"),
        (":5", "invalid"),
        ("another-run:2", "epoch_changed"),
        ("EPOCH:9", "ahead"),
        ("EPOCH:1", "too_old"),
    ],
)
def test_a_resume_that_cannot_be_honoured_gets_the_snapshot_with_its_reason(
    queue: CommandQueue, value: str, reason: str
) -> None:
    """Never an error, never a close: the snapshot, with `resume` saying why."""
    hub = Hub(queue, clock=time.monotonic, history=History(3, 1_000_000, 60.0))
    ticks(hub, 1, 6)  # the history holds 4..6: resuming at 3 works, at 1 does not
    client = FakeOutbox("c")
    value = value.replace("EPOCH", hub.epoch)
    assert hub.join(client, value) == f"snapshot ({reason})"
    [snapshot] = client.frames()
    SnapshotEvent.model_validate(snapshot)
    assert snapshot["resume"] == {"requested": value, "reason": reason}
    assert snapshot["seq"] == 6
    assert hub.join(FakeOutbox("d"), f"{hub.epoch}:3").startswith("resumed")


def test_a_refused_resume_echoes_at_most_128_characters(hub: Hub) -> None:
    client = FakeOutbox("c")
    hub.join(client, "x" * 5000)
    assert client.frames()[0]["resume"] == {"requested": "x" * 128, "reason": "invalid"}


def test_a_replay_larger_than_the_snapshot_is_a_snapshot_instead(queue: CommandQueue) -> None:
    """Many events about a small world: the snapshot is fewer bytes, so it is sent."""
    hub = Hub(queue, clock=time.monotonic)
    hub.deliver([broadcast(AgentAddedEvent, tick=0, agent_id="a", agent_kind="k", data={})])
    padding = "x" * 200
    for tick in range(200):  # ~50 KB of updates to one agent
        hub.deliver([broadcast(AgentUpdateEvent, tick=tick, agent_id="a", data={"p": padding})])
    assert hub.history.size_after(1) > SMALL_REPLAY > len(hub.snapshot())
    client = FakeOutbox("c")
    assert hub.join(client, f"{hub.epoch}:1") == "snapshot (snapshot_smaller)"
    near = FakeOutbox("near")  # a few events behind: the replay is the smaller one
    assert hub.join(near, f"{hub.epoch}:{hub.seq - 3}").startswith("resumed")


def test_replies_are_not_part_of_the_history(hub: Hub) -> None:
    ticks(hub, 1, 2)
    hub.deliver([reply("a", CommandAckEvent(command_type="stop", command_id="c1", tick=0))])
    assert hub.history.stats(0.0).events == 2 and hub.seq == 2


def world(hub: Hub) -> None:
    """Two trucks and a car, then a tick that moves each."""
    hub.deliver(
        [
            broadcast(AgentAddedEvent, tick=0, agent_id=a, agent_kind=k, data={})
            for a, k in (("t1", "truck"), ("c1", "car"), ("t2", "truck"))
        ]
    )
    hub.deliver(
        [broadcast(TickStartEvent, tick=1)]
        + [
            broadcast(AgentUpdateEvent, tick=1, agent_id=a, data={"x": 1})
            for a in ("t1", "c1", "t2")
        ]
    )


def test_subscribe_is_answered_by_the_hub_even_for_a_viewer_and_states_its_seq(
    hub: Hub, queue: CommandQueue
) -> None:
    """Not queued to the simulation; the ack's result is the seq it starts after and the
    agents it covers; later events follow it, keeping their global seq."""
    world(hub)
    viewer = FakeOutbox("v", role="viewer")
    hub.join(viewer)
    hub.submit(viewer, '{"type": "subscribe", "id": "s", "agent_kinds": ["truck"]}')
    assert len(queue) == 0
    ack = viewer.frames()[-1]
    assert ack["type"] == "command_ack" and ack["command_id"] == "s"
    assert ack["result"]["seq"] == hub.seq == 7
    assert [a["agent_id"] for a in ack["result"]["agents"]] == ["t1", "t2"]
    CommandAckEvent.model_validate(ack)
    world_tick = [broadcast(TickStartEvent, tick=2)] + [
        broadcast(AgentUpdateEvent, tick=2, agent_id=a, data={"x": 2}) for a in ("t1", "c1", "t2")
    ]
    hub.deliver(world_tick)
    after = viewer.frames()[viewer.frames().index(ack) + 1 :]
    assert [(f["seq"], f.get("agent_id")) for f in after] == [(8, None), (9, "t1"), (11, "t2")]
    hub.submit(viewer, '{"type": "subscribe"}')  # everything again: a plain client
    hub.deliver([broadcast(AgentUpdateEvent, tick=2, agent_id="c1", data={})])
    assert viewer.frames()[-1]["agent_id"] == "c1" and viewer.shaping is None


def test_a_connect_time_subscription_shapes_the_snapshot_and_the_replay(hub: Hub) -> None:
    world(hub)
    late = FakeOutbox("late")
    hub.join(late, subscription=hub.subscription_of('{"agent_ids": ["c1"], "batch": true}'))
    [snapshot] = late.frames()
    assert [a["agent_id"] for a in snapshot["agents"]] == ["c1"]
    SnapshotEvent.model_validate(snapshot)
    back = FakeOutbox("back")
    hub.join(back, f"{hub.epoch}:3", hub.subscription_of('{"agent_kinds": ["car"]}'))
    resumed, *replay = back.frames()
    assert resumed["type"] == "resumed"
    assert [(f["seq"], f.get("agent_id")) for f in replay] == [(4, None), (6, "c1")]
    hub.deliver([broadcast(TickEndEvent, tick=1)])
    [batch] = late.frames()[1:]
    assert batch["type"] == "batch" and [e["seq"] for e in batch["events"]] == [8]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "must be a JSON object"),
        ('{"max_rate": 0}', "max_rate"),
        ('{"batch": "yes"}', "batch"),
        ("{not json", "not valid JSON"),
        ('{"type": "stop"}', "must be a JSON object of subscribe's members"),
    ],
)
def test_a_wrong_connect_time_subscription_is_a_typed_error(
    hub: Hub, text: str, message: str
) -> None:
    with pytest.raises(ProtocolError) as raised:
        hub.subscription_of(text)
    assert message in str(raised.value) or message in str(raised.value.details)


def test_batched_clients_share_one_batch_frame_and_a_reply_splits_it_in_order(
    hub: Hub,
) -> None:
    """Clients that take whole bursts batched get the same bytes object (joined once);
    a reply to one of them mid-burst comes after the events before it, before the rest."""
    first, second = FakeOutbox("a"), FakeOutbox("b")
    for client in (first, second):
        hub.join(client, subscription=hub.subscription_of('{"batch": true}'))
    hub.deliver([broadcast(TickStartEvent, tick=1), broadcast(TickEndEvent, tick=1)])
    assert first.flushed[-1][0] is second.flushed[-1][0]
    ack = CommandAckEvent(command_type="stop", tick=1)
    hub.deliver(
        [
            broadcast(TickStartEvent, tick=2),
            reply("a", ack),
            broadcast(TickEndEvent, tick=2),
        ]
    )
    kinds = [(f["type"], [e["seq"] for e in f.get("events", [])]) for f in first.frames()[-3:]]
    assert kinds == [("batch", [3]), ("command_ack", []), ("batch", [4])]
    assert [e["seq"] for e in second.frames()[-1]["events"]] == [3, 4]


def test_listeners_hear_each_burst_that_broadcast_and_remote_senders_get_replies_only(
    queue: CommandQueue,
) -> None:
    """on_broadcast fires once per burst with broadcasts (never for a reply alone); an
    attached remote sender gets its reply and no broadcast, and detaches."""
    hub = Hub(queue, clock=time.monotonic)
    bursts: list[int] = []
    hub.on_broadcast(lambda: bursts.append(hub.seq))
    remote = FakeOutbox("gw-1")
    hub.attach_remote(remote)
    hub.deliver([broadcast(TickStartEvent, tick=1), broadcast(TickStartEvent, tick=2)])
    hub.deliver([reply("gw-1", CommandAckEvent(command_type="stop", command_id="c", tick=2))])
    assert bursts == [2]
    assert [f["type"] for f in remote.frames()] == ["command_ack"]
    hub.detach_remote("gw-1")
    hub.deliver([reply("gw-1", CommandAckEvent(command_type="stop", command_id="d", tick=2))])
    assert len(remote.frames()) == 1


def test_close_all_closes_every_connection(hub: Hub) -> None:
    """close_all: each client closed with the code; the count returned."""
    clients = [FakeOutbox(f"c{n}") for n in range(3)]
    for client in clients:
        hub.join(client)
    assert hub.close_all(1012, "restart") == 3
    assert [c.closed for c in clients] == [(1012, "restart")] * 3


def test_cancel_marks_the_senders_own_queued_command_and_only_its_own(queue: CommandQueue) -> None:
    """cancel names a command of this connection by its id: the hub asks the jobs to
    cancel that ticket and acks; another connection's command, or an unknown id, is
    invalid_state; a hub with no jobs of its own (a gateway) refuses rather than drop it."""
    cancelled: list[int] = []

    class Jobs:
        def running(self) -> None:
            return None

        def cancel(self, ticket: int) -> None:
            cancelled.append(ticket)

    hub = Hub(queue, clock=time.monotonic, jobs=Jobs())
    a, b = FakeOutbox("a"), FakeOutbox("b")
    hub.join(a)
    hub.join(b)
    hub.submit(a, '{"type": "stop", "id": "s"}')
    [ticket] = hub.outstanding
    hub.submit(b, '{"type": "cancel", "id": "c1", "command_id": "s"}')
    assert b.frames()[-1]["code"] == "invalid_state"
    hub.submit(a, '{"type": "cancel", "id": "c2", "command_id": "nope"}')
    assert a.frames()[-1]["code"] == "invalid_state"
    assert cancelled == []
    hub.submit(a, '{"type": "cancel", "id": "c3", "command_id": "s"}')
    assert a.frames()[-1] == {
        "type": "command_ack",
        "command_type": "cancel",
        "tick": 0,
        "command_id": "c3",
    }
    assert cancelled == [ticket]

    gateway = Hub(CommandQueue(4), clock=time.monotonic)
    c = FakeOutbox("c")
    gateway.join(c)
    gateway.submit(c, '{"type": "stop", "id": "s"}')
    gateway.submit(c, '{"type": "cancel", "id": "c4", "command_id": "s"}')
    assert c.frames()[-1]["code"] == "unsupported_command"
