"""`create_app`: the ASGI app, with the simulation started and stopped by its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from pydantic import ValidationError
from starlette.responses import PlainTextResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from spine_ws import api, logs, resources, transport
from spine_ws.access import Guesses, Origins, PerAddress, Policy, is_loopback, load_tokens
from spine_ws.core.catalog import CORE, Catalog
from spine_ws.core.codec import ENCODERS
from spine_ws.core.envelope import DeclaredEncoder, EnvelopeSpec
from spine_ws.core.history import History
from spine_ws.core.hub import Hub
from spine_ws.core.parse import Limits
from spine_ws.endpoint import WebSocketRoute
from spine_ws.generated import PROTOCOL_VERSION
from spine_ws.metrics import Metrics
from spine_ws.recording import Recorder
from spine_ws.recording.playback import Playback
from spine_ws.runtime import ClusterLink, Runtime
from spine_ws.settings import Settings
from spine_ws.sim.boundary import Boundary, CommandQueue, EventSink
from spine_ws.sim.registry import Registry, RegistryError
from spine_ws.sim.simulation import Simulation, SimulationFactory
from spine_ws.watchdog import Status, Watchdog
from spine_ws.world import default_simulation

__all__ = ["create_app", "load_factory", "load_policy"]

log = logging.getLogger("spine_ws")


def create_app(
    settings: Settings | None = None, simulation_factory: SimulationFactory | None = None
) -> FastAPI:
    """The server as an ASGI app; serve it with any ASGI server (the CLI uses uvicorn).

    `simulation_factory` receives the `Boundary` and returns a `Simulation`; by default
    the embedded world (or `settings.simulation`, a "module:factory" path) is used.
    Raises ValueError if the tokens or the simulation path are misconfigured (the
    message names no token).
    """
    settings = settings or Settings()
    logs.install()
    factory = simulation_factory or _configured_factory(settings)
    policy = load_policy(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The simulation's thread and the loop take turns at the GIL: a short turn keeps
        # a busy simulation from holding every client's events (make bench's K=1 row).
        sys.setswitchinterval(settings.switch_interval)
        loop = asyncio.get_running_loop()
        runtime = await _start(settings, factory, loop, policy)
        app.state.spine = runtime
        # The largest frame a client may send: a command's schema may raise its own
        # limit (x-spine-max-bytes); the endpoint holds every other frame to the server's.
        app.state.largest_frame = max(
            [settings.max_message_bytes, *runtime.hub.catalog.max_bytes.values()]
        )
        previous_hook = threading.excepthook
        threading.excepthook = partial(_thread_died, runtime, loop, previous_hook)
        watching = loop.create_task(_watch(runtime.watchdog))
        recorder = runtime.recorder
        recording = loop.create_task(_keep_recording(recorder)) if recorder else None
        try:
            yield
        finally:
            watching.cancel()
            runtime.simulation.stop()
            if recording is not None and recorder is not None:
                recording.cancel()
                recorder.close()  # the file finished: summary, index, footer
            threading.excepthook = previous_hook
            if runtime.cluster is not None:
                await runtime.cluster.stop()
            taker = runtime.commands.consumer
            if taker is not None and taker.is_alive():
                log.warning("the simulation's thread %r is still running after stop()", taker.name)
            elif not settings.gateway and not settings.replay:
                log.info("simulation stopped")

    # /docs and /redoc with their assets served from the package: no CDN, works offline.
    app = FastAPIOffline(
        title="spine-ws",
        version=PROTOCOL_VERSION,
        summary="Schema-first WebSocket link between a simulation and its frontends.",
        lifespan=lifespan,
    )
    app.state.access = policy  # for the CLI's bind check and log redaction
    app.include_router(api.router)
    app.mount("/", _viewer(), name="viewer")
    app.add_middleware(WebSocketRoute)
    return app


def _viewer() -> ASGIApp:
    """The viewer page at `/`, or, in a checkout where it is not built, a 404 saying so."""
    directory = resources.viewer_dir()
    if directory.is_dir():
        return StaticFiles(directory=directory, html=True)
    return _viewer_not_built


async def _viewer_not_built(scope: Scope, receive: Receive, send: Send) -> None:
    """What StaticFiles would answer with no file: 405 to a method other than GET and
    HEAD (so `TRACE /health` is 405 whether the viewer is built or not), else a 404
    that says how to build it."""
    if scope["method"] not in ("GET", "HEAD"):
        response = PlainTextResponse("Method Not Allowed\n", 405, {"allow": "GET, HEAD"})
    else:
        why = "the viewer is not built: run `make run` (or `npm run build` in clients/ts)\n"
        response = PlainTextResponse(why, 404)
    await response(scope, receive, send)


def load_policy(settings: Settings) -> Policy:
    """The access policy `settings` describe; ValueError (naming no token) if wrong."""
    secret = settings.tokens.get_secret_value() if settings.tokens is not None else None
    return Policy(
        load_tokens(secret, settings.tokens_file),
        Origins(settings.allowed_origins),
        loopback_names_only=is_loopback(settings.host),
    )


async def _start(
    settings: Settings,
    factory: SimulationFactory,
    loop: asyncio.AbstractEventLoop,
    policy: Policy,
) -> Runtime:
    if settings.gateway:
        return await _start_gateway(settings, policy)
    if settings.replay:
        return _start_replay(settings, policy)
    commands = CommandQueue(settings.command_queue_size)
    events = EventSink(loop)
    boundary = Boundary(commands, events)
    simulation = factory(boundary)
    name = _name(settings, factory)
    metrics = Metrics()
    try:
        simulation.handlers.check()
    except RegistryError as exc:
        raise RegistryError(f"simulation {name}: {exc}") from None
    hub = Hub(
        commands,
        clock=time.monotonic,
        catalog=simulation.handlers.catalog,
        limits=_limits(settings),
        max_agent_data_bytes=settings.max_agent_data_bytes,
        supported=simulation.handlers.types(),
        history=_history(settings),
        simulation_name=f"the simulation {name}",
        capabilities=_capabilities(settings),
        meter=metrics,
        jobs=boundary.jobs,
    )
    link = None
    if settings.nats:
        from spine_ws.cluster import Cluster
        from spine_ws.cluster.host import HostLink

        bounds = {
            "events": settings.history_events,
            "bytes": settings.history_bytes,
            "seconds": settings.history_seconds,
        }
        link = HostLink(settings.nats, Cluster(settings.cluster_name), hub, bounds)
        await link.start()  # before the first event: every one goes to the stream
    recorder = _recorder(settings, hub)
    events.connect(hub.deliver, lambda: hub.fanout.per_event)
    simulation.start()
    log.info("simulation started (epoch %s)", hub.epoch)
    runtime = _runtime(settings, hub, simulation, commands, policy, link, metrics)
    runtime.recorder = recorder
    if recorder is not None:  # each connection may go back in time, and return
        runtime.playback = Playback(hub, recorder=recorder)
    return runtime


def _recorder(settings: Settings, hub: Hub) -> Recorder | None:
    """--record: a recorder of the stream, writing after each burst (before the first)."""
    if settings.record is None:
        return None
    recorder = Recorder(
        settings.record,
        hub.stream,
        hub.catalog,
        max_bytes=settings.record_max_bytes,
        max_seconds=settings.record_max_seconds,
        checkpoint_seconds=settings.checkpoint_seconds,
        version=_package_version(),
    )
    recorder.start()
    hub.on_broadcast(recorder.recorded)
    return recorder


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("spine-ws")
    except PackageNotFoundError:
        return "unknown"


async def _keep_recording(recorder: Recorder) -> None:
    """Flush, checkpoint and rotate every half second, events or none."""
    while True:
        await asyncio.sleep(0.5)
        recorder.tick()


async def _start_gateway(settings: Settings, policy: Policy) -> Runtime:
    """A gateway: the hub relays the host's stream; commands are forwarded to it."""
    import secrets

    from spine_ws.cluster import Cluster
    from spine_ws.cluster.gateway import Forwarder, GatewayLink

    if not settings.nats:
        raise ValueError("--gateway needs --nats <url> (the cluster's NATS server)")
    forwarder = Forwarder(settings.command_timeout, settings.command_queue_size)
    metrics = Metrics()
    hub = Hub(
        forwarder,
        clock=time.monotonic,
        catalog=_catalog(settings.catalog),
        limits=_limits(settings),
        max_agent_data_bytes=settings.max_agent_data_bytes,
        history=_history(settings),
        simulation_name="the cluster's simulation",
        id_prefix=f"gw{secrets.token_hex(3)}",
        capabilities=_capabilities(settings),
        meter=metrics,
    )
    bounds = (settings.history_events, settings.history_bytes, settings.history_seconds)
    link = GatewayLink(settings.nats, Cluster(settings.cluster_name), hub, forwarder, bounds)
    await link.start()
    simulation = _NoSimulation()
    return _runtime(settings, hub, simulation, CommandQueue(1), policy, link, metrics)


