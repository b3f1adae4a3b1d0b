"""Start and stop the servers under test as subprocesses; read their RSS and CPU time."""

from __future__ import annotations

import atexit
import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil  # type: ignore[import-untyped]

__all__ = ["ROOT", "Server", "raise_fd_limit", "start_nats", "start_server"]

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
_LISTENING = re.compile(r"listening on http://([\d.]+):(\d+)")
_STARTUP_TIMEOUT = 30.0
_running: set[subprocess.Popen[bytes]] = set()


@atexit.register
def _stop_leftovers() -> None:
    """Last line of defence: a server whose session failed to stop it."""
    for popen in list(_running):
        popen.kill()
        popen.wait(3)


def raise_fd_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard limit (1000 clients need > 1024 descriptors)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@dataclass
class Server:
    """A running server subprocess (`project` = `spine-ws serve`, `jsonrpc` = the same
    with --profile jsonrpc, `routesim` = the same serving examples/route-sim, `bare` =
    bench/bare.py)."""

    kind: str
    popen: subprocess.Popen[bytes]
    port: int
    log_path: Path
    process: psutil.Process = field(init=False)

    def __post_init__(self) -> None:
        self.process = psutil.Process(self.popen.pid)

    @property
    def url(self) -> str:
        return f"ws://{HOST}:{self.port}/" if self.kind == "bare" else f"ws://{HOST}:{self.port}/ws"

    def rss(self) -> int:
        return int(self.process.memory_info().rss)

    def cpu_seconds(self) -> float:
        times = self.process.cpu_times()
        return float(times.user + times.system)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 3 s: never leave it behind."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(3)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(3)
        _running.discard(self.popen)


def start_server(kind: str, log_dir: Path, name: str, extra: list[str] | None = None) -> Server:
    """Start a server on an ephemeral port and wait for its "listening on" line."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{name}.log"
    bin_dir = Path(sys.executable).parent
    pythonpath = str(ROOT)
    if kind == "routesim":  # examples/route-sim: Route-Sim's protocol and its simulation
        pythonpath += os.pathsep + str(ROOT / "examples/route-sim")
    if kind == "recording":  # the project server, recording every frame (--record)
        extra = ["--record", str(log_dir / f"{name}-recordings"), *(extra or [])]
    if kind in ("project", "jsonrpc", "routesim", "recording"):
        spine_ws = bin_dir / "spine-ws"
        head = [str(spine_ws)] if spine_ws.exists() else [sys.executable, "-m", "spine_ws.cli"]
        argv = [
            *head,
            "serve",
            "--host", HOST,
            "--port", "0",
            "--simulation",
            "routesim.sim:create" if kind == "routesim" else "bench.sim:simulation",
            "--log-level", "warning",
            "--max-connections", "5000",
            "--max-connections-per-address", "5000",
            # jsonrpc: the same server, every client (that names no subprotocol) JSON-RPC.
            *(["--profile", "jsonrpc"] if kind == "jsonrpc" else []),
            *(extra or []),
        ]  # fmt: skip
    elif kind == "replay":  # `spine-ws replay FILE`: extra is the recording's file
        argv = [
            str(bin_dir / "spine-ws"), "replay", *(extra or []),
            "--host", HOST, "--port", "0", "--log-level", "warning",
        ]  # fmt: skip
    elif kind == "bare":
        argv = [sys.executable, "-m", "bench.bare", "--host", HOST, "--port", "0"]
    else:
        raise ValueError(f"unknown server kind {kind!r}")
    env = {**os.environ, "PYTHONPATH": pythonpath, "PYTHONUNBUFFERED": "1"}
    with log_path.open("wb") as log:
        popen = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    _running.add(popen)
    try:
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            match = _LISTENING.search(log_path.read_text(errors="replace"))
            if match:
                return Server(kind, popen, int(match.group(2)), log_path)
            if popen.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError(
            f"{kind} server did not start (exit {popen.poll()}); its log {log_path}:\n"
            + log_path.read_text(errors="replace")[-2000:]
        )
    except BaseException:
        popen.kill()
        popen.wait(3)
        _running.discard(popen)
        raise


def start_nats(log_dir: Path, store: Path) -> Server:
    """A NATS server with JetStream (the nats-server binary beside this Python) on an
    ephemeral port; a `Server` of kind "nats" (its `port` is the client port)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "nats.log"
    argv = [str(Path(sys.executable).parent / "nats-server"), "-a", HOST, "-p", "-1", "-js",
            "-sd", str(store)]  # fmt: skip
    with log_path.open("wb") as log:
        popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    _running.add(popen)
    deadline = time.monotonic() + _STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        match = _NATS_LISTENING.search(log_path.read_text(errors="replace"))
        if match and "Server is ready" in log_path.read_text(errors="replace"):
            return Server("nats", popen, int(match.group(1)), log_path)
        if popen.poll() is not None:
            break
        time.sleep(0.05)
    popen.kill()
    popen.wait(3)
    _running.discard(popen)
    raise RuntimeError(f"nats-server did not start; its log {log_path}")


_NATS_LISTENING = re.compile(r"Listening for client connections on [\d.]+:(\d+)")
