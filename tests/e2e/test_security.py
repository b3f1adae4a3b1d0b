"""Each attack of issue 7 tried for real against a server subprocess on loopback."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from spine_ws.generated import CONNECTION_COMMAND_TYPES
from tests.support.server import ROOT, SPINE_WS, Client, Server, close_reading, connect, run_server

pytestmark = pytest.mark.anyio

VIEWER = "viewer-token-Qm4rT8wZ2kLx"
CONTROLLER = "controller-token-Vb7nH3sJ9pDy"
WRONG = "wrong-token-Xc5gF1aK6eNu"
COMMANDS = ROOT / "tests/contract/messages/commands"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """Tokens from both sources: the controller's in SPINE_WS_TOKENS, the viewer's in a file."""
    tokens_file = tmp_path_factory.mktemp("tokens") / "tokens"
    tokens_file.write_text(f"# viewers\nviewer:{VIEWER}\n")
    tokens_file.chmod(0o600)
    with run_server(
        "--seed-agents",
        "2",
        "--tokens-file",
        str(tokens_file),
        env={"SPINE_WS_TOKENS": f"controller:{CONTROLLER}"},
    ) as server:
        yield server


async def handshake(server: Server, query: str = "", **kwargs: Any) -> tuple[int, Any]:
    """Try a handshake: (101, the open socket) or (HTTP status, the refusal's headers)."""
    try:
        ws = await websockets.connect(server.ws_url + query, open_timeout=5, **kwargs)
    except InvalidStatus as refused:
        return refused.response.status_code, refused.response.headers
    return 101, ws


async def status_of(server: Server, query: str = "", **kwargs: Any) -> int:
    """The HTTP status of a handshake (101: accepted, then closed at once)."""
    status, result = await handshake(server, query, **kwargs)
    if status == 101:
        await close_reading(result)
    return status


def bearer(token: str) -> dict[str, Any]:
    return {"additional_headers": {"Authorization": f"Bearer {token}"}}


def offered(token: str) -> dict[str, Any]:
    return {"subprotocols": ["spine.v1", f"token.{token}"]}


async def connect_with(server: Server, transport: str, token: str) -> Client:
    """A validated client presenting `token` by `transport` (bearer, subprotocol, query)."""
    if transport == "query":
        url = f"{server.ws_url}?token={token}"
        ws = await websockets.connect(url, open_timeout=5)
    else:
        ws = await websockets.connect(
            server.ws_url,
            open_timeout=5,
            **(bearer(token) if transport == "bearer" else offered(token)),
        )
    client = Client(ws)
    client.snapshot = await client.recv()
    assert client.snapshot["type"] == "snapshot"
    return client


async def test_cross_origin_handshake_is_refused_with_403(guarded: Server) -> None:
    """A browser handshake from a foreign Origin gets HTTP 403, even with a valid token."""
    before = guarded.health()["connections"]
    for origin in ("http://evil.example", "null", "http://localhost.evil.example:80"):
        kwargs = {**bearer(CONTROLLER), "origin": origin}
        assert await status_of(guarded, **kwargs) == 403, origin
    assert await status_of(guarded, **bearer(CONTROLLER), origin="http://localhost:5173") == 101
    assert guarded.health()["connections"] == before


async def test_configured_origins_replace_the_defaults() -> None:
    """--allowed-origins admits exactly its entries; non-browser clients need none."""
    with run_server("--allowed-origins", "https://app.example, http://lab.example:*") as server:
        assert await status_of(server, origin="https://app.example") == 101
        assert await status_of(server, origin="http://lab.example:8080") == 101
        assert await status_of(server, origin="http://localhost:5173") == 403
        assert await status_of(server) == 101


async def test_missing_or_wrong_token_is_refused_with_401(guarded: Server) -> None:
    """No token, or a wrong one by any transport, gets HTTP 401 before any WebSocket frame."""
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("", {}),
        ("", bearer(WRONG)),
        ("", offered(WRONG)),
        (f"?token={WRONG}", {}),
        ("", {"additional_headers": {"Authorization": f"Basic {CONTROLLER}"}}),
        (f"?token={CONTROLLER[:-1]}", {}),
    ]
    for query, kwargs in attempts:
        status, headers = await handshake(guarded, query, **kwargs)
        assert status == 401, (query, kwargs)
        assert headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("transport", ["bearer", "subprotocol", "query"])
