"""Route-Sim's protocol served by spine-ws, driven as the Route-Sim frontend drives SPINE:
`{action, params, request_id}` frames with a fresh UUID each, replies matched by
`request_id` against the frontend's action -> signal table, and every frame held
against this example's own schemas (the generated bundle) before it is believed.

The server is `spine-ws serve --simulation routesim.sim:create`, started from this
folder as `make run` starts it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from maps import DEFAULT, TEN_KM
from tests.support.server import Server, close_reading, run_server

pytestmark = pytest.mark.anyio

HERE = Path(__file__).resolve().parents[1]
BUNDLE = json.loads((HERE / "routesim/protocol/protocol.schema.json").read_text())
ENVELOPE = json.loads((HERE / "schema/envelope.json").read_text())
# The frontend's table (src/net/protocol/mapping.ts): the signal that answers each action.
REPLIES: dict[str, str] = ENVELOPE["replies"]


def _titles() -> tuple[dict[str, str], dict[str, str]]:
    """Event and result titles by wire name, from the bundle's unions and result files."""
    events = {
        wire: ref.rsplit("/", 1)[1]
        for wire, ref in BUNDLE["$defs"]["ServerEvent"]["discriminator"]["mapping"].items()
    }
    results = {
        name.removesuffix(".json"): BUNDLE["$defs"][_result_title(name)]
        for name in os.listdir(HERE / "schema/results")
    }
    return events, {k: v["title"] for k, v in results.items()}


def _result_title(file: str) -> str:
    words = file.removesuffix(".json").replace(".", "_").split("_")
    return "".join(w.capitalize() for w in words) + "Result"


EVENT_TITLES, RESULT_TITLES = _titles()


@cache
def _validator(title: str) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{title}", "$defs": BUNDLE["$defs"]})


def check(title: str, instance: Any) -> None:
    """`instance` against the bundle's definition `title`: the example's own schemas."""
    error = jsonschema.exceptions.best_match(_validator(title).iter_errors(instance))
    assert error is None, f"{title}: {error.message} at {error.json_path}"


def believe(frame: dict[str, Any], asked: dict[str, str]) -> None:
    """A frame as the frontend's decoder sees it: the envelope, then its data against
    the schema of what it is (a reply to an action, an error, progress or a broadcast)."""
    assert set(frame) <= {"signal", "data", "request_id", "seq"}, frame
    signal, data = frame["signal"], frame["data"]
    action = asked.get(frame.get("request_id", ""))
    if signal == "error":
        check("ErrorEvent", {**data, "type": "error"})
    elif signal == "progress":
        check("ProgressEvent", {**data, "type": "progress"})
    elif action is not None and signal == "command.done":  # an action the table lacks
        check("CommandAckEvent", {**data, "type": "command_ack"})
    elif action is not None and signal == REPLIES.get(action):
        if action in RESULT_TITLES:
            check(RESULT_TITLES[action], data)
        else:
            assert data == {}, frame
    else:
        assert "seq" in frame and "seq" not in data, frame  # seq beside the data
        check(EVENT_TITLES[signal], {**data, "type": signal, "seq": frame["seq"]})


class Frontend:
    """The frontend's client, as src/net/client.ts behaves: a fresh request id per
    action, replies matched by it, every frame decoded (here: checked) first."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.asked: dict[str, str] = {}  # request_id -> action
        self.replies: dict[str, int] = {}  # request_id -> replies seen
        self.seen: list[dict[str, Any]] = []
        self.sizes: dict[str, int] = {}  # signal -> largest frame, bytes
        self.answers: dict[str, dict[str, Any]] = {}  # request_id -> its reply

    async def read(self, timeout: float = 10) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        frame: dict[str, Any] = orjson.loads(raw)
        believe(frame, self.asked)
        self.sizes[frame["signal"]] = max(self.sizes.get(frame["signal"], 0), len(raw))
        rid = frame.get("request_id")
        if rid is not None and frame["signal"] != "progress":
            self.replies[rid] = self.replies.get(rid, 0) + 1
            self.answers[rid] = frame
        self.seen.append(frame)
        return frame

    def send(self, action: str, params: dict[str, Any]) -> str:
        request_id = str(uuid.uuid4())
        self.asked[request_id] = action
        asyncio.get_running_loop().create_task(
            self.ws.send(json.dumps({"action": action, "params": params, "request_id": request_id}))
        )
        return request_id

    async def reply(self, request_id: str, timeout: float = 30) -> dict[str, Any]:
        while request_id not in self.answers:
            await self.read(timeout)
        return self.answers[request_id]

    async def call(
        self, action: str, params: dict[str, Any], timeout: float = 30
    ) -> dict[str, Any]:
        """An action and its one reply: the signal the frontend's table names, or error."""
        frame = await self.reply(self.send(action, params), timeout)
        assert frame["signal"] in (REPLIES[action], "error"), frame
        return frame

    async def until(self, signal: str, timeout: float = 10) -> dict[str, Any]:
        while (frame := await self.read(timeout))["signal"] != signal:
            pass
        return frame


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    env = {"PYTHONPATH": str(HERE), "PATH": os.environ["PATH"]}
    with run_server("--simulation", "routesim.sim:create", cwd=HERE, env=env) as s:
        yield s


