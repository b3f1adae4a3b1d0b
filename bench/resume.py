"""Resume rows: a client that missed N events against a fresh snapshot of a large world,
and 1,000 clients resuming at once (project server only; the bare one has no history).

Measured from outside, on `bench.sim:atlas` (10,000 agents, ten moving per tick): the
bytes a reconnect receives until it is current (has the event that was the server's
last when it reconnected) and how long that takes; for the storm, the server's RSS
growth against the history's own size.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import re
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
import websockets

from bench.launch import start_server

__all__ = ["measure"]

_SEQ = re.compile(rb'^\{"seq":(\d+)')
_CONNECT: dict[str, Any] = {"max_size": None, "open_timeout": 30, "compression": None}


async def _reconnect(url: str, epoch: str, current: int, missed: int | None) -> dict[str, Any]:
    """Connect (resuming `missed` events back, or fresh) and read until `current`."""
    query = "" if missed is None else f"?resume={epoch}:{current - missed}"
    began = time.monotonic()
    received = 0
    async with websockets.connect(url + query, **_CONNECT) as ws:
        first = await ws.recv(decode=False)
        received += len(first)
        head = orjson.loads(first)
        seq = head["seq"]  # a snapshot's, or (resumed) the client's own
        while seq < current:
            frame = await ws.recv(decode=False)
            received += len(frame)
            match = _SEQ.match(frame)
            if match:
                seq = int(match[1])
        took = time.monotonic() - began
    outcome = head["type"] if "resume" not in head else f"snapshot ({head['resume']['reason']})"
    return {"bytes": received, "seconds": took, "outcome": outcome,
            "replayed": head.get("replayed")}  # fmt: skip


def _health(http: str) -> dict[str, Any]:
    result: dict[str, Any] = httpx.get(f"{http}/health", timeout=10).json()
    return result


def _wait_for_seq(http: str, seq: int, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while (health := _health(http))["seq"] < seq:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the server's seq stayed below {seq}")
        time.sleep(0.2)
    return health


def _cases(url: str, http: str, repeats: int) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for name, missed in (("snapshot", None), ("resume_100", 100), ("resume_10000", 10_000)):
        runs = []
        for _ in range(repeats):
            health = _health(http)
            runs.append(asyncio.run(_reconnect(url, health["epoch"], health["seq"], missed)))
        rows[name] = {
            "bytes": statistics.median(r["bytes"] for r in runs),
            "seconds": statistics.median(r["seconds"] for r in runs),
            "outcomes": sorted({r["outcome"] for r in runs}),
            "replayed": statistics.median(r["replayed"] or 0 for r in runs),
        }
    return rows


def _storm_clients(url: str, epoch: str, current: int, count: int, back: int) -> dict[str, Any]:
    """In a child process: `count` clients resume at once, each some way back."""
    rng = random.Random(1)
    points = [rng.randint(1, back) for _ in range(count)]

    async def storm() -> dict[str, Any]:
        results = await asyncio.gather(
            *(_reconnect(url, epoch, current, missed) for missed in points),
            return_exceptions=True,
        )
        ok = [r for r in results if isinstance(r, dict)]
        return {
            "resumed": sum(1 for r in ok if r["outcome"] == "resumed"),
            "failed": [repr(r) for r in results if not isinstance(r, dict)][:3],
            "failures": sum(1 for r in results if not isinstance(r, dict)),
            "seconds_p50": statistics.median(r["seconds"] for r in ok) if ok else None,
            "seconds_max": max(r["seconds"] for r in ok) if ok else None,
            "bytes": sum(r["bytes"] for r in ok),
        }

    return asyncio.run(storm())


def _storm(server: Any, http: str, count: int, back: int) -> dict[str, Any]:
    health = _wait_for_seq(http, back + 500)
    before = server.rss()
    peak = before
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        future = pool.submit(_storm_clients, server.url, health["epoch"], health["seq"],
                             count, back)  # fmt: skip
        while not future.done():
            peak = max(peak, server.rss())
            time.sleep(0.05)
        result: dict[str, Any] = future.result()
    result.update(
        clients=count,
        back=back,
        rss_growth=peak - before,
        history_bytes=_health(http)["history"]["bytes"],
        shed_in_log=server.log().count("slow consumer"),
    )
    return result


def measure(log_dir: Path, agents: int, storm_clients: int, repeats: int = 5) -> dict[str, Any]:
    """The N-missed rows at 100 ticks/s, then the storm on a server at 10 ticks/s (at
    1,000 clients a Python server fans out a few hundred events/s each, not 1,200)."""
    os.environ["SPINE_BENCH_ATLAS"] = str(agents)
    os.environ["SPINE_BENCH_ATLAS_RATE"] = "100"
    server = start_server("project", log_dir, "resume-project", ["--simulation", "bench.sim:atlas"])
    try:
        http = server.url.replace("ws://", "http://").removesuffix("/ws")
        _wait_for_seq(http, agents + 12_000)  # the world, then 10,000 events of history
        result: dict[str, Any] = {"agents": agents, "cases": _cases(server.url, http, repeats)}
    finally:
        server.stop()
    os.environ["SPINE_BENCH_ATLAS_RATE"] = "10"
    server = start_server("project", log_dir, "resume-storm", ["--simulation", "bench.sim:atlas"])
    try:
        http = server.url.replace("ws://", "http://").removesuffix("/ws")
        _wait_for_seq(http, agents)
        result["storm"] = _storm(server, http, storm_clients, back=1000)
    finally:
        server.stop()
    return result
