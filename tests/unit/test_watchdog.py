"""The watchdog's verdicts, with a fake clock and real threads."""

from __future__ import annotations

import threading
import time

from spine_ws.core.hub import Hub
from spine_ws.generated import StopCommand
from spine_ws.sim.boundary import CommandItem, CommandQueue
from spine_ws.watchdog import Watchdog


def setup(stall_after: float = 1.0) -> tuple[CommandQueue, Hub, Watchdog]:
    queue = CommandQueue(8)
    hub = Hub(queue, clock=time.monotonic)
    return queue, hub, Watchdog(queue, hub, stall_after=stall_after)


def test_an_idle_stopped_simulation_is_ok() -> None:
    """No work waiting and not running: nothing to be late for."""
    _, _, watchdog = setup()
    assert watchdog.check(time.monotonic() + 100).status == "ok"


def test_a_waiting_command_not_taken_in_time_is_stalled() -> None:
    """A command older than stall_after, with nothing taken meanwhile: stalled, with its age."""
    queue, _, watchdog = setup()
    queue.put(CommandItem(StopCommand(), "c", None, 1))
    verdict = watchdog.check(time.monotonic() + 5)
    assert verdict.status == "stalled" and verdict.oldest_command_age is not None
    assert verdict.oldest_command_age >= 5
    assert len(queue) == 1  # left queued


def test_a_taker_thread_that_ended_fails_the_simulation() -> None:
    """The thread that took commands is gone: failed, and the hub knows why."""
    queue, hub, watchdog = setup()
    thread = threading.Thread(target=lambda: queue.get(timeout=0), name="sim")
    thread.start()
    thread.join()
    watchdog.died("SystemExit: bye")
    verdict = watchdog.check()
    assert verdict.status == "failed" and "SystemExit: bye" in (verdict.detail or "")
    assert hub.failure is not None


def test_a_stopped_queue_is_not_a_failure() -> None:
    """After the server closes the queue (shutdown), an ended thread is expected."""
    queue, hub, watchdog = setup()
    thread = threading.Thread(target=lambda: queue.get(timeout=0))
    thread.start()
    thread.join()
    queue.close()
    assert watchdog.check().status == "ok" and hub.failure is None
