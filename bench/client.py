"""Fan-out clients: one process holds many picows connections and measures what arrives.

The orchestrator drives a process over a `multiprocessing` pipe with small tuples:

* `("arm", run, expected)` -> `("armed",)`: count `agent_update` events of `run` from now;
* `("collect", timeout)` -> `("result", {...})`: once every open connection has `expected`
  events of the run, or after `timeout` seconds;
* `("quiet", seconds, timeout)` -> `("quiet", ok)`: wait until no frame arrived for `seconds`;
* `("reconnect",)` -> `("ready", open)`: reopen connections the server closed;
* `("exit",)`: disconnect everything and return.

Per event it parses the frame (orjson), checks `seq` continuity, and records the event's
index `n` and its publish-to-receive latency in microseconds (`data.t` is the publisher's
`time.time_ns()`, comparable across processes on one machine).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from array import array
from collections import Counter
from multiprocessing.connection import Connection as Pipe
from typing import Any

import orjson
import uvloop
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from bench.launch import raise_fd_limit

__all__ = ["main"]

_CONNECT_CONCURRENCY = 64
_CONNECT_ATTEMPTS = 3
ABORTED = 1006  # no close frame: the TCP connection was dropped


class Tally:
    """What one process saw of the current run, over all its connections."""

    def __init__(self) -> None:
        self.run = -1
        self.expected = 0
        self.n = array("i")
        self.latency_us = array("i")
        self.t_first = 0
        self.t_last = 0
        self.frame_bytes = 0
        # Every text frame and its payload bytes since `arm` (batches count once).
        self.frames = 0
        self.bytes = 0
        self.done = 0
        self.closes: Counter[int] = Counter()
        self.last_frame = time.monotonic()
        self.finished = asyncio.Event()

    def arm(self, run: int, expected: int) -> None:
        self.run, self.expected = run, expected
        self.n, self.latency_us = array("i"), array("i")
        self.t_first = self.t_last = self.done = 0
        self.frames = self.bytes = 0
        self.closes = Counter()
        self.finished.clear()


class Receiver(WSListener):
    """One connection: counts the run's events and notes how it ended."""

    def __init__(self, tally: Tally, fleet: Fleet) -> None:
        super().__init__()
        self.tally = tally
        self.fleet = fleet
        self.transport: WSTransport | None = None
        self.run = -1
        self.count = 0
        self.last_seq = 0
        self.gaps = 0
        self.close_code: int | None = None
        self.open = False

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport
        self.open = True

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        tally = self.tally
        if frame.msg_type == WSMsgType.TEXT:
            now = time.time_ns()
            tally.last_frame = time.monotonic()
            tally.frames += 1
            tally.bytes += frame.payload_size
            event = orjson.loads(frame.get_payload_as_memoryview())
            if "jsonrpc" in event:  # a notification of the jsonrpc profile
                event = {"type": event["method"], **event["params"]}
            if event["type"] == "batch":  # a subscription's batches: each event counts
                for member in event["events"]:
                    self.on_event(member, now, frame.payload_size)
            else:
                self.on_event(event, now, frame.payload_size)
        elif frame.msg_type == WSMsgType.CLOSE:
            code = frame.get_close_code()
            self.close_code = code.value if code is not None else None
            if not transport.is_close_frame_sent:
                transport.send_close(code)
            transport.disconnect()

    def on_event(self, event: dict[str, Any], now: int, size: int) -> None:
        tally = self.tally
        seq = event.get("seq")
        if seq is not None:
            if self.last_seq and seq != self.last_seq + 1:
                self.gaps += 1
            self.last_seq = seq
        if event["type"] != "agent_update":
            return
        data = event["data"]
        if data.get("r") != tally.run:
            return
        if self.run != tally.run:
            self.run, self.count = tally.run, 0
        n = data["n"]
        tally.n.append(n)
        tally.latency_us.append((now - data["t"]) // 1000)
        if n == 0:
            tally.t_first = data["t"]
            tally.frame_bytes = size
        elif n == tally.expected - 1:
            tally.t_last = data["t"]
        self.count += 1
        if self.count == tally.expected:
            tally.done += 1
            self.fleet.check_finished()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        if self.open:
            self.open = False
            code = int(self.close_code) if self.close_code is not None else ABORTED
            self.tally.closes[code] += 1
            self.fleet.check_finished()


class Fleet:
    """The connections of one client process, and its command loop."""

    def __init__(self, pipe: Pipe, url: str, size: int) -> None:
        self.pipe = pipe
        self.url = url
        self.size = size
        self.tally = Tally()
        self.receivers: list[Receiver] = []
        self.errors: Counter[str] = Counter()
        self.inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    def check_finished(self) -> None:
        open_ = sum(1 for r in self.receivers if r.open)
        if self.tally.expected and self.tally.done >= open_:
            self.tally.finished.set()

    async def connect_missing(self) -> int:
        self.receivers = [r for r in self.receivers if r.open]
        gate = asyncio.Semaphore(_CONNECT_CONCURRENCY)

        async def one() -> None:
            async with gate:
                for attempt in range(_CONNECT_ATTEMPTS):
                    try:
                        _, receiver = await ws_connect(
                            lambda: Receiver(self.tally, self),
                            self.url,
                            websocket_handshake_timeout=15,
                        )
                    except Exception as exc:
                        self.errors[type(exc).__name__] += 1
                        await asyncio.sleep(0.2 * (attempt + 1))
                    else:
                        assert isinstance(receiver, Receiver)
                        self.receivers.append(receiver)
                        return

        await asyncio.gather(*(one() for _ in range(self.size - len(self.receivers))))
        return sum(1 for r in self.receivers if r.open)

    def result(self) -> dict[str, Any]:
        tally = self.tally
        counts = [r.count if r.run == tally.run else 0 for r in self.receivers]
        return {
            "connections": len(self.receivers),
            "open": sum(1 for r in self.receivers if r.open),
            "counts": counts,
            "gaps": sum(r.gaps for r in self.receivers),
            "closes": dict(tally.closes),
            "n": tally.n.tobytes(),
            "latency_us": tally.latency_us.tobytes(),
            "t_first": tally.t_first,
            "t_last": tally.t_last,
            "frame_bytes": tally.frame_bytes,
            "frames": tally.frames,
            "bytes": tally.bytes,
            "errors": dict(self.errors),
        }

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()

        def read_pipe() -> None:  # a thread: the loop must not make the pipe non-blocking
            with contextlib.suppress(EOFError, OSError):
                while True:
                    message = self.pipe.recv()
                    loop.call_soon_threadsafe(self.inbox.put_nowait, message)
                    if message[0] == "exit":
                        return
            loop.call_soon_threadsafe(self.inbox.put_nowait, ("exit",))

        threading.Thread(target=read_pipe, name="pipe", daemon=True).start()
        self.pipe.send(("ready", await self.connect_missing(), dict(self.errors)))
        while True:
            message = await self.inbox.get()
            kind = message[0]
            if kind == "arm":
                self.tally.arm(message[1], message[2])
                self.pipe.send(("armed",))
            elif kind == "collect":
                self.check_finished()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.tally.finished.wait(), message[1])
                self.pipe.send(("result", self.result()))
            elif kind == "quiet":
                quiet, deadline = message[1], time.monotonic() + message[2]
                while time.monotonic() - self.tally.last_frame < quiet:
                    if time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.05)
                self.pipe.send(("quiet", time.monotonic() - self.tally.last_frame >= quiet))
            elif kind == "reconnect":
                self.pipe.send(("ready", await self.connect_missing(), dict(self.errors)))
            elif kind == "exit":
                for receiver in self.receivers:
                    if receiver.open and receiver.transport is not None:
                        receiver.transport.disconnect()
                return


def main(pipe: Pipe, url: str, size: int) -> None:
    """Process entry point: `size` connections to `url`, driven over `pipe`."""
    raise_fd_limit()
    try:
        uvloop.run(Fleet(pipe, url, size).serve())
    finally:
        pipe.close()
