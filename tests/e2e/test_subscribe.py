"""Subscriptions, batches and coalescing over a real socket (issue 15)."""

from __future__ import annotations

import asyncio
import itertools
import json
import urllib.parse
from typing import Any

import pytest
import websockets

from tests.support.server import Client, Server, close_reading, connect, run_server, validate_event

pytestmark = pytest.mark.anyio

VIEWER, CONTROLLER = "viewer-token-0123456789abcdef", "controller-token-0123456789abcdef"
TOKENS = {"SPINE_WS_TOKENS": f"viewer:{VIEWER},controller:{CONTROLLER}"}


def bearer(token: str) -> dict[str, dict[str, str]]:
    return {"additional_headers": {"Authorization": f"Bearer {token}"}}


def subscribed(server: Server, members: dict[str, Any], extra: str = "") -> str:
    return f"{server.ws_url}?subscribe={urllib.parse.quote(json.dumps(members))}{extra}"


def unpacked(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The broadcast events of frames, batches opened."""
    out: list[dict[str, Any]] = []
    for frame in frames:
        if frame["type"] == "batch":
            for member in frame["events"]:
                validate_event(member)
            out += frame["events"]
        elif "seq" in frame and frame["type"] not in ("snapshot", "resumed"):
            out.append(frame)
    return out


async def add_trucks(controller: Client, *ids: str) -> None:
    for agent in ids:
        reply = await controller.command(
            {"type": "add_agent", "agent_id": agent, "agent_kind": "truck"}
        )
        assert reply["type"] == "command_ack"


async def test_a_viewer_subscribes_by_kind_with_batches_and_gets_only_those_agents() -> None:
    with run_server("--seed-agents", "6", "--autostart", "--tick-rate", "50", env=TOKENS) as server:
        controller = await connect(server, **bearer(CONTROLLER))
        await add_trucks(controller, "t1", "t2")
        viewer = await connect(server, **bearer(VIEWER))
        assert {"subscribe", "batch"} <= set(viewer.snapshot["capabilities"])
        ack = await viewer.command({"type": "subscribe", "agent_kinds": ["truck"], "batch": True})
        assert ack["type"] == "command_ack", ack
        assert sorted(a["agent_id"] for a in ack["result"]["agents"]) == ["t1", "t2"]
        start = ack["result"]["seq"]
        frames = [await viewer.recv() for _ in range(20)]
        assert {f["type"] for f in frames} == {"batch"}, "every broadcast in a batch"
        events = unpacked(frames)
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(seqs) and seqs[0] > start
        assert len(set(seqs)) == len(seqs)
        agents = {e["agent_id"] for e in events if e["type"] == "agent_update"}
        assert agents == {"t1", "t2"}, "only the trucks"
        assert {"tick_start", "tick_end"} <= {e["type"] for e in events}
        assert any(b - a > 1 for a, b in itertools.pairwise(seqs)), "gaps by design"
        # Anything else a viewer sends is still forbidden.
        assert (await viewer.command({"type": "pause"}))["code"] == "forbidden"
        await close_reading(viewer)
        await close_reading(controller)


async def test_a_connect_time_subscription_shapes_the_snapshot_and_the_resume() -> None:
    with run_server("--seed-agents", "4", "--autostart", "--tick-rate", "50") as server:
        controller = await connect(server)
        await add_trucks(controller, "t1")
        members = {"agent_ids": ["agent-2", "t1"], "event_types": ["agent_update"]}
        ws = await websockets.connect(subscribed(server, members), open_timeout=5)
        watcher = Client(ws)
        watcher.snapshot = await watcher.recv()
        assert sorted(a["agent_id"] for a in watcher.snapshot["agents"]) == ["agent-2", "t1"]
        seen = [await watcher.recv() for _ in range(30)]
        assert {e.get("agent_id") for e in seen if e["type"] == "agent_update"} == {"agent-2", "t1"}
        assert {e["type"] for e in seen} <= {"agent_update", "tick_start", "tick_end"}
        last = max(e["seq"] for e in seen)
        await close_reading(ws)
        resume = f"&resume={watcher.snapshot['epoch']}:{last}"
        ws = await websockets.connect(subscribed(server, members, resume), open_timeout=5)
        back = Client(ws)
        resumed = await back.recv()
        assert resumed["type"] == "resumed" and resumed["replayed"] > 0
        replay = [await back.recv() for _ in range(10)]
        assert replay[0]["seq"] > last
        assert {e.get("agent_id") for e in replay if e["type"] == "agent_update"} <= {
            "agent-2",
            "t1",
        }
        await close_reading(ws)
        await close_reading(controller)


async def test_a_wrong_connect_time_subscription_connects_and_is_told() -> None:
    with run_server("--seed-agents", "2") as server:
        ws = await websockets.connect(subscribed(server, {"max_rate": -1}), open_timeout=5)
        client = Client(ws)
        snapshot = await client.recv()
        assert snapshot["type"] == "snapshot" and len(snapshot["agents"]) == 2
        error = await client.recv()
        assert (error["type"], error["code"], error["command_type"]) == (
            "error",
            "invalid_message",
            "subscribe",
        )
        assert (await client.command({"type": "start"}))["type"] == "command_ack"
        await close_reading(ws)


async def test_max_rate_coalesces_updates_and_says_so() -> None:
    with run_server("--seed-agents", "20", "--autostart", "--tick-rate", "100") as server:
        ws = await websockets.connect(subscribed(server, {"max_rate": 4}), open_timeout=5)
        client = Client(ws)
        await client.recv()
        notices = []
        for _ in range(2000):
            frame = await client.recv()
            if frame["type"] == "skipped":
                notices.append(frame)
                if len(notices) == 3:
                    break
        assert notices and all(n["reason"] == "max_rate" for n in notices)
        # Four deliveries a second at 100 ticks a second: each agent's ~25 updates
        # come as one.
        assert notices[-1]["count"] >= 20 * 10
        await close_reading(ws)


@pytest.mark.fast_path  # ASGI cannot see (nor cap) the kernel's share of the queue
async def test_a_slow_reader_is_coalesced_not_shed_and_ends_current() -> None:
    """A client reading far slower than the stream: its queue passes the soft limit,
    updates coalesce, it is told (skipped, backpressure) and stays; once the world
    stops, what it ends with is the world as a fresh snapshot shows it."""
    flags = ("--seed-agents", "200", "--autostart", "--tick-rate", "100")
    limits = ("--send-queue-bytes", "65536", "--send-queue-messages", "512")
    with run_server(*flags, *limits) as server:
        slow = await websockets.connect(server.ws_url, open_timeout=5, max_queue=64)
        reader = Client(slow)
        view = {a["agent_id"]: a["data"] for a in (await reader.recv())["agents"]}
        notices: list[dict[str, Any]] = []
        ticks = 0
        stopped = False
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while loop.time() < deadline:
            try:
                frame = await reader.recv(timeout=1.0)
            except TimeoutError:
                if stopped:
                    break  # drained: nothing more comes
                continue
            if frame["type"] == "skipped":
                notices.append(frame)
            elif frame["type"] == "agent_update":
                view[frame["agent_id"]] = frame["data"]
            elif frame["type"] == "tick_end":
                ticks += 1
            if len(reader.seen) % 50 == 0:
                await asyncio.sleep(0.02)  # slow: a few thousand frames a second at most
            # Thinned a few times, over enough ticks to tell (a loaded machine ticks slower).
            if len(notices) >= 3 and ticks > 100 and not stopped:
                controller = await connect(server)
                assert (await controller.command({"type": "stop"}))["type"] == "command_ack"
                await close_reading(controller)
                stopped = True
        assert stopped, "never thinned"
        assert {n["reason"] for n in notices} == {"backpressure"}
        assert server.health()["connections"] == 1, "still connected: not shed"
        # Only agent updates were left out: every tick came, each once, in order.
        seen = [f["tick"] for f in reader.seen if f["type"] == "tick_end"]
        assert len(seen) > 100 and seen == list(range(seen[0], seen[0] + len(seen)))
        fresh = await connect(server)
        assert view == {a["agent_id"]: a["data"] for a in fresh.snapshot["agents"]}
        await close_reading(fresh)
        slow.transport.abort()
        await slow.wait_closed()


def broadcasts_around(
    seen: list[dict[str, Any]], ack: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The broadcast events (batches opened) received before and after the ack frame."""
    at = next(i for i, frame in enumerate(seen) if frame is ack)
    return unpacked(seen[:at]), unpacked(seen[at + 1 :])


async def test_each_filter_and_a_change_mid_stream_take_effect_at_the_acked_seq() -> None:
    """event_types alone, then agent_ids alone, then agent_kinds with event_types: every
    event after an ack's seq follows that subscription, every one before it the one
    before, and the ack comes between the two in the stream."""
    always = {"tick_start", "tick_end", "simulation_state", "error"}
    with run_server("--seed-agents", "4", "--autostart", "--tick-rate", "50") as server:
        controller = await connect(server)
        client = await connect(server)
        steps: list[tuple[dict[str, Any], Any]] = [
            ({"event_types": ["agent_added"]}, lambda e: e["type"] == "agent_added"),
            ({"agent_ids": ["agent-1"]}, lambda e: e.get("agent_id", "agent-1") == "agent-1"),
            (
                {"agent_kinds": ["truck"], "event_types": ["agent_update", "agent_removed"]},
                lambda e: (
                    e["type"] in ("agent_update", "agent_removed") and e["agent_id"].startswith("t")
                ),
            ),
        ]
        previous: Any = lambda e: True  # noqa: E731  (everything, before the first)
        for n, (members, follows) in enumerate(steps):
            ack = await client.command({"type": "subscribe", **members})
            assert ack["type"] == "command_ack", ack
            seq = ack["result"]["seq"]
            await add_trucks(controller, f"t{n}")
            for _ in range(20):  # a few ticks of the truck's updates
                await client.recv()
            remove = {"type": "delete_agent", "agent_id": f"t{n}"}
            assert (await controller.command(remove))["type"] == "command_ack"
            for _ in range(20):
                await client.recv()
            before, after = broadcasts_around(client.seen, ack)
            assert all(
                e["seq"] <= seq and previous(e) for e in before if e["type"] not in always
            ), n
            assert after and all(e["seq"] > seq for e in after), n
            strays = [e for e in after if e["type"] not in always and not follows(e)]
            assert not strays, (members, strays[:3])
            assert {e["type"] for e in after} & always, "time and state always pass"
            if n == 0:
                assert [e["agent_id"] for e in after if e["type"] == "agent_added"] == ["t0"]
            if n == 2:
                assert {e["type"] for e in after} >= {"agent_update", "agent_removed"}
            client.seen.clear()
            previous = follows
        await close_reading(client)
        await close_reading(controller)


async def test_batches_carry_the_same_events_as_one_frame_each() -> None:
    """A batched client and a plain one, side by side: over the seqs both saw, the same
    events, byte for byte once parsed, in the same order (commands' events included)."""
    with run_server("--seed-agents", "6", "--autostart", "--tick-rate", "50") as server:
        controller = await connect(server)
        plain = await connect(server)
        ws = await websockets.connect(subscribed(server, {"batch": True}), open_timeout=5)
        batched = Client(ws)
        batched.snapshot = await batched.recv()
        await add_trucks(controller, "t1")
        assert (await controller.command({"type": "set_tick_rate", "tick_rate": 40}))[
            "type"
        ] == "command_ack"
        for _ in range(60):
            await batched.recv()
        last = max(e["seq"] for e in unpacked(batched.seen))
        while not plain.seen or plain.seen[-1].get("seq", 0) < last:
            await plain.recv()
        first = max(plain.snapshot["seq"], batched.snapshot["seq"])
        window = [
            [e for e in unpacked(c.seen) if first < e["seq"] <= last] for c in (plain, batched)
        ]
        assert len(window[0]) > 100
        assert window[0] == window[1]
        assert {"agent_added", "simulation_state"} <= {e["type"] for e in window[1]}
        assert any(f["type"] == "batch" for f in batched.seen)
        assert not any(f["type"] == "batch" for f in plain.seen)
        for client in (controller, plain, batched):
            await close_reading(client)
