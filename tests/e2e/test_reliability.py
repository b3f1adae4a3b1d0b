"""Real faults over a real socket: a dead simulation, a stalled one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time

import httpx
import pytest

from tests.support.net import drain, raw_peer
from tests.support.server import Client, Server, close_reading, connect, run_server

pytestmark = pytest.mark.anyio


async def read_for(client: Client, seconds: float) -> None:
    """Read (and forget) what the client is sent for `seconds`."""
    deadline = time.monotonic() + seconds
    with contextlib.suppress(TimeoutError):
        while (left := deadline - time.monotonic()) > 0:
            await client.recv(timeout=left)
    client.seen.clear()


def health(server: Server) -> httpx.Response:
    return httpx.get(f"{server.http_url}/health", timeout=5)


async def test_a_dead_simulation_answers_every_command_and_fails_health() -> None:
    """The thread dies (SystemExit in a handler): logged with its traceback, broadcast,
    every queued and later command answered once with an error, /health 503 failed."""
    with run_server("--simulation", "tests.e2e.sims:fragile") as server:
        client = await connect(server)
        watcher = await connect(server)
        agent = client.snapshot["agents"][0]["agent_id"]
        ids = [f"q{n}" for n in range(40)]
        die = {"type": "modify_agent", "id": "die", "agent_id": agent, "agent_data": {"exit": 1}}
        frames = [die, *({"type": "stop", "id": i} for i in ids)]
        for frame in frames:
            await client.send_raw(json.dumps(frame))
        replies = {i: await client.reply_to(i) for i in ["die", *ids]}
        assert all(r["type"] == "error" for r in replies.values()), replies
        assert {r["code"] for r in replies.values()} == {"simulation_error"}
        assert "partly applied" in replies["die"]["message"]
        # Queued before the failure was seen ("not applied"), or refused after it.
        assert all(re.search("not applied|nothing was applied", replies[i]["message"]) for i in ids)

        later = await client.command({"type": "stop"})
        assert later["code"] == "simulation_error" and "nothing was applied" in later["message"]
        announced = await watcher.next("error")
        assert "the simulation failed" in announced["message"] and "seq" in announced

        response = health(server)
        assert response.status_code == 503
        assert response.json()["status"] == "failed"
        assert "SystemExit" in response.json()["detail"]
        assert "Traceback" in server.output() and "the plug-in called sys.exit" in server.output()
        # Exactly one reply per command: a last command's reply comes after any duplicate.
        await client.command({"type": "stop"})
        answered = [
            e.get("command_id") for e in client.seen if e["type"] in ("error", "command_ack")
        ]
        assert sorted(c for c in answered if c in replies) == sorted(replies)
        await close_reading(client)
        await close_reading(watcher)


async def test_a_blocked_simulation_is_reported_stalled_and_keeps_its_commands() -> None:
    """A handler blocked past --stall-timeout: /health says stalled with the oldest
    command's age (still HTTP 200); once it returns, the queued commands are applied."""
    with run_server("--simulation", "tests.e2e.sims:fragile", "--stall-timeout", "0.5") as server:
        client = await connect(server)
        agent = client.snapshot["agents"][0]["agent_id"]
        block = {"type": "modify_agent", "id": "b", "agent_id": agent, "agent_data": {"block": 3}}
        await client.send_raw(json.dumps(block))
        await client.send_raw(json.dumps({"type": "stop", "id": "after"}))
        deadline = time.monotonic() + 5
        while (report := health(server).json())["status"] != "stalled":
            assert time.monotonic() < deadline, report
            await asyncio.sleep(0.1)
        assert health(server).status_code == 200
        assert report["oldest_command_age"] > 0.5
        assert (await client.reply_to("b", timeout=10))["type"] == "command_ack"
        assert (await client.reply_to("after", timeout=10))["type"] == "command_ack"
        assert health(server).json()["status"] == "ok"
        await close_reading(client)


