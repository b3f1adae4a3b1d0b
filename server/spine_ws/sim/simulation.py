"""What a simulation is, to the server: a factory taking the boundary, and three members."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from spine_ws.sim.boundary import Boundary
from spine_ws.sim.registry import Registry

__all__ = ["Simulation", "SimulationFactory"]


class Simulation(Protocol):
    """What a simulation factory returns.

    `handlers` must cover every command schema (checked at start-up). `start` begins
    work on the simulation's own thread and returns; `stop` ends it and joins.
    """

    @property
    def handlers(self) -> Registry: ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


SimulationFactory = Callable[[Boundary], Simulation]
