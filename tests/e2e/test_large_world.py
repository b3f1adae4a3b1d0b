"""Large worlds: a snapshot of megabytes reaches a slow-reading joiner, and a join storm
sheds nobody (5,000 agents x 1 KB: a 5 MB snapshot, five times the send-queue limit)."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from tests.support.server import Server, close_reading, run_server, validate_event

pytestmark = pytest.mark.anyio

CROWD = ("--simulation", "tests.e2e.sims:crowd")


async def join(server: Server, receive_buffer: int | None = None) -> ClientConnection:
    sock = socket.socket()
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect((server.host, server.port))
    return await websockets.connect(server.ws_url, sock=sock, max_size=None, open_timeout=10)


async def read_until_seq(ws: ClientConnection, seq: int, timeout: float = 20) -> list[Any]:
    """Broadcast events up to `seq`, checking there is no gap."""
    events: list[Any] = []
    deadline = time.monotonic() + timeout
    while not events or events[-1]["seq"] < seq:
        event = json.loads(await asyncio.wait_for(ws.recv(), deadline - time.monotonic()))
        if "seq" in event:
            if events:
                assert event["seq"] == events[-1]["seq"] + 1, "a gap in the stream"
            events.append(event)
    return events


async def test_a_snapshot_larger_than_the_send_queue_reaches_a_slow_reading_joiner() -> None:
    """5 MB of snapshot through a 64 KiB receive buffer, then the stream without a gap."""
    with run_server(*CROWD) as server:
        ws = await join(server, receive_buffer=64 * 1024)
        raw = await asyncio.wait_for(ws.recv(), 30)
        assert len(raw) > 5_000_000
        snapshot = json.loads(raw)
        validate_event(snapshot)
        assert snapshot["type"] == "snapshot" and len(snapshot["agents"]) == 5000
        first = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert first["seq"] == snapshot["seq"] + 1
        await read_until_seq(ws, first["seq"] + 200)
        assert "slow consumer" not in server.output()
        await close_reading(ws)


async def test_a_snapshot_over_the_ceiling_is_refused_with_a_reason() -> None:
    """Beyond --max-snapshot-bytes the joiner is closed 1009 'snapshot too large'."""
    with run_server(*CROWD, "--max-snapshot-bytes", str(1024 * 1024)) as server:
        ws = await join(server)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None
        assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1009, "snapshot too large")
        assert server.health()["status"] == "ok"


async def test_a_join_storm_sheds_nobody() -> None:
    """40 joiners at once into the 5,000-agent world while 5 readers keep up: every
    joiner gets its snapshot and the stream after it, and no reader misses an event."""
    with run_server(*CROWD) as server:
        readers = [await join(server) for _ in range(5)]
        starts = [json.loads(await r.recv())["seq"] for r in readers]
        stop = asyncio.Event()

        async def keep_up(ws: ClientConnection, after: int) -> int:
            last = after
            while not stop.is_set():
                event = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if "seq" in event:
                    assert event["seq"] == last + 1, f"a reader missed an event (from {after})"
                    last = event["seq"]
            return last

        reading = [asyncio.create_task(keep_up(r, s)) for r, s in zip(readers, starts, strict=True)]

        async def joiner() -> None:
            ws = await join(server)
            snapshot = json.loads(await asyncio.wait_for(ws.recv(), 60))
            assert len(snapshot["agents"]) == 5000
            await read_until_seq(ws, snapshot["seq"] + 20)
            await close_reading(ws)

        await asyncio.gather(*(joiner() for _ in range(40)))
        stop.set()
        await asyncio.gather(*reading)
        assert "slow consumer" not in server.output()
        assert server.health()["connections"] == 5
        for reader in readers:
            await close_reading(reader)
