"""`/ws`: admit (access.py decides), accept, snapshot, read frames; the hub does the rest."""

from __future__ import annotations

import asyncio
import logging
import math
import time

import orjson
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from spine_ws.access import FOXGLOVE_SUBPROTOCOL, PROFILE_SUBPROTOCOLS, Denial, Handshake
from spine_ws.connection import Connection
from spine_ws.core.catalog import Catalog
from spine_ws.core.codec import Envelope, envelope_for
from spine_ws.core.envelope import DeclaredEnvelope
from spine_ws.core.errors import InvalidMessage, ProtocolError
from spine_ws.core.hub import Hub
from spine_ws.core.jsonrpc import Decoded
from spine_ws.core.outbox import Transport
from spine_ws.core.status import (
    WS_1000_NORMAL_CLOSURE,
    WS_1008_POLICY_VIOLATION,
    WS_1009_MESSAGE_TOO_BIG,
    WS_1011_INTERNAL_ERROR,
    WS_1013_TRY_AGAIN_LATER,
)
from spine_ws.foxglove import FoxgloveSession
from spine_ws.generated import SUBPROTOCOL
from spine_ws.logs import COLLAPSE
from spine_ws.runtime import Runtime
from spine_ws.transport import TransportUnavailable, open_transport

__all__ = ["WebSocketRoute", "serve"]

log = logging.getLogger("spine_ws.connection")


