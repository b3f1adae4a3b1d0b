"""A team's own contract, declared in its schema tree: Route-Sim's envelope
(`envelope.json`: action/params/request_id in, signal/data out) and dotted messages of
its own (`map.create`, `map.created`), generated with `spine-ws gen` and served by a real
server with no flag, to raw WebSocket clients and to a TypeScript frontend written in
that envelope against the generated types (tests/e2e/envelopes/routesim)."""

from __future__ import annotations

import asyncio
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
        assert first["signal"] == "snapshot" and set(first) == {"signal", "data"}
        assert {"agent.create", "map.create", "simulation.start"} <= set(first["data"]["commands"])
        await ws.send(
            json.dumps({"action": "map.create", "params": {"size": 3}, "request_id": "m1"})
        )
        made: dict[str, Any] | None = None
        while True:
            frame = await read(ws)
            if frame["signal"] == "map.created":
                made = frame
            if frame.get("request_id") == "m1":
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
    done = document["components"]["messages"]["command.done"]["payload"]
    assert set(done["properties"]) == {"signal", "data", "request_id"}


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
