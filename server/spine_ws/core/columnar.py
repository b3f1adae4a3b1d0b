"""Columnar tick frames (`agent_columns`, layout 1) and the agent index table they name
agents by (`agent_index`). Sans-I/O.

A client that subscribed with `columns: true` (MessagePack only) gets each tick the
simulation published at once (`EventSink.broadcast_updates`) as one frame: the agents
as uint32 indices, each numeric member as one float64 array, the other members as
arrays. The frame is made once per tick for every such client; what is the client's own
is only the part of the table it has not been sent yet (`Indexing`).

The table is the epoch's: an agent keeps its index, an index is never reused, so it
only grows (by the agents ever published in the epoch). What goes in a tick's frame, and
what it leaves out as unchanged, is decided on the simulation's thread
(core/deltas.py).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgpack

__all__ = ["LAYOUT", "AgentIndex", "ColumnsRun", "Indexing", "TickColumns", "decode"]

LAYOUT = 1
_LITTLE = sys.byteorder == "little"


@dataclass(frozen=True, slots=True)
class TickColumns:
    """One tick's updates as columns (made on the simulation's thread): the numeric
    columns that changed, the other columns, and the numeric ones that did not."""

    numeric: dict[str, bytes]
    other: dict[str, list[Any]]
    unchanged: list[str] = field(default_factory=list)
    # Numeric columns of which only some rows changed: name -> (rows, their values).
    patches: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    # Every numeric column whole, when some are left out or patched (a key frame's).
    whole: dict[str, bytes] | None = None

    @property
    def delta(self) -> bool:
        return self.whole is not None


class AgentIndex:
    """The epoch's table: agent id -> index, in the order agents were first published."""

    __slots__ = ("_of", "ids")

    def __init__(self) -> None:
        self.ids: list[str] = []
        self._of: dict[str, int] = {}

    def indices(self, agent_ids: Sequence[str]) -> bytes:
        """The agents' indices (new ones join the table) as little-endian uint32."""
        of, ids = self._of, self.ids
        found = array("I")
        for agent_id in agent_ids:
            index = of.get(agent_id)
            if index is None:
                index = of[agent_id] = len(ids)
                ids.append(agent_id)
            found.append(index)
        if not _LITTLE:
            found.byteswap()
        return found.tobytes()


@dataclass(slots=True)
class Indexing:
    """How much of a table one client has been sent."""

    table: AgentIndex | None = None
    sent: int = 0

    def frame(self, table: AgentIndex, needed: int) -> bytes | None:
        """The `agent_index` frame this client needs before a frame naming indices below
        `needed` (None: it has them all)."""
        if self.table is not table:  # a new epoch's table, or the first: from the start
            self.table, self.sent = table, 0
        if self.sent >= needed:
            return None
        start, self.sent = self.sent, needed
        message = {"type": "agent_index", "start": start, "agent_ids": table.ids[start:needed]}
        packed: bytes = msgpack.packb(message, use_bin_type=True)
        return packed


@dataclass(slots=True)
class ColumnsRun:
    """A tick published at once, as a burst holds it for the columns clients: its seqs
    (`first_seq` on), where its updates are among the burst's events (`start` to `end`;
    none when no client takes them one by one), and its frame, made once."""

    start: int
    end: int
    first_seq: int
    tick: int
    agent_ids: list[str]
    columns: TickColumns
    table: AgentIndex
    index: bytes
    # How many of the table's agents the frame may name: what a client must have.
    needed: int
    _frame: bytes | None = field(default=None, repr=False)
    _key: bytes | None = field(default=None, repr=False)

    @property
    def count(self) -> int:
        """The updates it stands for."""
        return len(self.agent_ids)

    @property
    def last_seq(self) -> int:
        return self.first_seq + self.count - 1

    def frame(self) -> bytes:
        """The frame, as the simulation's thread made it (a delta, maybe)."""
        if self._frame is None:
            columns = self.columns
            patches = {name: {"rows": r, "data": d} for name, (r, d) in columns.patches.items()}
            self._frame = self._pack(columns.numeric, columns.unchanged, patches)
        return self._frame

    def key_frame(self) -> bytes:
        """The frame with every column whole: for a client that missed the one before."""
        whole = self.columns.whole
        if whole is None:
            return self.frame()
        if self._key is None:
            self._key = self._pack(whole, [], {})
        return self._key

    def _pack(
        self, numeric: dict[str, bytes], unchanged: list[str], patches: dict[str, Any]
    ) -> bytes:
        count = self.count
        message = {
            "type": "agent_columns",
            "layout": LAYOUT,
            "tick": self.tick,
            "first_seq": self.first_seq,
            "last_seq": self.first_seq + count - 1,
            "count": count,
            "index": self.index,
            "columns": numeric,
            "values": self.columns.other,
            "unchanged": unchanged,
            "patches": patches,
        }
        packed: bytes = msgpack.packb(message, use_bin_type=True)
        return packed


def decode(
    frame: dict[str, Any], table: Sequence[str], previous: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """An `agent_columns` frame (decoded MessagePack) as the `agent_update` events it
    stands for, with their seqs: what a client of layout 1 reads, in Python. `previous`
    is each agent's data before it (for the members it leaves `unchanged`)."""
    if frame.get("layout") != LAYOUT:
        raise ValueError(f"agent_columns layout {frame.get('layout')!r}: this reads {LAYOUT}")
    count = frame["count"]
    index = array("I", frame["index"])
    numeric = {name: array("d", data) for name, data in frame["columns"].items()}
    if not _LITTLE:
        index.byteswap()
        for column in numeric.values():
            column.byteswap()
    if len(index) != count or any(len(c) != count for c in numeric.values()):
        raise ValueError("agent_columns: a column's length is not count")
    # A patched column: its rows that changed, the others as they were.
    patched: dict[str, dict[int, float]] = {}
    for name, patch in frame["patches"].items():
        rows, changed = array("I", patch["rows"]), array("d", patch["data"])
        if not _LITTLE:
            rows.byteswap()
            changed.byteswap()
        patched[name] = dict(zip(rows, changed, strict=True))
    kept_names = [*frame["unchanged"], *patched]
    events = []
    for row in range(count):
        agent_id = table[index[row]]
        kept = previous[agent_id] if kept_names else {}
        data: dict[str, Any] = {name: kept[name] for name in kept_names}
        for name, changes in patched.items():
            if row in changes:
                data[name] = changes[row]
        data.update({name: column[row] for name, column in numeric.items()})
        data.update({name: values[row] for name, values in frame["values"].items()})
        events.append(
            {
                "seq": frame["first_seq"] + row,
                "type": "agent_update",
                "tick": frame["tick"],
                "agent_id": agent_id,
                "data": data,
            }
        )
    return events
