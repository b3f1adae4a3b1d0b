"""`/metrics`: what the server is doing, in Prometheus's text format (prometheus-client).

Two kinds of figures, so that the broadcast path pays nothing:

* counters of things that happen once per connection, command or join, incremented
  where they happen (`Metrics` is the hub's `Meter` and the endpoint's counter);
* everything else is read from the runtime when Prometheus scrapes (`_Scrape`): open
  connections, frames and bytes written (each transport counts them per write), the
  command queue, the simulation, the history, the cluster link.

Each app has its own registry (tests run many apps in one process).
"""

from __future__ import annotations

import gc
import time
from collections import Counter as Tally
from collections.abc import Iterator, Sized
from typing import TYPE_CHECKING, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from spine_ws.connection import Connection

if TYPE_CHECKING:
    from spine_ws.core.hub import Hub

__all__ = ["CONTENT_TYPE", "Link", "Metrics", "Observed"]


class Link(Protocol):
    """A cluster link, as /metrics reads it."""

    @property
    def role(self) -> str: ...

    @property
    def state(self) -> str: ...

    def lag(self) -> int: ...


class Observed(Protocol):
    """What /metrics reads at each scrape: the runtime, seen only this far (so this
    module does not know the runtime, which holds the metrics)."""

    @property
    def hub(self) -> Hub: ...

    @property
    def commands(self) -> Sized: ...

    @property
    def simulation(self) -> object: ...

    @property
    def cluster(self) -> Link | None: ...


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_STATUSES = ("running", "paused", "stopped")
# Command latency from frame read to reply queued: a rejected frame takes microseconds,
# a command the simulation applies waits for its loop (a tick at most, when it keeps up).
_LATENCY_BUCKETS = (0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5)