def _start_replay(settings: Settings, policy: Policy) -> Runtime:
    """`spine-ws replay FILE`: no simulation; every client is played the recording."""
    from spine_ws.recording.reader import Recording, RecordingError

    try:
        recording = Recording(settings.replay)
    except RecordingError as exc:
        raise ValueError(str(exc)) from None
    catalog = _catalog(settings.catalog)
    if recording.schema_hash != catalog.schema_hash:
        raise ValueError(
            f"{settings.replay[0]} was recorded under the contract "
            f"{recording.schema_hash[:12]} (protocol {recording.protocol_version}), this "
            f"server runs {catalog.schema_hash[:12]} ({catalog.protocol_version}): pass "
            "--catalog with the recorded simulation's generated package"
        )
    metrics = Metrics()
    commands = CommandQueue(1)  # never used: a recording takes no simulation command
    hub = Hub(
        commands,
        clock=time.monotonic,
        catalog=catalog,
        limits=_limits(settings),
        max_agent_data_bytes=settings.max_agent_data_bytes,
        history=_history(settings),
        simulation_name="a recording",
        # resume: a client back at a seq of the recording plays on from there
        capabilities=["subscribe", "batch", "columns", "region", "resume", "playback"],
        meter=metrics,
    )
    first = recording.checkpoint(recording.checkpoints[0])
    hub.reset(recording.epoch, (), _history(settings), first)
    playback = Playback(hub, recording=recording)
    log.info(
        "replaying epoch %s: seq %d to %d, %.1f s, %d checkpoints",
        recording.epoch,
        recording.first_seq,
        recording.last_seq,
        recording.duration,
        len(recording.checkpoints),
    )
    runtime = _runtime(settings, hub, _NoSimulation(), commands, policy, None, metrics)
    runtime.playback = playback
    return runtime


