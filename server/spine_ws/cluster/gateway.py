"""A gateway of a cluster: no simulation; the host's stream relayed to its own clients.

It learns the host's epoch and where its log starts from the key-value bucket, reads
the stream with an ordered consumer (nats-py restarts it from the last message it gave
us after a NATS reconnect, so there is no gap and no duplicate) and relays each frame
through its hub unchanged: its mirror (for snapshots) and its history (for resumes) are
built from the same frames. Its clients' commands, validated and role-checked by its
hub, go to the host by request/reply; each reply is held until the gateway has
relayed the seq the host says it follows. No answer in time is `unavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Literal

import orjson
from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js import api
from nats.js.errors import (
    BucketNotFoundError,
    KeyNotFoundError,
    NotFoundError,
    ObjectNotFoundError,
)

from spine_ws.cluster import Cluster, ClusterError, shown
from spine_ws.cluster.host import connect
from spine_ws.core.errors import ProtocolError, Unavailable
from spine_ws.core.history import History
from spine_ws.core.hub import GapError, Hub
from spine_ws.core.items import CommandItem, EventItem
from spine_ws.core.messages import to_json
from spine_ws.core.status import WS_1012_SERVICE_RESTART

__all__ = ["Forwarder", "GatewayLink"]

log = logging.getLogger("spine_ws.cluster")


class Forwarder:
    """The gateway hub's command sink: each command a request to the host."""

    def __init__(self, timeout: float, limit: int) -> None:
        self.timeout = timeout
        self.limit = limit
        self.link: GatewayLink | None = None
        self._in_flight = 0
        self._n = 0

    # The hub's CommandSink.
    def put(self, item: CommandItem) -> bool:
        if self.link is None or self._in_flight >= self.limit:
            return False
        self._in_flight += 1
        self._n += 1
        asyncio.get_running_loop().create_task(self._forward(self.link, item, self._n))
        return True

    @property
    def taken_ticket(self) -> int | None:
        return None

    def discard(self) -> int:
        return 0

    async def _forward(self, link: GatewayLink, item: CommandItem, n: int) -> None:
        request = {
            "gateway": link.name,
            "connection_id": item.connection_id,
            "n": n,
            "role": "controller",  # the hub let only a controller's command through
            "text": to_json(item.command).decode(),
        }
        try:
            reply = await link.nc.request(
                link.cluster.commands, orjson.dumps(request), timeout=self.timeout
            )
            answer = orjson.loads(reply.data)
            link.answer(item, answer["reply"], int(answer["after"]))
        except (TimeoutError, NatsTimeout, NoRespondersError, OSError) as exc:
            why = "no host" if isinstance(exc, NoRespondersError) else "no answer"
            link.fail(
                item,
                Unavailable(
                    f"the simulation host of cluster {link.cluster.name!r} did not answer "
                    f"in {self.timeout:g} s ({why}); it may not have been applied"
                ),
            )
        except Exception:
            log.exception("forwarding %s failed", item.command_type)
            link.fail(item, Unavailable("the command could not be forwarded to the host"))
        finally:
            self._in_flight -= 1


