"""Commands on one connection: sequential round trips and a pipelined stream, to the ack.

The command is `modify_agent` (validated against its schema, rate-limited, queued to the
simulation thread, handled there by `bench.sim` as a no-op and acknowledged). Round trip
= send to `command_ack` received, measured with `time.perf_counter_ns` in this process.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import numpy as np
import orjson
import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

__all__ = ["measure"]


class _Acks(WSListener):
    def __init__(self) -> None:
        super().__init__()
        self.sent: dict[str, int] = {}
        self.latency_ns: list[int] = []
        self.errors: Counter[str] = Counter()
        self.progress = asyncio.Event()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type != WSMsgType.TEXT:
            return
        now = time.perf_counter_ns()
        reply = orjson.loads(frame.get_payload_as_memoryview())
        sent = self.sent.pop(reply.get("command_id") or "", None)
        if sent is None:
            return
        if reply["type"] == "command_ack":
            self.latency_ns.append(now - sent)
        else:
            self.errors[reply.get("code", reply["type"])] += 1
        self.progress.set()


def _frame(i: int) -> tuple[str, bytes]:
    command_id = f"c{i}"
    body = {
        "type": "modify_agent",
        "id": command_id,
        "agent_id": "a1",
        "agent_data": {"x": 1.5, "y": 2.5},
    }
    return command_id, orjson.dumps(body)


async def _run(
    url: str, sequential: int, pipelined: int, window: int, limit: float
) -> dict[str, Any]:
    transport, acks = await ws_connect(_Acks, url, websocket_handshake_timeout=10)
    assert isinstance(acks, _Acks)
    deadline = time.monotonic() + limit

    async def one(i: int) -> None:
        command_id, body = _frame(i)
        acks.progress.clear()
        acks.sent[command_id] = time.perf_counter_ns()
        transport.send(WSMsgType.TEXT, body)
        while command_id in acks.sent:
            await asyncio.wait_for(acks.progress.wait(), max(0.01, deadline - time.monotonic()))
            acks.progress.clear()

    try:
        for i in range(min(200, sequential)):  # warm-up
            await one(-1 - i)
        acks.latency_ns.clear()
        acks.errors.clear()

        started = time.perf_counter()
        for i in range(sequential):
            await one(i)
        seq_seconds = time.perf_counter() - started
        seq_latency, seq_errors = acks.latency_ns, dict(acks.errors)
        acks.latency_ns, acks.errors = [], Counter()

        started = time.perf_counter()
        i = 0
        while i < pipelined or acks.sent:
            while i < pipelined and len(acks.sent) < window:
                command_id, body = _frame(sequential + i)
                acks.sent[command_id] = time.perf_counter_ns()
                transport.send(WSMsgType.TEXT, body)
                i += 1
            acks.progress.clear()
            await asyncio.wait_for(acks.progress.wait(), max(0.01, deadline - time.monotonic()))
        pipe_seconds = time.perf_counter() - started
    finally:
        transport.send_close()
        transport.disconnect()

    def stats(latency: list[int], seconds: float, n: int) -> dict[str, Any]:
        ms = np.asarray(latency, dtype=np.float64) / 1e6
        return {
            "commands": n,
            "acked": len(latency),
            "per_second": len(latency) / seconds if seconds > 0 else 0.0,
            "p50_ms": float(np.percentile(ms, 50)) if ms.size else float("nan"),
            "p99_ms": float(np.percentile(ms, 99)) if ms.size else float("nan"),
        }

    return {
        "sequential": {**stats(seq_latency, seq_seconds, sequential), "errors": seq_errors},
        "pipelined": {
            **stats(acks.latency_ns, pipe_seconds, pipelined),
            "errors": dict(acks.errors),
            "window": window,
        },
    }


def measure(
    url: str, *, sequential: int, pipelined: int, window: int = 256, timeout: float = 120.0
) -> dict[str, Any]:
    """Run both measurements on one fresh connection (uvloop) and return their figures."""
    return uvloop.run(_run(url, sequential, pipelined, window, timeout))
