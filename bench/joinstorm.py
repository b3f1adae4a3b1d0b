"""The join storm: K clients join a large world at once while a few readers keep up.

Project server only (the bare server has no snapshot). Measured from outside: each
joiner's time from connect to its whole snapshot, the readers' worst gap between two
ticks (the server's loop stalling shows there; ticks are 50 ms apart), the server's RSS
growth, and how many readers (and joiners) were shed. The joiners run in a process of
their own, so that receiving their megabytes does not delay the readers' clock.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import websockets

from bench.launch import start_server

__all__ = ["measure"]


async def _storm(url: str, joiners: int, readers: int, rss: Any) -> dict[str, Any]:
    connect = {"max_size": None, "open_timeout": 30, "compression": None}
    stream = [await websockets.connect(url, **connect) for _ in range(readers)]
    for ws in stream:
        await ws.recv()  # the snapshot
    stop = asyncio.Event()
    gaps: list[float] = []
    closed: list[int] = []
    storm_window: list[float] = []

    async def read(ws: Any) -> None:
        last = None
        try:
            while not stop.is_set():
                try:
                    raw = await asyncio.wait_for(ws.recv(), 0.5)
                except TimeoutError:
                    continue
                if raw.startswith('{"seq"') and '"type":"tick_start"' in raw[:40]:
                    now = time.monotonic()
                    if last is not None and storm_window and now >= storm_window[0]:
                        gaps.append(now - last)
                    last = now
        except websockets.ConnectionClosed:
            closed.append(1)

    reading = [asyncio.create_task(read(ws)) for ws in stream]
    await asyncio.sleep(1.0)
    rss_before = rss()
    peak = rss_before
    sampling = True

    async def sample() -> None:
        nonlocal peak
        while sampling:
            peak = max(peak, rss())
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    storm_window.append(time.monotonic())
    began = time.monotonic()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        times, sizes, failed = await asyncio.wrap_future(pool.submit(_joiners, url, joiners))
    storm = time.monotonic() - began
    await asyncio.sleep(1.0)
    sampling = False
    await sampler
    stop.set()
    await asyncio.gather(*reading)
    for ws in stream:
        await ws.close()
    times.sort()
    return {
        "joiners": joiners,
        "readers": readers,
        "snapshot_bytes": max(sizes) if sizes else 0,
        "snapshot_p50_s": times[len(times) // 2] if times else None,
        "snapshot_max_s": times[-1] if times else None,
        "storm_s": storm,
        "max_tick_gap_ms": 1000 * max(gaps) if gaps else None,
        "rss_growth": peak - rss_before,
        "readers_shed": len(closed),
        "joiners_failed": len(failed),
        "failures": failed[:3],
    }


def _joiners(url: str, count: int) -> tuple[list[float], list[int], list[str]]:
    """In a child process: `count` clients join at once; their times to the snapshot."""

    async def storm() -> tuple[list[float], list[int], list[str]]:
        times: list[float] = []
        sizes: list[int] = []
        failed: list[str] = []

        async def join() -> None:
            started = time.monotonic()
            try:
                async with websockets.connect(url, max_size=None, open_timeout=30) as ws:
                    snapshot = await asyncio.wait_for(ws.recv(), 120)
                    times.append(time.monotonic() - started)
                    sizes.append(len(snapshot))
            except Exception as exc:
                failed.append(repr(exc))

        await asyncio.gather(*(join() for _ in range(count)))
        return times, sizes, failed

    return asyncio.run(storm())


def measure(log_dir: Path, joiners: int, agents: int, readers: int = 5) -> dict[str, Any]:
    """Run one storm against a fresh project server serving `bench.sim:crowd`."""
    os.environ["SPINE_BENCH_CROWD"] = str(agents)
    server = start_server(
        "project", log_dir, "joinstorm-project", ["--simulation", "bench.sim:crowd"]
    )
    try:
        time.sleep(1.0)  # the crowd is added before the first tick
        result = asyncio.run(_storm(server.url, joiners, readers, server.rss))
        result["agents"] = agents
        result["shed_in_log"] = server.log().count("slow consumer")
    finally:
        server.stop()
    return result