async def test_each_token_transport_is_accepted(guarded: Server, transport: str) -> None:
    """A controller's token works as a Bearer header, a token.<t> subprotocol and ?token=."""
    client = await connect_with(guarded, transport, CONTROLLER)
    assert client.ws.subprotocol == ("spine.v1" if transport == "subprotocol" else None)
    assert (await client.command({"type": "stop"}))["type"] == "command_ack"
    await close_reading(client)


async def test_viewer_commands_are_all_forbidden_and_change_nothing(guarded: Server) -> None:
    """Every command of a viewer gets `forbidden`, but those about its own connection
    (subscribe); nothing is broadcast; events still flow."""
    controller = await connect_with(guarded, "bearer", CONTROLLER)
    viewer = await connect_with(guarded, "bearer", VIEWER)
    before = guarded.health()["simulation"], controller.snapshot["agents"]
    for path in sorted(COMMANDS.glob("*.json")):
        if path.stem in CONNECTION_COMMAND_TYPES:
            continue
        for n, example in enumerate(json.loads(path.read_text())["valid"]):
            # Client.command gives each a fresh id (the examples reuse theirs).
            reply = await viewer.command({k: v for k, v in example.items() if k != "id"})
            assert reply["type"] == "error" and reply["code"] == "forbidden", reply
            assert reply["command_type"] == path.stem, n
    # The controller's own command is a barrier: anything the viewer caused came before.
    assert (await controller.command({"type": "stop"}))["type"] == "command_ack"
    assert {e["type"] for e in controller.seen} == {"snapshot", "command_ack"}
    # A viewer may shape what it receives (an empty subscribe: everything, as before).
    assert (await viewer.command({"type": "subscribe"}))["type"] == "command_ack"
    late = await connect_with(guarded, "query", VIEWER)
    assert (guarded.health()["simulation"], late.snapshot["agents"]) == before
    added = await controller.command({"type": "add_agent", "agent_id": "v1", "agent_kind": "k"})
    assert added["type"] == "command_ack"
    assert (await viewer.next("agent_added"))["agent_id"] == "v1"
    assert (await controller.command({"type": "delete_agent", "agent_id": "v1"}))["type"] == (
        "command_ack"
    )
    for client in (controller, viewer, late):
        await close_reading(client)


async def test_tokens_never_appear_in_the_server_log() -> None:
    """At debug level (headers and paths logged), no token, right or wrong, reaches the log."""
    with run_server(
        "--log-level", "debug", env={"SPINE_WS_TOKENS": f"viewer:{VIEWER},controller:{CONTROLLER}"}
    ) as server:
        for transport in ("bearer", "subprotocol", "query"):
            for token in (VIEWER, CONTROLLER):
                client = await connect_with(server, transport, token)
                await client.command({"type": "stop"})
                await close_reading(client)
        assert await status_of(server, **bearer(WRONG)) == 401
        assert await status_of(server, **offered(WRONG)) == 401
        assert await status_of(server, f"?token={WRONG}") == 401
        assert await status_of(server, f"?%74oken={WRONG}") == 401  # decoded, then redacted
        await asyncio.sleep(0.2)
    log = server.output()
    assert "?token=[redacted]" in log  # the path was logged, and scrubbed
    for secret in (VIEWER, CONTROLLER, WRONG):
        assert secret not in log
    assert "ERROR" not in log, log