async def frontend(server: Server) -> Frontend:
    ws = await websockets.connect(server.ws_url, open_timeout=5, max_size=None)
    client = Frontend(ws)
    assert (await client.read())["signal"] == "snapshot"
    return client


async def test_a_session_as_the_frontend_runs_it(server: Server) -> None:
    """Map, trucks, ticking, every agent action, the simulation's controls: each action
    answered once, by the signal the frontend's table names, with its request_id."""
    ui = await frontend(server)
    made = await ui.call("map.create", DEFAULT)
    assert made["signal"] == "map.created"
    data = made["data"]
    assert data["generated_gas_stations"] >= 0  # the member SPINE 0.36 never sent
    assert data["generated_nodes"] == len(data["graph"]["nodes"]) > 0
    progress = [f for f in ui.seen if f["signal"] == "progress"]
    assert progress and progress[-1]["data"]["fraction"] == 1.0
    node = data["graph"]["nodes"][0]["id"]

    truck = await ui.call(
        "agent.create",
        {
            "agent_id": "truck-1",
            "agent_kind": "truck",
            "agent_data": {"max_speed_kph": 90, "capacity": 20},
        },
    )
    assert truck["signal"] == "agent.created" and truck["data"]["id"] == "truck-1"
    await ui.call("agent.create", {"agent_id": "truck-2", "agent_kind": "truck"})
    await ui.call("agent.create", {"agent_id": "broker", "agent_kind": "broker"})
    built = await ui.call(
        "building.create",
        {
            "building_type": "gas_station",
            "building_id": "gs-x",
            "node_id": node,
            "capacity": 4,
            "cost_factor": 1.1,
        },
    )
    assert built["data"]["building"]["type"] == "gas_station"

    started = await ui.call("simulation.start", {"tick_rate": 50, "speed": 5})
    assert started["data"] == {"tick_rate": 50, "speed": 5}
    ticks = [f for f in [await ui.until("tick.end") for _ in range(20)]]
    assert all(0 <= t["data"]["time"] < 24 and t["data"]["day"] >= 1 for t in ticks)
    assert [t["data"]["tick"] for t in ticks] == sorted(t["data"]["tick"] for t in ticks)
    assert any(f["signal"] == "agent.updated" for f in ui.seen)

    described = await ui.call("agent.describe", {"agent_id": "truck-1"})
    assert described["data"]["kind"] == "truck" and described["data"]["max_speed_kph"] == 90
    listed = await ui.call("agent.list", {"agent_kind": "truck"})
    assert listed["data"]["total"] == 2
    updated = await ui.call(
        "agent.update", {"agent_id": "truck-2", "agent_data": {"risk_factor": 0.9}}
    )
    assert updated["signal"] == "agent.updated" and updated["data"]["risk_factor"] == 0.9
    deleted = await ui.call("agent.delete", {"agent_id": "truck-2"})
    assert deleted["signal"] == "agent.deleted"  # SPINE 0.36 never answered it
    for action, params in [
        ("simulation.pause", {}),
        ("simulation.resume", {}),
        ("simulation.update", {"tick_rate": 20, "speed": 1.5}),
        ("simulation.stop", {}),
    ]:
        assert (await ui.call(action, params))["signal"] == REPLIES[action]
    assert all(count == 1 for count in ui.replies.values()), ui.replies
    assert set(ui.replies) == set(ui.asked)
    await close_reading(ui.ws)


