"""Seeking in a one-hour recording of the default world.

The recording is written by the real `Recorder` from the real default world (`World`,
8 walkers at 20 ticks/s, checkpoints every 10 s), driven tick by tick on a simulated
clock: an hour of recorded time in seconds of ours, the file the server would have
written. `spine-ws replay` then serves it, and one client seeks to random moments (by
seq, tick and time), timing each seek from its command to its reply (which follows the
snapshot of that moment). The issue's target: every seek within 100 ms.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from websockets.sync.client import ClientConnection, connect

from bench.launch import start_server
from spine_ws.core.catalog import CORE
from spine_ws.core.history import History
from spine_ws.core.messages import to_json
from spine_ws.core.stream import Stream
from spine_ws.generated import AddAgentCommand, AgentUpdateEvent, TickEndEvent, TickStartEvent
from spine_ws.recording import Recorder
from spine_ws.sim.columns import rows
from spine_ws.world import World

__all__ = ["measure", "write_recording"]


class _Capture:
    """The simulation's event sink, kept in a list (what `EventSink.broadcast` makes)."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def broadcast(self, model: Any, /, **fields: Any) -> None:
        self.events.append(model.model_validate({**fields, "seq": 1}))

    def broadcast_updates(self, tick: int, agent_ids: Any, columns: Any) -> None:
        for agent_id, data in zip(agent_ids, rows(agent_ids, columns), strict=True):
            self.broadcast(AgentUpdateEvent, tick=tick, agent_id=agent_id, data=data)


def write_recording(folder: Path, seconds: float, tick_rate: float = 20.0) -> Path:
    """An hour (`seconds`) of the default world, recorded; the file's path."""
    sink = _Capture()
    boundary = SimpleNamespace(commands=None, events=sink, jobs=None)
    world = World(boundary, tick_rate=tick_rate, seed_agents=0, rng=random.Random(7))  # type: ignore[arg-type]
    now_ns = 10**18
    stream = Stream(
        CORE,
        clock=lambda: now_ns / 1e9,
        supported=world.handlers.types(),
        history=History(100_000, 64 * 1024 * 1024, 1e9),
    )
    recorder = Recorder(
        folder,
        stream,
        CORE,
        max_bytes=1 << 40,
        max_seconds=1e9,
        checkpoint_seconds=10.0,
        clock=lambda: now_ns / 1e9,
        wall_ns=lambda: now_ns,
    )
    recorder.start()

    def publish() -> None:
        for event in sink.events:
            seq, frame = stream.next_frame(to_json(event, exclude={"seq"}))
            stream.append(seq, frame, event, now_ns / 1e9)
        sink.events.clear()
        recorder.recorded()
        recorder.tick()  # the server's timer: checkpoints every 10 s, flushes

    for n in range(1, 9):  # what `World.start` seeds, without its thread
        world._add(AddAgentCommand(agent_id=f"agent-{n}", agent_kind="walker"))
    publish()
    step = round(1e9 / tick_rate)
    for tick in range(1, round(seconds * tick_rate) + 1):
        now_ns += step
        world.tick = tick
        sink.broadcast(TickStartEvent, tick=tick)
        world.on_tick()
        sink.broadcast(TickEndEvent, tick=tick)
        publish()
    recorder.close()
    (path,) = folder.glob("*.mcap")
    return path


def _play_fast(ws: ClientConnection, tick_rate: float, wall: float = 5.0) -> float:
    """Play from the start at 100x for `wall` seconds: recorded seconds played a second
    (ticks taken over the recording's tick rate), by a client that reads all of it."""
    ws.send(json.dumps({"type": "playback.seek", "id": "z", "seq": 0}))
    while json.loads(ws.recv(timeout=10)).get("command_id") != "z":
        pass
    ws.send(json.dumps({"type": "playback.speed", "id": "f", "speed": 100}))
    ws.send(json.dumps({"type": "playback.play", "id": "g"}))
    first = last = None
    started = time.perf_counter()
    while time.perf_counter() - started < wall:
        event = json.loads(ws.recv(timeout=10))
        if event.get("type") == "tick_start":
            first = event["tick"] if first is None else first
            last = event["tick"]
        elif event.get("type") == "playback" and not event["state"]["playing"]:
            break  # the end of the recording
    assert first is not None
    assert last is not None
    return (last - first) / tick_rate / (time.perf_counter() - started)


def measure(log_dir: Path, seeks: int, seconds: float = 3600.0) -> dict[str, Any]:
    folder = log_dir / "seek-recording"
    for old in folder.glob("*.mcap"):
        old.unlink()
    started = time.perf_counter()
    path = write_recording(folder, seconds)
    written = time.perf_counter() - started
    started = time.perf_counter()
    server = start_server("replay", log_dir, "seek-replay", [str(path)])
    ready = time.perf_counter() - started
    rng = random.Random(11)
    times: dict[str, list[float]] = {"seq": [], "tick": [], "time": []}
    try:
        with connect(server.url, max_size=None, open_timeout=10) as ws:
            ws.recv(timeout=10)  # the snapshot
            span = json.loads(ws.recv(timeout=10))["state"]  # the playback notice
            ws.send(json.dumps({"type": "playback.pause", "id": "p"}))
            while json.loads(ws.recv(timeout=10)).get("command_id") != "p":
                pass
            for i in range(seeks):
                by = ("seq", "tick", "time")[i % 3]
                target: float = {
                    "seq": rng.randint(span["first_seq"], span["last_seq"]),
                    "tick": rng.randint(span["first_tick"], span["last_tick"]),
                    "time": round(rng.uniform(0, span["duration"]), 3),
                }[by]
                ident = f"s{i}"
                sent = time.perf_counter()
                ws.send(json.dumps({"type": "playback.seek", "id": ident, by: target}))
                while True:
                    reply = json.loads(ws.recv(timeout=10))
                    if reply.get("command_id") == ident:
                        break
                assert reply["type"] == "command_ack", reply
                times[by].append(time.perf_counter() - sent)
            speed = _play_fast(ws, tick_rate=20.0)
        rss = server.rss()
    finally:
        server.stop()
    every = np.array([t for ts in times.values() for t in ts]) * 1000
    return {
        "recorded_seconds": seconds,
        "frames": span["last_seq"],
        "file_bytes": path.stat().st_size,
        "write_seconds": written,
        "replay_ready_seconds": ready,
        "replay_rss": rss,
        "seeks": len(every),
        "megabytes_per_hour": path.stat().st_size / 1e6 * 3600 / seconds,
        "replay_speed_at_100x": speed,
        "p50_ms": float(np.percentile(every, 50)),
        "p95_ms": float(np.percentile(every, 95)),
        "p99_ms": float(np.percentile(every, 99)),
        "max_ms": float(every.max()),
        "by": {by: float(np.percentile(np.array(ts) * 1000, 50)) for by, ts in times.items()},
    }
