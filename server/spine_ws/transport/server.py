"""uvicorn, configured for spine-ws: the fast path's protocol, limits and keepalive."""

from __future__ import annotations

import asyncio
import gc
import logging
import socket
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp

from spine_ws.access import trusted_proxies
from spine_ws.logs import Repeats
from spine_ws.settings import Settings
from spine_ws.transport.handshake import HandshakeDeadline
from spine_ws.transport.protocol import Protocol

__all__ = ["UvicornLines", "config", "run"]

# uvicorn's (and its websockets parser's) lines per WebSocket connection: spine-ws logs
# one of its own for each connect, refusal and disconnect.
_PER_CONNECTION = ("connection open", "connection closed", "connection rejected (%d %s)")
_INVALID_UTF8 = "Invalid UTF-8 sequence received from client."


class UvicornLines(logging.Filter):
    """On uvicorn's logger: no duplicate lines per connection, and a client's invalid
    UTF-8 (its fault, answered with close 1007) is INFO without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg
        if not isinstance(message, str):
            return True
        if message in _PER_CONNECTION or message.startswith('%s - "WebSocket %s"'):
            return False
        if message == _INVALID_UTF8:
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg = "closing a connection with 1007: invalid UTF-8 in a text frame"
            record.exc_info = record.exc_text = None
            record.collapse = True
        return True


def config(app: ASGIApp, settings: Settings) -> uvicorn.Config:
    """The uvicorn configuration of `spine-ws serve`."""
    uvicorn_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, UvicornLines) for f in uvicorn_log.filters):
        uvicorn_log.addFilter(UvicornLines())
        uvicorn_log.addFilter(Repeats())
    proxies = trusted_proxies(settings.trusted_proxies or "")
    logging.getLogger("spine_ws").info(
        "forwarded addresses: %s",
        f"believed from {', '.join(proxies)}" if proxies else "believed from no one",
    )
    return uvicorn.Config(
        app,
        # The CLI configured the one log (spine_ws.logs); uvicorn's records go through it.
        log_config=None,
        log_level=settings.log_level,
        access_log=False,
        # uvicorn believes X-Forwarded-* from 127.0.0.1 and ::1 unless told otherwise
        # (FORWARDED_ALLOW_IPS): any local process could then pick its address for the
        # per-address cap and the token-guess throttle. Only the configured proxies, and
        # without any, no proxy middleware at all. Its wrapping leaves `send` alone, so
        # the fast path still finds uvicorn's protocol behind it.
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
        # A subclass per server for the deadline; no __dict__ of its own per connection.
        ws=type(
            "Protocol", (Protocol,), {"__slots__": (), "close_deadline": settings.close_timeout}
        ),
        ws_max_size=settings.max_message_bytes,
        # The fast path writes uncompressed frames.
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ping_interval,
        ws_ping_timeout=settings.ping_timeout,
        http=type("Protocol", (HandshakeDeadline,), {"timeout": settings.handshake_timeout}),
        timeout_keep_alive=max(1, int(settings.handshake_timeout)),
        timeout_graceful_shutdown=3,
        # `run` enters the app's lifespan itself, so that a failing start-up is an
        # exception for the CLI to report, not a traceback logged by uvicorn.
        lifespan="off",
    )


def run(
    app: FastAPI, config: uvicorn.Config, sock: socket.socket, ready: Callable[[], None]
) -> None:
    """Start the app (its lifespan), then serve on the bound, listening socket until
    SIGINT or SIGTERM; `ready` is called once uvicorn accepts connections (and what
    start-up made is set aside from the garbage collector). Whatever the start-up raises
    propagates, before anything was served."""
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(_serve(app, config, sock, ready))


async def _serve(
    app: FastAPI, config: uvicorn.Config, sock: socket.socket, ready: Callable[[], None]
) -> None:
    server = uvicorn.Server(config)
    async with app.router.lifespan_context(app):
        # Read by each connection as it opens: known once the simulation's contract is.
        config.ws_max_size = getattr(app.state, "largest_frame", config.ws_max_size)
        serving = asyncio.ensure_future(server.serve(sockets=[sock]))
        # uvicorn sets `started` and offers nothing to await.
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        if server.started:
            _set_aside_startup()
            ready()
        await serving


def _set_aside_startup() -> None:
    """What start-up made (modules, schemas, the app, the simulation's world) lives as
    long as the process: frozen out of the collector's reach, it is not walked by every
    full collection. They walk ~70,000 objects otherwise, 40-60 ms each, several a
    second under load: a simulation thread held that long misses its tick deadlines
    (make bench's K=1 row lost 4 % of its ticks to them). Garbage first, so none of it is
    kept for good."""
    gc.collect()
    gc.freeze()
