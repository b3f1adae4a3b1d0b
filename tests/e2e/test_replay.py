"""`spine-ws replay FILE` on a real server, playing a recording a real `serve --record`
wrote: the frames byte for byte as recorded; a seek sends the world a live joiner got at
that seq; every connection plays on its own; every client is a viewer, and what a
recording cannot do is refused with a typed error, the connection staying open."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgpack
import pytest
import websockets
from mcap.reader import make_reader
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from spine_ws.generated import SUBPROTOCOL
from tests.support.server import SPINE_WS, Server, close_reading, run_server, validate_event

pytestmark = pytest.mark.anyio


@dataclass
class Recorded:
    path: Path
    frames: dict[int, bytes]  # seq -> the frame as recorded
    joined: dict[int, dict[str, Any]]  # seq -> the snapshot a live joiner got there


async def _record(server: Server) -> dict[int, dict[str, Any]]:
    """Let the world run; a joiner now and then keeps the snapshot it got."""
    joined: dict[int, dict[str, Any]] = {}
    async with websockets.connect(server.ws_url, open_timeout=5) as watcher:
        await watcher.recv()
        for _ in range(3):
            for _ in range(150):
                await asyncio.wait_for(watcher.recv(), 5)
            async with websockets.connect(server.ws_url, open_timeout=5) as joiner:
                snapshot = json.loads(await asyncio.wait_for(joiner.recv(), 5))
                joined[snapshot["seq"]] = snapshot
                await close_reading(joiner)
        await close_reading(watcher)
    return joined


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    folder = tmp_path_factory.mktemp("recording")
    world = ("--seed-agents", "3", "--tick-rate", "50", "--autostart")
    with run_server(*world, "--record", str(folder), "--checkpoint-seconds", "0.3") as server:
        joined = asyncio.run(_record(server))
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(10)
    (path,) = folder.glob("*.mcap")
    frames: dict[int, bytes] = {}
    with path.open("rb") as f:
        for _, channel, message in make_reader(f).iter_messages():
            if channel.topic != "snapshot":
                frames[json.loads(message.data)["seq"]] = message.data
    return Recorded(path, frames, joined)


@pytest.fixture(scope="module")
def replay(recorded: Recorded) -> Iterator[Server]:
    with run_server(str(recorded.path), command="replay") as server:
        yield server


class Viewer:
    """A client of the replay: every frame as bytes, and the events parsed."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self._next_id = 0
        self.frames: dict[int, bytes] = {}  # every broadcast frame it got, by seq

    async def next(self, timeout: float = 5) -> tuple[bytes, dict[str, Any]]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        data = raw.encode() if isinstance(raw, str) else raw
        event = json.loads(data)
        validate_event(event)
        if "seq" in event and event["type"] != "snapshot":
            self.frames[event["seq"]] = data
        return data, event

    async def command(self, message: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        """Send a command; its reply, and the events that came before it."""
        self._next_id += 1
        ident = f"c{self._next_id}"
        await self.ws.send(json.dumps({**message, "id": ident}))
        before: list[Any] = []
        while True:
            _, event = await self.next()
            if event.get("command_id") == ident and "seq" not in event:
                return event, before
            before.append(event)


async def join(server: Server) -> tuple[Viewer, dict[str, Any], dict[str, Any]]:
    """A viewer, its snapshot and the playback notice after it."""
    viewer = Viewer(await websockets.connect(server.ws_url, open_timeout=5, max_size=None))
    _, snapshot = await viewer.next()
    _, notice = await viewer.next()
    assert snapshot["type"] == "snapshot" and notice["type"] == "playback"
    return viewer, snapshot, notice


async def test_a_replay_plays_the_recorded_frames_byte_for_byte(
    replay: Server, recorded: Recorded
) -> None:
    viewer, snapshot, notice = await join(replay)
    # The same contract, read-only: a viewer, and the playback commands listed.
    assert snapshot["role"] == "viewer" and {"playback", "resume"} <= set(snapshot["capabilities"])
    assert {"playback.seek", "playback.speed"} <= set(snapshot["commands"])
    assert "add_agent" not in snapshot["commands"]
    state = notice["state"]
    assert state["playing"] and state["seq"] == snapshot["seq"] == state["first_seq"]
    assert state["last_seq"] == max(recorded.frames)
    reply, _ = await viewer.command({"type": "playback.speed", "speed": 100})
    assert reply["type"] == "command_ack" and reply["result"]["speed"] == 100
    while (event := (await viewer.next())[1])["type"] != "playback":
        pass  # until the end
    assert event["state"]["seq"] == max(recorded.frames) and not event["state"]["playing"]
    assert viewer.frames == {s: f for s, f in recorded.frames.items() if s > snapshot["seq"]}
    await close_reading(viewer.ws)


async def test_a_seek_sends_the_world_a_live_joiner_got_there(
    replay: Server, recorded: Recorded
) -> None:
    viewer, _, _ = await join(replay)
    await viewer.command({"type": "playback.pause"})
    for seq, live in sorted(recorded.joined.items()):
        reply, before = await viewer.command({"type": "playback.seek", "seq": seq})
        assert reply["type"] == "command_ack", reply
        (snapshot,) = [e for e in before if e["type"] == "snapshot"]
        for member in ("epoch", "seq", "simulation", "agents", "schema_hash"):
            assert snapshot[member] == live[member], member
        assert reply["result"]["seq"] == seq and not reply["result"]["playing"]
        # subscribe is answered where this viewer stands, not where others do.
        agent = live["agents"][0]
        reply, _ = await viewer.command({"type": "subscribe", "agent_ids": [agent["agent_id"]]})
        assert reply["result"] == {"seq": seq, "agents": [agent]}
        await viewer.command({"type": "subscribe"})
    # Playing on from the last seek: the recorded frames from there, as recorded.
    last = max(recorded.joined)
    await viewer.command({"type": "playback.play"})
    data, event = await viewer.next()
    assert event["seq"] == last + 1 and data == recorded.frames[last + 1]
    await close_reading(viewer.ws)


async def test_a_seek_by_tick_or_time_lands_after_that_tick(replay: Server) -> None:
    viewer, _, _ = await join(replay)
    await viewer.command({"type": "playback.pause"})
    reply, before = await viewer.command({"type": "playback.seek", "tick": 40})
    (snapshot,) = [e for e in before if e["type"] == "snapshot"]
    assert snapshot["simulation"]["tick"] == reply["result"]["tick"] == 40
    await viewer.command({"type": "playback.play"})
    _, event = await viewer.next()
    assert event["seq"] == snapshot["seq"] + 1 and event["tick"] == 41  # the next tick's
    reply, _ = await viewer.command({"type": "playback.seek", "time": 1.0})
    assert abs(reply["result"]["time"] - 1.0) < 0.1
    await close_reading(viewer.ws)


async def test_each_connection_plays_on_its_own(replay: Server) -> None:
    paused, _, _ = await join(replay)
    playing, _, _ = await join(replay)
    reply, _ = await paused.command({"type": "playback.pause"})
    assert not reply["result"]["playing"]
    await playing.command({"type": "playback.speed", "speed": 5})
    got = 0
    with pytest.raises(TimeoutError):
        await paused.next(timeout=0.5)  # nothing: it is paused
    while got < 50:
        _, event = await playing.next()
        got += "seq" in event
    await close_reading(paused.ws)
    await close_reading(playing.ws)


async def test_a_client_back_at_a_seq_of_the_recording_resumes_its_playback_there(
    replay: Server, recorded: Recorded
) -> None:
    viewer, snapshot, _ = await join(replay)
    await viewer.command({"type": "playback.speed", "speed": 5})
    while len(viewer.frames) < 100:
        await viewer.next()
    last = max(viewer.frames)
    await viewer.ws.close()
    back = Viewer(
        await websockets.connect(
            f"{replay.ws_url}?resume={snapshot['epoch']}:{last}", open_timeout=5
        )
    )
    _, resumed = await back.next()
    assert resumed["type"] == "resumed" and resumed["seq"] == last and resumed["replayed"] == 0
    _, notice = await back.next()
    assert notice["type"] == "playback" and notice["state"]["seq"] == last
    data, event = await back.next()
    assert event["seq"] == last + 1 and data == recorded.frames[last + 1]
    await close_reading(back.ws)
    # A seq the recording does not hold: its start, and why.
    away = Viewer(await websockets.connect(f"{replay.ws_url}?resume={snapshot['epoch']}:999999999"))
    _, fresh = await away.next()
    assert fresh["type"] == "snapshot" and fresh["seq"] == snapshot["seq"]
    assert fresh["resume"]["reason"] == "ahead"
    await close_reading(away.ws)


async def test_what_a_recording_cannot_do_is_refused_and_the_connection_stays(
    replay: Server,
) -> None:
    viewer, _, _ = await join(replay)
    await viewer.command({"type": "playback.pause"})
    reply, _ = await viewer.command({"type": "add_agent", "agent_id": "x", "agent_kind": "y"})
    assert reply["type"] == "error" and reply["code"] == "unsupported_command"
    reply, _ = await viewer.command({"type": "playback.seek", "seq": 3, "tick": 1})
    assert reply["type"] == "error" and reply["code"] == "invalid_message"
    reply, _ = await viewer.command({"type": "playback.speed", "speed": 1000})
    assert reply["type"] == "error" and reply["code"] == "invalid_message"
    reply, _ = await viewer.command({"type": "playback.seek", "seq": 3})
    assert reply["type"] == "command_ack"
    await close_reading(viewer.ws)


async def test_a_live_server_refuses_the_playback_commands() -> None:
    with run_server("--seed-agents", "1") as server:
        async with websockets.connect(server.ws_url, open_timeout=5) as ws:
            snapshot = json.loads(await ws.recv())
            assert not any(c.startswith("playback.") for c in snapshot["commands"])
            viewer = Viewer(ws)
            reply, _ = await viewer.command({"type": "playback.seek", "seq": 1})
            assert reply["type"] == "error" and reply["code"] == "unsupported_command"
            await close_reading(ws)


def test_what_is_not_a_recording_is_refused_in_one_line(tmp_path: Path) -> None:
    notes = tmp_path / "notes.mcap"
    notes.write_text("not a recording")
    done = subprocess.run(
        [SPINE_WS, "replay", str(notes), "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert f"spine-ws: cannot start: {notes}: not an MCAP file\n" in done.stderr


@pytest.mark.parametrize("profile", ["jsonrpc", "msgpack"])
async def test_other_profiles_get_the_playback_notice_in_their_shape_and_can_seek(
    replay: Server, recorded: Recorded, profile: str
) -> None:
    """The notice answers no command: a JSON-RPC client gets it as a notification (not
    an error response), a MessagePack one as a map; each seeks in its own shape."""
    ws = await websockets.connect(
        replay.ws_url, subprotocols=[Subprotocol(f"{SUBPROTOCOL}.{profile}")], open_timeout=5
    )

    async def read() -> Any:
        raw = await asyncio.wait_for(ws.recv(), 5)
        if profile == "msgpack":
            assert isinstance(raw, bytes)
            return msgpack.unpackb(raw)
        return json.loads(raw)

    if profile == "jsonrpc":
        assert (await read())["method"] == "snapshot"
        notice = await read()
        assert notice["method"] == "playback" and "id" not in notice
        assert notice["params"]["state"]["first_seq"] == min(recorded.frames) - 1
        await ws.send(
            json.dumps(
                {"jsonrpc": "2.0", "method": "playback.seek", "params": {"seq": 40}, "id": 7}
            )
        )
        while "id" not in (reply := await read()):
            pass
        assert reply["id"] == 7 and reply["result"]["seq"] == 40
    else:
        assert (await read())["type"] == "snapshot"
        notice = await read()
        assert notice["type"] == "playback" and notice["state"]["playing"]
        await ws.send(msgpack.packb({"type": "playback.seek", "id": "s", "seq": 40}))
        while (reply := await read()).get("command_id") != "s":
            pass
        assert reply["type"] == "command_ack" and reply["result"]["seq"] == 40
    await close_reading(ws)
