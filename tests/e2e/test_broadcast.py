"""Fan-out, ordering, snapshots, slow consumers, abrupt peers, tick timing and shutdown."""

from __future__ import annotations

import asyncio
import signal
import socket
import struct
import subprocess
import time
from typing import Any

import psutil
import pytest
import websockets

from spine_ws.generated import COMMAND_MODELS, PROTOCOL_VERSION
from tests.support.net import raw_peer
from tests.support.server import ROOT, SPINE_WS, Client, close_reading, connect, run_server

pytestmark = pytest.mark.anyio


def broadcasts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if "seq" in e and e["type"] != "snapshot"]


async def drain(client: Client) -> None:
    """Read until the connection closes (which raises ConnectionClosed)."""
    while True:
        await client.recv()


async def collect_until_tick(client: Client, tick: int) -> None:
    while True:
        event = await client.recv()
        if event["type"] == "tick_end" and event["tick"] >= tick:
            return


async def test_two_clients_see_the_same_events_in_the_same_order() -> None:
    """Every client receives every broadcast, identical and in order, seq without gaps."""
    with run_server("--tick-rate", "100", "--seed-agents", "5") as server:
        a, b = await connect(server), await connect(server)
        assert a.snapshot["seq"] == b.snapshot["seq"]
        await a.command({"type": "start"})
        await asyncio.gather(collect_until_tick(a, 50), collect_until_tick(b, 50))
        stream_a, stream_b = broadcasts(a.seen), broadcasts(b.seen)
        common = min(len(stream_a), len(stream_b))
        assert common > 300
        assert stream_a[:common] == stream_b[:common]
        seqs = [e["seq"] for e in stream_a]
        assert seqs == list(range(a.snapshot["seq"] + 1, a.snapshot["seq"] + 1 + len(seqs)))
        await close_reading(a)
        await close_reading(b)


async def test_snapshot_and_stream_are_gapless_for_a_client_joining_mid_stream() -> None:
    """A client joining while ticks run at 100/s gets snapshot seq N, then exactly N+1, N+2…"""
    # The watcher is the reference, so it must get every event: while the test attends to
    # the joiners it reads nothing, and a client half its send queue behind is coalesced.
    roomy = ("--send-queue-bytes", str(64 << 20))
    with run_server("--tick-rate", "100", "--seed-agents", "10", "--autostart", *roomy) as server:
        watcher = await connect(server)
        await collect_until_tick(watcher, watcher.snapshot["simulation"]["tick"] + 20)
        for _ in range(5):
            late = await connect(server)
            first = await late.recv()
            assert first["seq"] == late.snapshot["seq"] + 1
            # The snapshot equals what the watcher knew after event `seq`.
            await collect_until_tick(watcher, first["tick"] + 1)
            known = {e["seq"]: e for e in broadcasts(watcher.seen)}
            assert known[first["seq"]] == first
            # Each agent's last update at or before the snapshot's seq, in one pass.
            last: dict[str, Any] = {}
            for event in known.values():
                if event["type"] == "agent_update" and event["seq"] <= late.snapshot["seq"]:
                    last[event["agent_id"]] = event["data"]
            agents = {a["agent_id"]: a["data"] for a in late.snapshot["agents"]}
            for agent_id, data in agents.items():
                if agent_id in last:
                    assert last[agent_id] == data
            await close_reading(late)
        await close_reading(watcher)


async def test_a_client_that_stops_reading_is_closed_and_the_others_are_unaffected() -> None:
    """A stalled client is coalesced, then closed (1008, then aborted) once what cannot be
    coalesced (the ticks) passes its limits; 10 others get every tick; RSS bounded."""
    flags = (
        "--tick-rate",
        "50",
        "--seed-agents",
        "20",
        "--send-queue-messages",
        "512",
        "--send-queue-bytes",
        "65536",
        "--slow-close-timeout",
        "0.5",
    )
    with run_server(*flags) as server:
        rss = psutil.Process(server.process.pid)
        healthy = [await connect(server) for _ in range(10)]
        controller = healthy[0]
        padding = "p" * 1000
        for n in range(1, 21):
            reply = await controller.command(
                {"type": "modify_agent", "agent_id": f"agent-{n}", "agent_data": {"pad": padding}}
            )
            assert reply["type"] == "command_ack"
        before = rss.memory_info().rss
        stalled = raw_peer(server.port)
        await asyncio.sleep(0.2)
        assert server.health()["connections"] == 11
        await controller.command({"type": "start"})
        deadline = time.monotonic() + 20
        # Healthy clients must keep up: each round reads up to the server's current tick
        # (reading one tick a round fell behind by the ticks each blocking health() took).
        while (health := server.health())["connections"] > 10 and time.monotonic() < deadline:
            now = health["simulation"]["tick"]
            await asyncio.gather(*(collect_until_tick(c, now) for c in healthy))
        assert server.health()["connections"] == 10, "the stalled client was not dropped"
        assert "slow consumer" in server.output()
        last = server.health()["simulation"]["tick"] + 20
        await asyncio.gather(*(collect_until_tick(c, last) for c in healthy))
        for client in healthy:
            ticks = [e["tick"] for e in client.seen if e["type"] == "tick_start"]
            assert ticks == list(range(1, len(ticks) + 1)), "a healthy client missed a tick"
        growth = rss.memory_info().rss - before
        assert growth < 64 * 1024 * 1024, f"server RSS grew by {growth} bytes"
        stalled.close()
        for client in healthy:
            await close_reading(client)


