"""Every command's happy path and every error a client can provoke, over a real socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.server import Server, close_reading, connect, run_server

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """One server for the tests that leave it stopped with its two seed agents."""
    with run_server("--seed-agents", "2") as server:
        yield server


async def test_lifecycle_happy_path(server: Server) -> None:
    """start, pause, resume, set_tick_rate and stop are acked and broadcast their state."""
    client = await connect(server)
    assert client.snapshot["simulation"]["status"] == "stopped"
    steps: list[tuple[dict[str, Any], str]] = [
        ({"type": "start", "tick_rate": 50}, "running"),
        ({"type": "pause"}, "paused"),
        ({"type": "resume"}, "running"),
        ({"type": "stop"}, "stopped"),
    ]
    for command, status in steps:
        await client.ws.send(json.dumps({"id": command["type"], **command}))
        state = await client.next("simulation_state", "error")
        assert state["type"] == "simulation_state" and state["status"] == status
        ack = await client.next("command_ack", "error")
        assert ack == {
            "type": "command_ack",
            "command_type": command["type"],
            "command_id": command["type"],
            "tick": ack["tick"],
        }
    reply = await client.command({"type": "set_tick_rate", "tick_rate": 7.5})
    assert reply["type"] == "command_ack"
    assert [e for e in client.seen if e["type"] == "simulation_state"][-1]["tick_rate"] == 7.5
    assert server.health()["simulation"] == {
        "status": "stopped",
        "tick": reply["tick"],
        "tick_rate": 7.5,
    }
    await close_reading(client)


async def test_stop_while_stopped_is_acked_and_changes_nothing(server: Server) -> None:
    """A stop in the stopped state is acked without a simulation_state broadcast."""
    client = await connect(server)
    reply = await client.command({"type": "stop"})
    assert reply["type"] == "command_ack"
    assert not [e for e in client.seen if e["type"] == "simulation_state"]
    await close_reading(client)


async def test_agent_commands_broadcast_before_the_ack(server: Server) -> None:
    """add/modify/delete broadcast their effect to the sender before its command_ack."""
    client = await connect(server)
    await client.ws.send(
        json.dumps(
            {
                "type": "add_agent",
                "id": "a",
                "agent_id": "bob",
                "agent_kind": "cat",
                "agent_data": {"x": 5, "colour": "red"},
            }
        )
    )
    added = await client.next("agent_added", "command_ack", "error")
    assert added["type"] == "agent_added" and added["agent_id"] == "bob"
    assert added["data"]["x"] == 5 and added["data"]["colour"] == "red"
    assert {"y", "vx", "vy"} <= added["data"].keys()
    assert (await client.next("command_ack", "error"))["command_id"] == "a"

    await client.ws.send(
        json.dumps(
            {
                "type": "modify_agent",
                "id": "m",
                "agent_id": "bob",
                "agent_data": {"colour": "blue", "x": 50},
            }
        )
    )
    update = await client.next("agent_update", "command_ack", "error")
    assert update["type"] == "agent_update"
    assert update["data"]["colour"] == "blue" and update["data"]["x"] == 50
    assert (await client.next("command_ack", "error"))["command_id"] == "m"

    await client.ws.send(json.dumps({"type": "delete_agent", "id": "d", "agent_id": "bob"}))
    removed = await client.next("agent_removed", "command_ack", "error")
    assert removed == {**removed, "type": "agent_removed", "agent_id": "bob"}
    assert (await client.next("command_ack", "error"))["command_id"] == "d"
    await close_reading(client)


@pytest.mark.parametrize(
    ("frame", "code", "command_type"),
    [
        ("{not json", "invalid_json", None),
        ("NaN", "invalid_json", None),
        ('{"type": "set_tick_rate", "id": "e", "tick_rate": 1e400}', "invalid_json", None),
        ("[1, 2]", "invalid_message", None),
        ('{"id": "e"}', "invalid_message", None),
        ('{"type": "warp", "id": "e"}', "unknown_command", None),
        ('{"type": "start", "id": "e", "tick_rate": "30"}', "invalid_message", "start"),
        ('{"type": "start", "id": "e", "tick_rate": null}', "invalid_message", "start"),
        (
            '{"type": "set_tick_rate", "id": "e", "tick_rate": 101}',
            "invalid_message",
            "set_tick_rate",
        ),
        ('{"type": "stop", "id": "e", "extra": 1}', "invalid_message", "stop"),
        ('{"type": "pause", "id": "e"}', "invalid_state", "pause"),
        ('{"type": "resume", "id": "e"}', "invalid_state", "resume"),
        (
            '{"type": "delete_agent", "id": "e", "agent_id": "ghost"}',
            "agent_not_found",
            "delete_agent",
        ),
        (
            '{"type": "modify_agent", "id": "e", "agent_id": "ghost", "agent_data": {"a": 1}}',
            "agent_not_found",
            "modify_agent",
        ),
        (
            '{"type": "add_agent", "id": "e", "agent_id": "agent-1", "agent_kind": "k"}',
            "agent_exists",
            "add_agent",
        ),
        (
            '{"type": "add_agent", "id": "e", "agent_id": "z", "agent_kind": "k", '
            '"agent_data": {"x": "far"}}',
            "invalid_message",
            "add_agent",
        ),
    ],
)
async def test_bad_frames_get_one_typed_error_and_the_connection_stays(
    server: Server, frame: str, code: str, command_type: str | None
) -> None:
    """Each bad frame gets exactly one error with its code; a valid command still works."""
    client = await connect(server)
    await client.send_raw(frame)
    error = await client.next("error", "command_ack")
    assert error["type"] == "error" and error["code"] == code, error
    assert error.get("command_type") == command_type
    if '"id": "e"' in frame and code != "invalid_json":
        assert error["command_id"] == "e"
    follow_up = await client.command({"type": "stop"})
    assert follow_up["type"] == "command_ack"
    assert [e["type"] for e in client.seen].count("error") == 1
    await close_reading(client)


async def test_schema_errors_point_at_the_offending_member(server: Server) -> None:
    """invalid_message details carry JSON Pointer paths into the message."""
    client = await connect(server)
    reply = await client.command(
        {"type": "add_agent", "agent_id": "has space", "agent_kind": 3, "extra/key": True}
    )
    paths = {d["path"] for d in reply["details"]}
    assert paths == {"/agent_id", "/agent_kind", "/extra~1key"}
    await close_reading(client)


async def test_binary_frame_is_an_invalid_message(server: Server) -> None:
    """A binary frame gets invalid_message and the connection stays usable."""
    client = await connect(server)
    await client.send_raw(b'{"type": "stop"}')
    error = await client.next("error")
    assert error["code"] == "invalid_message"
    assert (await client.command({"type": "stop"}))["type"] == "command_ack"
    await close_reading(client)


async def test_a_command_is_applied_at_the_next_loop_turn_not_the_next_tick() -> None:
    """At 0.1 ticks/s a command is still acked at once: commands wake the loop."""
    with run_server("--tick-rate", "0.1", "--autostart") as server:
        client = await connect(server)
        loop = asyncio.get_running_loop()
        started = loop.time()
        reply = await client.command({"type": "set_tick_rate", "tick_rate": 0.2})
        assert reply["type"] == "command_ack"
        assert loop.time() - started < 1.0
        await close_reading(client)


async def test_queue_full_is_reported_at_once() -> None:
    """With a one-slot queue and a slow simulation, excess commands get queue_full at once."""
    with run_server(
        "--simulation", "tests.e2e.sims:sluggish", "--command-queue-size", "1"
    ) as server:
        client = await connect(server)
        for n in range(6):
            await client.ws.send(
                json.dumps(
                    {"type": "add_agent", "id": f"q{n}", "agent_id": f"q{n}", "agent_kind": "k"}
                )
            )
        replies = [await client.reply_to(f"q{n}", timeout=10) for n in range(6)]
        codes = [r.get("code", "ack") for r in replies]
        assert "queue_full" in codes and "ack" in codes, codes
        assert set(codes) <= {"queue_full", "ack"}
        await close_reading(client)


async def test_rate_limit_refuses_excess_commands_without_applying_them() -> None:
    """Beyond the token bucket, commands get rate_limited and are not applied."""
    with run_server("--command-rate", "1", "--command-burst", "3") as server:
        client = await connect(server)
        for n in range(8):
            await client.ws.send(
                json.dumps(
                    {"type": "add_agent", "id": f"r{n}", "agent_id": f"r{n}", "agent_kind": "k"}
                )
            )
        replies = [await client.reply_to(f"r{n}") for n in range(8)]
        codes = [r.get("code", "ack") for r in replies]
        assert codes[:3] == ["ack"] * 3 and set(codes[3:]) == {"rate_limited"}, codes
        await asyncio.sleep(0.3)
        added = {a["agent_id"] for a in (await connect(server)).snapshot["agents"]}
        assert {"r0", "r1", "r2"} <= added and not added & {f"r{n}" for n in range(3, 8)}
        await close_reading(client)


async def test_limits_on_agents_and_agent_data() -> None:
    """max_agents and max_agent_data_bytes are reported as limit_exceeded."""
    with run_server(
        "--seed-agents", "1", "--max-agents", "1", "--max-agent-data-bytes", "64"
    ) as server:
        client = await connect(server)
        full = await client.command({"type": "add_agent", "agent_id": "b", "agent_kind": "k"})
        assert full["code"] == "limit_exceeded"
        big = await client.command(
            {"type": "modify_agent", "agent_id": "agent-1", "agent_data": {"pad": "x" * 100}}
        )
        assert big["code"] == "limit_exceeded"
        await close_reading(client)


async def test_simulation_faults_are_broadcast_and_the_loop_keeps_running() -> None:
    """A raising tick or handler is reported as simulation_error; ticks go on."""
    with run_server("--simulation", "tests.e2e.sims:faulty") as server:
        client = await connect(server)
        assert (await client.command({"type": "start"}))["type"] == "command_ack"
        fault = await client.next("error")
        assert fault["code"] == "simulation_error" and "seq" in fault
        reply = await client.command(
            {"type": "modify_agent", "agent_id": "agent-1", "agent_data": {"explode": True}}
        )
        assert reply["code"] == "simulation_error" and "seq" not in reply
        later = await client.next("tick_end")
        assert later["tick"] > fault["seq"] * 0
        assert server.health()["simulation"]["status"] == "running"
        assert "Traceback" in server.output() and "boom at tick" in server.output()
        await close_reading(client)


async def test_read_only_queries_return_typed_results(server: Server) -> None:
    """describe_agent and list_agents answer in the ack's `result`, validated against
    schema/results/, reading the writes the same client made before."""
    client = await connect(server)
    for n in range(3):
        added = await client.command(
            {
                "type": "add_agent",
                "agent_id": f"q{n}",
                "agent_kind": "probe",
                "agent_data": {"n": n},
            }
        )
        assert added["type"] == "command_ack" and "result" not in added
    described = await client.command({"type": "describe_agent", "agent_id": "q1"})
    assert described["result"]["agent_kind"] == "probe" and described["result"]["data"]["n"] == 1
    first = await client.command({"type": "list_agents", "agent_kind": "probe", "limit": 2})
    assert [a["agent_id"] for a in first["result"]["agents"]] == ["q0", "q1"]
    rest = await client.command(
        {"type": "list_agents", "agent_kind": "probe", "after": first["result"]["next"]}
    )
    assert [a["agent_id"] for a in rest["result"]["agents"]] == ["q2"]
    assert "next" not in rest["result"]
    missing = await client.command({"type": "describe_agent", "agent_id": "nobody"})
    assert missing["code"] == "agent_not_found"
    for n in range(3):
        await client.command({"type": "delete_agent", "agent_id": f"q{n}"})
    await close_reading(client)
