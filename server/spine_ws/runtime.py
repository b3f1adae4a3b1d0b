"""`Runtime`: what the endpoints share while the app runs (made by the app's lifespan)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from spine_ws.access import Guesses, PerAddress, Policy
from spine_ws.core.envelope import DeclaredEncoder, EnvelopeSpec
from spine_ws.core.hub import Hub
from spine_ws.metrics import Metrics
from spine_ws.recording import Recorder
from spine_ws.recording.playback import Playback
from spine_ws.settings import Settings
from spine_ws.sim.boundary import CommandQueue
from spine_ws.sim.simulation import Simulation
from spine_ws.watchdog import Watchdog

__all__ = ["ClusterLink", "Runtime"]


class ClusterLink(Protocol):
    """This process's place in a cluster (spine_ws.cluster): a host's or a gateway's."""

    @property
    def role(self) -> Literal["host", "gateway"]: ...

    @property
    def state(self) -> str:
        """The NATS connection: connecting, connected, reconnecting or closed."""

    def lag(self) -> int:
        """Events in the stream this process has not published (host) or relayed yet."""

    @property
    def ready(self) -> bool:
        """Whether its world is current: a gateway is not until it has relayed the
        stream up to where the stream was when it began following (a host always is)."""

    async def stop(self) -> None: ...


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
    metrics: Metrics
    cluster: ClusterLink | None = None
    # A team's declared envelope (--envelope) and its shared encoder, if it has one.
    declared: tuple[EnvelopeSpec, DeclaredEncoder] | None = None
    # --record: the MCAP recorder of every epoch, if it records.
    recorder: Recorder | None = None
    # Each connection's playback of a recording: `spine-ws replay`, or time travel on a
    # live server that records.
    playback: Playback | None = None