async def test_abrupt_disconnects_release_every_connection() -> None:
    """200 clients that vanish with a TCP reset leave /health at 0 connections."""
    # All 200 come from 127.0.0.1: lift the per-address cap (100) above them.
    with run_server("--max-connections-per-address", "200") as server:
        peers: list[socket.socket] = []
        try:
            peers.extend(raw_peer(server.port) for _ in range(200))
            assert server.health()["connections"] == 200
        finally:
            for sock in peers:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                sock.close()  # linger 0: the kernel sends RST, no close frame
        deadline = time.monotonic() + 10
        while server.health()["connections"] and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert server.health()["connections"] == 0


async def test_the_tick_rate_holds_within_five_percent() -> None:
    """At 30 ticks/s the server produces 30 ± 5 % ticks per second, measured over 3 s."""
    with run_server("--tick-rate", "30", "--seed-agents", "20", "--autostart") as server:
        client = await connect(server)
        first = await client.next("tick_start")
        started = time.monotonic()
        while time.monotonic() - started < 3.0:
            last = await client.next("tick_start")
        rate = (last["tick"] - first["tick"]) / (time.monotonic() - started)
        assert 28.5 <= rate <= 31.5, rate
        await close_reading(client)


async def test_connections_beyond_the_limit_are_closed_with_1013() -> None:
    """The connection after max_connections is told to come back later (1013)."""
    with run_server("--max-connections", "2") as server:
        kept = [await connect(server), await connect(server)]
        async with websockets.connect(server.ws_url) as extra:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(extra.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        for client in kept:
            await close_reading(client)


async def test_sigterm_closes_clients_with_going_away_and_exits_zero() -> None:
    """SIGTERM during traffic: clients see 1001/1012 and the process exits 0 within 5 s."""
    with run_server("--tick-rate", "100", "--autostart") as server:
        clients = [await connect(server) for _ in range(5)]
        await collect_until_tick(clients[0], 5)
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        codes = []
        for client in clients:
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await drain(client)
            assert closed.value.rcvd is not None
            codes.append(closed.value.rcvd.code)
        assert set(codes) <= {1001, 1012}, codes
        assert server.process.wait(timeout=5) == 0
        assert time.monotonic() - started < 5


def serve_and_fail(*flags: str) -> str:
    """Run `spine-ws serve` expecting a start-up failure: exit 2, one line, no traceback."""
    result = subprocess.run(
        [str(SPINE_WS), "serve", "--port", "0", *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "listening on http" not in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("spine-ws:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def test_a_simulation_missing_lifecycle_handlers_is_refused_at_start_up() -> None:
    """A plugged simulation without the lifecycle handlers stops the server, naming the
    simulation and the types, in one line, before it listens."""
    line = serve_and_fail("--simulation", "tests.e2e.sims:lifeless")
    assert "simulation tests.e2e.sims:lifeless" in line
    assert "no handler for lifecycle command(s) start, pause, resume, set_tick_rate" in line


async def test_a_command_the_simulation_does_not_handle_is_unsupported() -> None:
    """The snapshot and /health list what the simulation handles; anything else of the
    protocol is `unsupported_command`, naming the simulation, and changes nothing."""
    with run_server("--simulation", "tests.e2e.sims:incomplete") as server:
        client = await connect(server)
        # The lifecycle, and cancel and subscribe: the server answers them itself.
        lifecycle = ["cancel", "pause", "resume", "set_tick_rate", "start", "stop", "subscribe"]
        assert client.snapshot["commands"] == server.health()["commands"] == lifecycle
        reply = await client.command({"type": "add_agent", "agent_id": "a", "agent_kind": "k"})
        assert reply["code"] == "unsupported_command" and reply["command_type"] == "add_agent"
        assert "tests.e2e.sims:incomplete" in reply["message"]
        assert (await client.command({"type": "start"}))["type"] == "command_ack"
        unknown = await client.command({"type": "warp"})
        assert unknown["code"] == "unknown_command"
        await close_reading(client)


def test_a_simulation_that_cannot_be_imported_is_one_line() -> None:
    """A missing module is named, not a traceback."""
    line = serve_and_fail("--simulation", "no_such_module_here:create")
    assert "cannot import 'no_such_module_here'" in line


def test_a_port_in_use_is_one_line() -> None:
    """Another listener on the port: exit 2, saying so."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        line = serve_and_fail("--port", str(taken.getsockname()[1]))
    assert "cannot listen on 127.0.0.1" in line and "in use" in line


async def test_health_reports_connections_and_the_simulation() -> None:
    """/health counts open connections and mirrors the simulation's state."""
    with run_server() as server:
        health = server.health()
        assert health["connections"] == 0 and health["simulation"]["status"] == "stopped"
        client = await connect(server)
        assert server.health()["connections"] == 1
        assert health["schema_hash"] == client.snapshot["schema_hash"]
        await client.command({"type": "start", "tick_rate": 12})
        simulation = server.health()["simulation"]
        assert simulation["status"] == "running" and simulation["tick_rate"] == 12
        await close_reading(client)
        assert health["protocol_version"] == PROTOCOL_VERSION
        # Every command but the playback ones (a server that plays recordings lists them).
        listed = sorted(c for c in COMMAND_MODELS if not c.startswith("playback."))
        assert health["commands"] == client.snapshot["commands"] == listed


async def test_the_log_says_which_transport_serves_ws(transport: str) -> None:
    """One line at start-up names the /ws transport, and clients are served on it."""
    with run_server() as server:
        client = await connect(server)
        assert client.snapshot["type"] == "snapshot"
        await close_reading(client)
        deadline = time.monotonic() + 5
        while f"/ws transport: {transport} (" not in server.output():
            assert time.monotonic() < deadline, server.output()
            await asyncio.sleep(0.05)
        assert "refusing a connection" not in server.output()
