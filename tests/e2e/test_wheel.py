"""The wheel works outside the checkout: installed into a fresh virtualenv, run from a
simulation author's own folder (which holds a `server.py` and a `generated.py` of theirs)."""

from __future__ import annotations

import asyncio
import json
import textwrap
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.support.server import ROOT, Server, run_server

# The user's own modules, named like the checkout's top-level folders on purpose.
USER_FILES = {
    "server.py": 'KIND = "from-the-users-server-py"\n',
    "generated.py": "raise ImportError('the user generated.py must never be imported')\n",
    "mysim.py": textwrap.dedent(
        '''
        """A user's plug-in: only the public API, plus a module of the user's own."""

        from server import KIND

        from spine_ws.sim import (
            AddAgentCommand,
            AgentAddedEvent,
            Boundary,
            DeleteAgentCommand,
            ModifyAgentCommand,
            TickingSimulation,
        )


        class Mine(TickingSimulation):
            def __init__(self, boundary: Boundary) -> None:
                super().__init__(boundary)
                for model in (AddAgentCommand, DeleteAgentCommand, ModifyAgentCommand):
                    self.handlers.register(model, lambda command: None)

            def start(self) -> None:
                super().start()
                self.events.broadcast(
                    AgentAddedEvent, tick=0, agent_id="plugged", agent_kind=KIND, data={}
                )


        def create(boundary: Boundary) -> Mine:
            return Mine(boundary)
        '''
    ),
}


@pytest.fixture(scope="module")
def installed(wheel_venv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's folder, beside a fresh virtualenv with the project's wheel installed."""
    user = tmp_path_factory.mktemp("user")
    for name, text in USER_FILES.items():
        (user / name).write_text(text, encoding="utf-8")
    return user


def test_the_wheel_installs_one_import_package_with_its_data(wheel_venv: Path) -> None:
    """Only `spine_ws` is installed (no `server`, `generated` or build tools), with the
    schemas and the viewer inside it."""
    [wheel] = (wheel_venv.parent / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"spine_ws"}
    assert "spine_ws/generated/models.py" in names
    assert "spine_ws/generated/asyncapi.json" in names
    assert "spine_ws/viewer/index.html" in names
    assert "spine_ws/schema/commands/start.json" in names
    assert "spine_ws/py.typed" in names  # for a simulation author's type checker
    assert "spine_ws/codegen/gen-types.mjs" in names  # `spine-ws gen --ts-out`


@pytest.fixture(scope="module")
def served(installed: Path, wheel_venv: Path) -> Iterator[Server]:
    """The installed `spine-ws serve --simulation mysim:create`, started from the user's
    folder with `PYTHONPATH=.`, as a user would."""
    bin_dir = wheel_venv / "bin"
    with run_server(
        "--simulation",
        "mysim:create",
        executable=bin_dir / "spine-ws",
        cwd=installed,
        env={"PYTHONPATH": ".", "VIRTUAL_ENV": str(bin_dir.parent)},
    ) as server:
        yield server


def test_the_installed_server_serves_every_schema(served: Server) -> None:
    """`/schemas` lists every file of schema/, and each one is served as it is on disk."""
    on_disk = {
        p.relative_to(ROOT / "schema").as_posix(): json.loads(p.read_text("utf-8"))
        for p in (ROOT / "schema").rglob("*.json")
    }
    index = httpx.get(f"{served.http_url}/schemas", timeout=5).json()
    assert sorted(index["schemas"]) == sorted(on_disk)
    for path, doc in on_disk.items():
        assert httpx.get(f"{served.http_url}/schemas/{path}", timeout=5).json() == doc


def test_the_installed_server_serves_the_asyncapi_document_and_the_viewer(
    served: Server,
) -> None:
    """`/asyncapi` is the generated document; `/` is the viewer page."""
    generated = json.loads((ROOT / "generated/spine_ws/generated/asyncapi.json").read_text())
    assert httpx.get(f"{served.http_url}/asyncapi", timeout=5).json() == generated
    page = httpx.get(f"{served.http_url}/", timeout=5)
    assert page.status_code == 200 and "viewer.js" in page.text
    assert httpx.get(f"{served.http_url}/viewer.js", timeout=5).status_code == 200


def test_the_plug_in_from_the_users_folder_runs(served: Server) -> None:
    """The user's plug-in (importing the user's own `server.py`) is the one serving."""

    async def first_frame() -> dict[str, object]:
        async with websockets.connect(served.ws_url, open_timeout=5) as ws:
            snapshot: dict[str, object] = json.loads(await asyncio.wait_for(ws.recv(), 5))
            return snapshot

    snapshot = asyncio.run(first_frame())
    assert snapshot["type"] == "snapshot"
    assert snapshot["agents"] == [
        {"agent_id": "plugged", "agent_kind": "from-the-users-server-py", "data": {}}
    ]
