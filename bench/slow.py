"""A client that completes the WebSocket handshake and then never reads again.

A plain blocking socket with a small receive buffer (so the backlog reaches the server's
own queue within seconds, as with a frozen browser tab on a slow link). `poll` watches
for the server ending the connection without reading: POLLRDHUP means a FIN (a close
that was flushed; the close code is then read from the tail of the stream), POLLERR or
POLLHUP a reset (the server aborted the TCP connection).
"""

from __future__ import annotations

import base64
import os
import select
import socket
import time

__all__ = ["SlowReader"]

_GONE = select.POLLRDHUP | select.POLLERR | select.POLLHUP


class SlowReader:
    """Connect, upgrade, stop reading; `check()` notes when and how the server let go."""

    def __init__(self, host: str, port: int, path: str, *, rcvbuf: int = 16 * 1024) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect((host, port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while not head.endswith(b"\r\n\r\n"):  # byte by byte: stop exactly at the frames
            byte = self.sock.recv(1)
            if not byte:
                raise ConnectionError("the server closed during the handshake")
            head += byte
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"handshake refused: {head[:200]!r}")
        self.poller = select.poll()
        self.poller.register(self.sock, _GONE)
        self.connected_at = time.time()
        self.gone_at: float | None = None
        self.how: str | None = None
        self.close_code: int | None = None

    def check(self) -> bool:
        """True once the server has closed or reset the connection."""
        if self.gone_at is not None:
            return True
        events = 0
        for _, mask in self.poller.poll(0):
            events |= mask
        if not events & _GONE:
            return False
        self.gone_at = time.time()
        if events & (select.POLLERR | select.POLLHUP):
            self.how = "reset"
        else:
            self.how = "fin"
            self.close_code = self._read_close_code()
        return True

    def _read_close_code(self) -> int | None:
        """Read the whole backlog and return the code of the close frame at its end."""
        data = bytearray()
        self.sock.settimeout(2)
        try:
            while chunk := self.sock.recv(1 << 20):
                data += chunk
        except OSError:
            return None
        at, code = 0, None
        while at + 2 <= len(data):
            opcode, size = data[at] & 0x0F, data[at + 1] & 0x7F
            at += 2
            if size == 126:
                size, at = int.from_bytes(data[at : at + 2], "big"), at + 2
            elif size == 127:
                size, at = int.from_bytes(data[at : at + 8], "big"), at + 8
            if opcode == 0x8 and size >= 2:
                code = int.from_bytes(data[at : at + 2], "big")
            at += size
        return code

    def close(self) -> None:
        self.sock.close()
