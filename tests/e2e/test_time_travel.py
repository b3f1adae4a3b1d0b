"""Time travel on a live server that records (`serve --record`): a connection seeks back
into the recorded past of its epoch, is sent the world a live joiner got there, plays on,
and rejoins the live stream by itself when it catches up, with no gap and no snapshot;
a pause freezes its view; `playback.live` brings it back with a snapshot of now. The
other connections are not affected."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests.e2e.test_replay import Viewer
from tests.support.server import Server, close_reading, run_server

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("recording")
    world = ("--seed-agents", "3", "--tick-rate", "50", "--autostart")
    with run_server(*world, "--record", str(folder), "--checkpoint-seconds", "0.3") as server:
        yield server


async def live(server: Server) -> tuple[Viewer, dict[str, Any], dict[str, Any]]:
    viewer = Viewer(await websockets.connect(server.ws_url, open_timeout=5, max_size=None))
    _, snapshot = await viewer.next()
    _, notice = await viewer.next()
    assert snapshot["type"] == "snapshot" and notice["type"] == "playback"
    return viewer, snapshot, notice


async def frames(viewer: Viewer, count: int) -> list[int]:
    seqs: list[int] = []
    while len(seqs) < count:
        _, event = await viewer.next()
        if "seq" in event:
            seqs.append(event["seq"])
    return seqs


def contiguous(seqs: list[int]) -> bool:
    return seqs == list(range(seqs[0], seqs[0] + len(seqs)))


async def test_a_live_connection_is_told_it_can_go_back(server: Server) -> None:
    viewer, snapshot, notice = await live(server)
    assert "playback" in snapshot["capabilities"]
    assert "playback.live" in snapshot["commands"] and snapshot["role"] == "controller"
    state = notice["state"]
    assert state["live"] and state["playing"] and state["first_seq"] <= snapshot["seq"]
    await close_reading(viewer.ws)


async def test_back_in_time_and_live_again_by_itself_with_no_gap(server: Server) -> None:
    traveller, _, _ = await live(server)
    other, _, _ = await live(server)
    await frames(traveller, 100)
    async with websockets.connect(server.ws_url, open_timeout=5) as joiner:
        then = json.loads(await asyncio.wait_for(joiner.recv(), 5))  # the world at its seq
        await close_reading(joiner)
    await frames(traveller, 300)
    reply, before = await traveller.command({"type": "playback.seek", "seq": then["seq"]})
    assert reply["type"] == "command_ack" and not reply["result"]["live"]
    (snapshot,) = [e for e in before if e["type"] == "snapshot"]
    for member in ("epoch", "seq", "simulation", "agents"):
        assert snapshot[member] == then[member], member
    # The others play on, live, unaffected.
    assert contiguous(await frames(other, 50))
    # Played on at 20x it catches up with the stream and rejoins it: one run of seqs.
    await traveller.command({"type": "playback.speed", "speed": 20})
    seqs: list[int] = [then["seq"]]
    notices: list[dict[str, Any]] = []
    while not notices or len(seqs) < 200:
        _, event = await traveller.next()
        if event["type"] == "playback":
            notices.append(event["state"])
        elif "seq" in event:
            assert event["type"] != "snapshot", "it rejoined with a snapshot"
            seqs.append(event["seq"])
    assert notices[-1]["live"] and contiguous(seqs), (notices, seqs[-5:], len(seqs))
    await close_reading(traveller.ws)
    await close_reading(other.ws)


async def test_a_pause_freezes_the_view_and_live_returns_with_a_snapshot(server: Server) -> None:
    viewer, _, _ = await live(server)
    await asyncio.sleep(1.5)  # a server just started has nothing on disk for a second
    await frames(viewer, 20)
    reply, _ = await viewer.command({"type": "playback.pause"})
    assert reply["type"] == "command_ack", reply
    assert not reply["result"]["live"] and not reply["result"]["playing"]
    paused_at = reply["result"]["seq"]
    with pytest.raises(TimeoutError):
        await viewer.next(timeout=0.4)  # nothing while paused
    reply, before = await viewer.command({"type": "playback.live"})
    assert reply["result"]["live"]
    (snapshot,) = [e for e in before if e["type"] == "snapshot"]
    assert snapshot["seq"] > paused_at
    after = await frames(viewer, 30)
    assert after[0] == snapshot["seq"] + 1 and contiguous(after)
    await close_reading(viewer.ws)


async def test_a_server_that_does_not_record_has_no_playback(tmp_path: Path) -> None:
    with run_server("--seed-agents", "1") as plain:
        async with websockets.connect(plain.ws_url, open_timeout=5) as ws:
            snapshot = json.loads(await ws.recv())
            assert "playback" not in snapshot["capabilities"]
            reply, _ = await Viewer(ws).command({"type": "playback.live"})
            assert reply["code"] == "unsupported_command"
            await close_reading(ws)
