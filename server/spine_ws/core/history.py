"""The broadcast stream as a log: every stamped frame by `seq`, bounded, for resumes.

`Log` is what the hub needs of it (append, read a range, bounds, sizes); `History` is
the embedded, in-memory one. A client that reconnects with `resume=<epoch>:<seq>` is
sent the frames after its `seq` exactly as the connected clients got them (the bytes
kept here are those frames: replay costs no serialisation), if they are all still held.

Bounded by count, bytes and age, oldest first. The frames are the hub's own bytes
objects, shared with every send queue: holding them costs the history's bound, not a
copy per client.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

__all__ = ["History", "HistoryStats", "Log", "Trimmed"]


class Trimmed(Exception):
    """A frame a reader was about to take is no longer held (the history moved on)."""


@dataclass(frozen=True)
class HistoryStats:
    """What is held: `first`..`last` (0 and 0 when empty), how many frames, their bytes."""

    first: int
    last: int
    events: int
    bytes: int


class Log(Protocol):
    """An ordered log of broadcast frames, by seq (contiguous, from `first` to `last`)."""

    def append(self, seq: int, frame: bytes, now: float) -> None:
        """Add the frame of broadcast `seq` (the last one plus one), at time `now`."""

    def holds_after(self, seq: int, now: float) -> bool:
        """Whether every frame after `seq`, up to the last, is held."""

    def size_after(self, seq: int) -> int:
        """Bytes of the frames after `seq` (`holds_after(seq)` must be true)."""

    def frames_after(self, seq: int, until: int) -> Iterator[bytes]:
        """The frames `seq + 1` .. `until`, lazily; raises `Trimmed` at a frame that
        is gone by the time the reader reaches it."""

    def stats(self, now: float) -> HistoryStats: ...


class History:
    """The in-memory `Log`: parallel lists with a moving head, compacted as it goes.

    Lists rather than a deque: a reader at any position is an index away (a deque
    indexes its middle in linear time), and a running sum of sizes answers "how many
    bytes after seq" in constant time.
    """

    __slots__ = (
        "_bytes",
        "_ends",
        "_first",
        "_frames",
        "_head",
        "_max_age",
        "_max_bytes",
        "_max_events",
        "_times",
    )

    def __init__(self, max_events: int, max_bytes: int, max_age: float, after: int = 0) -> None:
        """`after`: the seq the log starts after (a gateway that began from a checkpoint
        holds nothing before it)."""
        self._max_events = max_events
        self._max_bytes = max_bytes
        self._max_age = max_age
        self._frames: list[bytes] = []
        self._times: list[float] = []
        # Running total of bytes up to and including each frame (since the last compaction).
        self._ends: list[int] = []
        self._head = 0  # index of the first frame held
        self._first = after + 1  # seq of the frame at `_head`
        self._bytes = 0  # bytes held

    def append(self, seq: int, frame: bytes, now: float) -> None:
        if self._max_events <= 0:
            self._first = seq + 1
            return
        held = len(self._frames) - self._head
        if held and seq != self._first + held:
            raise ValueError(f"seq {seq} does not follow {self._first + held - 1}")
        if not held:
            self._first = seq
        previous = self._ends[-1] if self._ends else 0
        self._frames.append(frame)
        self._times.append(now)
        self._ends.append(previous + len(frame))
        self._bytes += len(frame)
        self._trim(now)

    def holds_after(self, seq: int, now: float) -> bool:
        self._trim(now)
        return seq >= self._first - 1

    def size_after(self, seq: int) -> int:
        held = len(self._frames) - self._head
        if seq >= self._first + held - 1:
            return 0
        index = self._head + max(0, seq + 1 - self._first)  # the first frame after seq
        return self._ends[-1] - (self._ends[index] - len(self._frames[index]))

    def frames_after(self, seq: int, until: int) -> Iterator[bytes]:
        for wanted in range(seq + 1, until + 1):
            if wanted < self._first:
                raise Trimmed(f"event {wanted} left the history during the replay")
            yield self._frames[self._head + (wanted - self._first)]

    def stats(self, now: float) -> HistoryStats:
        self._trim(now)
        events = len(self._frames) - self._head
        last = self._first + events - 1
        return HistoryStats(
            self._first if events else 0, last if events else 0, events, self._bytes
        )

    def _trim(self, now: float) -> None:
        frames, times = self._frames, self._times
        limit = now - self._max_age
        while self._head < len(frames) and (
            len(frames) - self._head > self._max_events
            or self._bytes > self._max_bytes
            or times[self._head] < limit
        ):
            self._bytes -= len(frames[self._head])
            self._head += 1
            self._first += 1
        if self._head > 1024 and self._head * 2 > len(frames):
            del frames[: self._head], times[: self._head], self._ends[: self._head]
            self._head = 0  # `_ends` keeps its origin: only differences are read
