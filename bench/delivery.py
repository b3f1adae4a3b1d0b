"""Issue 15's rows: what subscriptions, batches and coalescing buy a client.

* `batching`: K clients with and without `batch: true`, the same server and rates: the
  highest rate every client takes in full, and per client the frames, events and bytes
  a second at the fixed rate;
* `filtered`: K clients following 1 % of the agents vs K following all of them;
* `half_rate`: one reader taking frames at half the rate they are published, next to
  healthy clients, against the project (coalescing: it is told, stays current) and the
  bare server (no coalescing): its latency of the latest position over the run, and
  whether it was closed.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import orjson

from bench.launch import HOST
from bench.session import Session, Step

__all__ = ["HalfRateReader", "batching", "filtered", "half_rate"]


def _subscribe(members: dict[str, Any]) -> str:
    return "?subscribe=" + urllib.parse.quote(json.dumps(members))


def _row(step: Step) -> dict[str, Any]:
    return {
        "rate": step.rate,
        "delivered": step.delivered,
        "sustained": step.sustained,
        "p50_ms": step.p50_ms,
        "p99_ms": step.p99_ms,
        "server_cpu": step.server_cpu,
        "frames_per_client_s": step.frames_per_client_s,
        "events_per_client_s": step.events_per_client_s,
        "bytes_per_client_s": step.bytes_per_client_s,
        "closes": step.closes,
    }


def batching(
    ladders: dict[int, tuple[float, ...]], seconds: float, processes: int, log: Path
) -> dict[str, Any]:
    """Per K, unbatched and batched: each rate of its ladder in turn until one is missed
    (a ladder per K: what 1,000 clients of one process can take starts far lower)."""
    out: dict[str, Any] = {}
    for k, rates in ladders.items():
        for name, query in (("unbatched", ""), ("batched", _subscribe({"batch": True}))):
            steps = []
            with Session("project", k, log, processes=min(processes, k), query=query,
                         name=f"batch-{name}-k{k}") as session:  # fmt: skip
                for rate in rates:
                    step = session.step(rate, seconds)
                    steps.append(_row(step))
                    print(f"[bench] {name} K={k} {rate:.0f}/s: {_brief(step)}", flush=True)
                    if not step.sustained or not session.intact():
                        break
            sustained = max((s["rate"] for s in steps if s["sustained"]), default=0.0)
            out.setdefault(str(k), {})[name] = {"steps": steps, "sustained_rate": sustained}
    return out


def filtered(k: int, rate: float, seconds: float, processes: int, log: Path) -> dict[str, Any]:
    """K clients of agent a0 only (1 % of the updates) vs K of everything."""
    out: dict[str, Any] = {}
    for name, query in (("all", ""), ("one_percent", _subscribe({"agent_ids": ["a0"]}))):
        with Session("project", k, log, processes=processes, query=query,
                     name=f"filtered-{name}") as session:  # fmt: skip
            step = session.step(rate, seconds, drain=1.0)
        out[name] = _row(step)
        print(f"[bench] filtered {name} K={k} {rate:.0f}/s: {_brief(step)}", flush=True)
    return out


def half_rate(rate: float, seconds: float, healthy: int, log: Path) -> dict[str, Any]:
    """A reader at half the rate, against the project (coalescing) and the bare server."""
    out: dict[str, Any] = {}
    for kind in ("project", "bare"):
        with Session(kind, healthy, log, processes=1, name=f"half-{kind}") as session:
            assert session.server is not None
            path = "/ws" if kind == "project" else "/"
            reader = HalfRateReader(session.server.port, path, rate / 2)
            reader.start()
            try:
                step = session.step(rate, seconds, drain=1.0)
            finally:
                reader.stop()
        out[kind] = {"healthy": _row(step), **reader.summary()}
        _say_half(kind, out[kind])
    # A tab's case: batched, and taking half the bytes a second the stream is (one batch
    # frame per burst, so a frame rate would not slow it down).
    with Session("project", healthy, log, processes=1, name="half-batched") as session:
        assert session.server is not None
        reader = HalfRateReader(
            session.server.port, "/ws" + _subscribe({"batch": True}), bytes_per_s=rate * 55
        )
        reader.start()
        try:
            step = session.step(rate, seconds, drain=1.0)
        finally:
            reader.stop()
    out["batched"] = {"healthy": _row(step), **reader.summary()}
    _say_half("batched", out["batched"])
    return out


def _say_half(kind: str, result: dict[str, Any]) -> None:
    print(
        f"[bench] half-rate {kind}: latest-position latency p50 {result['p50_ms']:.0f} ms, "
        f"last second p50 {result['last_p50_ms']:.0f} ms, skipped {result['skipped']} in "
        f"{result['notices']} notices, closed {result['closed']}",
        flush=True,
    )


def _brief(step: Step) -> str:
    return (
        f"delivered {step.delivered:.2%} p50 {step.p50_ms:.1f} ms p99 {step.p99_ms:.1f} ms, "
        f"{step.frames_per_client_s:.0f} frames {step.events_per_client_s:.0f} events "
        f"{step.bytes_per_client_s / 1024:.0f} KiB /s/client, cpu {step.server_cpu:.2f}"
    )


class HalfRateReader:
    """One WebSocket client on a plain socket that takes at most `frames_per_s` frames
    (or `bytes_per_s` bytes) a second (a phone on a weak link, a busy tab), noting each
    update's age when it arrives, inside batches too."""

    def __init__(
        self, port: int, path: str, frames_per_s: float = 0.0, *, bytes_per_s: float = 0.0
    ) -> None:
        self._sock = socket.create_connection((HOST, port), timeout=10)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        self._sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        self._buffer = b""
        while b"\r\n\r\n" not in self._buffer:
            self._buffer += self._sock.recv(4096)
        self._buffer = self._buffer.split(b"\r\n\r\n", 1)[1]
        self._rate = frames_per_s
        self._byte_rate = bytes_per_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.ages: list[tuple[float, float]] = []  # (when, ms since published)
        self.skipped = self.notices = 0
        self.closed: int | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()

    def _run(self) -> None:
        started, frames, taken = time.monotonic(), 0, 0
        self._sock.settimeout(0.5)
        while not self._stop.is_set():
            due = taken / self._byte_rate if self._byte_rate else frames / self._rate
            ahead = due - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(min(ahead, 0.05))
                continue
            frame = self._frame()
            if frame is None:
                return
            opcode, payload = frame
            frames += 1
            taken += len(payload)
            if opcode == 0x8:
                self.closed = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                return
            if opcode != 0x1:
                continue
            message = orjson.loads(payload)
            for event in message["events"] if message.get("type") == "batch" else (message,):
                self._note(event)

    def _note(self, event: dict[str, Any]) -> None:
        if event.get("type") == "skipped":
            self.notices += 1
            self.skipped += event["count"]
        elif event.get("type") == "agent_update" and "t" in event.get("data", {}):
            self.ages.append((time.time(), (time.time_ns() - event["data"]["t"]) / 1e6))

    def _frame(self) -> tuple[int, bytes] | None:
        while True:
            parsed = _parse(self._buffer)
            if parsed is not None:
                opcode, payload, self._buffer = parsed
                return opcode, payload
            try:
                chunk = self._sock.recv(1 << 16)
            except TimeoutError:
                if self._stop.is_set():
                    return None
                continue
            except OSError:
                self.closed = self.closed or 1006
                return None
            if not chunk:
                self.closed = self.closed or 1006
                return None
            self._buffer += chunk

    def summary(self) -> dict[str, Any]:
        ages = sorted(age for _, age in self.ages)
        last = self.ages[-1][0] if self.ages else 0.0
        tail = sorted(age for when, age in self.ages if when >= last - 1.0)

        def mid(values: list[float]) -> float:
            return values[len(values) // 2] if values else float("nan")

        return {
            "frames_per_s": self._rate,
            "updates": len(ages),
            "p50_ms": mid(ages),
            "max_ms": ages[-1] if ages else float("nan"),
            "last_p50_ms": mid(tail),
            "skipped": self.skipped,
            "notices": self.notices,
            "closed": self.closed,
        }


def _parse(data: bytes) -> tuple[int, bytes, bytes] | None:
    """One unmasked frame off the front of `data`: (opcode, payload, rest), or None."""
    if len(data) < 2:
        return None
    opcode, size, at = data[0] & 0x0F, data[1] & 0x7F, 2
    if size == 126:
        if len(data) < 4:
            return None
        size, at = int.from_bytes(data[2:4], "big"), 4
    elif size == 127:
        if len(data) < 10:
            return None
        size, at = int.from_bytes(data[2:10], "big"), 10
    if len(data) < at + size:
        return None
    return opcode, data[at : at + size], data[at + size :]
