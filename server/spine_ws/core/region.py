"""A region of interest: the rectangle a client subscribed to over the agents' positions
(the numbers `x` and `y` in their data), and the grid that indexes a burst's updates by
position, once for every region client, so each one reads the cells its rectangle
covers and the agents it holds: its cost grows with what it sees, not with the world.
Sans-I/O."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CELLS", "Grid", "Region", "RegionIndex", "Where", "position"]

# Where an agent is, from its data (None: it has no numeric x and y, and is in no region).
Where = tuple[float, float] | None
# The grid spans a burst's positions with this many cells a side.
CELLS = 32


@dataclass(frozen=True, slots=True)
class Region:
    """A rectangle, edges included."""

    x_min: float
    y_min: float
    x_max: float
    y_max: float

    @classmethod
    def of(cls, members: Any) -> Region:
        """From subscribe's `region` (its generated model)."""
        return cls(
            float(members.x_min),
            float(members.y_min),
            float(members.x_max),
            float(members.y_max),
        )

    @property
    def ordered(self) -> bool:
        return self.x_min <= self.x_max and self.y_min <= self.y_max

    def contains(self, where: Where) -> bool:
        if where is None:
            return False
        x, y = where
        return self.x_min <= x <= self.x_max and self.y_min <= y <= self.y_max


def position(data: Any) -> Where:
    """The position in an agent's data, if it has one (a bool is not a number)."""
    if not isinstance(data, dict):
        return None
    x, y = data.get("x"), data.get("y")
    if type(x) not in (float, int) or type(y) not in (float, int):
        return None
    where = float(x), float(y)  # type: ignore[arg-type]  # checked just above
    return where if math.isfinite(where[0]) and math.isfinite(where[1]) else None


class Grid:
    """The positioned events of a burst (their indices in it), by cell: `CELLS` a side
    over the box they span."""

    __slots__ = ("_cells", "_x0", "_x_step", "_y0", "_y_step")

    def __init__(self, points: Sequence[tuple[int, float, float]]) -> None:
        self._cells: dict[tuple[int, int], list[int]] = {}
        if not points:
            self._x0 = self._y0 = 0.0
            self._x_step = self._y_step = 1.0
            return
        xs = [x for _, x, _ in points]
        ys = [y for _, _, y in points]
        self._x0, self._y0 = min(xs), min(ys)
        self._x_step = (max(xs) - self._x0) / CELLS or 1.0
        self._y_step = (max(ys) - self._y0) / CELLS or 1.0
        cells = self._cells
        for index, x, y in points:
            cells.setdefault(self._cell(x, y), []).append(index)

    def _cell(self, x: float, y: float) -> tuple[int, int]:
        column = min(int((x - self._x0) / self._x_step), CELLS - 1)
        row = min(int((y - self._y0) / self._y_step), CELLS - 1)
        return column, row

    def within(self, region: Region) -> list[int]:
        """The indices of the events in the cells the region touches (some may lie just
        outside it: the caller checks each)."""
        if region.x_max < self._x0 or region.y_max < self._y0:
            return []
        first_column, first_row = self._cell(
            max(region.x_min, self._x0), max(region.y_min, self._y0)
        )
        last_column, last_row = self._cell(region.x_max, region.y_max)
        found: list[int] = []
        cells = self._cells
        if (last_column - first_column + 1) * (last_row - first_row + 1) > len(cells):
            for (column, row), indices in cells.items():  # fewer cells held than touched
                if first_column <= column <= last_column and first_row <= row <= last_row:
                    found.extend(indices)
            return found
        for column in range(first_column, last_column + 1):
            for row in range(first_row, last_row + 1):
                found.extend(cells.get((column, row), ()))
        return found


class RegionIndex:
    """A burst's events as a region client reads them: the updates by cell (`Grid`) and
    by agent, and the rest (few: ticks, lifecycle, world events), which it always reads."""

    __slots__ = ("_by_agent", "_grid", "_others")

    def __init__(
        self,
        events: Sequence[tuple[int, tuple[str, str | None, str | None], bytes]],
        where: Sequence[Where],
    ) -> None:
        points: list[tuple[int, float, float]] = []
        self._by_agent: dict[str, list[int]] = {}
        self._others: list[int] = []
        for index, ((_, (kind, agent, _), _), at) in enumerate(zip(events, where, strict=True)):
            if kind != "agent_update" or agent is None:
                self._others.append(index)
                continue
            self._by_agent.setdefault(agent, []).append(index)
            if at is not None:
                points.append((index, at[0], at[1]))
        self._grid = Grid(points)

    def picks(self, region: Region, inside: set[str], start: int, end: int) -> list[int]:
        """The events from `start` to `end` that may concern a client of `region` holding
        the agents `inside` (in order): those in its cells, those about its agents (one
        may leave), and the rest."""
        chosen = {i for i in self._grid.within(region) if start <= i < end}
        by_agent = self._by_agent
        for agent in inside:
            for i in by_agent.get(agent, ()):
                if start <= i < end:
                    chosen.add(i)
        chosen.update(i for i in self._others if start <= i < end)
        return sorted(chosen)
