"""A simulation that ticks on deadlines in its own thread: the lifecycle, done once.

Subclasses implement `on_tick` and register handlers for their own commands; this class
handles start/stop/pause/resume/set_tick_rate, applies commands in arrival order,
replies to each, and survives exceptions from the subclass.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Literal

from pydantic import MISSING, BaseModel

from spine_ws.core.catalog import CORE, Catalog
from spine_ws.core.errors import Cancelled, InvalidState, ProtocolError, SimulationError
from spine_ws.generated import (
    ErrorEvent,
    PauseCommand,
    ResumeCommand,
    SetTickRateCommand,
    SimulationStateEvent,
    StartCommand,
    StopCommand,
    TickEndEvent,
    TickStartEvent,
)
from spine_ws.sim.boundary import Boundary, CommandItem
from spine_ws.sim.registry import Registry

__all__ = ["TickingSimulation"]

log = logging.getLogger("spine_ws.simulation")
Status = Literal["running", "paused", "stopped"]


class TickingSimulation:
    """Deadline-scheduled ticks, the lifecycle state machine and command dispatch.

    Ticks are scheduled against absolute deadlines, so the rate does not drift; a
    command wakes the loop at once instead of waiting for the next tick. If the loop
    falls more than one tick behind, it skips the missed deadlines rather than bursting.
    """

    # The events that open and close each tick: the core's, or a simulation's own (their
    # schemas have `seq` and `tick`; `tick_members` gives them their other members).
    tick_events: tuple[type[BaseModel], type[BaseModel]] = (TickStartEvent, TickEndEvent)

    def __init__(
        self, boundary: Boundary, tick_rate: float = 20.0, *, catalog: Catalog = CORE
    ) -> None:
        self.commands = boundary.commands
        self.events = boundary.events
        self.jobs = boundary.jobs
        self.status: Status = "stopped"
        self.tick = 0
        self.tick_rate = tick_rate
        self._registry = Registry(catalog)
        self._registry.register(StartCommand, self._start)
        self._registry.register(StopCommand, self._stop)
        self._registry.register(PauseCommand, self._pause)
        self._registry.register(ResumeCommand, self._resume)
        self._registry.register(SetTickRateCommand, self._set_tick_rate)
        self._deadline = 0.0
        # How late the last tick started after its deadline (for /metrics).
        self.tick_lag = 0.0
        self._thread: threading.Thread | None = None

    @property
    def handlers(self) -> Registry:
        return self._registry

    def on_tick(self) -> None:
        """Advance the world by one tick and publish what changed (override)."""

    def tick_members(self) -> dict[str, Any]:
        """Members of the tick events besides `tick`: none for the core's (override with
        `tick_events`, e.g. a simulated clock's time and day)."""
        return {}

    def start(self) -> None:
        self._publish_state()
        self._thread = threading.Thread(target=self._run, name="simulation", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.commands.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self.commands.closed:
            timeout = None
            if self.status == "running":
                timeout = max(0.0, self._deadline - time.monotonic())
            item = self.commands.get(timeout)
            if item is not None:
                self._dispatch(item)
            if self.status == "running" and time.monotonic() >= self._deadline:
                self._advance()

    def _advance(self) -> None:
        self.tick_lag = max(0.0, time.monotonic() - self._deadline)
        self.tick += 1
        opens, closes = self.tick_events
        self.events.broadcast(opens, tick=self.tick, **self.tick_members())
        try:
            self.on_tick()
        except Exception as exc:
            self._report_fault(f"tick {self.tick} failed", exc)
        self.events.broadcast(closes, tick=self.tick, **self.tick_members())
        period = 1.0 / self.tick_rate
        self._deadline += period
        now = time.monotonic()
        if self._deadline < now - period:
            self._deadline = now

    def _dispatch(self, item: CommandItem) -> None:
        """Run the command's handler and reply; the job (if any) ends before the reply,
        so a client that has its reply never finds the server still busy with it."""
        wire = item.command_type
        spec = self._registry.catalog.long_running.get(wire)
        try:
            if self.jobs.cancelled(item.ticket):
                raise Cancelled(f"{wire} was cancelled by its sender before it started")
            handler = self._registry.handler_for(wire)
            if spec is None:
                result = handler(item.command)
            else:
                if spec.ticks == "refuse" and self.status == "running":
                    raise InvalidState(f"{wire} is refused while the simulation runs: pause it")
                between = self._catch_up if spec.ticks == "continue" else None
                result = handler(item.command, self.jobs.begin(item, spec, self.events, between))
        except ProtocolError as error:
            self.jobs.end(item.ticket)
            self.events.fail(item, error)
        except Exception as exc:
            self.jobs.end(item.ticket)
            self._report_fault(f"handler for {wire} failed", exc, wire)
            self.events.fail(item, SimulationError(f"{wire} failed: {exc}"))
        else:
            self.jobs.end(item.ticket)
            self.events.ack(item, self.tick, result)

    def _catch_up(self) -> None:
        """The ticks that fell due while a long-running command works (it lets ticks
        continue): run from its progress reports, so the tick rate keeps its promise."""
        while self.status == "running" and time.monotonic() >= self._deadline:
            self._advance()

    def _report_fault(self, what: str, exc: Exception, command_type: str | None = None) -> None:
        extra = {"error_code": "simulation_error", "command_type": command_type}
        log.error("%s", what, exc_info=exc, extra=extra)
        self.events.broadcast(
            ErrorEvent, code="simulation_error", message=f"{what}: {type(exc).__name__}: {exc}"
        )

    def _publish_state(self) -> None:
        self.events.broadcast(
            SimulationStateEvent, status=self.status, tick=self.tick, tick_rate=self.tick_rate
        )

    def _require(self, command: str, *allowed: Status) -> None:
        if self.status not in allowed:
            raise InvalidState(
                f"{command} needs a {' or '.join(allowed)} simulation; it is {self.status}"
            )

    def _start(self, command: StartCommand) -> None:
        self._require("start", "stopped")
        if command.tick_rate is not MISSING:
            self.tick_rate = command.tick_rate
        self.status = "running"
        self._deadline = time.monotonic()
        self._publish_state()

    def _stop(self, command: StopCommand) -> None:
        if self.status != "stopped":
            self.status = "stopped"
            self._publish_state()

    def _pause(self, command: PauseCommand) -> None:
        self._require("pause", "running")
        self.status = "paused"
        self._publish_state()

    def _resume(self, command: ResumeCommand) -> None:
        self._require("resume", "paused")
        self.status = "running"
        self._deadline = time.monotonic()
        self._publish_state()

    def _set_tick_rate(self, command: SetTickRateCommand) -> None:
        if command.tick_rate != self.tick_rate:
            # Keep the phase: the next tick comes one new period after the last one.
            self._deadline += 1.0 / command.tick_rate - 1.0 / self.tick_rate
            self.tick_rate = command.tick_rate
            self._publish_state()
