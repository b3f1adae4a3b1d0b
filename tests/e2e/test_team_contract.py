"""A team's own contract, declared in its schema tree: Route-Sim's envelope
(`envelope.json`: action/params/request_id in, signal/data out) and dotted messages of
its own (`map.create`, `map.created`), generated with `spine-ws gen` and served by a real
server with no flag, to raw WebSocket clients and to a TypeScript frontend written in
that envelope against the generated types (tests/e2e/envelopes/routesim)."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from spine_ws.codegen.contract import load_contract
from spine_ws.generated import SUBPROTOCOL
from tests.support.server import ROOT, SPINE_WS, Server, close_reading, run_server

pytestmark = pytest.mark.anyio

TREE = Path(__file__).with_name("envelopes") / "routesim"
TS = ROOT / "clients/ts"
TSC = TS / "node_modules/.bin/tsc"
# What the frontend's code resolves: the client as built here, ws and the Node types.
LINKED = {
    "@spine-ws/client": TS,
    "ws": TS / "node_modules/ws",
    "@types/ws": TS / "node_modules/@types/ws",
    "@types/node": TS / "node_modules/@types/node",
    "undici-types": TS / "node_modules/undici-types",
}
TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "module": "NodeNext",
        "moduleResolution": "NodeNext",
        "lib": ["ES2022", "DOM"],
        "types": ["node"],
        "strict": True,
        "skipLibCheck": True,
        "outDir": "dist",
        "rootDir": ".",
    },
}


def _run(args: list[str | Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=180
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The team's repository, generated: `spine-ws gen --python-out routesim_protocol
    --ts-out web/protocol`, and its web folder linked to the client as built here."""
    root = tmp_path_factory.mktemp("routesim")
    shutil.copytree(TREE / "schema", root / "schema")
    shutil.copytree(TREE / "web", root / "web")
    shutil.copy(TREE / "sim.py", root / "sim.py")
    generated = _run(
        [
            SPINE_WS,
            "gen",
            "--python-out",
            "routesim_protocol",
            "--ts-out",
            "web/protocol",
            "--ts-project",
            TS,
        ],
        root,
    )
    assert generated.returncode == 0, generated.stderr
    web = root / "web"
    (web / "package.json").write_text('{"private": true, "type": "module"}\n')
    for name, target in LINKED.items():
        link = web / "node_modules" / name
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target, target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def server(project: Path) -> Iterator[Server]:
    """The team's simulation on its generated catalog: no --envelope flag."""
    env = {"PYTHONPATH": str(project), "PATH": os.environ["PATH"]}
    with run_server("--simulation", "sim:create", cwd=project, env=env) as s:
        yield s


def test_dotted_names_generate_readable_classes_and_the_envelope_is_in_the_contract(
    project: Path,
) -> None:
    """map.create -> MapCreateCommand (no title written); the envelope is in the
    generated catalog and in the schema hash."""
    models = (project / "routesim_protocol/models.py").read_text()
    for name in ("MapCreateCommand", "MapCreatedEvent", "MapCreateResult"):
        assert f"class {name}(BaseModel)" in models
    declared = json.loads((TREE / "schema/envelope.json").read_text())
    probe = _run(
        [
            sys.executable,
            "-c",
            "import json, routesim_protocol as p; "
            "print(json.dumps([p.ENVELOPE, p.SCHEMA_HASH, p.CATALOG.envelope.name]))",
        ],
        project,
    )
    assert probe.returncode == 0, probe.stderr
    envelope, schema_hash, name = json.loads(probe.stdout)
    assert envelope == declared and name == "routesim"
    contract = load_contract().extend(TREE / "schema")
    assert schema_hash == contract.schema_hash
    bare = load_contract().extend(project / "schema")  # the same tree...
    assert bare.schema_hash == schema_hash
    (project / "schema/envelope.json").rename(project / "envelope.json")
    try:  # ...without its envelope is another contract
        assert load_contract().extend(project / "schema").schema_hash != schema_hash
    finally:
        (project / "envelope.json").rename(project / "schema/envelope.json")