async def test_a_command_flood_is_rate_limited_while_others_get_their_acks() -> None:
    """A flooding client gets rate_limited and stays; another client's acks keep arriving."""
    flood_size = 2000
    with run_server("--command-rate", "20", "--command-burst", "20") as server:
        flooder, other = await connect(server), await connect(server)
        codes: list[str] = []

        async def read_flood_replies() -> None:
            while len(codes) < flood_size:
                event = await flooder.next("command_ack", "error", timeout=10)
                codes.append(event.get("code", "ack"))

        async def flood() -> None:
            for n in range(flood_size):
                await flooder.ws.send(json.dumps({"type": "stop", "id": f"f{n}"}))

        async def polite() -> list[float]:
            latencies = []
            for _ in range(10):
                start = time.monotonic()
                assert (await other.command({"type": "stop"}, timeout=2))["type"] == "command_ack"
                latencies.append(time.monotonic() - start)
                await asyncio.sleep(0.02)
            return latencies

        start = time.monotonic()
        reader = asyncio.create_task(read_flood_replies())
        _, latencies, _ = await asyncio.gather(flood(), polite(), reader)
        elapsed = time.monotonic() - start
        assert max(latencies) < 1.0, latencies
        assert set(codes) == {"ack", "rate_limited"}
        assert codes.count("ack") <= 20 + 20 * elapsed + 1, (codes.count("ack"), elapsed)
        await asyncio.sleep(0.2)  # a token comes back; the flooder was never disconnected
        assert (await flooder.command({"type": "stop"}))["type"] == "command_ack"
        await close_reading(flooder)
        await close_reading(other)


async def test_deep_and_wide_json_are_refused_quickly_and_the_server_stays_healthy() -> None:
    """10,000-level nesting, 33 levels and 10,001 members each get one error within 1 s."""
    with run_server() as server:
        client = await connect(server)
        deep = "[" * 10_000 + "]" * 10_000
        nested = '{"type": "start", "x": ' + "[" * 40 + "]" * 40 + "}"
        wide = json.dumps(
            {
                "type": "add_agent",
                "agent_id": "w",
                "agent_kind": "k",
                "agent_data": {"xs": [0] * 10_001},
            }
        )
        for frame, words in [
            (deep, "deeper than 32"),
            (nested, "deeper than 32"),
            (wide, "more than 10000"),
        ]:
            start = time.monotonic()
            await client.send_raw(frame)
            error = await client.next("error", "command_ack", timeout=1)
            assert time.monotonic() - start < 1
            assert error["type"] == "error" and error["code"] == "invalid_message", error
            assert words in error["message"], error
        assert (await client.command({"type": "stop"}))["type"] == "command_ack"
        assert server.health()["status"] == "ok"
        await close_reading(client)


async def test_a_1_mib_message_is_refused_quickly_and_others_are_unaffected() -> None:
    """A 1 MiB frame closes its sender with 1009 within 2 s; the server and others carry on."""
    with run_server() as server:
        sender, other = await connect(server), await connect(server)
        start = time.monotonic()

        async def send_then_read() -> None:
            await sender.ws.send("x" * (1024 * 1024))
            await sender.recv(timeout=2)

        with pytest.raises(ConnectionClosed) as closed:
            await send_then_read()
        assert time.monotonic() - start < 2
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009
        assert server.health()["status"] == "ok"
        assert (await other.command({"type": "stop"}))["type"] == "command_ack"
        await close_reading(other)


async def raw_handshake(server: Server) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A WebSocket handshake by hand: afterwards this peer reads but never answers a ping."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET /ws HTTP/1.1\r\nHost: {server.host}:{server.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


async def closed_by_server(reader: asyncio.StreamReader) -> None:
    """Read (and drop) whatever comes until the server closes the connection."""
    try:
        while await reader.read(65536):
            pass
    except ConnectionResetError:
        pass