class Metrics:
    """The counters of one server, and its `/metrics` page."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self._accepted = Counter(
            "spine_ws_connections_accepted",
            "WebSocket connections accepted, by role.",
            ["role"],
            registry=registry,
        )
        self._refused = Counter(
            "spine_ws_connections_refused",
            "WebSocket handshakes or connections refused, by reason.",
            ["reason"],
            registry=registry,
        )
        self._closed = Counter(
            "spine_ws_connections_closed",
            "WebSocket connections closed, by close code (the server's own when it closed).",
            ["code"],
            registry=registry,
        )
        self._shed = Counter(
            "spine_ws_slow_consumers_shed",
            "Connections closed 1008 because they did not take their events.",
            registry=registry,
        )
        self._commands = Counter(
            "spine_ws_commands",
            "Commands answered, by type and outcome (ack or the error code).",
            ["type", "outcome"],
            registry=registry,
        )
        self._latency = Histogram(
            "spine_ws_command_latency_seconds",
            "From a command's frame read to its reply queued, by type.",
            ["type"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self._resumes = Counter(
            "spine_ws_resumes",
            "Clients that asked to resume: replayed, or the reason they got a snapshot.",
            ["outcome"],
            registry=registry,
        )
        # Frames and bytes of connections already closed (open ones are read at scrape),
        # and the updates coalesced for them.
        self.closed_written = [0, 0]
        self.closed_coalesced = 0

    def bind(self, runtime: Observed) -> None:
        """Read the rest from `runtime` at each scrape."""
        self.registry.register(_Scrape(runtime, self))

    def page(self) -> bytes:
        return generate_latest(self.registry)

    # The hub's Meter.
    def command(self, command_type: str, outcome: str, seconds: float) -> None:
        self._commands.labels(command_type, outcome).inc()
        self._latency.labels(command_type).observe(seconds)

    def resume(self, outcome: str) -> None:
        self._resumes.labels(outcome).inc()

    # The endpoint's.
    def accepted(self, role: str) -> None:
        self._accepted.labels(role).inc()

    def refused(self, reason: str) -> None:
        self._refused.labels(reason).inc()

    def closed(self, code: int, written: tuple[int, int], shed: bool, coalesced: int) -> None:
        self._closed.labels(str(code)).inc()
        self.closed_coalesced += coalesced
        if shed:
            self._shed.inc()
        self.closed_written[0] += written[0]
        self.closed_written[1] += written[1]


class _Scrape(Collector):
    """The figures read from the runtime when Prometheus asks."""

    def __init__(self, runtime: Observed, metrics: Metrics) -> None:
        self._runtime = runtime
        self._metrics = metrics

    def collect(self) -> Iterator[Metric]:
        runtime = self._runtime
        hub = runtime.hub
        catalog = hub.catalog
        info = InfoMetricFamily("spine_ws", "The protocol this server speaks, and its run.")
        info.add_metric(
            [],
            {
                "protocol_version": catalog.protocol_version,
                "schema_hash": catalog.schema_hash,
                "epoch": hub.epoch,
            },
        )
        yield info

        roles = Tally(client.role for client in hub.connections.values())
        open_ = GaugeMetricFamily(
            "spine_ws_connections", "Open WebSocket connections, by role.", labels=["role"]
        )
        for role in ("viewer", "controller"):
            open_.add_metric([role], roles[role])
        yield open_

        frames, size = self._metrics.closed_written
        coalesced = self._metrics.closed_coalesced
        for client in hub.connections.values():
            if isinstance(client, Connection):
                more_frames, more_bytes = client.written()
                frames, size = frames + more_frames, size + more_bytes
                coalesced += client.coalesced
        yield _counter("spine_ws_frames_written", "WebSocket messages written.", frames)
        yield _counter("spine_ws_bytes_written", "Bytes written to WebSockets.", size)
        yield _counter(
            "spine_ws_broadcast_events", "Broadcast events fanned out (each once).", hub.broadcasts
        )
        yield _gauge(
            "spine_ws_command_queue_depth",
            "Commands waiting for the simulation to take them.",
            len(runtime.commands),
        )
        yield _gauge(
            "spine_ws_commands_outstanding",
            "Commands accepted and not answered yet (queued or being applied).",
            len(hub.outstanding),
        )

        simulation = hub.mirror.simulation
        status = GaugeMetricFamily(
            "spine_ws_simulation_status",
            "1 for the simulation's current status.",
            labels=["status"],
        )
        for name in _STATUSES:
            status.add_metric([name], 1.0 if simulation.status == name else 0.0)
        yield status
        yield _gauge(
            "spine_ws_simulation_failed", "1 once the simulation is gone.", hub.failure is not None
        )
        yield _gauge("spine_ws_simulation_tick", "The simulation's last tick.", simulation.tick)
        yield _gauge(
            "spine_ws_simulation_tick_rate", "Ticks per second it is set to.", simulation.tick_rate
        )
        lag = getattr(runtime.simulation, "tick_lag", None)
        if isinstance(lag, float):  # simulations that measure it (TickingSimulation)
            yield _gauge(
                "spine_ws_simulation_tick_lag_seconds",
                "How late the last tick started after its deadline.",
                lag,
            )

        yield _gauge(
            "spine_ws_subscriptions",
            "Connections with a subscription of their own (filters, batches, max_rate).",
            hub.subscriptions,
        )
        yield _counter(
            "spine_ws_coalesced_events",
            "agent_update events left out for a later one of the same agent (max_rate, "
            "or a send queue past its soft limit), each told in a skipped notice.",
            coalesced,
        )

        stats = hub.history.stats(time.monotonic())
        yield _gauge("spine_ws_history_events", "Broadcast events held for resumes.", stats.events)
        yield _gauge("spine_ws_history_bytes", "Bytes of the events held.", stats.bytes)

        yield _gauge(
            "spine_ws_gc_frozen_objects",
            "Objects made at start-up, set aside from the garbage collector's full "
            "collections (spine-ws serve freezes them once it is up).",
            gc.get_freeze_count(),
        )
        collections = CounterMetricFamily(
            "spine_ws_gc_collections",
            "Garbage collections of this process, by generation (2: full).",
            labels=["generation"],
        )
        for generation, counts in enumerate(gc.get_stats()):
            collections.add_metric([str(generation)], counts["collections"])
        yield collections

        link = runtime.cluster
        if link is not None:
            state = GaugeMetricFamily(
                "spine_ws_cluster_nats_state",
                "1 for the state of this process's NATS connection.",
                labels=["role", "state"],
            )
            for name in ("connecting", "connected", "reconnecting", "closed"):
                state.add_metric([link.role, name], 1.0 if link.state == name else 0.0)
            yield state
            yield _gauge(
                "spine_ws_cluster_lag",
                "Host: events not stored in the stream yet. Gateway: events in the stream "
                "not relayed here yet.",
                link.lag(),
            )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=float(value))


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=float(value))