class WebSocketRoute:
    """Serve `/ws` ahead of FastAPI's router, on the transport the settings choose.

    Every open connection holds its whole ASGI call stack; FastAPI's router, exception
    wrappers and exit stacks are about 8 KiB of it per connection, and `/ws` needs none
    of them (it has no dependencies, and its own error handling). `ServerErrorMiddleware`
    (outside this one) still logs anything that escapes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or scope["path"] != "/ws":
            await self.app(scope, receive, send)
            return
        runtime: Runtime = scope["app"].state.spine
        websocket = WebSocket(scope, receive, send)
        try:
            # The kernel's share of the send queue (Linux doubles it): a quarter of it,
            # so that the soft limit (half) is met while it is still coalescible; at
            # most 1 MiB, whatever the limits (more is seconds of a slow reader).
            settings = runtime.settings
            kernel = min(settings.send_queue_bytes // 4, 1 << 20)
            transport = open_transport(settings.transport, websocket, send, kernel)
        except TransportUnavailable as exc:
            # Loudly: a silent fallback would hide a broken fast path (and its cost).
            log.error("refusing a connection: %s", exc)
            await websocket.close(WS_1011_INTERNAL_ERROR, "server misconfigured")
            return
        await serve(websocket, transport, runtime)


# A refused handshake's reason, as /metrics labels it.
_REFUSALS = {401: "unauthorized", 403: "forbidden", 429: "too_many_guesses"}


async def serve(websocket: WebSocket, transport: Transport, runtime: Runtime) -> None:
    """Refuse the handshake (HTTP 401/403) or accept it within the connection limits."""
    settings, hub = runtime.settings, runtime.hub
    address = websocket.client.host if websocket.client else "?"
    now = time.monotonic()
    retry = runtime.guesses.retry_after(address, now)
    verdict = (
        runtime.access.admit(Handshake.from_scope(websocket.scope))
        if retry is None
        else Denial(429, "too many wrong tokens", {"retry-after": str(math.ceil(retry))})
    )
    if isinstance(verdict, Denial):
        runtime.metrics.refused(_REFUSALS.get(verdict.status, str(verdict.status)))
        log.info(
            "refused a handshake from %s: %d %s",
            address,
            verdict.status,
            verdict.reason,
            extra={**COLLAPSE, "kind": verdict.reason, "address": address},
        )
        if verdict.guess:
            delay, refused = runtime.guesses.failed(address, now)
            if refused:
                log.warning(
                    "refusing handshakes from %s for %.0f s: %d wrong tokens in a minute",
                    address,
                    runtime.guesses.WINDOW,
                    runtime.guesses.limit,
                )
            await asyncio.sleep(delay)
        await websocket.send_denial_response(
            PlainTextResponse(verdict.reason + "\n", verdict.status, verdict.headers)
        )
        # uvicorn's websockets-sansio marks the handshake complete only once the transport
        # is lost (Kludex/uvicorn#3138): returning at once logs a spurious ERROR per
        # refusal. The loss is already scheduled (the short response fits the socket).
        await asyncio.sleep(0)
        return
    subprotocol, envelope = _profile(runtime, verdict.subprotocol, websocket.scope)
    await websocket.accept(subprotocol)
    # The scope lives as long as the connection, and its headers (~1 KB) were read above,
    # by access control, for the last time. ASGI allows any iterable of pairs here.
    websocket.scope["headers"] = ()
    if len(hub.connections) >= settings.max_connections:
        runtime.metrics.refused("server_full")
        log.warning(
            "refusing a connection: %d connections open",
            len(hub.connections),
            extra={"address": address, "close_code": WS_1013_TRY_AGAIN_LATER},
        )
        await websocket.close(WS_1013_TRY_AGAIN_LATER, "server full")
        return
    if runtime.cluster is not None and not runtime.cluster.ready:
        # A stale world is worse than none: the client retries, and gets a current one.
        runtime.metrics.refused("catching_up")
        log.info("refusing a connection: still catching up with the cluster's stream")
        await websocket.close(WS_1013_TRY_AGAIN_LATER, "catching up with the cluster")
        return
    if not runtime.addresses.acquire(address):
        runtime.metrics.refused("address_limit")
        log.warning(
            "refusing a connection: %d open from %s",
            runtime.addresses.limit,
            address,
            extra={"address": address, "close_code": WS_1013_TRY_AGAIN_LATER},
        )
        await websocket.close(WS_1013_TRY_AGAIN_LATER, "too many connections from this address")
        return
    # One coroutine for the whole connection (no nested session call): an idle
    # connection holds this frame for as long as it is open.
    try:
        # A recording played back takes no simulation command: every client watches.
        role = "viewer" if settings.replay else verdict.role
        connection = Connection(
            hub.new_connection_id(),
            transport,
            role=role,
            max_messages=settings.send_queue_messages,
            max_bytes=settings.send_queue_bytes,
            close_timeout=settings.slow_close_timeout,
            rate=settings.command_rate,
            burst=settings.command_burst,
            grace=settings.slow_consumer_grace,
            max_snapshot_bytes=settings.max_snapshot_bytes,
            envelope=envelope,
        )
        query = websocket.query_params
        subscription, refusal = None, None
        if "subscribe" in query:
            try:
                subscription = hub.subscription_of(query["subscribe"], connection.encoding)
            except ProtocolError as error:  # told after the snapshot; it gets everything
                refusal = error
        if isinstance(envelope, FoxgloveSession):  # Foxglove's protocol: no snapshot
            for opening in envelope.start(connection, hub, f"spine-ws ({hub.catalog.name})"):
                connection.send_text(opening)
            connection.flush()
            started = "foxglove.websocket.v1"
        elif runtime.playback is not None:  # a recording's: it may play this client its own
            started = runtime.playback.join(connection, query.get("resume"), subscription)
        else:
            started = hub.join(connection, query.get("resume"), subscription)
        if refusal is not None:
            hub.reply(connection, refusal, None, "subscribe")
        runtime.metrics.accepted(role)
        opened = time.monotonic()
        context = {"connection_id": connection.id, "role": role, "address": address}
        log.info(
            "connect %s (%s) from %s:%s, %s",
            connection.id,
            role,
            *(websocket.client or ("?", 0)),
            started,
            extra=context,
        )
        code = WS_1000_NORMAL_CLOSURE
        try:
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    code = message.get("code", WS_1000_NORMAL_CLOSURE)
                    break
                text = message.get("text")
                if text is None:
                    data: bytes = message.get("bytes") or b""
                    if len(data) > settings.max_message_bytes:
                        code = WS_1009_MESSAGE_TOO_BIG
                        await websocket.close(code, "message too big")
                        break
                    if connection.envelope is None:
                        binary = InvalidMessage("binary frames are not part of the protocol")
                        hub.reply(connection, binary)
                    else:
                        _take(hub, connection, connection.envelope.decode_binary(data))
                elif len(text) > settings.max_message_bytes and not _may_be_large(
                    text, connection, hub.catalog
                ):
                    code = WS_1009_MESSAGE_TOO_BIG
                    await websocket.close(code, "message too big")
                    break
                elif connection.envelope is None:
                    hub.submit(connection, text)
                else:
                    _submit_enveloped(hub, connection, connection.envelope, text)
        except WebSocketDisconnect as exc:
            code = exc.code
        except Exception:
            code = WS_1011_INTERNAL_ERROR
            log.exception("closing %s after an unexpected fault", connection.id)
            await websocket.close(code, "internal error")
        finally:
            hub.leave(connection)
            if runtime.playback is not None:
                await runtime.playback.detach(connection)
            await connection.finish()
            if connection.closed_with is not None:  # this side closed it (shed, ...)
                code = connection.closed_with
            frames, size = written = connection.written()
            shed = connection.closed_with == WS_1008_POLICY_VIOLATION
            runtime.metrics.closed(code, written, shed=shed, coalesced=connection.coalesced)
            log.info(
                "disconnect %s (code %s) after %.1f s, %d messages, %d bytes",
                connection.id,
                code,
                time.monotonic() - opened,
                frames,
                size,
                extra={**context, "close_code": code},
            )
    finally:
        runtime.addresses.release(address)


def _submit_enveloped(hub: Hub, connection: Connection, envelope: Envelope, text: str) -> None:
    """A frame of another profile: its commands to the hub in order (each gets its one
    reply, which the envelope answers in kind), and whatever it answers at once."""
    _take(hub, connection, envelope.decode(text))


def _take(hub: Hub, connection: Connection, decoded: Decoded) -> None:
    for command in decoded.commands:
        hub.submit(connection, command)
    if not decoded.commands:
        # A frame refused before it reached the hub takes a token all the same, as a
        # spine frame that does not parse does: floods of them count against the rate.
        connection.allow_command()
    if decoded.response is not None:
        connection.send_response(decoded.response)
        connection.flush()


def _may_be_large(text: str, connection: Connection, catalog: Catalog) -> bool:
    """A frame over the server's limit passes only if it is a command whose schema raises
    its own limit to that size (`x-spine-max-bytes`), from a connection that may send
    commands; every other frame keeps the limit (close 1009)."""
    largest = max(catalog.max_bytes.values(), default=0)
    if len(text) > largest or connection.role != "controller":
        return False
    try:
        message = orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(message, dict):
        return False
    envelope = connection.envelope
    kind = message.get("type") if envelope is None else envelope.command_type(message)
    return isinstance(kind, str) and len(text.encode()) <= catalog.max_bytes.get(kind, 0)


def _profile(
    runtime: Runtime, granted: str | None, scope: Scope
) -> tuple[str | None, Envelope | None]:
    """The subprotocol to select and the connection's envelope: a declared envelope's
    subprotocol if offered, else the profile the client named, else the server's
    default (the declared envelope if there is one, else --profile)."""
    declared = runtime.declared
    if declared is not None:
        spec, encoder = declared
        own = f"{SUBPROTOCOL}.{spec.name}"
        if own in scope.get("subprotocols", ()):
            return own, DeclaredEnvelope(spec, encoder)
        if granted is None:
            return None, DeclaredEnvelope(spec, encoder)
    if granted == FOXGLOVE_SUBPROTOCOL:
        return granted, FoxgloveSession(runtime.hub.catalog)
    profile = PROFILE_SUBPROTOCOLS.get(granted or "", runtime.settings.profile)
    return granted, envelope_for(profile)
