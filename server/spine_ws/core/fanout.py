"""Fan-out: the connections, and each burst written to them. Sans-I/O.

A burst (`Fanout.burst()`) sorts the connections once, as they are at that moment:
plain clients of the spine encoding get each frame as it is; those of every other
encoding in use get it encoded once for all of them; shaped ones (a subscription, or
coalescing under backpressure) are offered the burst's frames and tags, in parts when a
reply to one of them falls between. Each client writes what the burst gave it at once,
at the end.
"""

from __future__ import annotations

from collections.abc import Callable

from spine_ws.core.codec import ENCODERS, SPINE
from spine_ws.core.delivery import Burst, Tag, takes_columns
from spine_ws.core.outbox import Outbox, Sender
from spine_ws.core.region import Where

__all__ = ["Fanout", "Writing"]


class Fanout:
    """Every connection; the senders from elsewhere (replies only); the burst callbacks."""

    def __init__(self, id_prefix: str) -> None:
        self.connections: dict[str, Outbox] = {}
        # Senders of commands that came from a cluster gateway: replies only, no broadcasts.
        self._remote: dict[str, Sender] = {}
        # Called after each burst that broadcast something (a cluster host's publisher).
        self._on_broadcast: list[Callable[[], None]] = []
        # Whether the last burst had a client taking a tick's updates one by one: read
        # by the simulation's thread to make them there (`EventSink`), a hint only.
        self.per_event = True
        # What connection ids start with: the epoch's start, or a gateway's name.
        self.id_prefix = id_prefix
        self._next_id = 0

    def new_connection_id(self) -> str:
        self._next_id += 1
        return f"{self.id_prefix}-{self._next_id}"

    def add(self, client: Outbox) -> None:
        self.connections[client.id] = client

    def leave(self, client: Outbox) -> None:
        self.connections.pop(client.id, None)

    def attach_remote(self, sender: Sender) -> None:
        """A sender of commands from elsewhere (a gateway's client): replies reach it
        like a connection's, broadcasts never do."""
        self._remote[sender.id] = sender

    def detach_remote(self, sender_id: str) -> None:
        self._remote.pop(sender_id, None)

    def on_broadcast(self, callback: Callable[[], None]) -> None:
        """Call `callback` after each burst that added events to the stream."""
        self._on_broadcast.append(callback)

    def close_all(self, code: int, reason: str) -> int:
        """Close every connection (they reconnect); how many there were."""
        clients = list(self.connections.values())
        for client in clients:
            client.close(code, reason)
        return len(clients)

    @property
    def subscriptions(self) -> int:
        """Clients with a subscription of their own (not the default)."""
        return sum(
            1
            for client in self.connections.values()
            if (shaping := client.shaping) is not None and not shaping.subscription.everything
        )

    def burst(self) -> Writing:
        return Writing(self)


class Writing:
    """One burst being written: broadcasts and replies in order, then `end`."""

    __slots__ = (
        "_encoded",
        "_fanout",
        "_offered",
        "_plain",
        "_replied",
        "_shaped",
        "broadcast",
        "columnar",
        "per_event",
        "regional",
        "tagging",
    )

    def __init__(self, fanout: Fanout) -> None:
        self._fanout = fanout
        plain: list[Outbox] = []
        others: dict[str, list[Outbox]] = {}
        shaped: list[Outbox] = []
        # Read each burst: a connection changes on its own between bursts (a timer finds
        # it caught up, a snapshot finishes streaming).
        for client in fanout.connections.values():
            if client.shaping is not None:
                shaped.append(client)
            elif (encoding := client.encoding) == SPINE:
                plain.append(client)
            else:
                others.setdefault(encoding, []).append(client)
        self._plain = plain
        self._encoded = [(ENCODERS[e], clients) for e, clients in others.items()]
        self._shaped = shaped
        # The shaped clients need each frame's tag (computed once, before the mirror
        # forgets a removed agent's kind); None when there are none.
        # Whether a client subscribes to a region (the hub then notes where each agent is).
        self.regional = any(
            client.shaping.subscription.region is not None for client in shaped if client.shaping
        )
        self.tagging: Burst | None = Burst(self.regional) if shaped else None
        # Whether a client takes ticks as columns (the hub then notes them in the burst).
        self.columnar = any(
            client.shaping.subscription.columns for client in shaped if client.shaping
        )
        # Whether a client takes a tick's updates one by one (else none is made).
        self.per_event = bool(plain or others) or not all(
            client.shaping and takes_columns(client.shaping.subscription) for client in shaped
        )
        fanout.per_event = self.per_event
        self._offered: dict[str, int] = {}
        self._replied: list[Sender] = []
        self.broadcast = False

    def send(self, seq: int, tag: Tag | None, frame: bytes, where: Where = None) -> None:
        """Broadcast `frame` (stamped `seq`) to every connection, in its encoding (`where`
        its agent is, when `regional`)."""
        self.broadcast = True
        if (burst := self.tagging) is not None and tag is not None:
            burst.events.append((seq, tag, frame))
            if burst.where is not None:
                burst.where.append(where)
        for client in self._plain:
            client.send(frame)
        for encode, clients in self._encoded:
            encoded = encode(frame)
            for client in clients:
                client.send(encoded)

    def reply(self, to: str, body: bytes) -> None:
        """A reply to one client, after the frames of this burst it was offered."""
        fanout = self._fanout
        client = fanout.connections.get(to)
        if client is None:
            sender = fanout._remote.get(to)
            if sender is not None:
                sender.send_reply(body)
                self._replied.append(sender)
            return
        burst = self.tagging
        if burst is not None and client.shaping is not None:
            end = len(burst.events)
            client.offer(burst, self._offered.get(client.id, 0), end)
            self._offered[client.id] = end
        client.send_reply(body)
        self._replied.append(client)

    def end(self) -> None:
        """Offer the shaped clients the rest, and have everyone written to write."""
        fanout, burst = self._fanout, self.tagging
        if burst is not None and burst.events:
            end = len(burst.events)
            for client in self._shaped:
                start = self._offered.get(client.id, 0)
                if start < end:
                    client.offer(burst, start, end)
        if self.broadcast:
            for client in fanout.connections.values():
                client.flush()
            for sender in self._replied:  # a gateway's sender is not among the connections
                if sender.id not in fanout.connections:
                    sender.flush()
            for callback in fanout._on_broadcast:
                callback()
        else:
            for sender in self._replied:
                sender.flush()
