"""Big worlds: a swarm whose every agent moves each tick (`bench.sim:swarm`, published a
tick at a time as columns), watched by K clients in JSON (`spine.v1`), in MessagePack
(`spine.v1.msgpack`), as columns (MessagePack, `subscribe` with `columns: true`: a
tick's updates in one `agent_columns` frame) and through a region (JSON, `subscribe`
with a `region` of a quarter of the world), each mode on a server of its own.

Per mode: the bytes a client receives per agent update (all its frames counted), the
server's CPU per update delivered, and the share of the published updates each client
got: a client that cannot keep up is thinned (its updates coalesced, told with
`skipped`), never silently. A region client is offered only the agents in its region
(`agent_entered` counts as an update, `agent_left` as its own): compare its bytes per
tick with a whole-world client's.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import time
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any
from urllib.parse import quote

import msgpack
import orjson
import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from bench.launch import start_server

__all__ = ["ENCODINGS", "measure"]

ENCODINGS = ("spine.v1", "spine.v1.msgpack", "columns", "region")
# The region mode's rectangle: a quarter of the swarm's 1,000 x 1,000 world.
REGION = {"x_min": 0, "y_min": 0, "x_max": 500, "y_max": 500}
# How each mode connects: its subprotocol, and what it asks for at connect time.
_CONNECT = {
    "spine.v1": ("spine.v1", ""),
    "spine.v1.msgpack": ("spine.v1.msgpack", ""),
    "columns": ("spine.v1.msgpack", "?subscribe=" + quote('{"columns":true}')),
    "region": ("spine.v1", "?subscribe=" + quote(orjson.dumps({"region": REGION}).decode())),
}
# From this many agents, each client's send queue holds a few ticks' frames (a 100,000
# agents' key frame is 3.6 MB; the default queue, 1 MiB, holds less than one).
BIG = 50_000
BIG_QUEUE_BYTES = 16 * 1024 * 1024
_COUNTED = ("frames", "bytes", "updates", "ticks", "skipped", "closed", "left")


class Watcher(WSListener):
    """One client: decodes every frame as a client must, and counts what it got."""

    def __init__(self, binary: bool) -> None:
        super().__init__()
        self.binary = binary
        # The window is open (set by `run`); counted are whole ticks, from the first
        # tick_start in it to the first after it: a window's edge between a tick's frames
        # would count its tick_end without its updates.
        self.counting = False
        self.phase = "before"  # "in" from a tick_start, "after" from the closing one
        self.done = asyncio.Event()
        self.joined = asyncio.Event()
        self.tally = dict.fromkeys(_COUNTED, 0)
        self.parts: list[bytes] = []

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            transport.disconnect()
            return
        # A large message (the snapshot) comes in fragments: picows hands each over.
        if frame.msg_type == WSMsgType.CONTINUATION:
            self.parts.append(frame.get_payload_as_bytes())
            if not frame.fin:
                return
            payload, self.parts = b"".join(self.parts), []
        elif frame.msg_type in (WSMsgType.TEXT, WSMsgType.BINARY):
            payload = frame.get_payload_as_bytes()
            if not frame.fin:
                self.parts = [payload]
                return
        else:
            return
        event = msgpack.unpackb(payload) if self.binary else orjson.loads(payload)
        self.joined.set()
        kind = event.get("type")
        if self.phase == "before":
            if not (self.counting and kind == "tick_start"):
                return
            self.phase = "in"
        elif self.phase == "in" and not self.counting and kind == "tick_start":
            self.phase = "after"
            self.done.set()
        if self.phase != "in":
            return
        tally = self.tally
        tally["frames"] += 1
        tally["bytes"] += len(payload)
        if kind == "agent_update" or kind == "agent_entered":
            tally["updates"] += 1
        elif kind == "agent_left":
            tally["left"] += 1
        elif kind == "agent_columns":
            tally["updates"] += event["count"]
        elif kind == "tick_end":
            tally["ticks"] += 1
        elif kind == "skipped":
            tally["skipped"] += event["count"]

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.joined.set()  # shed before or after its snapshot: it is done waiting
        self.done.set()
        if not self.tally["closed"]:
            self.tally["closed"] += 1


def _watch(pipe: Pipe, url: str, encoding: str, size: int, warmup: float, window: float) -> None:
    async def run() -> dict[str, Any]:
        subprotocol, query = _CONNECT[encoding]
        binary = subprotocol.endswith("msgpack")
        watchers: list[Watcher] = []
        for _ in range(size):
            _, watcher = await ws_connect(
                lambda: Watcher(binary),
                url + query,
                extra_headers={"Sec-WebSocket-Protocol": subprotocol},
                max_frame_size=1 << 30,
                websocket_handshake_timeout=60,
            )
            assert isinstance(watcher, Watcher)
            watchers.append(watcher)
        await asyncio.wait_for(asyncio.gather(*(w.joined.wait() for w in watchers)), 120)
        await asyncio.sleep(warmup)
        pipe.send(("counting",))
        for watcher in watchers:
            watcher.counting = True
        await asyncio.sleep(window)
        for watcher in watchers:
            watcher.counting = False
            if watcher.phase == "before":  # no tick began in the window: nothing counted
                watcher.done.set()
        with contextlib.suppress(TimeoutError):  # a tick that never ends: counted so far
            await asyncio.wait_for(asyncio.gather(*(w.done.wait() for w in watchers)), 10)
        pipe.send(("counted",))
        total = dict.fromkeys(_COUNTED, 0)
        for watcher in watchers:
            for key in _COUNTED:
                total[key] += watcher.tally[key]
        return total

    pipe.send(("result", uvloop.run(run())))


def _clients(
    url: str, encoding: str, clients: int, processes: int, window: float, cpu: Any
) -> dict[str, Any]:
    """K clients over `processes` processes; their counts over `window` seconds, and the
    server's CPU seconds over the same window."""
    context = multiprocessing.get_context("spawn")
    pipes, workers = [], []
    sizes = [clients // processes + (i < clients % processes) for i in range(processes)]
    for size in sizes:
        parent, child = context.Pipe()
        worker = context.Process(
            target=_watch, args=(child, url, encoding, size, 1.0, window), daemon=True
        )
        worker.start()
        pipes.append(parent)
        workers.append(worker)
    try:
        for pipe in pipes:
            if not pipe.poll(180) or pipe.recv()[0] != "counting":
                raise RuntimeError(f"bigworld {encoding}: a client process did not join")
        cpu0, started = cpu(), time.monotonic()
        for pipe in pipes:
            pipe.poll(window + 60)
            pipe.recv()
        server_cpu = (cpu() - cpu0) / (time.monotonic() - started)
        total = dict.fromkeys(_COUNTED, 0)
        for pipe in pipes:
            if not pipe.poll(60):
                raise RuntimeError(f"bigworld {encoding}: a client process did not report")
            result = pipe.recv()[1]
            for key in _COUNTED:
                total[key] += result[key]
    finally:
        for worker in workers:
            worker.join(10)
            if worker.is_alive():
                worker.kill()
    return {**total, "server_cpu": server_cpu}


def measure(
    log_dir: Path,
    agents: int,
    tick_rate: float,
    clients: int,
    window: float = 5.0,
    modes: tuple[str, ...] = ENCODINGS,
) -> dict[str, Any]:
    """Per mode, a swarm server of its own (what one mode left behind, clients shed or a
    backlog, must not weigh on the next) and `clients` clients watching it for `window`
    s. A mode the server could not serve at all (its clients could not even join) is
    reported as such, not as a number."""
    os.environ["SPINE_BENCH_SWARM"] = str(agents)
    os.environ["SPINE_BENCH_SWARM_RATE"] = str(tick_rate)
    out: dict[str, Any] = {"agents": agents, "tick_rate": tick_rate, "clients": clients}
    for encoding in modes:
        out[encoding] = _mode(log_dir, encoding, agents, clients, window)
    return out


def _mode(log_dir: Path, encoding: str, agents: int, clients: int, window: float) -> dict[str, Any]:
    name = f"bigworld-{agents}-{encoding}"
    extra = ["--simulation", "bench.sim:swarm"]
    if agents >= BIG:  # a tick's frame is megabytes: a queue of a few (docs/big-worlds.md)
        extra += ["--send-queue-bytes", str(BIG_QUEUE_BYTES)]
    server = start_server("project", log_dir, name, extra)
    try:
        time.sleep(1.0 + agents / 50_000)  # the swarm is added before the first tick
        try:
            seen = _clients(server.url, encoding, clients, 2, window, server.cpu_seconds)
        except (RuntimeError, EOFError, OSError) as exc:
            return {"failed": f"{type(exc).__name__}: {exc}"}
        # What one client taking every tick was offered.
        # Each client counted whole ticks of its own window: what it was offered is its
        # ticks' updates (a shed client's window ends with it: `closed` says so).
        offered = agents * max(seen["ticks"], 1)
        delivered = seen["updates"] + seen["skipped"]
        seen["delivered_share"] = seen["updates"] / offered
        seen["accounted_share"] = delivered / offered
        seen["bytes_per_update"] = seen["bytes"] / max(1, seen["updates"])
        # What one client received a tick (ticks are summed over the clients).
        seen["bytes_per_tick"] = seen["bytes"] / max(1, seen["ticks"])
        seen["server_cpu_per_update_us"] = (
            seen["server_cpu"] * window / max(1, seen["updates"]) * 1e6
        )
        return seen
    finally:
        server.stop()
