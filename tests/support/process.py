"""Child processes whose output is always read, and that always stop.

A child writing to a pipe nobody reads blocks once the pipe's 64 KiB are full, and a
test waiting for it to exit then waits forever (this is how the `make cluster` test hung
under load). So every child the tests start goes through `spawn`: a thread reads its
merged stdout/stderr for its whole life, lines are matched against a deadline (never a
blocking `readline`), and leaving the block stops it (a signal, then SIGKILL) with a bound.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

__all__ = ["Child", "busy_cores", "spawn"]


class Child:
    """A running process and everything it printed so far (stdout and stderr merged)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:  # end of output: wake waiters so they fail fast
            self._changed.notify_all()

    def output(self) -> str:
        """Everything it printed so far."""
        with self._changed:
            return "".join(self.lines)

    def wait_for(
        self, pattern: str | re.Pattern[str], timeout: float, start: int = 0
    ) -> re.Match[str]:
        """The first line from index `start` on that matches `pattern`; raises (with the
        output) if the process ends or `timeout` passes first."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = start
        with self._changed:
            while True:
                for line in self.lines[seen:]:
                    if found := regex.search(line):
                        return found
                seen = len(self.lines)
                left = deadline - time.monotonic()
                ended = not self._reader.is_alive()
                if left <= 0 or ended:
                    why = "ended" if ended else f"printed nothing matching in {timeout} s"
                    raise AssertionError(
                        f"{self.process.args!r} {why} (waiting for {regex.pattern!r}):\n"
                        + "".join(self.lines)
                    )
                self._changed.wait(min(left, 0.5))

    def send_signal(self, signum: int) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signum)

    def wait(self, timeout: float) -> int:
        """Its exit status, within `timeout` (raises `subprocess.TimeoutExpired`)."""
        return self.process.wait(timeout)

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 10) -> int:
        """Send `signum`, wait up to `timeout`, then SIGKILL; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._reader.join(timeout=5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode


@contextmanager
def spawn(
    argv: Sequence[str | Path],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stop_signal: int = signal.SIGTERM,
) -> Iterator[Child]:
    """Start `argv` (its output read by a thread from the first byte) and stop it on exit."""
    process = subprocess.Popen(
        [str(arg) for arg in argv],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    child = Child(process)
    try:
        yield child
    finally:
        child.stop(stop_signal)


@contextmanager
def busy_cores(count: int = 2) -> Iterator[list[Child]]:
    """`count` processes that keep a core busy each, for a test that must hold under
    load (stopped when the block ends)."""
    argv = [sys.executable, "-c", "while True: pass"]
    with ExitStack() as stack:
        yield [stack.enter_context(spawn(argv, stop_signal=signal.SIGKILL)) for _ in range(count)]
