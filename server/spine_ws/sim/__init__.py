"""The plug-in API: everything a simulation author imports, in one place.

    from spine_ws.sim import TickingSimulation, Boundary, AgentExists, AddAgentCommand

A simulation is a factory that takes a `Boundary` (its `CommandQueue` and `EventSink`)
and returns a `Simulation` (`handlers`, `start`, `stop`); `TickingSimulation` is one
with the thread, the ticks and the lifecycle commands done. Its handlers raise the
`ProtocolError`s below to refuse a command. The generated message models
(`spine_ws.generated`) are re-exported here too, and `Catalog`, the contract a
simulation speaks (`CORE`, or its own package's `CATALOG` from `spine-ws gen`).
Nothing else in `spine_ws` is public.
"""

from spine_ws import generated
from spine_ws.core.catalog import CORE, Catalog
from spine_ws.core.errors import (
    AgentExists,
    AgentNotFound,
    Busy,
    Cancelled,
    Forbidden,
    InternalError,
    InvalidJson,
    InvalidMessage,
    InvalidState,
    LimitExceeded,
    ProtocolError,
    QueueFull,
    RateLimited,
    SimulationError,
    UnknownCommand,
    UnsupportedCommand,
)
from spine_ws.generated import *  # noqa: F403
from spine_ws.sim.boundary import Boundary, CommandItem, CommandQueue, EventSink
from spine_ws.sim.jobs import Job, Jobs
from spine_ws.sim.registry import LIFECYCLE, Registry, RegistryError
from spine_ws.sim.simulation import Simulation, SimulationFactory
from spine_ws.sim.ticking import TickingSimulation

__all__ = [
    "CORE",
    "LIFECYCLE",
    "AgentExists",
    "AgentNotFound",
    "Boundary",
    "Busy",
    "Cancelled",
    "Catalog",
    "CommandItem",
    "CommandQueue",
    "EventSink",
    "Forbidden",
    "InternalError",
    "InvalidJson",
    "InvalidMessage",
    "InvalidState",
    "Job",
    "Jobs",
    "LimitExceeded",
    "ProtocolError",
    "QueueFull",
    "RateLimited",
    "Registry",
    "RegistryError",
    "Simulation",
    "SimulationError",
    "SimulationFactory",
    "TickingSimulation",
    "UnknownCommand",
    "UnsupportedCommand",
]
__all__ += generated.__all__
