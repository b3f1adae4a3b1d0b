"""The log of a real server, as its operator reads it: one format for ours and uvicorn's,
one line per connect and per disconnect, JSON lines with stable keys, no token."""

from __future__ import annotations

import json
import re
import time

import pytest
import websockets

from tests.support.server import Server, close_reading, connect, run_server

pytestmark = pytest.mark.anyio

TOKEN = "controller-token-0123456789abcdef"
# The two lines the CLI prints on stdout for humans (the bind verdict, the listening URL).
STDOUT = re.compile(r"^spine-ws(:| listening on) ")
TEXT_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) "
)


async def scripted_run(server: Server) -> str:
    """Connect, a command the simulation fails, a bad frame, a wrong query token, leave."""
    auth = {"additional_headers": {"Authorization": f"Bearer {TOKEN}"}}
    client = await connect(server, **auth)
    reply = await client.command(
        {"type": "modify_agent", "agent_id": "agent-1", "agent_data": {"explode": True}}
    )
    assert reply["code"] == "simulation_error"
    await client.send_raw("{broken")
    await client.next("error")
    with pytest.raises(websockets.InvalidStatus):
        await websockets.connect(f"{server.ws_url}?token=guessed-{TOKEN[::-1]}", open_timeout=5)
    await close_reading(client)
    connection_id: str = client.snapshot["connection_id"]
    return connection_id


def settled(server: Server, needle: str) -> list[str]:
    """The output once `needle` was logged (bounded wait), split into lines."""
    deadline = time.monotonic() + 5
    while needle not in server.output() and time.monotonic() < deadline:
        time.sleep(0.02)
    return server.output().splitlines()


async def test_json_lines_have_stable_keys_and_one_line_per_connect_and_disconnect() -> None:
    flags = ("--simulation", "tests.e2e.sims:faulty", "--log-format", "json")
    with run_server(*flags, env={"SPINE_WS_TOKENS": f"controller:{TOKEN}"}) as server:
        connection_id = await scripted_run(server)
        lines = settled(server, f'"disconnect {connection_id} ')
    records = []
    for line in lines:
        if STDOUT.match(line):
            continue
        records.append(json.loads(line))  # every other line is one JSON object
    assert records, "the server logged nothing"
    for record in records:
        assert list(record)[:4] == ["time", "level", "logger", "message"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", record["time"])
    assert any(r["logger"].startswith("uvicorn") for r in records), "uvicorn's lines too"
    mine = [r for r in records if r.get("connection_id") == connection_id]
    connects = [r for r in mine if r["message"].startswith("connect ")]
    disconnects = [r for r in mine if r["message"].startswith("disconnect ")]
    assert len(connects) == 1 and len(disconnects) == 1
    assert connects[0]["role"] == "controller" and connects[0]["address"] == "127.0.0.1"
    assert disconnects[0]["close_code"] == 1000
    assert re.search(r"after \d+\.\d s, \d+ messages, \d+ bytes", disconnects[0]["message"])
    [fault] = [r for r in records if r.get("command_type") == "modify_agent"]
    assert fault["error_code"] == "simulation_error" and "ZeroDivisionError" in fault["exception"]
    [refused] = [r for r in records if r["message"].startswith("refused a handshake")]
    assert refused["address"] == "127.0.0.1"
    text = "\n".join(lines)
    assert TOKEN not in text and TOKEN[::-1] not in text


async def test_text_lines_all_carry_a_timestamp_uvicorns_too() -> None:
    with run_server() as server:
        client = await connect(server)
        await close_reading(client)
        lines = settled(server, f"disconnect {client.snapshot['connection_id']} ")
    logged = [line for line in lines if not STDOUT.match(line)]
    assert any(" uvicorn.error " in line for line in logged)
    assert [line for line in logged if not TEXT_LINE.match(line)] == []
    assert len([line for line in logged if " connect " in line]) == 1