async def test_errors_answer_the_request_they_are_about(server: Server) -> None:
    """Every failure is one `error` with the request's id (SPINE's never had one), its
    code, and a pointer into the frame as sent."""
    ui = await frontend(server)
    unknown = await ui.reply(ui.send("agent.get", {"agent_id": "x"}))
    assert unknown["data"]["code"] == "unknown_command"
    bad = await ui.call("simulation.start", {"tick_rate": 0, "speed": 1})
    assert bad["data"]["code"] == "invalid_message"
    assert [d["path"] for d in bad["data"]["details"]] == ["/params/tick_rate"]
    missing = await ui.call("agent.describe", {"agent_id": "nobody"})
    assert missing["data"]["code"] == "agent_not_found"
    await ui.call("simulation.start", {"tick_rate": 20, "speed": 1})
    refused = await ui.call("map.create", DEFAULT)
    assert refused["data"]["code"] == "invalid_state"  # refused while the simulation runs
    await ui.call("simulation.stop", {})
    await close_reading(ui.ws)


async def test_a_ten_km_map_is_cancelled_then_made_exported_and_imported(server: Server) -> None:
    """The 10 km map: progress, busy for others, cancel; then made (~1 MiB map.created,
    to every client), exported (~2 MiB of base64) and imported back in one frame."""
    ui = await frontend(server)
    watcher = await frontend(server)
    request = ui.send("map.create", TEN_KM)
    while (await ui.read())["signal"] != "progress":
        pass
    busy = await ui.call("agent.list", {})
    assert busy["data"]["code"] == "busy" and "map.create" in busy["data"]["message"]
    cancel = ui.send("cancel", {"command_id": request})
    cancelled = await ui.reply(request)
    assert cancelled["signal"] == "error" and cancelled["data"]["code"] == "cancelled"
    assert (await ui.reply(cancel))["signal"] == "command.done"

    made = await ui.call("map.create", TEN_KM, timeout=120)
    assert made["signal"] == "map.created" and made["data"]["generated_nodes"] > 1500
    assert ui.sizes["map.created"] > 900_000
    broadcast = await watcher.until("map.created", timeout=30)  # everyone gets the map
    assert broadcast["data"]["graph"] == made["data"]["graph"] and "request_id" not in broadcast

    exported = await ui.call("map.export", {"filename": "ten"})
    assert exported["data"]["filename"] == "ten.smap"
    content = exported["data"]["file_content"]
    assert len(content) > 2_000_000  # over the 64 KiB every other frame is held to
    imported = await ui.call("map.import", {"filename": "ten.smap", "file_content": content})
    assert imported["signal"] == "map.imported"
    again = json.loads(
        base64.b64decode((await ui.call("map.export", {"filename": "x"}))["data"]["file_content"])
    )
    assert again == json.loads(base64.b64decode(content))
    await close_reading(ui.ws)
    await close_reading(watcher.ws)


async def test_a_state_file_round_trip(server: Server) -> None:
    ui = await frontend(server)
    await ui.call("map.create", DEFAULT)
    await ui.call("agent.create", {"agent_id": "t-state", "agent_kind": "truck"})
    saved = await ui.call("simulation.export_state", {"filename": "save"})
    assert saved["data"]["filename"] == "save.ssave"
    await ui.call("agent.delete", {"agent_id": "t-state"})
    loaded = await ui.call(
        "simulation.import_state",
        {"filename": "save.ssave", "file_content": saved["data"]["file_content"]},
    )
    assert loaded["signal"] == "simulation.state_imported"
    assert (await ui.call("agent.describe", {"agent_id": "t-state"}))["signal"] == "agent.described"
    broken = await ui.call("map.import", {"filename": "x", "file_content": "not base64!"})
    assert broken["data"]["code"] == "invalid_message"
    await close_reading(ui.ws)


@pytest.mark.tooling
def test_the_generated_types_check_a_frontend_call_site(tmp_path: Path) -> None:
    """web/frontend.ts, written as the Route-Sim frontend's call sites are, type-checks
    against the generated contract.ts; with an action or a member misspelled, it does not."""
    tsc = HERE.parents[1] / "clients/ts/node_modules/.bin/tsc"
    good = subprocess.run(
        [tsc, "-p", "web/tsconfig.json", "--noEmit"],
        cwd=HERE,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert good.returncode == 0, good.stdout
    source = (HERE / "web/frontend.ts").read_text()
    for wrong in (
        source.replace('"map.create"', '"map.craete"', 1),
        source.replace("generated_gas_stations", "generated_gas_station", 1),
    ):
        broken = HERE / "web/broken.ts"
        broken.write_text(wrong)
        try:
            result = subprocess.run(
                [tsc, "--noEmit", "-p", "web/tsconfig.broken.json"],
                cwd=HERE,
                capture_output=True,
                text=True,
                timeout=180,
            )
        finally:
            broken.unlink()
        assert result.returncode != 0 and "broken.ts" in result.stdout, result.stdout
