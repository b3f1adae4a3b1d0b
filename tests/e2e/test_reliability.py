"""Real faults over a real socket: a dead simulation, a stalled one."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from tests.e2e.harness import Server, connect, run_server

pytestmark = pytest.mark.anyio


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
        assert all("not applied" in replies[i]["message"] for i in ids)

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
        await client.close()
        await watcher.close()


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
        await client.close()
