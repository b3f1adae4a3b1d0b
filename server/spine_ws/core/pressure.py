"""A connection's send-queue policy, pure: given what is held for a client and what its
socket took, at `now`, whether it is fine, coalesced, or shed. Sans-I/O: no clock, no
timer, no socket; `connection.Connection` feeds it and acts on what it says.

The rules (docs/reliability.md):

* **Soft limit.** Past half the limits (`max_messages`, `max_bytes`), or past them while
  a snapshot streams, a client is coalesced instead of queued more.
* **Grace.** Over the limits for longer than `grace`: shed. Holding over `HARD_FACTOR`
  times `max_bytes` in this process: shed at once. The kernel's send buffer counts
  against the limits (it is latency) but not against the hard limit: the kernel bounds
  it, and on loopback it alone holds megabytes.
* **Coalesced.** Only what cannot be coalesced counts against the limits; a client that
  takes no byte at all for `grace` is dead weight, shed as before coalescing existed. It
  is plain again once what it holds is under a quarter of the limits, and the next
  stretch behind gets its own grace.
* **Streaming a snapshot or a replay.** Judged by the stream's progress (none for `grace`:
  shed) and by what waits behind it (over the hard limit: shed), not by the limits.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["HARD_FACTOR", "Pressure"]

# The backlog that sheds a client at once, in multiples of `max_bytes`: what one
# client may cost in memory while it is given `grace` to catch up.
HARD_FACTOR = 4


@dataclass(slots=True)
class Pressure:
    """One client's limits, and since when it has been behind."""

    max_messages: int
    max_bytes: int
    grace: float
    # Since when the backlog has been over the limits (None: it is not).
    over_since: float | None = None
    # While it is coalesced: the most its socket had taken, and since when.
    taken: int = 0
    taken_at: float = 0.0
    # While a snapshot or a replay streams: when it last made progress.
    progress_at: float = 0.0

    def past_soft(self, messages: int, size: int, *, streaming: bool) -> bool:
        """Whether a client holding this much should be coalesced from now on."""
        soft = 1 if streaming else 2
        return messages > self.max_messages // soft or size > self.max_bytes // soft

    def caught_up(self, messages: int, size: int) -> bool:
        """Whether a coalesced client has caught up (under a quarter of the limits); if
        so, its next stretch behind gets a grace of its own."""
        if messages <= self.max_messages // 4 and size <= self.max_bytes // 4:
            self.over_since = None
            return True
        return False

    def coalescing(self, now: float, taken: int) -> None:
        """It is coalesced from `now`: the grace for taking nothing starts now."""
        self.taken, self.taken_at = taken, now

    def over(self, now: float, messages: int, size: int) -> None:
        """It went past the limits at `now`, unless it was already (its grace runs on)."""
        if messages > self.max_messages or size > self.max_bytes:
            self.over_since = self.over_since if self.over_since is not None else now

    def plain(self, now: float, messages: int, size: int, held: int) -> str | None:
        """A plain client with `messages` and `size` bytes not taken, `held` of them in
        this process: why to shed it, if so."""
        if messages <= self.max_messages and size <= self.max_bytes:
            self.over_since = None
            return None
        if held > HARD_FACTOR * self.max_bytes:
            return "over the hard limit"
        return self._grace(now)

    def coalesced(self, now: float, fixed: int, messages: int, taken: int, held: int) -> str | None:
        """A coalesced client: `fixed` bytes not taken that cannot be coalesced, `held`
        of them in this process, `messages` in its socket's backlog, `taken` bytes its
        socket has taken so far."""
        if held > HARD_FACTOR * self.max_bytes:
            return "over the hard limit with what cannot be coalesced"
        if taken > self.taken:
            self.taken, self.taken_at = taken, now
        elif now - self.taken_at > self.grace:
            return f"took nothing for {now - self.taken_at:.1f} s"
        if fixed <= self.max_bytes and messages <= self.max_messages:
            self.over_since = None
            return None
        return self._grace(now)

    def streaming(self, now: float, held: int, what: str = "snapshot") -> str | None:
        """A client being streamed its snapshot (or replay), with `held` bytes waiting
        behind it."""
        if held > HARD_FACTOR * self.max_bytes:
            return f"too much held behind the {what}"
        if now - self.progress_at > self.grace:
            return f"took none of its {what}"
        return None

    def progressed(self, now: float) -> None:
        """The stream moved on at `now` (started, or some of it was taken)."""
        self.progress_at = now

    def _grace(self, now: float) -> str | None:
        if self.over_since is None:
            self.over_since = now
            return None
        if now - self.over_since > self.grace:
            return f"over the limits for {now - self.over_since:.1f} s"
        return None
