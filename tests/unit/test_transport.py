"""Which transport a connection gets, and that `fast` never falls back in silence."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.websockets import WebSocket

from spine_ws.transport import TransportUnavailable, describe, open_transport
from spine_ws.transport.asgi import AsgiTransport


async def _receive() -> dict[str, Any]:
    return {"type": "websocket.connect"}


async def _send(message: Any) -> None:
    """An ASGI send of some other server: not uvicorn's websockets-sansio protocol."""


def _websocket() -> WebSocket:
    return WebSocket({"type": "websocket", "path": "/ws", "headers": []}, _receive, _send)


def test_fast_refuses_a_connection_uvicorns_sansio_protocol_does_not_serve() -> None:
    """Asked for the fast path, another server's connection is an error that says why."""
    with pytest.raises(TransportUnavailable, match="--transport asgi"):
        open_transport("fast", _websocket(), _send)


@pytest.mark.parametrize("mode", ["auto", "asgi"])
def test_auto_and_asgi_take_the_asgi_path_elsewhere(mode: Any) -> None:
    """Outside uvicorn's sansio protocol, auto means asgi."""
    assert isinstance(open_transport(mode, _websocket(), _send), AsgiTransport)


@pytest.mark.parametrize("mode", ["auto", "fast", "asgi"])
def test_the_start_up_line_names_the_transport(mode: Any) -> None:
    """One line for the log, naming the mode."""
    assert describe(mode).startswith(f"/ws transport: {mode} (")