async def test_a_peer_that_stops_reading_is_reaped_after_its_ping_times_out() -> None:
    """Traffic that fills the kernel's buffers but stays under the (raised) slow-consumer
    limits: the keepalive fails, the close cannot drain, and the connection is reset
    within ping interval + ping timeout + close timeout (plus slack)."""
    flags = (
        *("--autostart", "--tick-rate", "100", "--seed-agents", "200"),
        *("--send-queue-bytes", str(1 << 30), "--send-queue-messages", str(1 << 30)),
        *("--ping-interval", "1", "--ping-timeout", "1", "--close-timeout", "1"),
    )
    with run_server(*flags) as server:
        peer = raw_peer(server.port)
        try:
            started = time.monotonic()
            assert server.health()["connections"] == 1
            while server.health()["connections"] == 1:
                assert time.monotonic() - started < 1 + 1 + 1 + 1.5, "the stuck peer was kept"
                await asyncio.sleep(0.1)
            assert "did not complete" in server.output()
            with pytest.raises(ConnectionResetError):  # a reset, not an orderly close
                drain(peer)
        finally:
            peer.close()


async def test_a_tick_that_fails_every_time_is_logged_once_per_window() -> None:
    """50 ticks/s, every third one failing: clients get every error, the log one line
    (and one traceback) per 10 s window."""
    with run_server("--simulation", "tests.e2e.sims:faulty") as server:
        client = await connect(server)
        assert (await client.command({"type": "start"}))["type"] == "command_ack"
        errors = [await client.next("error", timeout=5) for _ in range(20)]
        assert all(e["code"] == "simulation_error" for e in errors)
        log = server.output()
        assert log.count("Traceback") == 1, log[-3000:]
        assert sum("failed" in line for line in log.splitlines() if "ERROR" in line) == 1
        await close_reading(client)


async def test_a_disconnect_is_logged_with_what_happened() -> None:
    """A peer that vanishes without a close frame is 1006, not 1005; a keepalive the
    server gave up on is its 1011."""
    with run_server("--ping-interval", "0.5", "--ping-timeout", "0.5") as server:
        vanished = raw_peer(server.port)
        vanished.close()
        silent = raw_peer(server.port)  # never answers the ping
        try:
            deadline = time.monotonic() + 10
            while server.health()["connections"]:
                assert time.monotonic() < deadline, server.output()
                await asyncio.sleep(0.1)
        finally:
            silent.close()
        codes = re.findall(r"disconnect \S+ \(code (\d+)\)", server.output())
        assert sorted(codes) == ["1006", "1011"], server.output()


async def test_a_reader_that_takes_nothing_while_coalesced_is_shed_within_the_grace() -> None:
    """20 agents of 3 KB at 100 ticks/s (6 MB/s offered) to a peer that never reads:
    coalescing would keep its backlog under the limits for half a minute; it takes no
    byte for --slow-consumer-grace, so it is closed (1008) within the grace (plus the
    time its kernel buffers take to fill)."""
    flags = ("--tick-rate", "100", "--seed-agents", "20", "--slow-consumer-grace", "2")
    with run_server(*flags) as server:
        controller = await connect(server)
        for n in range(1, 21):
            data = {"pad": "p" * 3000}
            command = {"type": "modify_agent", "agent_id": f"agent-{n}", "agent_data": data}
            assert (await controller.command(command))["type"] == "command_ack"
        dead = raw_peer(server.port)
        await controller.command({"type": "start"})
        started = time.monotonic()
        shed = re.compile(r"slow consumer, took nothing for \d")
        # The controller keeps reading throughout: it is not the one to shed.
        while not shed.search(server.output()) and time.monotonic() - started < 30:
            await read_for(controller, 0.1)
        took = time.monotonic() - started
        assert shed.search(server.output()), "the dead reader is still held"
        assert took < 10, f"shed after {took:.1f} s, not within the grace"
        closed = re.compile(r"disconnect \S+ \(code 1008\)")
        # The log line comes as the connection ends: read until it is there (bounded).
        while not closed.search(server.output()) and time.monotonic() - started < 60:
            await read_for(controller, 0.1)
        remaining = health(server).json()["connections"]
        dead.close()
        await close_reading(controller)
        assert closed.search(server.output())
        assert remaining == 1, "the controller alone"