async def test_half_open_connections_are_reaped() -> None:
    """Silent TCP, half-sent requests and ping-deaf WebSocket peers are all closed."""
    with run_server("--handshake-timeout", "1", "--ping-interval", "1", "--ping-timeout", "1") as s:
        live = await connect(s)
        silent = [await asyncio.open_connection(s.host, s.port) for _ in range(40)]
        partial = [await asyncio.open_connection(s.host, s.port) for _ in range(40)]
        for _, writer in partial:
            writer.write(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websock")
        deaf = [await raw_handshake(s) for _ in range(10)]
        start = time.monotonic()
        everyone = silent + partial + deaf
        await asyncio.wait_for(
            asyncio.gather(*(closed_by_server(reader) for reader, _ in everyone)), 10
        )
        assert time.monotonic() - start < 6
        for _, writer in everyone:
            writer.close()
        assert s.health()["connections"] == 1
        # The live client answered every ping: it is still there and served.
        assert (await live.command({"type": "stop"}))["type"] == "command_ack"
        await close_reading(live)


async def test_connections_per_address_are_capped() -> None:
    """Beyond max_connections_per_address one address is closed with 1013; others still get in."""
    with run_server("--max-connections-per-address", "2") as server:
        first, second = await connect(server), await connect(server)
        extra = await websockets.connect(server.ws_url, open_timeout=5)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(extra.recv(), 5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        assert "address" in closed.value.rcvd.reason
        elsewhere = await connect(server, local_addr=("127.0.0.2", 0))
        await close_reading(first)
        deadline = time.monotonic() + 5
        while server.health()["connections"] > 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        again = await connect(server)
        for client in (second, elsewhere, again):
            await close_reading(client)


def serve(*flags: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `spine-ws serve` expecting it to exit by itself (within 20 s)."""
    return subprocess.run(
        [str(SPINE_WS), "serve", "--port", "0", *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=20,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_non_loopback_bind_without_tokens_is_refused() -> None:
    """--host 0.0.0.0 with no tokens exits 2 and names the two ways forward."""
    result = serve("--host", "0.0.0.0")
    assert result.returncode == 2, result
    assert "refusing to listen on 0.0.0.0 without tokens" in result.stderr
    assert "SPINE_WS_TOKENS" in result.stderr and "--insecure" in result.stderr
    assert "listening on" not in result.stdout


def test_insecure_non_loopback_bind_starts_with_a_warning() -> None:
    """With --insecure the server listens on 0.0.0.0 and warns that anyone can control it."""
    with run_server("--host", "0.0.0.0", "--insecure") as server:
        assert server.health()["status"] == "ok"
        assert "WARNING: --insecure: listening on 0.0.0.0 without tokens" in server.output()


def test_a_tokenless_server_says_it_is_loopback_only() -> None:
    """The default (no tokens, 127.0.0.1) says every client is a controller, loopback only."""
    with run_server() as server:
        assert "no tokens configured" in server.output()
        assert "listening on loopback only" in server.output()


async def test_a_tokenless_server_refuses_dns_rebinding() -> None:
    """No tokens: a handshake naming a foreign Host (a rebound DNS name) gets 403."""
    with run_server() as server:
        rebound = f"ws://rebound.example:{server.port}/ws"
        origin = Origin(f"http://rebound.example:{server.port}")
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(
                rebound, host=server.host, port=server.port, origin=origin, open_timeout=5
            )
        assert refused.value.response.status_code == 403
        assert await status_of(server, origin=f"http://localhost:{server.port}") == 101


def test_misconfigured_tokens_exit_2_without_echoing_the_token(tmp_path: Path) -> None:
    """A short or role-less token is refused at start-up; the message shows no token."""
    for tokens in ("controller:short-secret", "boss:" + CONTROLLER):
        result = serve(env={"SPINE_WS_TOKENS": tokens})
        assert result.returncode == 2 and "SPINE_WS_TOKENS, entry 1" in result.stderr
        assert tokens.partition(":")[2] not in result.stdout + result.stderr
    result = serve("--tokens-file", str(tmp_path / "missing"))
    assert result.returncode == 2 and "--tokens-file" in result.stderr


async def test_token_guessing_is_slowed_then_refused_with_one_log_line() -> None:
    """From one address: a few wrong tokens are answered at once, then slower, then
    every handshake (a right token too) gets 429 for the rest of the minute."""
    env = {"SPINE_WS_TOKENS": f"viewer:{VIEWER},controller:{CONTROLLER}"}
    with run_server("--token-guesses", "6", env=env) as server:
        started = time.monotonic()
        quick = [await status_of(server, **bearer(WRONG)) for _ in range(3)]
        assert quick == [401, 401, 401] and time.monotonic() - started < 1.0
        started = time.monotonic()
        slowed = [await status_of(server, **bearer(WRONG)) for _ in range(3)]
        assert slowed == [401, 401, 401]
        assert time.monotonic() - started >= 0.25 + 0.5 + 0.75 - 0.1  # slower each time
        assert await status_of(server, **bearer(WRONG)) == 429
        assert await status_of(server, **bearer(CONTROLLER)) == 429  # the address, not the token
        await asyncio.sleep(0.2)
        refusals = [line for line in server.output().splitlines() if "refusing handshakes" in line]
        assert len(refusals) == 1 and "127.0.0.1" in refusals[0]
