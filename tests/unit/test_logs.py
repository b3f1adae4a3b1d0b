"""Repeats: a flood of like log records becomes one line per window, with a count."""

from __future__ import annotations

import logging

from spine_ws.logs import COLLAPSE, Repeats


def record(
    message: str, *args: object, level: int = logging.ERROR, at: float = 0.0
) -> logging.LogRecord:
    entry = logging.LogRecord("spine_ws.test", level, __file__, 1, message, args, None)
    entry.created = at
    return entry


def test_repeats_within_the_window_are_counted_and_reported_once() -> None:
    """First passes; the rest of the window is dropped; the next one says how many."""
    repeats = Repeats(window=10)
    passed = [repeats.filter(record("tick %d failed", n, at=n * 0.1)) for n in range(50)]
    assert passed == [True] + [False] * 49
    later = record("tick %d failed", 99, at=11.0)
    assert repeats.filter(later)
    assert later.getMessage() == "tick 99 failed (repeated 49 more times in 10 s before)"


def test_different_templates_and_plain_info_are_not_collapsed() -> None:
    """Kinds are (logger, level, template); INFO passes unless marked COLLAPSE."""
    repeats = Repeats(window=10)
    assert repeats.filter(record("a %s", 1)) and repeats.filter(record("b %s", 1))
    assert all(repeats.filter(record("connect %s", n, level=logging.INFO)) for n in range(5))
    marked = [record("refused %s", n, level=logging.INFO) for n in range(3)]
    for entry in marked:
        entry.__dict__.update(COLLAPSE)
    assert [repeats.filter(entry) for entry in marked] == [True, False, False]
