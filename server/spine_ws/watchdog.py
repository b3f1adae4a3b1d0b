"""Is the simulation alive? Watched from the loop, with no help from the simulation.

The command queue knows the thread that takes commands and when it last took one; the
mirror knows when the last tick began. A taker thread that has ended (an exception
escaped its loop, `SystemExit` included) is a failed simulation: the hub answers every
command it still owes and every later one. One that is alive but takes no command and
starts no tick while there is work (a queued command, or it is running) for longer than
`stall_after` is stalled: reported, its commands left queued, since they may still be
applied.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from spine_ws.core.hub import Hub
from spine_ws.sim.boundary import CommandQueue

__all__ = ["SimulationHealth", "Status", "Watchdog"]

Status = Literal["ok", "busy", "stalled", "failed"]


@dataclass(frozen=True)
class SimulationHealth:
    """The watchdog's verdict, for `/health`."""

    status: Status
    detail: str | None = None
    oldest_command_age: float | None = None


class Watchdog:
    """Call `check` on the loop, periodically and for `/health`; `died` from any thread."""

    def __init__(self, commands: CommandQueue, hub: Hub, *, stall_after: float) -> None:
        self._commands = commands
        self._hub = hub
        self._stall_after = stall_after
        self._death: str | None = None

    def died(self, what: str) -> None:
        """The taker thread is ending with `what` (an exception); `check` reports it."""
        self._death = what

    def check(self, now: float | None = None) -> SimulationHealth:
        now = time.monotonic() if now is None else now
        hub, commands = self._hub, self._commands
        oldest = commands.oldest_age(now)
        if hub.failure is None:
            taker = commands.consumer
            if taker is not None and not taker.is_alive() and not commands.closed:
                hub.fail(
                    f"the simulation failed: {self._death}"
                    if self._death
                    else f"the simulation failed: its thread {taker.name!r} ended"
                )
        if hub.failure is not None:
            return SimulationHealth("failed", hub.failure, oldest)
        running = hub.jobs.running()
        if running is not None:
            return SimulationHealth(
                "busy",
                f"{running.command_type} at work for {now - running.started:.1f} s, "
                f"{running.fraction:.0%}" + (f": {running.message}" if running.message else ""),
                oldest,
            )
        idle = min(now - commands.last_taken, now - hub.mirror.tick_at)
        ticking = hub.mirror.simulation.status == "running"
        waiting = oldest is not None and oldest > self._stall_after
        if (waiting or ticking) and idle > self._stall_after:
            return SimulationHealth(
                "stalled",
                f"the simulation has taken no command and started no tick for {idle:.1f} s",
                oldest,
            )
        return SimulationHealth("ok", None, oldest)
