"""A session: one server under test and K clients spread over a few processes.

`Session.step(rate, seconds)` runs one publication run and returns a `Step`: what the
clients received, the latencies, and the server's CPU and RSS. Runs are started with the
control command of `bench.sim` (the bare server understands it too).
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import psutil  # type: ignore[import-untyped]
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from bench import client
from bench.launch import Server, start_server
from bench.sim import CONTROL_AGENT

__all__ = ["Session", "Step", "control"]

_runs = itertools.count(1)
_READY_TIMEOUT = 120.0


@dataclass
class Step:
    """One run at one rate, as K clients saw it."""

    rate: float
    count: int
    clients: int
    seconds: float
    delivered: float
    open: int
    closes: dict[int, int]
    gaps: int
    achieved_rate: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    early_p50_ms: float
    late_p50_ms: float
    server_cpu: float
    clients_cpu: float
    server_rss: int
    frame_bytes: int
    wall: float
    # Text frames and their bytes received per client per second of the run.
    frames_per_client_s: float
    bytes_per_client_s: float
    events_per_client_s: float
    n: np.ndarray = field(repr=False)
    latency_ms: np.ndarray = field(repr=False)

    @property
    def growing(self) -> bool:
        """Latency at the end of the run well above its start: a backlog is building."""
        return self.late_p50_ms > 2.0 * self.early_p50_ms + 2.0

    @property
    def sustained(self) -> bool:
        """Every event to every client, nobody closed, on schedule, no growing latency."""
        return (
            self.delivered >= 1.0
            and not self.closes
            and self.achieved_rate >= 0.95 * self.rate
            and not self.growing
        )

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k not in ("n", "latency_ms")}
        out["growing"] = self.growing
        out["sustained"] = self.sustained
        return out

    def per_second(self) -> list[dict[str, float]]:
        """Delivered fraction and p99 per second of schedule (events binned by index)."""
        per_bin = max(1, round(self.rate))
        bins = []
        for start in range(0, self.count, per_bin):
            stop = min(self.count, start + per_bin)
            mask = (self.n >= start) & (self.n < stop)
            lat = self.latency_ms[mask]
            bins.append(
                {
                    "second": start / per_bin,
                    "delivered": float(mask.sum()) / ((stop - start) * self.clients),
                    "p99_ms": float(np.percentile(lat, 99)) if lat.size else float("nan"),
                }
            )
        return bins


def control(url: str, payload: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Send one command on a fresh connection and return its reply (ack or error)."""
    command_id = payload.setdefault("id", f"ctl-{next(_runs)}")
    with connect(
        url,
        open_timeout=timeout,
        close_timeout=2,
        compression=None,
        max_size=None,
        max_queue=None,
        # The spine profile, whatever the server's default (the bare server selects none).
        subprotocols=[Subprotocol("spine.v1")],
    ) as ws:
        ws.send(orjson.dumps(payload).decode())
        deadline = time.monotonic() + timeout
        while True:
            reply = orjson.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if reply.get("command_id") == command_id:
                return dict(reply)


