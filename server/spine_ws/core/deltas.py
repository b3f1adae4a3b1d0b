"""A tick published at once, as its columns frame carries it (`TickColumns`), made on the
simulation's thread: the numeric columns as float64 bytes, the others as they are, and
what did not change since the same agents' last tick left out (`Deltas`). Sans-I/O.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Mapping, Sequence
from typing import Any

from spine_ws.core.columnar import TickColumns

__all__ = ["KEY_EVERY", "Deltas", "split"]

# The largest integer a float64 (and a JavaScript number) holds exactly.
_EXACT = 2**53
_LITTLE = sys.byteorder == "little"


def split(
    names: Sequence[str], values: Sequence[list[Any]], packed: Mapping[str, bytes] | None = None
) -> tuple[dict[str, bytes], dict[str, list[Any]]]:
    """A tick's columns (validated, as lists) as layout 1 has them: the numeric ones as
    float64 bytes, the others as they are. A column is numeric when every value is an
    int or a float (not a bool) that a float64 holds exactly. `packed`: columns already
    known numeric, as their float64 bytes (a numpy array's, made by numpy)."""
    numeric: dict[str, bytes] = {}
    other: dict[str, list[Any]] = {}
    given = packed or {}
    for name, column in zip(names, values, strict=True):
        packed_column = given.get(name)
        if packed_column is None:
            packed_column = _float64(column)
        if packed_column is None:
            other[name] = column
        else:
            numeric[name] = packed_column
    return numeric, other


# Rows compared at once when looking for the rows of a column that changed.
_CHUNK = 64 * 8


def _patch(old: bytes, new: bytes) -> tuple[bytes, bytes] | None:
    """The rows of a float64 column that changed and their values, when a patch is at
    most half the column's bytes (12 bytes a row against 8): else None, and the column
    goes whole. Chunks of rows are compared first, so a column that changed everywhere
    costs one pass of comparisons in C."""
    if len(old) != len(new):
        return None
    chunks = [
        start
        for start in range(0, len(new), _CHUNK)
        if old[start : start + _CHUNK] != new[start : start + _CHUNK]
    ]
    if len(chunks) * 2 > len(new) // _CHUNK + 1:
        return None
    limit = len(new) // 24  # rows a patch may hold: 12 bytes each, half the column
    rows, data = array("I"), bytearray()
    for start in chunks:
        for offset in range(start, min(start + _CHUNK, len(new)), 8):
            value = new[offset : offset + 8]
            if old[offset : offset + 8] != value:
                rows.append(offset // 8)
                data += value
        if len(rows) > limit:
            return None
    if not _LITTLE:
        rows.byteswap()
    return rows.tobytes(), bytes(data)


def _float64(column: Any) -> bytes | None:
    if hasattr(column, "tolist"):  # a numpy array not packed by numpy
        column = column.tolist()
    for value in column:
        kind = type(value)
        if kind is float or (kind is int and -_EXACT <= value <= _EXACT):
            continue
        return None
    packed = array("d", column)
    if not _LITTLE:
        packed.byteswap()
    return packed.tobytes()


# A frame with every column, however little changed, at least this often.
KEY_EVERY = 64


class Deltas:
    """What the simulation's thread remembers to leave unchanged columns out: the last
    tick each set of agents was published at once (its agents, in order, and their
    numeric columns), for the last few such sets.

    A column is left out only when the same agents, in the same order, had the very same
    bytes when they were last published at once, with no other event about an agent
    since (`touched`). Every client a frame reaches then holds those values already: a
    columns frame goes only to a client sent every event before it (whatever thins a
    client sends it whole updates instead, and a snapshot, a resume or a subscribe's
    ack carries the stream's state as of its seq).
    """

    __slots__ = ("_last",)

    # Sets of agents remembered (a simulation publishing its agents in groups).
    SETS = 16

    def __init__(self) -> None:
        # agents -> (their numeric columns, frames since a key frame)
        self._last: dict[tuple[str, ...], tuple[dict[str, bytes], int]] = {}

    def touched(self) -> None:
        """An event about an agent was published some other way: no delta on the next."""
        self._last.clear()

    def columns(
        self,
        agent_ids: Sequence[str],
        names: Sequence[str],
        values: Sequence[list[Any]],
        packed: Mapping[str, bytes] | None = None,
    ) -> TickColumns:
        numeric, other = split(names, values, packed)
        agents = tuple(agent_ids)
        last = self._last.pop(agents, None)
        if last is None or last[1] >= KEY_EVERY:
            self._remember(agents, numeric, 0)
            return TickColumns(numeric, other)
        before, since = last
        self._remember(agents, numeric, since + 1)
        delta = TickColumns({}, other, whole=numeric)
        for name, column in numeric.items():
            old = before.get(name)
            if old == column:
                delta.unchanged.append(name)
            elif old is not None and (patch := _patch(old, column)) is not None:
                delta.patches[name] = patch
            else:
                delta.numeric[name] = column
        return delta if delta.unchanged or delta.patches else TickColumns(numeric, other)

    def _remember(self, agents: tuple[str, ...], numeric: dict[str, bytes], since: int) -> None:
        self._last[agents] = numeric, since
        if len(self._last) > self.SETS:
            del self._last[next(iter(self._last))]  # the longest unpublished
