"""How frames reach the socket: everything in spine-ws that knows uvicorn lives here.

* `fast`: frames built once and written straight to uvicorn's TCP transport
  (`fast.FastTransport`), the connection's protocol made lighter (`protocol.Protocol`),
  and a deadline on the HTTP handshake (`handshake.HandshakeDeadline`), all configured
  by `server.serve` for `spine-ws serve`. It relies on uvicorn internals, so
  pyproject.toml caps uvicorn to the minor versions it was checked against.
* `asgi`: the plain ASGI path (`asgi.AsgiTransport`), for any ASGI server.

`open_transport` picks one per connection; the endpoint receives it as an argument.
"""

from __future__ import annotations

from typing import Literal

import uvicorn
from starlette.types import Send
from starlette.websockets import WebSocket

from spine_ws.core.outbox import Transport
from spine_ws.transport.asgi import AsgiTransport
from spine_ws.transport.fast import FastTransport

__all__ = ["Mode", "TransportUnavailable", "describe", "open_transport"]

Mode = Literal["auto", "fast", "asgi"]


class TransportUnavailable(RuntimeError):
    """`fast` was asked for, but this connection is not served by uvicorn's sansio protocol."""


def open_transport(
    mode: Mode, websocket: WebSocket, send: Send, kernel_buffer: int | None = None
) -> Transport:
    """The transport for one connection (`send` is the ASGI callable it came with);
    `kernel_buffer` caps the socket's send buffer on the fast path (None: the OS's)."""
    if mode != "asgi":
        protocol = FastTransport.protocol_of(send)
        if protocol is not None:
            return FastTransport(protocol, websocket.close, kernel_buffer)
        if mode == "fast":
            served_by = type(getattr(send, "__self__", send)).__qualname__
            raise TransportUnavailable(
                f"--transport fast needs uvicorn {uvicorn.__version__}'s websockets-sansio "
                f"protocol, and this connection is served by {served_by}; "
                "run `spine-ws serve`, or use --transport asgi (or auto) under another server"
            )
    return AsgiTransport(websocket.send_text, websocket.close, websocket.send_bytes)


def describe(mode: Mode) -> str:
    """One line for the start-up log: which path serves `/ws`."""
    if mode == "fast":
        return (
            f"/ws transport: fast (frames written to uvicorn {uvicorn.__version__}'s TCP "
            "transport, websockets-sansio protocol)"
        )
    if mode == "asgi":
        return "/ws transport: asgi (frames through ASGI send: any server, slower, no abort)"
    return "/ws transport: auto (fast under uvicorn's websockets-sansio protocol, else asgi)"
