"""The simulation host of a cluster: the single process's hub, plus the stream and the
command service.

Every broadcast frame the hub stamps is appended to the JetStream stream, pipelined: the
hub only wakes a task, which publishes from the hub's own history with `publish_async`
(an ack awaited per event would cap the host at a few thousand events a second). Each
message's id is `<epoch>:<seq>`, so after a NATS outage the task asks the stream how far
it got and publishes the rest again from the history: JetStream drops what it already
had, and the stream has no gap as long as the history still holds the frames.

One host per cluster: it holds a lease (a key with a TTL, refreshed) and a second host
is refused while the first is alive. Every few seconds it stores a checkpoint (the
snapshot's body) for gateways that start late, after the stream has dropped its first
events. Commands from gateways arrive by request/reply and go through the hub like a
local client's; the reply says the last seq it follows, so a gateway keeps the promise
that a command's events reach its sender before its ack.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import nats
import orjson
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api
from nats.js.errors import BadRequestError, KeyWrongLastSequenceError, NotFoundError
from nats.js.kv import KeyValue

from spine_ws.cluster import Cluster, ClusterError, shown
from spine_ws.core.history import Trimmed
from spine_ws.core.hub import Hub
from spine_ws.core.outbox import Role

__all__ = ["HostLink", "connect"]

log = logging.getLogger("spine_ws.cluster")


# Seconds a host's lease lives without a refresh, and how often it is refreshed.
LEASE_TTL = 10.0
_LEASE_EVERY = 2.0
# How often the world is checkpointed (if it changed).
CHECKPOINT_EVERY = 2.0
# A publish not acknowledged this long was lost with a NATS server: publish again.
ACK_TIMEOUT = 5.0


async def connect(
    url: str, name: str, reconnected: Callable[[], Awaitable[None]] | None = None
) -> Client:
    """A NATS connection that reconnects for ever (the process outlives NATS restarts),
    logging its outages in a line each (nats-py's default is a traceback per attempt)."""
    errors = {"seen": 0}

    async def error(exc: Exception) -> None:
        errors["seen"] += 1
        if errors["seen"] in (1, 10) or errors["seen"] % 100 == 0:
            log.warning("NATS %s: %r (%d so far)", shown(url), exc, errors["seen"])

    async def disconnected() -> None:
        log.warning("NATS %s: disconnected, reconnecting", shown(url))

    async def back() -> None:
        errors["seen"] = 0
        log.info("NATS %s: reconnected", shown(url))
        if reconnected is not None:
            await reconnected()

    try:
        return await nats.connect(
            url,
            name=name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.25,
            connect_timeout=5,
            error_cb=error,
            disconnected_cb=disconnected,
            reconnected_cb=back,
        )
    except Exception as exc:
        raise ClusterError(f"cannot reach NATS at {shown(url)}: {exc!r}") from None


class _Remote:
    """A gateway's client as the host's hub sees it: a `Sender` of one command, which
    gets its one reply and nothing else (its gateway answers subscribe and cancel)."""

    __slots__ = ("_hub", "_msg", "_reply", "id", "role")

    def __init__(self, client_id: str, role: Role, hub: Hub, msg: Msg) -> None:
        self.id = client_id
        self.role: Role = role
        self._hub = hub
        self._msg = msg
        self._reply: bytes | None = None

    def send_reply(self, message: bytes) -> None:
        self._reply = message

    def flush(self) -> None:
        if self._reply is None:
            return
        # The hub delivers a command's events before its reply: its seq now is the
        # last of them.
        body = b'{"after":%d,"reply":' % self._hub.seq + self._reply + b"}"
        self._hub.detach_remote(self.id)
        asyncio.get_running_loop().create_task(self._respond(body))

    async def _respond(self, body: bytes) -> None:
        try:
            await self._msg.respond(body)
        except Exception as exc:  # NATS is down: the gateway times out and says so
            log.warning("could not reply to %s: %r", self.id, exc)

    def allow_command(self) -> bool:
        return True  # its gateway applied the connection's rate


class HostLink:
    """Connects a host's hub to its cluster; `start` before the simulation starts."""

    role: Literal["host", "gateway"] = "host"
    ready = True  # its world is the world

    def __init__(self, url: str, cluster: Cluster, hub: Hub, limits: dict[str, Any]) -> None:
        self.url = url
        self.cluster = cluster
        self.hub = hub
        self._limits = limits
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None
        self.first = 1  # the stream sequence of this epoch's seq 1
        self._next = 1  # the next seq to publish
        self._resync = False
        # Unacknowledged publishes, oldest first: (when, future).
        self._unacked: deque[tuple[float, asyncio.Future[Any]]] = deque()
        self._lease: KeyValue | None = None
        self._lease_revision = 0
        self.failed = 0
        hub.on_broadcast(self._wake.set)

    async def start(self) -> None:
        """Take the lease, start this epoch's log (the stream, emptied), announce it."""
        self.nc = nc = await connect(self.url, f"spine-ws host {self.cluster.name}")
        self.js = js = nc.jetstream()
        if self.hub.seq:
            raise RuntimeError("the host's link must start before the first broadcast")
        await self._take_lease(js)
        config = api.StreamConfig(
            name=self.cluster.stream,
            subjects=[self.cluster.events],
            max_msgs=self._limits["events"] or 1,
            max_bytes=self._limits["bytes"] or 1024,
            max_age=self._limits["seconds"] or 1.0,
            discard=api.DiscardPolicy.OLD,
            storage=api.StorageType.FILE,
            duplicate_window=120.0,
        )
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)
        await js.purge_stream(self.cluster.stream)  # a new epoch: a new log
        state = (await js.stream_info(self.cluster.stream)).state
        self.first = state.last_seq + 1
        await js.create_object_store(self.cluster.checkpoints)
        kv = await js.create_key_value(bucket=self.cluster.bucket, history=1)
        hub = self.hub
        announcement = {
            "epoch": hub.epoch,
            "first": self.first,
            "commands": hub.supported,
            "protocol_version": hub.catalog.protocol_version,
            "schema_hash": hub.catalog.schema_hash,
            "started": time.time(),
        }
        await kv.put("host", orjson.dumps(announcement))
        await nc.subscribe(self.cluster.commands, cb=self._command)
        loop = asyncio.get_running_loop()
        for work in (self._publish(), self._hold_lease(), self._checkpoint()):
            self._tasks.append(loop.create_task(work))
        log.info(
            "cluster %r: host of epoch %s on %s (stream %s from %d)",
            self.cluster.name,
            hub.epoch,
            shown(self.url),
            self.cluster.stream,
            self.first,
        )

    async def stop(self) -> None:
        """Publish what is left (briefly), give the lease back, close. Without NATS,
        just close: its lease lapses by itself."""
        connected = self.state == "connected"
        deadline = time.monotonic() + 2.0
        while connected and self._next <= self.hub.seq and time.monotonic() < deadline:
            self._wake.set()
            await asyncio.sleep(0.05)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.nc is not None and not connected:
            await self.nc.close()
            return
        if self._lease is not None:
            try:  # the next host need not wait out the TTL
                await self._lease.delete("host", last=self._lease_revision)
            except Exception as exc:
                log.debug("lease not given back: %r", exc)
        if self.nc is not None:
            try:
                await asyncio.wait_for(self.nc.drain(), 5)
            except Exception as exc:
                log.debug("NATS drain: %r", exc)

    def lag(self) -> int:
        """Events stamped here and not yet handed to the stream."""
        return max(0, self.hub.seq - self._next + 1)

    @property
    def state(self) -> str:
        nc = self.nc
        if nc is None:
            return "connecting"
        if nc.is_connected:
            return "connected"
        return "reconnecting" if nc.is_reconnecting else "closed"

    async def _take_lease(self, js: JetStreamContext) -> None:
        self._lease = lease = await js.create_key_value(
            bucket=self.cluster.lease, history=1, ttl=LEASE_TTL
        )
        try:
            self._lease_revision = await lease.create("host", self.hub.epoch.encode())
        except KeyWrongLastSequenceError:
            holder = await lease.get("host")
            epoch = holder.value.decode() if holder.value else "?"
            raise ClusterError(
                f"cluster {self.cluster.name!r} already has a simulation host (epoch "
                f"{epoch}); one host per cluster: stop it (its lease lapses {LEASE_TTL:g} s "
                "after it stops) or give this one another --cluster-name"
            ) from None

    async def _hold_lease(self) -> None:
        assert self._lease is not None
        while True:
            await asyncio.sleep(_LEASE_EVERY)
            try:
                self._lease_revision = await self._lease.update(
                    "host", self.hub.epoch.encode(), last=self._lease_revision
                )
            except KeyWrongLastSequenceError:
                log.critical(
                    "cluster %r: another host took the lease (this one was cut off for "
                    "over %g s); stop this process",
                    self.cluster.name,
                    LEASE_TTL,
                )
                return
            except Exception as exc:  # NATS is away: refresh when it is back
                log.debug("lease refresh: %r", exc)

    async def _publish(self) -> None:
        """Publish every stamped frame once, in order, without waiting for each ack.

        Each message names the one before it (`Nats-Expected-Last-Msg-Id`): JetStream
        refuses it if that one is missing, so the stream can never hold a frame after a
        hole. A refusal or a lost ack makes `_reconcile` ask the stream where it is.
        """
        assert self.js is not None
        js, subject, hub = self.js, self.cluster.events, self.hub
        while True:
            with contextlib.suppress(TimeoutError):  # now and then: lost acks
                await asyncio.wait_for(self._wake.wait(), ACK_TIMEOUT)
            self._wake.clear()
            self._expire()
            while self._next <= hub.seq or self._resync:
                if self._resync:
                    await self._reconcile()
                    continue
                try:
                    for frame in hub.history.frames_after(self._next - 1, hub.seq):
                        headers = {"Nats-Msg-Id": f"{hub.epoch}:{self._next}"}
                        if self._next > 1:
                            headers["Nats-Expected-Last-Msg-Id"] = f"{hub.epoch}:{self._next - 1}"
                        future = await js.publish_async(subject, frame, headers=headers)
                        future.add_done_callback(self._acked)
                        self._unacked.append((time.monotonic(), future))
                        self._next += 1
                        if self._resync:
                            break
                except Trimmed:
                    log.error(
                        "cluster %r: events %d to %d left the history before the stream "
                        "had them: gateways will resync from a checkpoint",
                        self.cluster.name,
                        self._next,
                        hub.seq,
                    )
                    self._next = hub.seq + 1
                except Exception as exc:  # NATS went away mid-burst
                    log.warning("cluster %r: publishing paused: %r", self.cluster.name, exc)
                    self._resync = True
                    await asyncio.sleep(0.2)

    def _expire(self) -> None:
        """Forget acked publishes; give up on ones older than ACK_TIMEOUT (lost)."""
        unacked, now = self._unacked, time.monotonic()
        while unacked and unacked[0][1].done():
            unacked.popleft()
        if unacked and now - unacked[0][0] > ACK_TIMEOUT:
            for _, future in unacked:
                future.cancel()  # releases nats-py's pending slot; _acked resyncs
            unacked.clear()

    async def _reconcile(self) -> None:
        """Continue after the last frame the stream holds (or from 1 if none)."""
        assert self.js is not None
        if self.state != "connected":
            await asyncio.sleep(0.1)  # nats-py reconnects by itself; look again soon
            return
        try:
            last = await self.js.get_last_msg(self.cluster.stream, self.cluster.events)
            stored = int(orjson.loads(last.data or b"{}").get("seq", 0))
        except NotFoundError:
            stored = 0  # an empty stream
        except Exception as exc:
            log.debug("last message: %r", exc)
            await asyncio.sleep(0.2)
            return
        if stored + 1 != self._next:
            log.warning(
                "cluster %r: the stream holds up to event %d; publishing from %d",
                self.cluster.name,
                stored,
                stored + 1,
            )
        self._next = stored + 1
        self._resync = False

    def _acked(self, future: asyncio.Future[Any]) -> None:
        if future.cancelled() or future.exception() is not None:
            self.failed += 1
            self._resync = True  # find out what the stream has, and send the rest
            self._wake.set()

    async def _checkpoint(self) -> None:
        """Store the world every few seconds if it moved: where a late gateway begins.

        At the hub's seq, whether or not the publisher has sent every event up to it: a
        gateway that starts from it needs only the events after it, which the publisher
        sends in order. (Waiting for a moment when nothing is in flight starved the
        checkpoints of a busy host, and late gateways replayed from an old one.)
        """
        assert self.js is not None
        store = await self.js.object_store(self.cluster.checkpoints)
        written = -1
        while True:
            await asyncio.sleep(CHECKPOINT_EVERY)
            seq = self.hub.seq
            if seq == written:
                continue
            try:
                await store.put("checkpoint", self.hub.snapshot())
                written = seq
            except Exception as exc:
                log.debug("checkpoint at %d not stored: %r", seq, exc)

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
        self.hub.attach_remote(client)
        self.hub.submit_from(client, text)
