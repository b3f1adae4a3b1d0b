"""Sockets for tests: free ports and WebSocket peers that misbehave on purpose."""

from __future__ import annotations

import random
import socket

__all__ = ["drain", "free_port", "free_ports", "raw_peer"]

_UPGRADE = (
    b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def free_ports(count: int) -> int:
    """The first of `count` consecutive ports on 127.0.0.1 that nothing listens on, taken
    below Linux's ephemeral range (32768 on): there no other test's `bind(0)` and no
    client's outgoing connection can take one before the servers bind them (a `make
    cluster` gateway once found its port, the host's + 1, taken by a client)."""
    for _ in range(200):
        base = random.randrange(20_000, 32_000 - count)
        if all(_bindable(base + offset) for offset in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports in 20000-32000")


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def raw_peer(port: int, receive_buffer: int = 4096) -> socket.socket:
    """A WebSocket client on a plain socket: it completes the handshake, then does nothing
    (never reads, never answers a ping) unless the test makes it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.sendall(_UPGRADE)
    assert b"101" in sock.recv(1024)
    sock.settimeout(None)
    return sock


def drain(sock: socket.socket) -> None:
    """Read until the end of the stream (an orderly close returns, a reset raises)."""
    while sock.recv(1 << 20):
        pass
