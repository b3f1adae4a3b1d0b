"""An `Outbox` for tests that drive the hub with no socket: it records what it was
given and when it was flushed, and is shaped (subscriptions) as a `Connection` is.

`mypy --strict tests/` (in `make check`) holds it to the `Outbox` protocol: the
`_checked` line at the bottom fails to type-check the day the two drift apart."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from spine_ws.core.delivery import Burst, Shaping, Subscription
from spine_ws.core.outbox import Outbox, Role


class FakeOutbox:
    """An `Outbox` that records what it was given and when it was flushed."""

    def __init__(self, client_id: str, role: Role = "controller", tokens: int = 1000) -> None:
        self.id = client_id
        self.role: Role = role
        self.pending: list[bytes] = []
        self.flushed: list[list[bytes]] = []
        self.snapshots: list[bytes] = []
        self.replays: list[tuple[bytes, int]] = []
        self.tokens = tokens
        # Shaped as a Connection is (no socket, so never under backpressure).
        self.shaping: Shaping | None = None
        self.closed: tuple[int, str] | None = None
        self.encoding = "spine"

    def send(self, message: bytes) -> None:
        self.pending.append(message)

    def subscribe(self, subscription: Subscription) -> None:
        if self.shaping is None:
            self.shaping = None if subscription.everything else Shaping(subscription)
        else:
            self.shaping.subscription = subscription

    def offer(self, burst: Burst, start: int, end: int) -> None:
        assert self.shaping is not None
        self.shaping.offer_burst(burst, start, end)

    def send_reply(self, message: bytes) -> None:
        if self.shaping is not None:
            self.shaping.reply(message)
        else:
            self.send(message)

    def send_notice(self, message: bytes) -> None:
        self.send_reply(message)

    def send_snapshot(self, parts: Sequence[bytes | memoryview]) -> None:
        self.snapshots.append(b"".join(parts))
        self.send(self.snapshots[-1])
        self.flush()

    streaming = False

    @property
    def queued(self) -> tuple[int, int]:
        return len(self.pending), sum(map(len, self.pending))

    def restart(self, parts: Sequence[bytes | memoryview]) -> None:
        if self.shaping is not None:
            self.shaping.forget_broadcasts()
        self.send_snapshot(parts)

    def send_replay(self, first: bytes, frames: Iterator[bytes], size: int) -> None:
        self.replays.append((first, size))
        for message in (first, *frames):
            self.send(message)
        self.flush()

    def flush(self) -> None:
        if self.shaping is not None:
            self.pending += self.shaping.take(time.monotonic())[0]
            if self.shaping.idle:
                self.shaping = None
        if self.pending:
            self.flushed.append(self.pending)
            self.pending = []

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)
        self.pending = []

    def allow_command(self) -> bool:
        self.tokens -= 1
        return self.tokens >= 0

    def frames(self) -> list[dict[str, Any]]:
        """Every message flushed so far, parsed."""
        return [orjson.loads(m) for burst in self.flushed for m in burst]


def _checked(fake: FakeOutbox) -> Outbox:
    return fake  # a type error here: FakeOutbox no longer implements Outbox
