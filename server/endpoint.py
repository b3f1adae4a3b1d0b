"""`/ws`: admit (access.py decides), accept, snapshot, read frames; the hub does the rest."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from server.access import Denial, Handshake
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
    """Refuse the handshake (HTTP 401/403) or accept it within the connection limits."""
    runtime: Runtime = websocket.app.state.spine
    settings, hub = runtime.settings, runtime.hub
    address = websocket.client.host if websocket.client else "?"
    verdict = runtime.access.admit(Handshake.from_scope(websocket.scope))
    if isinstance(verdict, Denial):
        log.info("refused a handshake from %s: %d %s", address, verdict.status, verdict.reason)
        await websocket.send_denial_response(
            PlainTextResponse(verdict.reason + "\n", verdict.status, verdict.headers)
        )
        # uvicorn's websockets-sansio marks the handshake complete only once the transport
        # is lost (Kludex/uvicorn#3138): returning at once logs a spurious ERROR per
        # refusal. The loss is already scheduled (the short response fits the socket).
        await asyncio.sleep(0)
        return
    await websocket.accept(verdict.subprotocol)
    # The scope lives as long as the connection, and its headers (~1 KB) were read above,
    # by access control, for the last time. ASGI allows any iterable of pairs here.
    websocket.scope["headers"] = ()
    if len(hub.connections) >= settings.max_connections:
        log.warning("refusing a connection: %d connections open", len(hub.connections))
        await websocket.close(SERVER_FULL, "server full")
        return
    if not runtime.addresses.acquire(address):
        log.warning("refusing a connection: %d open from %s", runtime.addresses.limit, address)
        await websocket.close(SERVER_FULL, "too many connections from this address")
        return
    # One coroutine for the whole connection (no nested session call): an idle
    # connection holds this frame for as long as it is open.
    try:
        role = verdict.role
        connection = Connection(
            hub.new_connection_id(),
            websocket.scope.get("spine.wire"),
            websocket.send_text,
            websocket.close,
            websocket.scope.get("spine.abort"),
            role=role,
            max_messages=settings.send_queue_messages,
            max_bytes=settings.send_queue_bytes,
            close_timeout=settings.slow_close_timeout,
            rate=settings.command_rate,
            burst=settings.command_burst,
        )
        log.info("connect %s (%s) from %s:%s", connection.id, role, *(websocket.client or ("?", 0)))
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
                    hub.reply(
                        connection, InvalidMessage("binary frames are not part of the protocol")
                    )
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
    finally:
        runtime.addresses.release(address)