def _catalog(package: str | None) -> Catalog:
    """The contract a gateway validates with: a generated package's, or the core's."""
    if package is None:
        return CORE
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise ValueError(f"--catalog {package!r}: cannot import it: {exc}") from None
    catalog = getattr(module, "CATALOG", None)
    if not isinstance(catalog, Catalog):
        raise ValueError(f"--catalog {package!r} is not a package `spine-ws gen` wrote")
    return catalog


class _NoSimulation:
    """A gateway's stand-in: the simulation runs on the host."""

    handlers = Registry()

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def _limits(settings: Settings) -> Limits:
    return Limits(settings.max_json_depth, settings.max_json_members)


def _history(settings: Settings) -> History:
    return History(settings.history_events, settings.history_bytes, settings.history_seconds)


def _envelope(path: Path, catalog: Catalog) -> EnvelopeSpec:
    """The declaration in `path`; a `ValueError` of one line if it is not one, or if it
    maps a name onto a message this server does not have."""
    try:
        spec = EnvelopeSpec.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ValueError(f"--envelope {path}: {exc.strerror}") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(part) for part in first["loc"]) or "the file"
        raise ValueError(f"--envelope {path}: {where}: {first['msg']}") from None
    unknown = sorted(
        f"{wire} -> {core}"
        for wire, core in spec.names.items()
        if core not in catalog.commands and core not in catalog.events
    )
    if unknown:
        raise ValueError(
            f"--envelope {path}: names maps onto messages this server does not have: "
            + ", ".join(unknown)
        )
    return spec


