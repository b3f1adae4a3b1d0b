"""The broadcast stream as a log: every stamped frame by `seq`, bounded, for resumes.

`Log` is what the hub needs of it (append, read a range, bounds, sizes); `History` is
the embedded, in-memory one. A client that reconnects with `resume=<epoch>:<seq>` is
sent the frames after its `seq` exactly as the connected clients got them (the bytes
kept here are those frames: replay costs no serialisation), if they are all still held.

Bounded by count, bytes and age, oldest first. The frames are the hub's own bytes
objects, shared with every send queue: holding them costs the history's bound, not a
copy per client. A tick published at once is held as one `Block` (its frames made when
first read: a world watched as columns alone never makes them), and leaves as one.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Block", "History", "HistoryStats", "Log", "Trimmed"]


class Trimmed(Exception):
    """A frame a reader was about to take is no longer held (the history moved on)."""


@dataclass(frozen=True)
class HistoryStats:
    """What is held: `first`..`last` (0 and 0 when empty), how many frames, their bytes."""

    first: int
    last: int
    events: int
    bytes: int


class Block(Protocol):
    """Consecutive broadcasts held as one entry: `count` frames, made when first read."""

    @property
    def count(self) -> int: ...

    @property
    def size(self) -> int:
        """Bytes of its frames (an estimate until they are made: fixed at append)."""

    def frames(self) -> list[bytes]: ...


class Log(Protocol):
    """An ordered log of broadcast frames, by seq (contiguous, from `first` to `last`)."""

    def append(self, seq: int, frame: bytes, now: float) -> None:
        """Add the frame of broadcast `seq` (the last one plus one), at time `now`."""

    def append_block(self, first: int, block: Block, now: float) -> None:
        """Add broadcasts `first` .. `first + block.count - 1` as one entry."""

    def holds_after(self, seq: int, now: float) -> bool:
        """Whether every frame after `seq`, up to the last, is held."""

    def size_after(self, seq: int) -> int:
        """Bytes of the frames after `seq` (`holds_after(seq)` must be true)."""

    def frames_after(self, seq: int, until: int) -> Iterator[bytes]:
        """The frames `seq + 1` .. `until`, lazily; raises `Trimmed` at a frame that
        is gone by the time the reader reaches it."""

    def stats(self, now: float) -> HistoryStats: ...


class History:
    """The in-memory `Log`: parallel lists of entries (a frame, or a `Block` of them)
    with a moving head, compacted as it goes.

    Lists rather than a deque: a reader at any position is a bisection away (a deque
    indexes its middle in linear time), and a running sum of sizes answers "how many
    bytes after seq" in constant time.
    """

    __slots__ = (
        "_bytes",
        "_ends",
        "_entries",
        "_first",
        "_firsts",
        "_head",
        "_last",
        "_max_age",
        "_max_bytes",
        "_max_events",
        "_sizes",
        "_times",
    )

    def __init__(self, max_events: int, max_bytes: int, max_age: float, after: int = 0) -> None:
        """`after`: the seq the log starts after (a gateway that began from a checkpoint
        holds nothing before it)."""
        self._max_events = max_events
        self._max_bytes = max_bytes
        self._max_age = max_age
        self._entries: list[bytes | Block] = []
        self._firsts: list[int] = []  # the seq of each entry's first frame
        self._times: list[float] = []
        self._sizes: list[int] = []
        # Running total of bytes up to and including each entry (since the last compaction).
        self._ends: list[int] = []
        self._head = 0  # index of the first entry held
        self._first = after + 1  # seq of the first frame held
        self._last = after  # seq of the last frame held
        self._bytes = 0  # bytes held

    def append(self, seq: int, frame: bytes, now: float) -> None:
        self._add(seq, 1, frame, len(frame), now)

    def append_block(self, first: int, block: Block, now: float) -> None:
        self._add(first, block.count, block, block.size, now)

    def _add(self, seq: int, count: int, entry: bytes | Block, size: int, now: float) -> None:
        if self._max_events <= 0:
            self._first = seq + count
            self._last = seq + count - 1
            return
        held = self._last - self._first + 1
        if held and seq != self._last + 1:
            raise ValueError(f"seq {seq} does not follow {self._last}")
        if not held:
            self._first = seq
        previous = self._ends[-1] if self._ends else 0
        self._entries.append(entry)
        self._firsts.append(seq)
        self._times.append(now)
        self._sizes.append(size)
        self._ends.append(previous + size)
        self._bytes += size
        self._last = seq + count - 1
        self._trim(now)

    def holds_after(self, seq: int, now: float) -> bool:
        self._trim(now)
        return seq >= self._first - 1

    def size_after(self, seq: int) -> int:
        if seq >= self._last:
            return 0
        index = self._index(max(seq + 1, self._first))
        entry = self._entries[index]
        size = self._ends[-1] - self._ends[index]
        whole = self._sizes[index]
        if isinstance(entry, bytes):
            return size + whole
        # Part of a block: its share of the block's size.
        skipped = max(seq + 1, self._first) - self._firsts[index]
        return size + whole * (entry.count - skipped) // entry.count

    def _index(self, seq: int) -> int:
        """The index of the entry holding `seq` (held)."""
        return bisect_right(self._firsts, seq, self._head) - 1

    def frames_after(self, seq: int, until: int) -> Iterator[bytes]:
        wanted = seq + 1
        while wanted <= until:
            if wanted < self._first:
                raise Trimmed(f"event {wanted} left the history during the replay")
            index = self._index(wanted)
            entry, first = self._entries[index], self._firsts[index]
            if isinstance(entry, bytes):
                yield entry
                wanted += 1
                continue
            frames = entry.frames()
            for offset in range(wanted - first, min(entry.count, until - first + 1)):
                if first + offset < self._first:
                    raise Trimmed(f"event {first + offset} left the history during the replay")
                yield frames[offset]
            wanted = min(first + entry.count, until + 1)

    def stats(self, now: float) -> HistoryStats:
        self._trim(now)
        events = self._last - self._first + 1
        return HistoryStats(
            self._first if events else 0, self._last if events else 0, events, self._bytes
        )

    def _trim(self, now: float) -> None:
        entries, times = self._entries, self._times
        limit = now - self._max_age
        while self._head < len(entries) and (
            self._last - self._first + 1 > self._max_events
            or self._bytes > self._max_bytes
            or times[self._head] < limit
        ):
            head = self._head
            self._bytes -= self._sizes[head]
            self._head += 1
            self._first = self._firsts[head + 1] if head + 1 < len(entries) else self._last + 1
        if self._head > 1024 and self._head * 2 > len(entries):
            head = self._head
            del entries[:head], times[:head], self._firsts[:head]
            del self._sizes[:head], self._ends[:head]
            self._head = 0  # `_ends` keeps its origin: only differences are read
