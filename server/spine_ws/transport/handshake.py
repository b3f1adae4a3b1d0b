"""uvicorn's HTTP protocol with a deadline on the request headers (slowloris)."""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["HandshakeDeadline"]

log = logging.getLogger("spine_ws")


class HandshakeDeadline(HttpToolsProtocol):
    """uvicorn's HTTP protocol, closing a connection whose request headers are late.

    uvicorn arms no timer until a request's headers are complete, so a TCP connection
    that sends nothing, or half a request, would be kept forever (slowloris). The
    deadline runs from the connection (or the start of each further request) to the
    end of the headers; after a WebSocket upgrade this protocol is no longer in charge.
    """

    timeout: float = 10.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self.timeout, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self.transport.get_protocol() is self and not self.transport.is_closing():
            log.debug("closing a connection that sent no complete request in time")
            self.transport.close()