def _capabilities(settings: Settings) -> list[str]:
    """What this server supports, from its settings (the wire's `capabilities`)."""
    supported = ["subscribe", "batch", "columns", "region"]  # the hub's own: every server has them
    if settings.history_events > 0 and settings.history_bytes > 0:
        supported.append("resume")
    if settings.nats:
        supported.append("cluster")
    if settings.record is not None:
        supported.append("playback")
    return supported


def _runtime(
    settings: Settings,
    hub: Hub,
    simulation: Simulation,
    commands: CommandQueue,
    policy: Policy,
    link: ClusterLink | None,
    metrics: Metrics,
) -> Runtime:
    log.info("%s", transport.describe(settings.transport))
    addresses = PerAddress(settings.max_connections_per_address)
    watchdog = Watchdog(commands, hub, stall_after=settings.stall_timeout)
    guesses = Guesses(settings.token_guesses)
    runtime = Runtime(
        settings, hub, simulation, commands, policy, addresses, watchdog, guesses, metrics, link
    )
    # --envelope FILE, else the one the simulation's schema tree declares.
    spec = _envelope(settings.envelope, hub.catalog) if settings.envelope else hub.catalog.envelope
    if spec is not None:
        encoder = DeclaredEncoder(spec)
        ENCODERS[spec.name] = encoder  # the hub encodes its broadcasts once per burst
        runtime.declared = (spec, encoder)
        log.info("clients that name no subprotocol get the envelope %r", spec.name)
    metrics.bind(runtime)
    return runtime


async def _watch(watchdog: Watchdog) -> None:
    """Check the simulation twice a second, so a failure is acted on without a request."""
    last: Status = "ok"
    while True:
        await asyncio.sleep(0.5)
        health = watchdog.check()
        if health.status != last and health.status == "stalled":
            log.warning("%s", health.detail)
        elif health.status != last and last == "stalled":
            log.info("the simulation is taking commands again")
        last = health.status


def _thread_died(
    runtime: Runtime,
    loop: asyncio.AbstractEventLoop,
    previous: Callable[[threading.ExceptHookArgs], Any],
    args: threading.ExceptHookArgs,
) -> None:
    """`threading.excepthook`: the simulation's thread is logged and reported, others
    go to the hook that was there before."""
    if args.thread is None or args.thread is not runtime.commands.consumer:
        previous(args)
        return
    log.critical(
        "the simulation's thread %r died",
        args.thread.name,
        exc_info=args.exc_value if args.exc_value is not None else True,
    )
    runtime.watchdog.died(f"{args.exc_type.__name__}: {args.exc_value}")
    # Act now rather than at the next periodic check (the loop may be closing).
    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(runtime.watchdog.check)


def _name(settings: Settings, factory: SimulationFactory) -> str:
    if settings.simulation:
        return settings.simulation
    return getattr(factory, "__qualname__", None) or repr(factory)


# Settings that only the default world reads.
_WORLD_SETTINGS = ("autostart", "tick_rate", "seed_agents", "max_agents")


def _configured_factory(settings: Settings) -> SimulationFactory:
    if settings.simulation:
        ignored = [n for n in _WORLD_SETTINGS if n in settings.model_fields_set]
        if ignored:
            flags = ", ".join("--" + n.replace("_", "-") for n in ignored)
            log.warning(
                "%s configure the default world; --simulation %s does not read them",
                flags,
                settings.simulation,
            )
        return load_factory(settings.simulation)
    return partial(
        default_simulation,
        tick_rate=settings.tick_rate,
        seed_agents=settings.seed_agents,
        max_agents=settings.max_agents,
        autostart=settings.autostart,
    )


def load_factory(path: str) -> SimulationFactory:
    """Import "package.module:factory"; fail with a message that says what is wrong."""
    module_name, _, attribute = path.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"--simulation wants module:factory, got {path!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"--simulation {path!r}: cannot import {module_name!r}: {exc}") from None
    factory = getattr(module, attribute, None)
    if not callable(factory):
        raise ValueError(f"{path!r} is not a callable simulation factory")
    result: SimulationFactory = factory
    return result
