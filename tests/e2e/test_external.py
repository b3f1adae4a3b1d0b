"""A simulation in its own repository: its own schemas, `spine-ws gen`, the installed
server, a real WebSocket client and the published TS client.

The project (tests/e2e/external: a ring road with `set_speed_limit`, which returns a
result, and a `jam` event) is copied to a temporary folder outside the checkout, next
to a virtualenv with the project's wheel installed and a TypeScript project with the
packed `@spine-ws/client`, as its team would have them.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import websockets

from spine_ws.codegen.contract import load_contract
from spine_ws.generated import SCHEMA_HASH as CORE_HASH
from tests.support.server import ROOT, Server, run_server

PROJECT = Path(__file__).with_name("external")
TS = ROOT / "clients/ts"
# The TS project's dev dependencies, at the versions the client is tested with.
TS_DEPENDENCIES = ["json-schema-to-typescript", "typescript", "ws", "@types/node", "@types/ws"]
# What the ring road handles, and cancel and subscribe, which the server answers itself.
OWN_COMMANDS = [
    "cancel",
    "pause",
    "resume",
    "set_speed_limit",
    "set_tick_rate",
    "start",
    "stop",
    "subscribe",
]


def _run(
    args: list[str | Path], cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def project(wheel_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ring road's repository, generated: `spine-ws gen --python-out ringroad/protocol
    --ts-out web/src/protocol`, run from its root with the installed spine-ws."""
    root = tmp_path_factory.mktemp("ringroad")
    for part in ("schema", "ringroad", "web"):
        shutil.copytree(PROJECT / part, root / part)
    web = root / "web"
    packed = _run(["npm", "pack", "--silent", "--pack-destination", root], TS)
    assert packed.returncode == 0, packed.stderr
    versions = json.loads((TS / "package.json").read_text())["devDependencies"]
    installed = _run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            "--loglevel=error",
            next(root.glob("*.tgz")),
            *(f"{name}@{versions[name]}" for name in TS_DEPENDENCIES),
        ],
        web,
    )
    assert installed.returncode == 0, installed.stderr
    generated = _run(
        [
            wheel_venv / "bin/spine-ws",
            "gen",
            "--python-out",
            "ringroad/protocol",
            "--ts-out",
            "web/src/protocol",
        ],
        root,
    )
    assert generated.returncode == 0, generated.stderr
    return root


@pytest.fixture(scope="module")
def expected_hash(project: Path) -> str:
    """The hash over the core's schemas and the ring road's, computed here independently."""
    return load_contract().extend(project / "schema").schema_hash


def test_gen_writes_models_that_reuse_the_core_classes(
    project: Path, wheel_venv: Path, expected_hash: str
) -> None:
    """The generated package declares only the ring road's messages, imports the core's
    (one class each), and names the hash of both trees."""
    models = (project / "ringroad/protocol/models.py").read_text()
    assert "class SetSpeedLimitCommand(BaseModel)" in models
    assert "class JamEvent(BaseModel)" in models
    assert "class AddAgentCommand" not in models
    probe = _run(
        [
            wheel_venv / "bin/python",
            "-c",
            "import ringroad.protocol as p, spine_ws.generated as g; "
            "assert p.AddAgentCommand is g.AddAgentCommand; "
            "print(p.SCHEMA_HASH, sorted(p.RESULT_MODELS), p.CATALOG.name)",
        ],
        project,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.split() == [
        expected_hash,
        "['describe_agent',",
        "'list_agents',",
        "'playback.live',",
        "'playback.pause',",
        "'playback.play',",
        "'playback.seek',",
        "'playback.speed',",
        "'set_speed_limit',",
        "'subscribe']",
        "ringroad.protocol",
    ]
    assert expected_hash != CORE_HASH


def test_gen_check_passes_when_current_and_names_a_stale_file(
    project: Path, wheel_venv: Path
) -> None:
    """`spine-ws gen --check` in CI: 0 on the generated tree, 1 naming a stale file."""
    args: list[str | Path] = [
        wheel_venv / "bin/spine-ws",
        "gen",
        "--python-out",
        "ringroad/protocol",
    ]
    args += ["--ts-out", "web/src/protocol", "--check"]
    assert _run(args, project).returncode == 0
    stale = project / "ringroad/protocol/left_over.py"
    stale.write_text("# not generated\n")
    try:
        result = _run(args, project)
    finally:
        stale.unlink()
    assert result.returncode == 1
    assert "stale (no schema generates it): ringroad/protocol/left_over.py" in result.stderr
    assert "spine-ws gen" in result.stderr


def test_gen_refuses_a_schema_that_would_replace_the_cores(
    project: Path, wheel_venv: Path, tmp_path: Path
) -> None:
    """An extension adds messages; a file at a core path is one clear line and exit 2."""
    shutil.copytree(project / "schema", tmp_path / "schema")
    shutil.copy(ROOT / "schema/commands/start.json", tmp_path / "schema/commands/start.json")
    result = _run([wheel_venv / "bin/spine-ws", "gen", "--python-out", "out"], tmp_path, timeout=60)
    assert result.returncode == 2
    assert "commands/start.json would replace the core's" in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_generated_registrar_types_each_handlers_result(
    project: Path, wheel_venv: Path, tmp_path: Path
) -> None:
    """mypy accepts the ring road's handler and refuses one returning another result."""
    mypy = ROOT / ".venv/bin/mypy"
    args: list[str | Path] = [mypy, "--python-executable", wheel_venv / "bin/python"]
    args += ["--cache-dir", tmp_path / "cache", "--strict"]
    good = _run([*args, "ringroad/sim.py"], project)
    assert good.returncode == 0, good.stdout
    wrong = project / "ringroad/wrong.py"
    wrong.write_text(
        "from ringroad.protocol import Registrar, SetSpeedLimitCommand\n"
        "from spine_ws.sim import Registry\n\n"
        "handlers: Registrar = Registry()\n\n\n"
        "def limit_only(command: SetSpeedLimitCommand) -> float:\n"
        "    return command.limit\n\n\n"
        "handlers.register(SetSpeedLimitCommand, limit_only)\n"
    )
    try:
        bad = _run([*args, "ringroad/wrong.py"], project)
    finally:
        wrong.unlink()
    assert bad.returncode == 1, bad.stdout
    # mypy names the overload it tried first; what matters is that line 11 is refused.
    assert 'wrong.py:11: error: Argument 2 to "register" of "Registrar"' in bad.stdout


@pytest.fixture(scope="module")
def served(project: Path, wheel_venv: Path) -> Iterator[Server]:
    """The installed `spine-ws serve --simulation ringroad.sim:create`, from the project."""
    with run_server(
        "--simulation",
        "ringroad.sim:create",
        executable=wheel_venv / "bin/spine-ws",
        cwd=project,
        env={"PYTHONPATH": ".", "VIRTUAL_ENV": str(wheel_venv)},
    ) as server:
        yield server


async def _exchange(url: str, frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The snapshot, then every frame up to each command's reply, in arrival order."""
    seen: list[dict[str, Any]] = []
    async with websockets.connect(url, open_timeout=5) as ws:
        seen.append(json.loads(await asyncio.wait_for(ws.recv(), 5)))
        for frame in frames:
            await ws.send(json.dumps(frame))
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 5))
                seen.append(event)
                if event.get("command_id") == frame["id"]:
                    break
    return seen


