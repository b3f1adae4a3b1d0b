"""`Runtime`: what the endpoints share while the app runs (made by the app's lifespan)."""

from __future__ import annotations

from dataclasses import dataclass

from spine_ws.access import Guesses, PerAddress, Policy
from spine_ws.core.boundary import CommandQueue
from spine_ws.core.hub import Hub
from spine_ws.core.watchdog import Watchdog
from spine_ws.settings import Settings
from spine_ws.sim.simulation import Simulation

__all__ = ["Runtime"]


@dataclass
class Runtime:
    """The hub, the simulation and its queue, access control, and the settings."""

    settings: Settings
    hub: Hub
    simulation: Simulation
    commands: CommandQueue
    access: Policy
    addresses: PerAddress
    watchdog: Watchdog
    guesses: Guesses
