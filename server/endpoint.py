"""`/ws`: accept, snapshot, then read frames until the peer goes; the hub does the rest."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from starlette.websockets import WebSocket, WebSocketDisconnect

from server.connection import Connection
from server.errors import InvalidMessage

if TYPE_CHECKING:
    from server.app import Runtime

__all__ = ["serve"]

log = logging.getLogger("spine_ws.connection")

SERVER_FULL = 1013
INTERNAL_ERROR = 1011
MESSAGE_TOO_BIG = 1009


async def serve(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.spine
    settings, hub = runtime.settings, runtime.hub
    await websocket.accept()
    if len(hub.connections) >= settings.max_connections:
        log.warning("refusing a connection: %d connections open", len(hub.connections))
        await websocket.close(SERVER_FULL, "server full")
        return

    async def send_text(text: str) -> None:
        await websocket.send({"type": "websocket.send", "text": text})

    async def close(code: int, reason: str) -> None:
        await websocket.close(code, reason)

    connection = Connection(
        hub.new_connection_id(),
        websocket.scope.get("spine.wire"),
        send_text,
        close,
        websocket.scope.get("spine.abort"),
        role="controller",
        max_messages=settings.send_queue_messages,
        max_bytes=settings.send_queue_bytes,
        close_timeout=settings.slow_close_timeout,
        rate=settings.command_rate,
        burst=settings.command_burst,
    )
    peer = websocket.client
    log.info("connect %s from %s:%s", connection.id, *(peer or ("?", 0)))
    hub.join(connection)
    code = 1000
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                code = message.get("code", 1000)
                break
            text = message.get("text")
            if text is None:
                hub.reply(connection, InvalidMessage("binary frames are not part of the protocol"))
            elif len(text) > settings.max_message_bytes:
                code = MESSAGE_TOO_BIG
                await websocket.close(code, "message too big")
                break
            else:
                hub.submit(connection, text)
    except WebSocketDisconnect as exc:
        code = exc.code
    except Exception:
        code = INTERNAL_ERROR
        log.exception("closing %s after an unexpected fault", connection.id)
        await websocket.close(code, "internal error")
    finally:
        hub.leave(connection)
        await connection.finish()
        log.info("disconnect %s (code %s)", connection.id, code)