class Session:
    """A server and `clients` connections over `processes` client processes."""

    def __init__(
        self,
        kind: str,
        clients: int,
        log_dir: Path,
        *,
        processes: int = 2,
        extra: list[str] | None = None,
        name: str | None = None,
        server: Server | None = None,
        clients_at: list[str] | None = None,
        query: str = "",
    ) -> None:
        """`server`: a running server to use (and leave running) instead of starting
        one; `clients_at`: where the clients connect, if not to it (cluster gateways:
        client process i connects to the i-th, round robin); `query`: appended to the
        clients' URL (a connect-time `?subscribe=`)."""
        self.query = query
        self.kind = kind
        self._given = server
        self._clients_at = clients_at
        self.clients = clients
        self.log_dir = log_dir
        self.processes = max(1, min(processes, clients))
        self.extra = extra
        self.name = name or f"{kind}-k{clients}"
        self.server: Server | None = None
        self.pipes: list[Pipe] = []
        self.workers: list[multiprocessing.process.BaseProcess] = []
        self.rss_before_clients = 0
        self.rss_after_clients = 0
        self.connect_seconds = 0.0

    def __enter__(self) -> Session:
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return self._clients_at[0] if self._clients_at else self.server.url

    def open(self) -> None:
        self.server = self._given or start_server(self.kind, self.log_dir, self.name, self.extra)
        # Warm the connection path once so the baseline RSS has its one-time costs.
        control(self.url, {"type": "pause"})
        time.sleep(0.3)
        self.rss_before_clients = self.server.rss()
        started = time.monotonic()
        context = multiprocessing.get_context("spawn")
        sizes = [
            self.clients // self.processes + (i < self.clients % self.processes)
            for i in range(self.processes)
        ]
        urls = [url + self.query for url in self._clients_at or [self.url]]
        for index, size in enumerate(sizes):
            parent, child = context.Pipe()
            url = urls[index % len(urls)]
            worker = context.Process(target=client.main, args=(child, url, size), daemon=True)
            worker.start()
            child.close()
            self.pipes.append(parent)
            self.workers.append(worker)
        replies = self._gather(_READY_TIMEOUT)
        self.connect_seconds = time.monotonic() - started
        opened = sum(r[1] for r in replies)
        if opened < self.clients:
            errors: Counter[str] = Counter()
            for r in replies:
                errors.update(r[2])
            raise RuntimeError(f"{self.name}: {opened}/{self.clients} connected; {dict(errors)}")
        time.sleep(0.5)
        self.rss_after_clients = self.server.rss()

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("exit",))
        for worker in self.workers:
            worker.join(2)
            if worker.is_alive():
                worker.kill()
                worker.join(2)
        for pipe in self.pipes:
            pipe.close()
        self.pipes, self.workers = [], []
        if self.server is not None and self._given is None:
            self.server.stop()
        self.server = None

    def _ask(
        self, message: tuple[Any, ...], timeout: float, idle: Callable[[], None] | None = None
    ) -> list[Any]:
        for pipe in self.pipes:
            pipe.send(message)
        return self._gather(timeout, idle)

    def _gather(self, timeout: float, idle: Callable[[], None] | None = None) -> list[Any]:
        """One reply from every client process, calling `idle` about every 50 ms."""
        replies: dict[int, Any] = {}
        deadline = time.monotonic() + timeout
        while len(replies) < len(self.pipes):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: client processes did not answer in {timeout} s")
            waiting = [p for i, p in enumerate(self.pipes) if i not in replies]
            for ready in wait(waiting, min(left, 0.05)):
                index = next(i for i, p in enumerate(self.pipes) if p is ready)
                try:
                    replies[index] = self.pipes[index].recv()
                except EOFError:
                    raise RuntimeError(f"{self.name}: a client process died") from None
            if idle is not None:
                idle()
        return [replies[i] for i in range(len(self.pipes))]

    def quiet(self, seconds: float = 0.3, timeout: float = 3.0) -> bool:
        """True once no client received anything for `seconds` (the server has drained)."""
        return all(r[1] for r in self._ask(("quiet", seconds, timeout), timeout + 10))

    def intact(self) -> bool:
        """Every client still connected and the server drained: fit for another step."""
        replies = self._ask(("reconnect",), _READY_TIMEOUT)
        return sum(r[1] for r in replies) == self.clients and self.quiet()

    def step(
        self,
        rate: float,
        seconds: float,
        *,
        drain: float = 1.5,
        idle: Callable[[], None] | None = None,
    ) -> Step:
        """Publish `rate` x `seconds` events and measure their delivery to every client."""
        assert self.server is not None
        run = next(_runs)
        count = max(1, round(rate * seconds))
        self._ask(("arm", run, count), 30)
        cpu0, t0 = self.server.cpu_seconds(), time.monotonic()
        clients0 = self._clients_cpu()
        reply = control(
            self.url,
            {
                "type": "modify_agent",
                "agent_id": CONTROL_AGENT,
                "agent_data": {"rate": rate, "count": count, "run": run},
            },
        )
        if reply.get("type") != "command_ack":
            raise RuntimeError(f"{self.name}: the run was refused: {reply}")
        duration = count / rate
        replies = self._ask(("collect", duration + drain), duration + drain + 60, idle)
        results = [r[1] for r in replies]
        wall = time.monotonic() - t0
        cpu = (self.server.cpu_seconds() - cpu0) / wall
        clients_cpu = (self._clients_cpu() - clients0) / wall
        return _aggregate(
            rate, count, self.clients, seconds, results, (cpu, clients_cpu), self.server.rss(), wall
        )

    def _clients_cpu(self) -> float:
        total = 0.0
        for worker in self.workers:
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(worker.pid).cpu_times()
                total += times.user + times.system
        return total


def _aggregate(
    rate: float,
    count: int,
    clients: int,
    seconds: float,
    results: list[dict[str, Any]],
    cpu: tuple[float, float],
    rss: int,
    wall: float,
) -> Step:
    n = np.concatenate([np.frombuffer(r["n"], dtype=np.int32) for r in results])
    latency = (
        np.concatenate([np.frombuffer(r["latency_us"], dtype=np.int32) for r in results]).astype(
            np.float64
        )
        / 1000.0
    )
    closes: Counter[int] = Counter()
    for r in results:
        closes.update({int(k): v for k, v in r["closes"].items()})
    firsts = [r["t_first"] for r in results if r["t_first"]]
    lasts = [r["t_last"] for r in results if r["t_last"]]
    achieved = float("nan")
    if count == 1:
        achieved = rate if firsts else 0.0
    elif firsts and lasts:
        span = (max(lasts) - min(firsts)) / 1e9
        # Events leave in per-tick bursts: the last tick's burst starts one tick early.
        achieved = (count - 1) / span if span > 0 else float("inf")
    elif firsts or lasts:
        achieved = 0.0
    quarter = max(1, count // 4)
    early, late = latency[n < quarter], latency[n >= count - quarter]

    def pct(values: np.ndarray, q: float) -> float:
        return float(np.percentile(values, q)) if values.size else float("nan")

    return Step(
        rate=rate,
        count=count,
        clients=clients,
        seconds=seconds,
        delivered=float(sum(sum(r["counts"]) for r in results)) / (count * clients),
        open=sum(r["open"] for r in results),
        closes=dict(closes),
        gaps=sum(r["gaps"] for r in results),
        achieved_rate=achieved if achieved == achieved else 0.0,
        p50_ms=pct(latency, 50),
        p99_ms=pct(latency, 99),
        max_ms=float(latency.max()) if latency.size else float("nan"),
        early_p50_ms=pct(early, 50),
        late_p50_ms=pct(late, 50),
        server_cpu=cpu[0],
        clients_cpu=cpu[1],
        server_rss=rss,
        frame_bytes=max(r["frame_bytes"] for r in results),
        wall=wall,
        frames_per_client_s=sum(r["frames"] for r in results) / clients / (count / rate),
        bytes_per_client_s=sum(r["bytes"] for r in results) / clients / (count / rate),
        events_per_client_s=float(sum(sum(r["counts"]) for r in results))
        / clients
        / (count / rate),
        n=n,
        latency_ms=latency,
    )
