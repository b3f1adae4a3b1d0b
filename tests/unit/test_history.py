"""The in-memory history: contiguous by seq, bounded by count, bytes and age."""

from __future__ import annotations

import pytest

from spine_ws.core.history import History, HistoryStats, Trimmed


def filled(n: int, history: History | None = None, size: int = 10, now: float = 0.0) -> History:
    history = history or History(1000, 1_000_000, 60.0)
    for seq in range(1, n + 1):
        history.append(seq, b"%0*d" % (size, seq), now)
    return history


def test_it_replays_exactly_the_frames_after_a_seq() -> None:
    history = filled(5)
    assert list(history.frames_after(2, 5)) == [b"%010d" % s for s in (3, 4, 5)]
    assert history.size_after(2) == 30
    assert history.size_after(5) == 0 and list(history.frames_after(5, 5)) == []
    assert history.stats(0.0) == HistoryStats(first=1, last=5, events=5, bytes=50)


def test_the_count_bound_drops_the_oldest_first() -> None:
    history = filled(12, History(10, 1_000_000, 60.0))
    assert history.stats(0.0) == HistoryStats(first=3, last=12, events=10, bytes=100)
    assert history.holds_after(2, 0.0) and not history.holds_after(1, 0.0)
    assert history.size_after(2) == 100


def test_the_byte_bound_drops_the_oldest_first() -> None:
    history = filled(10, History(1000, 45, 60.0))
    assert history.stats(0.0).events == 4  # 4 frames of 10 bytes fit in 45
    assert history.stats(0.0).first == 7


def test_the_age_bound_drops_events_older_than_it_even_without_appends() -> None:
    history = filled(3, History(1000, 1_000_000, 5.0), now=0.0)
    history.append(4, b"x", 4.0)
    assert history.holds_after(0, 4.0)
    assert not history.holds_after(0, 5.5)  # seqs 1-3 are older than 5 s at t = 5.5
    assert history.holds_after(3, 5.5)
    assert history.stats(9.5) == HistoryStats(first=0, last=0, events=0, bytes=0)


def test_an_empty_history_can_still_resume_at_the_last_seq() -> None:
    """After a trim of everything (or with no history), the current seq is resumable
    with nothing to replay, and nothing older is."""
    history = History(0, 0, 0.0)
    for seq in range(1, 4):
        history.append(seq, b"abc", 0.0)
    assert history.holds_after(3, 0.0) and not history.holds_after(2, 0.0)
    assert history.stats(0.0).events == 0


def test_a_reader_that_falls_behind_the_history_is_told() -> None:
    """Frames trimmed while a replay is being read raise Trimmed, never a wrong frame."""
    history = filled(5, History(5, 1_000_000, 60.0))
    reader = history.frames_after(0, 5)
    assert next(reader) == b"%010d" % 1
    for seq in range(6, 9):  # pushes out 1, 2, 3
        history.append(seq, b"%010d" % seq, 0.0)
    with pytest.raises(Trimmed):
        next(reader)


def test_compaction_keeps_positions_and_sizes() -> None:
    history = filled(5000, History(100, 1_000_000, 60.0))
    assert history.stats(0.0) == HistoryStats(first=4901, last=5000, events=100, bytes=1000)
    assert list(history.frames_after(4998, 5000)) == [b"%010d" % 4999, b"%010d" % 5000]
    assert history.size_after(4900) == 1000 and history.size_after(4999) == 10


def test_a_seq_out_of_order_is_a_bug_and_refused() -> None:
    history = filled(3)
    with pytest.raises(ValueError, match="does not follow 3"):
        history.append(5, b"x", 0.0)


class Frames:
    """A `Block`: `count` frames of 10 bytes from `first`, made when first read."""

    def __init__(self, first: int, count: int) -> None:
        self.first, self.count, self.size, self.made = first, count, count * 10, 0

    def frames(self) -> list[bytes]:
        self.made += 1
        return [b"%010d" % seq for seq in range(self.first, self.first + self.count)]


def test_a_block_is_one_entry_read_from_anywhere_in_it() -> None:
    """A tick published at once is held as one entry: its frames made when a reader
    reaches it, a replay may start in its middle, and its bytes count part for part."""
    history = filled(3)
    block = Frames(4, 5)  # seqs 4..8
    history.append_block(4, block, 0.0)
    history.append(9, b"%010d" % 9, 0.0)
    assert block.made == 0, "nothing read it yet"
    assert list(history.frames_after(5, 9)) == [b"%010d" % s for s in range(6, 10)]
    assert list(history.frames_after(1, 4)) == [b"%010d" % s for s in (2, 3, 4)]
    assert history.size_after(5) == 40 and history.size_after(3) == 60
    assert history.stats(0.0) == HistoryStats(first=1, last=9, events=9, bytes=90)
    with pytest.raises(ValueError, match="does not follow 9"):
        history.append_block(11, Frames(11, 2), 0.0)


def test_a_block_leaves_the_history_whole() -> None:
    history = History(6, 1_000_000, 60.0)
    history.append_block(1, Frames(1, 4), 0.0)
    history.append_block(5, Frames(5, 4), 0.0)  # 8 events: the first block goes
    assert history.stats(0.0) == HistoryStats(first=5, last=8, events=4, bytes=40)
    assert not history.holds_after(3, 0.0) and history.holds_after(4, 0.0)
    reader = history.frames_after(4, 8)
    assert next(reader) == b"%010d" % 5
    history.append_block(9, Frames(9, 4), 0.0)  # pushes out 5..8
    with pytest.raises(Trimmed):
        next(reader)
    for first in range(13, 13 + 4 * 600, 4):  # compaction with blocks
        history.append_block(first, Frames(first, 4), 0.0)
    last = 12 + 4 * 600
    assert list(history.frames_after(last - 2, last)) == [b"%010d" % s for s in (last - 1, last)]
    assert history.size_after(last - 4) == 40
