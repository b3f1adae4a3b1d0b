"""The two interfaces the core talks through: to a connection, and to its transport.

    Hub ──Outbox──▶ Connection ──Transport──▶ spine_ws.transport (uvicorn fast path,
                                                                  or plain ASGI)

The hub sees each client as an `Outbox`: queue a serialised message, flush once a
burst; a command's sender elsewhere (a cluster gateway's client, on its host) is only a
`Sender`, which gets its reply and nothing else. A `Connection` is the outbox with the
policy (send-queue limits, slow-consumer shedding, the command rate); it writes through
a `Transport`, the one place that knows how frames reach the socket. Tests drive the
hub with a fake outbox, and the connection with a fake transport: no sockets.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from spine_ws.core.delivery import Burst, Shaping, Subscription

__all__ = ["Outbox", "Role", "Sender", "Transport"]

Role = Literal["viewer", "controller"]


class Sender(Protocol):
    """Where a command came from and its one reply goes: a connection, or a sender
    elsewhere (on a cluster's host, a gateway's client), which gets nothing else."""

    @property
    def id(self) -> str: ...

    @property
    def role(self) -> Role: ...

    def send_reply(self, message: bytes) -> None:
        """A reply to this client: `send`, or in order among what a shaped one holds."""

    def flush(self) -> None:
        """Write what was queued (the hub calls it once per burst of events). It may
        leave the client shaped, or plain again: the hub reads `shaping` each burst."""

    def allow_command(self) -> bool:
        """Take one token of this client's command rate; False means `rate_limited`."""


class Outbox(Sender, Protocol):
    """One connection as the hub sees it: a sender that is also sent the stream."""

    @property
    def encoding(self) -> str:
        """How it is sent broadcasts: `spine` (the frames as they are) or a key of
        `spine_ws.core.codec.ENCODERS` (each frame encoded once per burst for all)."""

    def send(self, message: bytes) -> None:
        """Queue one text message (UTF-8 JSON); never blocks, never raises."""

    def send_notice(self, message: bytes) -> None:
        """A spine message to this client alone that answers no command (a playback
        notice): in order among what it holds, in its profile's shape."""

    @property
    def shaping(self) -> Shaping | None:
        """Its subscription and coalescing state, if it is shaped."""

    def subscribe(self, subscription: Subscription) -> None:
        """Shape what it is sent from now on (the default subscription: plain again)."""

    def offer(self, burst: Burst, start: int, end: int) -> None:
        """Broadcasts `start` to `end` of a burst (frames and tags), to a shaped client."""

    def send_snapshot(self, parts: Sequence[bytes | memoryview]) -> None:
        """Start the client's first message, the snapshot (`parts` joined); what `send`
        queues meanwhile follows it. It may be large: it is streamed, not queued."""

    @property
    def streaming(self) -> bool:
        """A snapshot or a replay is being streamed to it."""

    @property
    def queued(self) -> tuple[int, int]:
        """Messages and bytes waiting to be written to it."""

    def restart(self, parts: Sequence[bytes | memoryview]) -> None:
        """A new snapshot (`parts` joined) on an open connection, superseding the
        broadcasts held for it (a playback's seek); not while `streaming`."""

    def send_replay(self, first: bytes, frames: Iterator[bytes], size: int) -> None:
        """Start the client with `first` (`resumed`) and the replayed `frames` (`size`
        bytes in all); what `send` queues meanwhile follows them. Streamed as the
        socket takes it, like a large snapshot."""

    def close(self, code: int, reason: str) -> None:
        """Close the connection with `code` (dropping what it still holds)."""


class Transport(Protocol):
    """How text frames reach one accepted WebSocket.

    `send` adds a message to the next write and `flush` writes them (one syscall for a
    burst on the fast path). "Backlog" has one meaning on every transport: messages and
    bytes the server holds for this client that the socket has not taken yet.
    """

    @property
    def closed(self) -> bool:
        """A close frame went either way: no data frame may follow."""

    def send(self, message: bytes) -> None:
        """Add a text message to the next write."""

    def send_binary(self, message: bytes) -> None:
        """Add a binary message to the next write (an encoding such as MessagePack)."""

    def flush(self) -> None: ...

    async def send_large(
        self,
        parts: Sequence[bytes | memoryview],
        progress: Callable[[], None],
        binary: bool = False,
    ) -> None:
        """Write one message (`parts` joined) as it is taken, calling `progress` each time
        some of it was; nothing else is sent meanwhile. Returns once all of it is written
        (or the connection closed). Nothing else may be queued when it is called."""

    async def send_many(
        self, messages: Iterable[bytes], progress: Callable[[], None], binary: bool = False
    ) -> None:
        """Write `messages` one by one as the socket takes them (the same terms as
        `send_large`); what the iterator raises propagates."""

    def backlog(self) -> tuple[int, int]:
        """Messages and bytes held for this client and not yet taken by the socket."""

    def written(self) -> tuple[int, int]:
        """Messages and bytes written so far (to the socket's buffer; counted per
        write, not per message sent: the broadcast path stays one append)."""

    def taken(self) -> int:
        """Bytes the peer has taken so far, as near as the transport can tell: what it
        wrote less what it, and the kernel behind it, still hold. It stops growing
        when the peer stops reading (a dead reader), however little is held."""

    def held(self) -> int:
        """Bytes of the backlog in this process's memory (ours and the event loop's
        transport's), not the kernel's: what the hard limit bounds. The kernel's send
        buffer is bounded by the kernel (megabytes on loopback) and counts only as
        latency, against the limits and their grace."""

    def drop(self) -> None:
        """Forget what is held and write no more data (the connection is going)."""

    async def close(self, code: int, reason: str) -> None:
        """Send a close frame with `code` and `reason` (waits for the write)."""

    def abort(self) -> None:
        """Drop the TCP connection now (a reset), whatever is unsent."""

    async def stop(self) -> None:
        """Release what the transport runs (a writer task); the socket is gone or going."""