class GatewayLink:
    """Relays the cluster's stream into `hub` and answers its clients' commands."""

    def __init__(
        self,
        url: str,
        cluster: Cluster,
        hub: Hub,
        forwarder: Forwarder,
        history: tuple[int, int, float],
    ) -> None:
        self.url = url
        self.cluster = cluster
        self.hub = hub
        self.name = hub.id_prefix
        self._forwarder = forwarder
        forwarder.link = self
        self._held: list[tuple[int, CommandItem, dict[str, Any]]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._sub: Any = None
        self._relaying: asyncio.Task[None] | None = None
        self.stream_last = 0  # the stream's last sequence, as last seen
        # The stream's last sequence when this gateway began following its epoch: it is
        # ready once it has relayed that far (its world is then current, not a replay's).
        self._head = 0
        self.first = 1  # the stream sequence of this epoch's seq 1
        self._nc: Client | None = None
        self._history_bounds = history

    @property
    def nc(self) -> Client:
        assert self._nc is not None
        return self._nc

    async def start(self, wait: float = 30.0) -> None:
        """Connect, wait for a host's announcement (up to `wait` s), follow its stream."""
        self._nc = await connect(
            self.url, f"spine-ws gateway {self.cluster.name}", reconnected=self._reconnected
        )
        announcement = await self._announcement(wait)
        if announcement["schema_hash"] != self.hub.catalog.schema_hash:
            raise ClusterError(
                f"the host of cluster {self.cluster.name!r} speaks another contract (schema "
                f"hash {announcement['schema_hash'][:12]}, this gateway "
                f"{self.hub.catalog.schema_hash[:12]}): start the gateway with --catalog "
                "<the package spine-ws gen wrote for the host's simulation>"
            )
        await self._follow(announcement)
        self._tasks.append(asyncio.get_running_loop().create_task(self._watch_host()))

    async def stop(self) -> None:
        tasks = [*self._tasks, *([self._relaying] if self._relaying else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._nc is not None and self.state != "connected":
            await self._nc.close()
        elif self._nc is not None:
            try:
                await asyncio.wait_for(self._nc.drain(), 5)
            except Exception as exc:
                log.debug("NATS drain: %r", exc)

    role: Literal["host", "gateway"] = "gateway"

    @property
    def state(self) -> str:
        nc = self._nc
        if nc is None:
            return "connecting"
        if nc.is_connected:
            return "connected"
        return "reconnecting" if nc.is_reconnecting else "closed"

    def lag(self) -> int:
        """Events the stream holds that this gateway has not relayed yet (as last seen)."""
        return max(0, self.stream_last - (self.first + self.hub.seq - 1))

    @property
    def ready(self) -> bool:
        return self.first + self.hub.seq - 1 >= self._head

    async def _announcement(self, wait: float) -> dict[str, Any]:
        js = self.nc.jetstream()
        deadline = time.monotonic() + wait
        while True:
            try:
                kv = await js.key_value(self.cluster.bucket)
                entry = await kv.get("host")
                if entry.value:
                    announcement: dict[str, Any] = orjson.loads(entry.value)
                    return announcement
            except (BucketNotFoundError, KeyNotFoundError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"no simulation host announced cluster {self.cluster.name!r} on "
                    f"{shown(self.url)} within {wait:g} s: start one with --nats (and no --gateway)"
                )
            await asyncio.sleep(0.2)

    async def _follow(self, announcement: dict[str, Any], at_least: int = 0) -> None:
        """Relay the epoch `announcement` describes: from its latest checkpoint (one
        with seq >= `at_least`, waiting for it if need be), else from its first event."""
        hub = self.hub
        checkpoint = await self._checkpoint(announcement["epoch"], at_least)
        after = checkpoint["seq"] if checkpoint else 0
        events, size, age = self._history_bounds
        history = History(events, size, age, after=after)
        hub.reset(announcement["epoch"], announcement["commands"], history, checkpoint)
        self.first = int(announcement["first"])
        self._head = await self._stream_head()
        self.stream_last = max(self.stream_last, self._head)
        await self._subscribe()
        log.info(
            "cluster %r: gateway %s follows epoch %s from event %d%s",
            self.cluster.name,
            self.name,
            hub.epoch,
            after + 1,
            " (a checkpoint)" if checkpoint else "",
        )

    async def _stream_head(self) -> int:
        """The stream's last sequence now (0 if it cannot be read: then ready at once)."""
        try:
            info = await self.nc.jetstream().stream_info(self.cluster.stream)
        except Exception as exc:
            log.warning("cluster %r: the stream's head: %r", self.cluster.name, exc)
            return 0
        return int(info.state.last_seq)

    async def _subscribe(self) -> None:
        """Read the stream from the event after the last one relayed."""
        if self._relaying is not None:
            self._relaying.cancel()
        if self._sub is not None:
            with contextlib.suppress(Exception):  # gone with the old connection
                await self._sub.unsubscribe()
        js = self.nc.jetstream()
        self._sub = await js.subscribe(
            self.cluster.events,
            ordered_consumer=True,
            idle_heartbeat=1.0,
            config=api.ConsumerConfig(
                deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
                opt_start_seq=self.first + self.hub.seq,
            ),
            pending_bytes_limit=256 * 1024 * 1024,
        )
        self._relaying = asyncio.get_running_loop().create_task(self._relay(self._sub))

    async def _reconnected(self) -> None:
        """NATS is back (maybe a restarted server): continue from our own position
        rather than wait for the ordered consumer to notice its heartbeats stopped."""
        for attempt in range(50):
            try:
                await self._subscribe()
                return
            except Exception as exc:  # JetStream may still be recovering its streams
                log.debug("resubscribe attempt %d: %r", attempt, exc)
                await asyncio.sleep(0.2)
        log.error(
            "cluster %r: could not follow the stream again after a reconnect", self.cluster.name
        )

    async def _checkpoint(self, epoch: str, at_least: int) -> dict[str, Any] | None:
        js = self.nc.jetstream()
        while True:
            try:
                store = await js.object_store(self.cluster.checkpoints)
                found: dict[str, Any] = orjson.loads((await store.get("checkpoint")).data or b"{}")
            except (ObjectNotFoundError, BucketNotFoundError, NotFoundError):
                found = {}
            if found.get("epoch") == epoch and found.get("seq", -1) >= at_least:
                return found
            if at_least == 0:
                return None  # none yet: the stream still begins at the epoch's start
            await asyncio.sleep(0.5)

    async def _relay(self, sub: Any) -> None:
        """Relay the stream's frames in bursts: what arrived together is one flush."""
        while True:
            burst = [await sub.next_msg(timeout=None)]
            for _ in range(min(sub.pending_msgs, 1023)):  # already here: no waiting
                burst.append(await sub.next_msg(timeout=1))
            try:
                self.hub.relay([m.data for m in burst])
            except Exception as exc:
                if isinstance(exc, GapError):
                    gap = exc
                else:  # a frame this gateway cannot read: start over past it
                    log.exception("cluster %r: relaying failed", self.cluster.name)
                    gap = GapError(str(exc), self.hub.seq + 1)
                log.error(
                    "cluster %r: %s; starting again from a checkpoint, clients reconnect",
                    self.cluster.name,
                    gap,
                )
                asyncio.get_running_loop().create_task(self._resync(gap.next_seq))
                return
            meta = burst[-1].metadata
            self.stream_last = max(self.stream_last, meta.sequence.stream + meta.num_pending)
            self._release()

    async def _watch_host(self) -> None:
        """A new host (a new epoch): every client gets the new world (1012, then the
        reconnect's resume is refused as epoch_changed and it gets the snapshot)."""
        js = self.nc.jetstream()
        kv = await js.key_value(self.cluster.bucket)
        watcher = await kv.watch("host", include_history=False)
        async for entry in watcher:
            if entry is None or not entry.value:
                continue
            announcement = orjson.loads(entry.value)
            if announcement["epoch"] == self.hub.epoch:
                continue
            for item in [i for _, i, _ in self._held]:
                self.fail(item, Unavailable("the simulation host restarted"))
            self._held.clear()
            # Closed first: nothing of the new epoch may reach a client of the old one.
            closed = self.hub.close_all(WS_1012_SERVICE_RESTART, "the simulation host restarted")
            log.warning(
                "cluster %r: a new host (epoch %s): closed %d clients to reconnect",
                self.cluster.name,
                announcement["epoch"],
                closed,
            )
            await self._follow(announcement)

    async def _resync(self, next_seq: int) -> None:
        """The stream skipped events: start again from a checkpoint that has them."""
        self.hub.close_all(WS_1012_SERVICE_RESTART, "the gateway lost events; reconnect")
        announcement = await self._announcement(wait=60.0)
        await self._follow(announcement, at_least=next_seq - 1)

    def answer(self, item: CommandItem, reply: dict[str, Any], after: int) -> None:
        """The host's reply to `item`, sent once this gateway has relayed `after`."""
        self._held.append((after, item, reply))
        self._release()

    def fail(self, item: CommandItem, error: ProtocolError) -> None:
        event = error.to_event(item.command_id, item.command_type)
        self.hub.deliver([EventItem(event, to_json(event), item.connection_id, item.ticket)])

    def _release(self) -> None:
        if not self._held:
            return
        ready = [h for h in self._held if h[0] <= self.hub.seq]
        if not ready:
            return
        self._held = [h for h in self._held if h[0] > self.hub.seq]
        items = []
        for _, item, reply in ready:
            model = self.hub.catalog.events[reply["type"]]
            items.append(
                EventItem(
                    model.model_validate(reply),
                    orjson.dumps(reply),
                    item.connection_id,
                    item.ticket,
                )
            )
        self.hub.deliver(items)
