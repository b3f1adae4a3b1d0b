"""Long-running commands (`x-spine-long-running` in a command's schema): the `Job` a
handler gets, and `Jobs`, what both threads read.

The simulation's thread begins and ends each job and reports its progress; the loop
reads what runs (for `/health`, and to answer other commands `busy` if the schema
says so) and asks for cancellation. A handler calls `job.progress(fraction, message)`
as it works: that sends the requester a `progress` event (at most ten a second), runs
the ticks that fell due if the schema lets ticks continue, and raises `Cancelled` once
the requester has cancelled, so a handler that reports progress needs nothing more to
be cancellable; `job.cancelled` is there for one that cleans up first.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from pydantic import BaseModel

from spine_ws.core.catalog import LongRunning
from spine_ws.core.errors import Cancelled
from spine_ws.core.items import CommandItem, Running
from spine_ws.generated import ProgressEvent

__all__ = ["Job", "Jobs"]

# Progress events a second, at most (the first and the last always go).
_RATE = 10.0


class Replies(Protocol):
    """Where a job's progress goes: the boundary's `EventSink` (which holds the jobs)."""

    def reply(self, connection_id: str, event: BaseModel) -> None: ...


class Jobs:
    """The long-running command at work, and the commands whose sender cancelled them."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._running: Running | None = None
        self._cancelled: set[int] = set()

    # The loop's side.

    def running(self) -> Running | None:
        with self._lock:
            return self._running

    def cancel(self, ticket: int) -> None:
        """The sender of command `ticket` wants it cancelled (queued or running)."""
        with self._lock:
            self._cancelled.add(ticket)

    # The simulation's side.

    def cancelled(self, ticket: int) -> bool:
        with self._lock:
            return ticket in self._cancelled

    def begin(
        self,
        item: CommandItem,
        spec: LongRunning,
        events: Replies,
        between: Callable[[], None] | None = None,
    ) -> Job:
        running = Running(
            item.ticket, item.command_type, item.connection_id, self._clock(), 0.0, "", spec.others
        )
        with self._lock:
            self._running = running
        return Job(self, item, events, between)

    def end(self, ticket: int) -> None:
        """The command has its reply (or is about to): forget it."""
        with self._lock:
            self._cancelled.discard(ticket)
            if self._running is not None and self._running.ticket == ticket:
                self._running = None

    def _progressed(self, ticket: int, fraction: float, message: str) -> None:
        with self._lock:
            running = self._running
            if running is not None and running.ticket == ticket:
                self._running = Running(
                    running.ticket,
                    running.command_type,
                    running.connection_id,
                    running.started,
                    fraction,
                    message,
                    running.others,
                )


class Job:
    """What a long-running command's handler gets besides its command."""

    def __init__(
        self,
        jobs: Jobs,
        item: CommandItem,
        events: Replies,
        between: Callable[[], None] | None,
    ) -> None:
        self._jobs = jobs
        self._item = item
        self._events = events
        self._between = between
        self._sent_at: float | None = None

    @property
    def cancelled(self) -> bool:
        """Whether the requester has cancelled this command."""
        return self._jobs.cancelled(self._item.ticket)

    def check(self) -> None:
        """Raise `Cancelled` if the requester has cancelled this command."""
        if self.cancelled:
            raise Cancelled(f"{self._item.command_type} was cancelled by its sender")

    def progress(self, fraction: float, message: str = "") -> None:
        """Report how far the work got (0 to 1) and what it is doing; then run the ticks
        that fell due (if ticks continue) and raise `Cancelled` if it was cancelled."""
        fraction = min(1.0, max(0.0, fraction))
        message = message[:256]
        item = self._item
        self._jobs._progressed(item.ticket, fraction, message)
        now = self._jobs._clock()
        if self._sent_at is None or now - self._sent_at >= 1 / _RATE or fraction >= 1.0:
            self._sent_at = now
            members: dict[str, object] = {
                "command_type": item.command_type,
                "fraction": fraction,
                "message": message,
            }
            if item.command_id is not None:
                members["command_id"] = item.command_id
            self._events.reply(item.connection_id, ProgressEvent.model_validate(members))
        if self._between is not None:
            self._between()
        self.check()
