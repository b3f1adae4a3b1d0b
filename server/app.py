"""`create_app`: the ASGI app, with the simulation started and stopped by its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import socket
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from generated import PROTOCOL_VERSION
from server import api, endpoint
from server.access import PerAddress, Policy, load_policy
from server.boundary import Boundary, CommandQueue, EventSink, Simulation, SimulationFactory
from server.frames import Wire
from server.hub import Hub
from server.parse import Limits
from server.settings import Settings
from server.world import default_simulation

__all__ = ["Runtime", "WebSocketRoute", "create_app", "load_factory"]

log = logging.getLogger("spine_ws")
VIEWER_DIR = Path(__file__).resolve().parent.parent / "clients/ts/dist/viewer"


@dataclass
class Runtime:
    """What the endpoints share while the app runs."""

    settings: Settings
    hub: Hub
    simulation: Simulation
    commands: CommandQueue
    access: Policy
    addresses: PerAddress


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
    factory = simulation_factory or _configured_factory(settings)
    policy = load_policy(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = _start(settings, factory, asyncio.get_running_loop(), policy)
        app.state.spine = runtime
        try:
            yield
        finally:
            runtime.simulation.stop()
            log.info("simulation stopped")

    app = FastAPI(
        title="spine-ws",
        version=PROTOCOL_VERSION,
        summary="Schema-first WebSocket link between a simulation and its frontends.",
        lifespan=lifespan,
    )
    app.state.access = policy  # for the CLI's bind check and log redaction
    app.include_router(api.router)
    app.mount("/", StaticFiles(directory=VIEWER_DIR, html=True, check_dir=False), name="viewer")
    app.add_middleware(WebSocketRoute)
    return app


def _start(
    settings: Settings,
    factory: SimulationFactory,
    loop: asyncio.AbstractEventLoop,
    policy: Policy,
) -> Runtime:
    commands = CommandQueue(settings.command_queue_size)
    hub = Hub(
        commands,
        limits=Limits(settings.max_json_depth, settings.max_json_members),
        max_agent_data_bytes=settings.max_agent_data_bytes,
    )
    simulation = factory(Boundary(commands, EventSink(loop, hub.deliver)))
    simulation.handlers.check_complete()
    hub.registry = simulation.handlers
    simulation.start()
    log.info("simulation started (epoch %s)", hub.epoch)
    addresses = PerAddress(settings.max_connections_per_address)
    return Runtime(settings, hub, simulation, commands, policy, addresses)


def _configured_factory(settings: Settings) -> SimulationFactory:
    if settings.simulation:
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
    factory = getattr(importlib.import_module(module_name), attribute, None)
    if not callable(factory):
        raise ValueError(f"{path!r} is not a callable simulation factory")
    result: Callable[[Boundary], Simulation] = factory
    return result


class WebSocketRoute:
    """Serve `/ws` ahead of FastAPI's router, with a way to abort the TCP connection.

    Every open connection holds its whole ASGI call stack; FastAPI's router, exception
    wrappers and exit stacks are about 8 KiB of it per connection, and `/ws` needs none
    of them (it has no dependencies, and its own error handling). `ServerErrorMiddleware`
    (outside this one) still logs anything that escapes.

    A close frame queued behind a backlog the peer never reads is never flushed, and a
    plain close waits for the flush; only an abort frees the memory. The ASGI interface
    has no such call, so take the transport from uvicorn's protocol when it is there,
    with the `Wire` (`server.frames`) that writes prebuilt frames to it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or scope["path"] != "/ws":
            await self.app(scope, receive, send)
            return
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if callable(getattr(transport, "abort", None)):
            # In place, not a copy: the scope lives as long as the connection.
            scope["spine.abort"] = partial(_reset, transport)
            scope["spine.wire"] = Wire.of(send)
        await endpoint.serve(WebSocket(scope, receive, send))


def _reset(transport: Any) -> None:
    """Abort with a TCP reset, so that the peer learns it at once.

    `abort()` alone closes the socket, but the kernel still owes the peer the unsent
    backlog and then the FIN; a peer that never reads never gets either, and keeps the
    connection (and the kernel its buffers). Linger 0 makes the close a reset.
    """
    sock = transport.get_extra_info("socket")
    with contextlib.suppress(AttributeError, OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
