"""Resume on a real server: `/ws?resume=<epoch>:<seq>` gives exactly the missed frames,
byte for byte what a client that never dropped got, or the snapshot and why not."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.support.server import Server, run_server, validate_event

# 1,000 agents at 100 ticks/s, three moving per tick: missed events are fewer bytes
# than a snapshot (tests/e2e/sims.py). The default world moves every agent every tick,
# so there a replay of more than a tick or so is larger than the snapshot it would save.
BUSY = ("--simulation", "tests.e2e.sims:sparse", "--max-connections-per-address", "1000")


@pytest.fixture(scope="module")
def busy() -> Iterator[Server]:
    with run_server(*BUSY) as server:
        yield server


async def _recv(ws: ClientConnection) -> bytes:
    frame = await asyncio.wait_for(ws.recv(decode=False), 5)
    assert isinstance(frame, bytes)
    return frame


async def _open(url: str, resume: str | None = None) -> tuple[ClientConnection, dict[str, Any]]:
    """A connection and its first frame (snapshot or resumed), validated."""
    ws = await websockets.connect(url + (f"?resume={resume}" if resume else ""), open_timeout=5)
    first = json.loads(await _recv(ws))
    validate_event(first)
    return ws, first


async def _until(ws: ClientConnection, seq: int, frames: dict[int, bytes]) -> None:
    """Read broadcast frames into `frames` (by seq) until `seq` has been seen."""
    while max(frames, default=0) < seq:
        raw = await _recv(ws)
        event = json.loads(raw)
        if "seq" in event:
            assert event["seq"] not in frames, f"seq {event['seq']} twice"
            frames[event["seq"]] = raw


async def _drop(ws: ClientConnection) -> None:
    """Cut the TCP connection, as a lost network does. (A clean close would wait behind
    the unread events: websockets' client stops reading when its queue is full.)"""
    ws.transport.abort()
    await ws.wait_closed()


def _consecutive(frames: dict[int, bytes], first: int, last: int) -> None:
    assert sorted(frames) == list(range(first, last + 1)), "a gap or an extra frame"


async def _drop_and_resume(url: str, pause: float, rng: random.Random | None = None) -> None:
    """A client that stayed, and one that drops, waits and resumes: after the resume
    point the two have the same frames, byte for byte, with no gap."""
    stayed, _ = await _open(url)
    reference: dict[int, bytes] = {}
    dropped, first = await _open(url)
    mine: dict[int, bytes] = {}
    await _until(dropped, first["seq"] + (rng.randint(1, 200) if rng else 50), mine)
    last = max(mine)
    await _drop(dropped)
    await asyncio.sleep(pause)
    back, resumed = await _open(url, f"{first['epoch']}:{last}")
    assert resumed["type"] == "resumed", resumed
    assert (resumed["epoch"], resumed["seq"]) == (first["epoch"], last)
    assert resumed["replayed"] > 0
    after: dict[int, bytes] = {}
    target = last + resumed["replayed"] + 100  # the replay, then live events
    await _until(back, target, after)
    await _until(stayed, target, reference)
    _consecutive(after, last + 1, max(after))
    assert {s: after[s] for s in range(last + 1, target + 1)} == {
        s: reference[s] for s in range(last + 1, target + 1)
    }
    for ws in (stayed, back):
        await _drop(ws)


def test_a_resumed_client_gets_the_same_bytes_as_one_that_stayed(busy: Server) -> None:
    asyncio.run(_drop_and_resume(busy.ws_url, pause=0.3))
    assert "resumed" in busy.output()  # the connect line says how the client started


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_drop_points_resume_without_gap_or_duplicate(busy: Server, seed: int) -> None:
    """Fuzz: several drops at random points and random pauses, each resumed exactly."""
    rng = random.Random(seed)

    async def main() -> None:
        for _ in range(3):
            await _drop_and_resume(busy.ws_url, pause=rng.uniform(0.0, 0.4), rng=rng)

    asyncio.run(main())


def test_many_clients_resuming_at_once_each_get_exactly_their_missed_frames(
    busy: Server,
) -> None:
    """200 clients that dropped at different seqs come back at the same moment."""

    async def main() -> None:
        stayed, first = await _open(busy.ws_url)
        reference: dict[int, bytes] = {}
        await _until(stayed, first["seq"] + 300, reference)
        rng = random.Random(7)
        points = [max(reference) - rng.randint(0, 290) for _ in range(200)]
        opened = await asyncio.gather(
            *(_open(busy.ws_url, f"{first['epoch']}:{seq}") for seq in points)
        )
        assert [(r["type"], r["seq"]) for _, r in opened] == [("resumed", s) for s in points]
        target = max(s + r["replayed"] for (_, r), s in zip(opened, points, strict=True))

        async def collect(ws: ClientConnection) -> dict[int, bytes]:
            frames: dict[int, bytes] = {}
            await _until(ws, target, frames)  # every client reads at once, as browsers do
            await _drop(ws)
            return frames

        seen = await asyncio.gather(*(collect(ws) for ws, _ in opened))
        await _until(stayed, target, reference)
        for frames, seq in zip(seen, points, strict=True):
            assert {s: frames[s] for s in range(seq + 1, target + 1)} == {
                s: reference[s] for s in range(seq + 1, target + 1)
            }
        await _drop(stayed)

    asyncio.run(main())


async def _refusal(url: str, resume: str) -> dict[str, Any]:
    ws, first = await _open(url, resume)
    await _drop(ws)
    assert first["type"] == "snapshot", first
    return first


@pytest.mark.parametrize(
    ("value", "reason"),
    [("garbage", "invalid"), ("{epoch}:-3", "invalid"), ("{epoch}:99999999999", "ahead")],
)
def test_a_bad_or_future_resume_gets_the_snapshot_and_why(
    busy: Server, value: str, reason: str
) -> None:
    epoch = busy.health()["epoch"]
    snapshot = asyncio.run(_refusal(busy.ws_url, value.format(epoch=epoch)))
    assert snapshot["resume"] == {"requested": value.format(epoch=epoch), "reason": reason}


def test_a_resume_across_a_restart_is_refused_as_epoch_changed() -> None:
    with run_server(*BUSY) as first:
        before = first.health()
    with run_server(*BUSY) as second:  # a restart: a new process, a new epoch
        snapshot = asyncio.run(_refusal(second.ws_url, f"{before['epoch']}:{before['seq']}"))
    assert snapshot["resume"]["reason"] == "epoch_changed"
    assert snapshot["epoch"] != before["epoch"]


def test_a_resume_older_than_a_small_history_is_refused_as_too_old() -> None:
    with run_server(*BUSY, "--history-events", "50") as server:

        async def main() -> dict[str, Any]:
            ws, first = await _open(server.ws_url)
            await _drop(ws)
            await asyncio.sleep(0.5)  # ~250 events at 100 ticks/s: more than 50
            return await _refusal(server.ws_url, f"{first['epoch']}:{first['seq']}")

        snapshot = asyncio.run(main())
        history = server.health()["history"]
    assert snapshot["resume"]["reason"] == "too_old"
    assert history["events"] == 50 and history["last_seq"] - history["first_seq"] == 49


def test_a_replay_larger_than_the_snapshot_sends_the_snapshot() -> None:
    """One agent, many ticks: after a second away the missed events outweigh the world."""
    with run_server("--tick-rate", "100", "--seed-agents", "1", "--autostart") as server:

        async def main() -> tuple[dict[str, Any], dict[str, Any]]:
            ws, first = await _open(server.ws_url)
            await _drop(ws)
            await asyncio.sleep(1.0)
            refused = await _refusal(server.ws_url, f"{first['epoch']}:{first['seq']}")
            near, _ = await _open(server.ws_url)  # now a few events back: resumed
            frames: dict[int, bytes] = {}
            await _until(near, refused["seq"] + 3, frames)
            await _drop(near)
            back, resumed = await _open(server.ws_url, f"{first['epoch']}:{refused['seq'] + 3}")
            await _drop(back)
            return refused, resumed

        refused, resumed = asyncio.run(main())
    assert refused["resume"]["reason"] == "snapshot_smaller"
    assert resumed["type"] == "resumed"


def test_health_reports_the_history(busy: Server) -> None:
    health = busy.health()  # one moment: the seq and the history agree
    history = health["history"]
    assert history["last_seq"] == health["seq"] > 0
    assert history["events"] == history["last_seq"] - history["first_seq"] + 1
    assert history["bytes"] > 0
