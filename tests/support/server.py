"""A real server process on 127.0.0.1 and a WebSocket client that validates every frame."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.support.process import Child, spawn

ROOT = Path(__file__).resolve().parents[2]
SPINE_WS = Path(sys.executable).parent / "spine-ws"
LISTENING = re.compile(r"listening on http://([\d.]+):(\d+)")
BROADCAST_NOISE = frozenset({"tick_start", "tick_end", "agent_update", "world_event"})


@dataclass
class Server:
    """A `spine-ws serve` subprocess on 127.0.0.1."""

    child: Child
    host: str
    port: int

    @property
    def process(self) -> subprocess.Popen[str]:
        return self.child.process

    @property
    def log(self) -> list[str]:
        """The lines it printed so far (stdout and stderr merged)."""
        return self.child.lines

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}/ws"

    @property
    def http_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def health(self) -> dict[str, Any]:
        response = httpx.get(f"{self.http_url}/health", timeout=5)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def output(self) -> str:
        """Everything the process printed so far (stdout and stderr are merged)."""
        return self.child.output()


@contextmanager
def run_server(
    *flags: str,
    env: dict[str, str] | None = None,
    executable: Path = SPINE_WS,
    cwd: Path = ROOT,
    command: str = "serve",
) -> Iterator[Server]:
    """Start `spine-ws serve --port 0 <flags>` (or another `command`: `replay FILE`), wait
    for its listening line, stop it after."""
    argv: list[str | Path] = [executable, command, "--host", "127.0.0.1", "--port", "0", *flags]
    with spawn(argv, env=env, cwd=cwd) as child:
        try:
            match = child.wait_for(LISTENING, timeout=30)
        except AssertionError as error:
            raise RuntimeError(f"server did not start: {error}") from None
        server = Server(child, match.group(1), int(match.group(2)))
        _wait_healthy(server)
        yield server


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            server.health()
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@cache
def _event_validators() -> dict[str, Any]:
    """One validator per event type (the discriminator picks the branch of ServerEvent).

    jsonschema-rs: the suites validate tens of thousands of frames, at ~1 us each.
    """
    bundle = json.loads((ROOT / "generated/spine_ws/generated/protocol.schema.json").read_text())
    mapping = bundle["$defs"]["ServerEvent"]["discriminator"]["mapping"]
    return {
        wire: jsonschema_rs.Draft202012Validator({**bundle, "$ref": ref})
        for wire, ref in mapping.items()
    }


def validate_event(event: Any) -> None:
    """Fail unless `event` is valid against its schema in schema/events."""
    kind = event.get("type") if isinstance(event, dict) else None
    validator = _event_validators().get(kind) if isinstance(kind, str) else None
    assert validator is not None, f"server sent a frame of no event type: {event!r}"
    if not validator.is_valid(event):
        errors = [e.message for e in validator.iter_errors(event)]
        raise AssertionError(f"server sent an invalid event {event!r}: {errors}")


class Client:
    """A real WebSocket client; every frame it receives is validated against the schemas."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.snapshot: dict[str, Any] = {}
        self.seen: list[dict[str, Any]] = []
        self.replies: dict[str, dict[str, Any]] = {}
        self._ids = 0

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        raw = await asyncio.wait_for(self.ws.recv(), timeout)
        assert isinstance(raw, str), "the server sends text frames only"
        event: dict[str, Any] = json.loads(raw)
        validate_event(event)
        self.seen.append(event)
        if event["type"] in ("command_ack", "error") and "command_id" in event:
            assert event["command_id"] not in self.replies, f"second reply: {event}"
            self.replies[event["command_id"]] = event
        return event

    async def next(self, *types: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next event of one of `types`, skipping others (they are still validated)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            event = await self.recv(max(left, 0.001))
            if event["type"] in types:
                return event

    async def send_raw(self, frame: str | bytes) -> None:
        await self.ws.send(frame)

    async def command(self, message: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
        """Send a command with a fresh id; return its one reply (ack or error)."""
        self._ids += 1
        message = {"id": f"t{self._ids}", **message}
        await self.ws.send(json.dumps(message))
        return await self.reply_to(message["id"], timeout)

    async def reply_to(self, command_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The one reply to `command_id` (received earlier or next)."""
        while command_id not in self.replies:
            await self.next("command_ack", "error", timeout=timeout)
        return self.replies[command_id]

    async def close(self) -> None:
        await close_reading(self.ws)


async def close_reading(connection: ClientConnection | Client) -> None:
    """Close, reading (and dropping) what the server still sends meanwhile.

    websockets stops reading the socket once `max_queue` frames wait unread, so for a
    client that is behind, the server's close frame would sit behind them until
    `close_timeout` ran out: 10 s per close, most of some tests' time.
    """
    ws = connection.ws if isinstance(connection, Client) else connection
    closing = asyncio.ensure_future(ws.close())
    while not closing.done():
        with contextlib.suppress(ConnectionClosed, TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.05)
        await asyncio.wait({closing}, timeout=0.001)
    await closing


async def connect(server: Server, **kwargs: Any) -> Client:
    """Connect and read the snapshot (which must come first)."""
    ws = await websockets.connect(server.ws_url, open_timeout=5, **kwargs)
    client = Client(ws)
    client.snapshot = await client.recv()
    assert client.snapshot["type"] == "snapshot", "the first frame must be the snapshot"
    return client
