"""uvicorn, configured for spine-ws: the fast path's protocol, limits and keepalive."""

from __future__ import annotations

import socket

import uvicorn
from starlette.types import ASGIApp

from spine_ws.settings import Settings
from spine_ws.transport.handshake import HandshakeDeadline
from spine_ws.transport.protocol import Protocol

__all__ = ["config", "run"]


def config(app: ASGIApp, settings: Settings) -> uvicorn.Config:
    """The uvicorn configuration of `spine-ws serve` (it configures logging too)."""
    return uvicorn.Config(
        app,
        log_level=settings.log_level,
        access_log=False,
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
        lifespan="on",
    )


def run(config: uvicorn.Config, sock: socket.socket) -> None:
    """Serve on an already bound and listening socket until SIGINT or SIGTERM."""
    uvicorn.Server(config).run(sockets=[sock])
