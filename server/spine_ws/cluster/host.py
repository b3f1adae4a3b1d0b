"""The simulation host of a cluster: the single process's hub, plus the stream and the
command service.

Every broadcast frame the hub stamps is appended to the JetStream stream, pipelined: the
hub hands the frame over and goes on (an ack awaited per event would cap the host at a
few thousand events a second), a task publishes with `publish_async`, bounded by
nats-py's pending window. Commands from gateways arrive by request/reply and go through
the hub like a local client's; the reply says the last seq it follows, so a gateway can
keep the promise that a command's events reach its sender before its ack.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import nats
import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import BadRequestError

from spine_ws.cluster import Cluster
from spine_ws.core.history import HistoryStats, Log
from spine_ws.core.hub import Hub
from spine_ws.core.outbox import Role

__all__ = ["HostLink", "connect"]

log = logging.getLogger("spine_ws.cluster")


async def connect(url: str, name: str) -> Client:
    """A NATS connection that reconnects for ever (the process outlives NATS restarts)."""
    return await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
    )


class _Published:
    """The hub's `Log`: the in-memory history, and each frame queued for the stream."""

    def __init__(self, inner: Log, queue: list[bytes], wake: asyncio.Event) -> None:
        self._inner = inner
        self._queue = queue
        self._wake = wake

    def append(self, seq: int, frame: bytes, now: float) -> None:
        self._inner.append(seq, frame, now)
        self._queue.append(frame)
        self._wake.set()

    def holds_after(self, seq: int, now: float) -> bool:
        return self._inner.holds_after(seq, now)

    def size_after(self, seq: int) -> int:
        return self._inner.size_after(seq)

    def frames_after(self, seq: int, until: int) -> Iterator[bytes]:
        return self._inner.frames_after(seq, until)

    def stats(self, now: float) -> HistoryStats:
        return self._inner.stats(now)


class _Remote:
    """A gateway's client as the host's hub sees it: one command, one reply."""

    __slots__ = ("_hub", "_msg", "_reply", "id", "role")

    def __init__(self, client_id: str, role: Role, hub: Hub, msg: Msg) -> None:
        self.id = client_id
        self.role: Role = role
        self._hub = hub
        self._msg = msg
        self._reply: bytes | None = None

    def send(self, message: bytes) -> None:
        self._reply = message

    def flush(self) -> None:
        if self._reply is None:
            return
        # The hub delivers a command's events before its reply: its seq now is the
        # last of them.
        body = b'{"after":%d,"reply":' % self._hub.seq + self._reply + b"}"
        self._hub.remote.pop(self.id, None)
        asyncio.get_running_loop().create_task(self._respond(body))

    async def _respond(self, body: bytes) -> None:
        try:
            await self._msg.respond(body)
        except Exception as exc:  # NATS is down: the gateway times out and says so
            log.warning("could not reply to %s: %r", self.id, exc)

    def send_snapshot(self, parts: Sequence[bytes | memoryview]) -> None:
        raise NotImplementedError("a remote sender never joins")

    def send_replay(self, first: bytes, frames: Iterator[bytes], size: int) -> None:
        raise NotImplementedError("a remote sender never joins")

    def allow_command(self) -> bool:
        return True  # its gateway applied the connection's rate

    def close(self, code: int, reason: str) -> None:
        """Nothing to close: the gateway holds the connection."""


class HostLink:
    """Connects a host's hub to its cluster; `start` before the simulation starts."""

    def __init__(self, url: str, cluster: Cluster, hub: Hub, limits: dict[str, Any]) -> None:
        self.url = url
        self.cluster = cluster
        self.hub = hub
        self._limits = limits
        self._queue: list[bytes] = []
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None
        self.published = 0
        self.failed = 0
        hub.history = _Published(hub.history, self._queue, self._wake)

    async def start(self) -> None:
        """Connect, start this epoch's log (the stream, emptied) and announce the host."""
        self.nc = nc = await connect(self.url, f"spine-ws host {self.cluster.name}")
        self.js = js = nc.jetstream()
        config = api.StreamConfig(
            name=self.cluster.stream,
            subjects=[self.cluster.events],
            max_msgs=self._limits["events"] or 1,
            max_bytes=self._limits["bytes"] or 1024,
            max_age=self._limits["seconds"] or 1.0,
            discard=api.DiscardPolicy.OLD,
            storage=api.StorageType.FILE,
        )
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)
        await js.purge_stream(self.cluster.stream)  # a new epoch: a new log
        state = (await js.stream_info(self.cluster.stream)).state
        first = state.last_seq + 1  # the stream sequence of this epoch's seq 1
        kv = await js.create_key_value(bucket=self.cluster.bucket, history=1)
        hub = self.hub
        announcement = {
            "epoch": hub.epoch,
            "first": first,
            "seq": hub.seq,
            "commands": hub.supported,
            "protocol_version": hub.catalog.protocol_version,
            "schema_hash": hub.catalog.schema_hash,
            "started": time.time(),
        }
        if hub.seq:
            raise RuntimeError("the host's link must start before the first broadcast")
        await kv.put("host", orjson.dumps(announcement))
        await nc.subscribe(self.cluster.commands, cb=self._command)
        self._tasks.append(asyncio.get_running_loop().create_task(self._publish()))
        log.info(
            "cluster %r: host of epoch %s on %s (stream %s from %d)",
            self.cluster.name,
            hub.epoch,
            self.url,
            self.cluster.stream,
            first,
        )

    async def stop(self) -> None:
        if self.js is not None and self._queue:
            self._wake.set()
            await asyncio.sleep(0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.nc is not None:
            try:
                await asyncio.wait_for(self.nc.drain(), 5)
            except Exception as exc:
                log.debug("NATS drain: %r", exc)

    role: Literal["host", "gateway"] = "host"

    def lag(self) -> int:
        """Events queued or awaiting their ack from the stream."""
        pending = self.js.publish_async_pending() if self.js is not None else 0
        return len(self._queue) + pending

    @property
    def state(self) -> str:
        nc = self.nc
        if nc is None:
            return "connecting"
        if nc.is_connected:
            return "connected"
        return "reconnecting" if nc.is_reconnecting else "closed"

    async def _publish(self) -> None:
        """Publish queued frames in order, without waiting for each ack."""
        assert self.js is not None
        js, queue, subject = self.js, self._queue, self.cluster.events
        while True:
            await self._wake.wait()
            self._wake.clear()
            while queue:
                frames = queue[:]
                del queue[: len(frames)]
                for frame in frames:
                    future = await js.publish_async(subject, frame)
                    future.add_done_callback(self._acked)

    def _acked(self, future: asyncio.Future[Any]) -> None:
        if future.cancelled() or future.exception() is not None:
            self.failed += 1
            if self.failed in (1, 10, 100) or self.failed % 1000 == 0:
                log.error("%d broadcast events not stored in the stream", self.failed)
        else:
            self.published += 1

    async def _command(self, msg: Msg) -> None:
        try:
            request = orjson.loads(msg.data)
            client_id = f"{request['gateway']}/{request['connection_id']}/{request['n']}"
            role: Role = "controller" if request["role"] == "controller" else "viewer"
            text = request["text"]
        except (orjson.JSONDecodeError, KeyError, TypeError):
            log.warning("a malformed command request on %s", msg.subject)
            return
        client = _Remote(client_id, role, self.hub, msg)
        self.hub.remote[client_id] = client
        self.hub.submit(client, text)