def test_the_server_speaks_the_ring_roads_contract(
    served: Server, project: Path, expected_hash: str
) -> None:
    """Validation, results, custom events and the typed errors, as for the core's."""
    bundle = json.loads((project / "ringroad/protocol/protocol.schema.json").read_text())
    frames: list[dict[str, Any]] = [
        {"type": "set_speed_limit", "id": "limit", "limit": 85},
        {"type": "set_speed_limit", "id": "zero", "limit": 0},
        {"type": "add_agent", "id": "add", "agent_id": "x", "agent_kind": "car"},
        {"type": "fly", "id": "fly"},
    ]
    snapshot, *events = asyncio.run(_exchange(served.ws_url, frames))
    assert snapshot["commands"] == OWN_COMMANDS
    assert snapshot["schema_hash"] == expected_hash
    event_schema = {"$ref": "#/$defs/ServerEvent", "$defs": bundle["$defs"]}
    for event in [snapshot, *events]:
        jsonschema.validate(event, event_schema)
    replies = {e["command_id"]: e for e in events if "command_id" in e}
    assert replies["limit"]["result"] == {"previous": 100.0, "limit": 85.0, "slowed": 3}
    [jam] = [e for e in events if e["type"] == "jam"]
    assert jam["cars"] == ["car-1", "car-2", "car-3"]
    assert replies["zero"]["code"] == "invalid_message"
    assert [d["path"] for d in replies["zero"]["details"]] == ["/limit"]
    assert replies["add"]["code"] == "unsupported_command"
    assert "ringroad.sim:create" in replies["add"]["message"]
    assert replies["fly"]["code"] == "unknown_command"


def test_the_contract_endpoints_serve_both_trees(
    served: Server, project: Path, expected_hash: str
) -> None:
    """`/schemas` has the core's files and the ring road's, `/asyncapi` its operations,
    `/health` its hash and commands."""
    index = httpx.get(f"{served.http_url}/schemas", timeout=5).json()
    assert index["schema_hash"] == expected_hash
    assert {"commands/start.json", "commands/set_speed_limit.json", "events/jam.json"} <= set(
        index["schemas"]
    )
    served_file = httpx.get(f"{served.http_url}/schemas/results/set_speed_limit.json", timeout=5)
    assert served_file.json() == json.loads(
        (PROJECT / "schema/results/set_speed_limit.json").read_text()
    )
    asyncapi = httpx.get(f"{served.http_url}/asyncapi", timeout=5).json()
    assert "receive_set_speed_limit" in asyncapi["operations"]
    assert "jam" in asyncapi["components"]["messages"]
    health = served.health()
    assert (health["schema_hash"], health["commands"]) == (expected_hash, OWN_COMMANDS)


def test_the_ts_client_drives_it_with_the_generated_types(served: Server, project: Path) -> None:
    """tsc type-checks the frontend against the generated types (its @ts-expect-error lines
    must be errors), and the compiled frontend sends, gets the typed result and the jam."""
    web = project / "web"
    compiled = _run(["node", web / "node_modules/typescript/bin/tsc", "-p", web], web)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    ran = _run(["node", web / "dist/drive.js", served.ws_url], web, timeout=60)
    assert ran.returncode == 0, ran.stderr
    seen = json.loads(ran.stdout.strip().splitlines()[-1])
    assert seen["mismatches"] == []  # the client's CONTRACT is the server's
    assert seen["commands"] == OWN_COMMANDS
    assert seen["result"]["limit"] == 40
    assert seen["slowed"] == seen["result"]["slowed"] >= 1
    assert seen["jams"] and all(len(cars) > 1 for cars in seen["jams"])
    assert max(seen["speeds"]) == 40
