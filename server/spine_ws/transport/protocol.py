"""uvicorn's websockets-sansio protocol, lighter per open connection.

An idle connection is mostly memory: every one holds its protocol object for as long as
it is open. uvicorn gives each an `asyncio.Queue` (three deques and an `Event`, itself a
deque) for the messages to the app, and an `asyncio.Event` (another deque) for `writable`:
about 3.8 KB of empty deques per connection, kept for hours. `Inbox` and `Flag` do the
same jobs with the few calls uvicorn makes (`put_nowait`/`get`/`empty`;
`set`/`clear`/`is_set`/`wait`) and allocate only while something waits or is queued.
It also keeps the handshake's request and response (headers and all) after the accept,
and has too many attributes for CPython to share its instances' key table: `Protocol`
fixes these too.

And it makes every close finish. uvicorn ends a connection with `transport.close()`
(after a keepalive timeout, a close handshake, or when the app returns), which waits
for the write buffer to drain: a peer that stops reading never lets it, and would keep
the connection, its buffers and a connection slot forever. Here each close has a
deadline (`close_timeout`), after which the TCP connection is reset, as
python-websockets does after its `close_timeout`.

Everything else is uvicorn's own code; `transport.server` passes this class as `ws=`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame

from spine_ws.transport.fast import reset

__all__ = ["Flag", "Inbox", "Protocol"]

log = logging.getLogger("spine_ws.connection")


class Protocol(WebSocketsSansIOProtocol):
    """`WebSocketsSansIOProtocol`, with an `Inbox` and a `Flag` instead of asyncio's."""

    # uvicorn sets 37 attributes per connection; from 30 on, CPython (3.11-3.13) stops
    # sharing the key table and gives each instance its own dict (1.6 KB instead of
    # 0.3 KB). Slots, which take precedence over the dict, hold the ones that are the
    # same for every connection. A name uvicorn stops using just stays empty.
    __slots__ = (
        "app",
        "app_state",
        "asgi_version",
        "config",
        "connections",
        "default_headers",
        "logger",
        "loop",
        "root_path",
        "tasks",
    )

    # Seconds a close may take before the connection is reset (set per server by
    # `transport.server`, on a subclass).
    close_deadline: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Replaced before any use: the queue and the event are only touched from
        # connection_made on.
        self.queue = Inbox()  # type: ignore[assignment]
        self.writable = Flag()  # type: ignore[assignment]
        self.close_timeout = self.close_deadline
        self._reaper: asyncio.TimerHandle | None = None

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        self._close_within_deadline("keepalive ping timeout")

    def handle_close(self, event: Frame) -> None:
        super().handle_close(event)
        self._close_within_deadline("close handshake")

    def on_task_complete(self, task: asyncio.Task[None]) -> None:
        super().on_task_complete(task)
        self._close_within_deadline("end of the connection")

    def connection_lost(self, exc: Exception | None) -> None:
        if self.handshake_complete and not self.disconnected and self.conn.close_rcvd is None:
            # uvicorn reports 1005 however it ended. No close frame came: the code is the
            # one the server sent (a keepalive failure: 1011), else 1006, abnormal (RFC
            # 6455 §7.1.5). Queued first, it is the one the endpoint reads.
            sent = self.conn.close_sent
            code = sent.code if sent is not None else 1006
            self.queue.put_nowait({"type": "websocket.disconnect", "code": code})
        super().connection_lost(exc)
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None

    def _close_within_deadline(self, why: str) -> None:
        if self.disconnected or self._reaper is not None:
            return
        self._reaper = self.loop.call_later(self.close_deadline, self._reap, why)

    def _reap(self, why: str) -> None:
        self._reaper = None
        if not self.disconnected:
            client = "{}:{}".format(*self.client) if self.client else "?"
            log.info(
                "resetting the connection from %s: its close (%s) did not complete in %.1f s",
                client,
                why,
                self.close_deadline,
            )
            reset(self.transport)

    async def send(self, message: ASGISendEvent) -> None:
        if message["type"] == "websocket.close" and self.handshake_complete:
            # Before the send: it waits for the transport to be writable, which a peer
            # that stopped reading never makes it.
            self._close_within_deadline("close sent by the server")
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # The 101 response is written: uvicorn reads neither again. The request
            # stays referenced by the websockets parser (a local of its generator), so
            # empty its headers in place (~2.5 KB; the scope has its own copy).
            request = getattr(self, "request", None)
            if request is not None:
                request.headers.clear()
            self.request = self.response = None  # type: ignore[assignment]


class _Waiters:
    """Futures of the tasks waiting for a `_wake`; the list exists only while one waits."""

    __slots__ = ("_waiters",)

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] | None = None

    def _wake(self) -> None:
        # Every waiter: each checks again what it waits for (like asyncio's, a waiter
        # woken but cancelled before it runs takes nothing from the others).
        for waiter in self._waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    async def _wait(self) -> None:
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        waiters = self._waiters
        waiters.append(waiter)
        try:
            await waiter
        finally:
            waiters.remove(waiter)
            if not waiters and self._waiters is waiters:
                self._waiters = None


class Inbox(_Waiters):
    """A FIFO for one connection's ASGI receive events, like `asyncio.Queue()`.

    Unbounded, as uvicorn's is (uvicorn pauses reading once a message is queued).
    """

    __slots__ = ("_items",)

    def __init__(self) -> None:
        super().__init__()
        self._items: deque[Any] | None = None

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        self._wake()

    async def get(self) -> Any:
        while not self._items:
            await self._wait()
        item = self._items.popleft()
        if not self._items:
            self._items = None
        return item


class Flag(_Waiters):
    """A set/clear flag that can be awaited, like `asyncio.Event()` (but set to begin with)."""

    __slots__ = ("_set",)

    def __init__(self) -> None:
        super().__init__()
        self._set = True

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        if not self._set:
            self._set = True
            self._wake()

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        while not self._set:
            await self._wait()
        return True