async def read(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = orjson.loads(await asyncio.wait_for(ws.recv(), 5))
    return message


async def call(ws: ClientConnection, message: dict[str, Any]) -> dict[str, Any]:
    """Send; the reply: the next frame carrying the request's id."""
    await ws.send(json.dumps(message))
    while True:
        reply = await read(ws)
        if "request_id" in reply:
            return reply


async def test_the_trees_envelope_is_spoken_with_no_flag(server: Server) -> None:
    """A client naming no subprotocol speaks Route-Sim's envelope: dotted commands of the
    team's own, their result and broadcast under their names, errors pointing into the
    message as sent, the core's lifecycle under the team's names."""
    async with websockets.connect(server.ws_url, open_timeout=5) as ws:
        assert ws.subprotocol is None
        first = await read(ws)
        # seq beside the members (event.seq), which are the message's own.
        assert first["signal"] == "snapshot" and set(first) == {"signal", "data", "seq"}
        assert "seq" not in first["data"]
        assert {"agent.create", "map.create", "simulation.start"} <= set(first["data"]["commands"])
        await ws.send(
            json.dumps({"action": "map.create", "params": {"size": 3}, "request_id": "m1"})
        )
        made: dict[str, Any] | None = None
        while True:
            frame = await read(ws)
            if frame["signal"] == "map.created":
                made = frame
            if frame.get("request_id") == "m1" and frame["signal"] != "progress":
                break
        assert made is not None and made["data"]["size"] == 3 and len(made["data"]["nodes"]) == 9
        assert frame == {
            "signal": "command.done",
            "data": {"command_type": "map.create", "tick": 0, "result": {"nodes": 9, "edges": 12}},
            "request_id": "m1",
        }
        bad = await call(ws, {"action": "map.create", "params": {"size": 1}, "request_id": 7})
        assert bad["signal"] == "error" and bad["request_id"] == 7
        assert bad["data"]["code"] == "invalid_message"
        assert [d["path"] for d in bad["data"]["details"]] == ["/params/size"]
        typo = await call(ws, {"action": "map.craete", "params": {}, "request_id": "t"})
        assert typo["data"]["code"] == "unknown_command"
        # agent.describe is answered by name (replies): its result is the message.
        ask = {"action": "agent.create", "params": {"agent_id": "v", "agent_kind": "van"}}
        assert (await call(ws, {**ask, "request_id": "a"}))["signal"] == "command.done"
        ask = {"action": "agent.describe", "params": {"agent_id": "v"}, "request_id": "d"}
        described = await call(ws, ask)
        assert described == {
            "signal": "agent.described",
            "data": {"agent_id": "v", "agent_kind": "van", "data": {}},
            "request_id": "d",
        }
        for action in ("simulation.start", "simulation.pause", "simulation.stop"):
            done = await call(ws, {"action": action, "params": {}, "request_id": action})
            assert done["signal"] == "command.done", done
            assert done["data"]["command_type"] == action
        await close_reading(ws)


async def test_a_subscription_names_the_teams_events(server: Server) -> None:
    """subscribe's event_types in the team's names: agent.created (the core's
    agent_added) arrives, tick.end does not, while the simulation ticks."""
    async with websockets.connect(server.ws_url, open_timeout=5) as ws:
        await read(ws)
        start = {"action": "simulation.start", "params": {}, "request_id": "go"}
        assert (await call(ws, start))["signal"] == "command.done"
        subscribe = {
            "action": "subscribe",
            "params": {"event_types": ["agent.created"]},
            "request_id": "s",
        }
        assert (await call(ws, subscribe))["signal"] == "command.done"
        create = {
            "action": "agent.create",
            "params": {"agent_id": "bus-1", "agent_kind": "bus"},
            "request_id": "c",
        }
        await ws.send(json.dumps(create))
        signals = []
        while (frame := await read(ws)).get("request_id") != "c":
            signals.append(frame["signal"])
        assert signals == ["agent.created"]
        stop = {"action": "simulation.stop", "params": {}, "request_id": "halt"}
        assert (await call(ws, stop))["signal"] == "command.done"
        await close_reading(ws)


async def test_a_spine_client_sees_the_dotted_names_as_types(server: Server) -> None:
    """spine.v1 beside the envelope: the team's own messages keep their dotted names as
    `type`, and the ack names the command."""
    async with websockets.connect(
        server.ws_url, subprotocols=[Subprotocol(SUBPROTOCOL)], open_timeout=5
    ) as ws:
        snapshot = await read(ws)
        assert snapshot["type"] == "snapshot" and "map.create" in snapshot["commands"]
        await ws.send(json.dumps({"type": "map.create", "id": "s1", "size": 2}))
        while (frame := await read(ws))["type"] != "command_ack":
            pass
        assert frame["command_type"] == "map.create" and frame["result"]["nodes"] == 4
        await ws.send(json.dumps({"type": "subscribe", "id": "s2", "event_types": ["map.created"]}))
        while (frame := await read(ws)).get("command_id") != "s2":
            pass
        assert frame["type"] == "command_ack", frame
        await close_reading(ws)


def test_the_contract_endpoints_carry_the_envelope(server: Server) -> None:
    """/schemas lists and serves envelope.json; /asyncapi shapes messages in it."""
    index = httpx.get(f"{server.http_url}/schemas", timeout=5).json()
    assert "envelope.json" in index["schemas"]
    served = httpx.get(f"{server.http_url}/schemas/envelope.json", timeout=5).json()
    assert served == json.loads((TREE / "schema/envelope.json").read_text())
    document = httpx.get(f"{server.http_url}/asyncapi", timeout=5).json()
    create = document["components"]["messages"]["agent.create"]
    assert create["correlationId"] == {"location": "$message.payload#/request_id"}
    payload = create["payload"]
    assert payload["required"] == ["action", "params"]
    assert payload["properties"]["action"] == {"const": "agent.create"}
    messages = document["components"]["messages"]
    done = messages["command.done"]["payload"]
    assert set(done["properties"]) == {"signal", "data", "request_id"}
    # A command answered by name: that message is its result, with the request's id.
    described = messages["agent.described"]["payload"]
    assert described["properties"]["data"]["required"] == ["agent_id", "agent_kind", "data"]
    operation = document["operations"]["receive_agent.describe"]["reply"]["messages"]
    assert [m["$ref"].rsplit("/", 1)[1] for m in operation] == ["agent.described", "error"]
    # seq beside the members.
    tick = messages["tick.end"]["payload"]
    assert "seq" in tick["properties"] and "seq" not in tick["properties"]["data"]["properties"]


def test_a_frontend_in_the_envelope_compiles_and_talks(project: Path, server: Server) -> None:
    """drive.ts, written in Route-Sim's envelope against the generated types, compiles
    and runs against the server: results typed per action, errors with their code."""
    web = project / "web"
    (web / "tsconfig.json").write_text(
        json.dumps({**TSCONFIG, "include": ["drive.ts", "protocol"]})
    )
    compiled = _run([TSC, "-p", "tsconfig.json"], web)
    assert compiled.returncode == 0, compiled.stdout
    ran = _run(["node", "dist/drive.js", server.ws_url], web)
    assert ran.returncode == 0, ran.stderr
    seen = json.loads(ran.stdout)
    assert seen == {
        "nodes": 9,
        "edges": 12,
        "size": 3,
        "kind": "van",
        "refused": "agent_not_found",
        "seen": ["map.created:9", "agent.created:van-1"],
        "frame": "tick.end",
    }


def test_a_misspelled_action_or_member_fails_to_compile(project: Path) -> None:
    """misspelled.ts names `agent.craete` and a member map.create lacks: tsc refuses both."""
    web = project / "web"
    (web / "tsconfig.misspelled.json").write_text(
        json.dumps({**TSCONFIG, "include": ["misspelled.ts", "protocol"]})
    )
    compiled = _run([TSC, "-p", "tsconfig.misspelled.json", "--noEmit"], web)
    assert compiled.returncode != 0
    errors = [line for line in compiled.stdout.splitlines() if "error TS" in line]
    assert any("misspelled.ts(7," in e and '"agent.craete"' in e for e in errors), errors
    assert any("misspelled.ts(8," in e and "colour" in e for e in errors), errors
    assert len(errors) == 2, errors


# Long-running commands and large payloads (x-spine-long-running, x-spine-max-bytes).


async def spine(server: Server, *protocols: str) -> ClientConnection:
    ws = await websockets.connect(
        server.ws_url,
        subprotocols=[Subprotocol(p) for p in protocols or (SUBPROTOCOL,)],
        open_timeout=5,
        max_size=None,
    )
    await read(ws)  # the snapshot
    return ws


async def until_reply(
    ws: ClientConnection, command_id: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The reply to `command_id`, and the progress events before it."""
    progress: list[dict[str, Any]] = []
    while True:
        frame = await read(ws)
        if frame.get("command_id") != command_id:
            continue
        if frame["type"] != "progress":
            return frame, progress
        progress.append(frame)


async def test_a_long_command_reports_progress_then_replies_once(server: Server) -> None:
    """map.create: progress events to its sender, carrying its id, up to 1; then one ack."""
    ws = await spine(server)
    await ws.send(json.dumps({"type": "map.create", "id": "m1", "size": 12}))
    reply, progress = await until_reply(ws, "m1")
    assert reply["type"] == "command_ack" and reply["result"] == {"nodes": 144, "edges": 264}
    fractions = [p["fraction"] for p in progress]
    assert len(fractions) >= 2 and fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {p["command_type"] for p in progress} == {"map.create"}
    assert progress[-1]["message"] == "row 12 of 12"
    await close_reading(ws)


async def test_others_are_answered_busy_and_a_cancel_ends_it(server: Server) -> None:
    """While map.create runs, another command is busy at once and /health says busy with
    the command; cancel is acked, and map.create's one reply is `cancelled`."""
    ws = await spine(server)
    await ws.send(json.dumps({"type": "map.create", "id": "big", "size": 64}))
    while (await read(ws)).get("type") != "progress":
        pass
    await ws.send(json.dumps({"type": "describe_agent", "id": "d", "agent_id": "x"}))
    busy, _ = await until_reply(ws, "d")
    assert busy["code"] == "busy" and "map.create is at work" in busy["message"]
    health = server.health()
    assert health["status"] == "busy" and health["detail"].startswith("map.create at work")
    await ws.send(json.dumps({"type": "cancel", "id": "c", "command_id": "big"}))
    acked, _ = await until_reply(ws, "c")
    assert acked["type"] == "command_ack" and acked["command_type"] == "cancel"
    cancelled, _ = await until_reply(ws, "big")
    assert cancelled["type"] == "error" and cancelled["code"] == "cancelled"
    unknown = {"type": "cancel", "id": "c2", "command_id": "big"}
    await ws.send(json.dumps(unknown))
    assert (await until_reply(ws, "c2"))[0]["code"] == "invalid_state"
    await ws.send(json.dumps({"type": "describe_agent", "id": "d2", "agent_id": "x"}))
    assert (await until_reply(ws, "d2"))[0]["code"] == "agent_not_found"
    assert server.health()["status"] == "ok"
    await close_reading(ws)


async def test_a_long_command_that_refuses_ticks_is_refused_while_running(
    server: Server,
) -> None:
    ws = await spine(server)
    await ws.send(json.dumps({"type": "start", "id": "go"}))
    assert (await until_reply(ws, "go"))[0]["type"] == "command_ack"
    await ws.send(json.dumps({"type": "map.create", "id": "m", "size": 2}))
    refused, progress = await until_reply(ws, "m")
    assert refused["code"] == "invalid_state" and progress == []
    await ws.send(json.dumps({"type": "stop", "id": "halt"}))
    await until_reply(ws, "halt")
    await close_reading(ws)


async def test_ticks_keep_their_promise_while_a_survey_works(server: Server) -> None:
    """world.survey lets ticks continue: tick_end frames keep coming while it works, and
    a command sent meanwhile waits its turn (queue), answered after the survey (here
    agent_not_found: the order is the point)."""
    ws = await spine(server)
    await ws.send(json.dumps({"type": "start", "id": "go", "tick_rate": 50}))
    await until_reply(ws, "go")
    await ws.send(json.dumps({"type": "world.survey", "id": "s", "steps": 25}))
    await ws.send(json.dumps({"type": "describe_agent", "id": "d", "agent_id": "truck-1"}))
    ticks_meanwhile, order = 0, list[tuple[str, dict[str, Any]]]()
    while len(order) < 2:
        frame = await read(ws)
        if frame["type"] == "tick_end" and not order:
            ticks_meanwhile += 1
        if frame.get("command_id") in ("s", "d") and frame["type"] != "progress":
            order.append((frame["command_id"], frame))
    assert [name for name, _ in order] == ["s", "d"]
    survey = order[0][1]
    assert survey["result"]["ticks"] >= 10, survey  # 0.5 s at 50 ticks/s
    assert ticks_meanwhile >= 10
    await ws.send(json.dumps({"type": "stop", "id": "halt"}))
    await until_reply(ws, "halt")
    await close_reading(ws)


async def test_progress_and_cancel_in_the_teams_envelope(server: Server) -> None:
    """In the envelope, progress comes as a signal with the request's id, and cancel
    names the command by the request_id the client sent."""
    async with websockets.connect(server.ws_url, open_timeout=5) as ws:
        await read(ws)
        create = {"action": "map.create", "params": {"size": 64}, "request_id": "m-uuid"}
        await ws.send(json.dumps(create))
        while (progress := await read(ws))["signal"] != "progress":
            pass
        assert progress["request_id"] == "m-uuid"
        assert progress["data"]["command_type"] == "map.create"
        cancel = {"action": "cancel", "params": {"command_id": "m-uuid"}, "request_id": "c"}
        await ws.send(json.dumps(cancel))
        replies: dict[str, dict[str, Any]] = {}
        while len(replies) < 2:
            frame = await read(ws)
            if frame["signal"] != "progress" and "request_id" in frame:
                replies[frame["request_id"]] = frame
        assert replies["c"]["signal"] == "command.done"
        assert replies["m-uuid"]["signal"] == "error"
        assert replies["m-uuid"]["data"]["code"] == "cancelled"
        await close_reading(ws)


async def test_progress_and_cancel_in_jsonrpc(server: Server) -> None:
    """JSON-RPC: progress is a `progress` notification with the request's id; cancel
    takes the request's id; the cancelled request gets its one error response."""
    ws = await spine(server, f"{SUBPROTOCOL}.jsonrpc")
    call = {"jsonrpc": "2.0", "method": "map.create", "params": {"size": 64}, "id": 41}
    await ws.send(json.dumps(call))
    while (note := await read(ws)).get("method") != "progress":
        pass
    assert note["params"]["id"] == 41 and 0 < note["params"]["fraction"] <= 1
    cancel = {"jsonrpc": "2.0", "method": "cancel", "params": {"command_id": 41}, "id": 42}
    await ws.send(json.dumps(cancel))
    responses: dict[int, dict[str, Any]] = {}
    while len(responses) < 2:
        frame = await read(ws)
        if "id" in frame and "method" not in frame:
            responses[frame["id"]] = frame
    assert responses[42]["result"] is None
    assert responses[41]["error"]["data"]["code"] == "cancelled"
    await close_reading(ws)


async def send_until_closed(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))
    while True:
        await read(ws)


async def test_a_command_may_raise_its_own_size_limit(server: Server) -> None:
    """map.import declares 4 MiB: a 2 MiB one is applied; any other command over the
    server's 64 KiB, and a map.import over 4 MiB, close the connection 1009."""
    content = base64.b64encode(bytes(1536 * 1024)).decode()  # 2 MiB of base64
    ws = await spine(server)
    await ws.send(
        json.dumps({"type": "map.import", "id": "i", "filename": "a.smap", "file_content": content})
    )
    reply, _ = await until_reply(ws, "i")
    assert reply["type"] == "command_ack" and reply["result"] == {"bytes": 1536 * 1024}
    await close_reading(ws)
    for too_big in (
        {"type": "add_agent", "agent_id": "a", "agent_kind": "k", "agent_data": {"pad": content}},
        {"type": "map.import", "filename": "b", "file_content": content * 3},
    ):
        ws = await spine(server)
        with pytest.raises(websockets.ConnectionClosed):  # in the send, if it is cut short
            await send_until_closed(ws, too_big)
        assert ws.close_code == 1009
