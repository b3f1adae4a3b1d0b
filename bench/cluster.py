"""Cluster rows: what the NATS path adds, and one process against a host plus gateways.

A NATS server (JetStream), a simulation host (`bench.sim:simulation`, as in the fan-out
rows) and gateways, all on this machine. Latency is measured by the clients from the
publication time inside each event, so a gateway's figure includes the host's publish,
JetStream and the gateway's relay.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.launch import Server, start_nats, start_server
from bench.session import Session

__all__ = ["measure"]


def _servers(log_dir: Path, store: Path, gateways: int) -> tuple[Server, Server, list[Server]]:
    nats = start_nats(log_dir, store)
    url = f"nats://127.0.0.1:{nats.port}"
    host = start_server("project", log_dir, "cluster-host", ["--nats", url])
    ways = [
        start_server("project", log_dir, f"cluster-gateway-{n}", ["--nats", url, "--gateway"])
        for n in range(1, gateways + 1)
    ]
    return nats, host, ways


def _step(session: Session, rate: float, seconds: float, others: list[Server]) -> dict[str, Any]:
    """One run, with the CPU of the other processes of the cluster over the same time."""
    before = [s.cpu_seconds() for s in others]
    started = time.monotonic()
    step = session.step(rate, seconds)
    wall = time.monotonic() - started
    summary: dict[str, Any] = step.summary()
    summary["others_cpu"] = [
        (s.cpu_seconds() - b) / wall for s, b in zip(others, before, strict=True)
    ]
    summary["delivered_events"] = step.delivered * step.count * session.clients
    summary["cpu_seconds"] = (step.server_cpu + sum(summary["others_cpu"])) * wall
    return summary


def measure(log_dir: Path, rate: float, clients: tuple[int, ...], seconds: float,
            processes: int, fanout_clients: int, fanout_rate: float) -> dict[str, Any]:  # fmt: skip
    """Latency at `rate` for each K, the host's own clients vs a gateway's; then
    `fanout_clients` on the host alone vs split over two gateways, at `fanout_rate`."""
    out: dict[str, Any] = {"rate": rate, "latency": {}, "fanout_rate": fanout_rate}
    with tempfile.TemporaryDirectory(prefix="bench-jetstream-") as store:
        nats, host, ways = _servers(log_dir, Path(store), gateways=2)
        try:
            for k in clients:
                row = {}
                for where, at in (("host", host), ("gateway", ways[0])):
                    with Session("project", k, log_dir, processes=processes,
                                 name=f"cluster-{where}-k{k}", server=host,
                                 clients_at=[at.url]) as session:  # fmt: skip
                        row[where] = _step(session, rate, seconds, [nats, *ways])
                out["latency"][str(k)] = row
            fanout = {}
            for where, at in (("one process", [host]), ("two gateways", ways)):
                with Session("project", fanout_clients, log_dir, processes=2,
                             name=f"cluster-fanout-{len(at)}", server=host,
                             clients_at=[s.url for s in at]) as session:  # fmt: skip
                    fanout[where] = _step(session, fanout_rate, seconds, [nats, *ways])
            out["fanout"] = {"clients": fanout_clients, **fanout}
        finally:
            for server in (*ways, host, nats):
                server.stop()
    return out
