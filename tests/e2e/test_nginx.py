"""The server behind a real nginx (TLS, the WebSocket upgrade, forwarded addresses), and
what it believes of forwarded headers from clients that are not its proxy."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Origin

from tests.support.net import free_port
from tests.support.process import Child, spawn
from tests.support.server import ROOT, Client, Server, close_reading, run_server

pytestmark = pytest.mark.anyio

NGINX = Path("/usr/sbin/nginx")
CONF = ROOT / "docs/nginx.conf"
VIEWER = "viewer-token-Lp3sW9qRt6Zc"
CONTROLLER = "controller-token-Hd8kN2vYx4Bm"
TOKENS = {"SPINE_WS_TOKENS": f"viewer:{VIEWER},controller:{CONTROLLER}"}
# Linux routes all of 127/8 to lo: a client bound to one of these is another address.
ALICE, BOB = "127.0.0.2", "127.0.0.3"


def _needs(binary: str | None, what: str) -> str:
    """The binary's path. Missing, it is a skip only where `make test` could not have
    installed it (not root); as root it is a failure, so that CI cannot skip the test."""
    if binary is None or not Path(binary).exists():
        if os.geteuid() == 0:
            pytest.fail(f"{what} is missing: `make {NGINX}` (which `make test` runs) installs it")
        pytest.skip(f"{what} is not installed and this is not root: sudo apt-get install {what}")
    return binary


@dataclass
class Proxy:
    """A running nginx in front of `server`, with TLS on `port`."""

    server: Server
    port: int
    ssl: ssl.SSLContext
    process: Child
    prefix: Path

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"wss://127.0.0.1:{self.port}/ws"


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made with openssl (the venv
    has no `cryptography`), valid for a day."""
    openssl = _needs(shutil.which("openssl"), "openssl")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    return cert, key


def site(upstream: int, listen: int, cert: Path, key: Path) -> str:
    """docs/nginx.conf with this test's ports and certificate: each replaced exactly once,
    so that the file docs/operations.md shows is the one tested."""
    text = CONF.read_text()
    for old, new in (
        ("listen 443 ssl;", f"listen 127.0.0.1:{listen} ssl;"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{upstream};"),
        ("/etc/ssl/certs/spine-ws.pem", str(cert)),
        ("/etc/ssl/private/spine-ws.key", str(key)),
    ):
        assert text.count(old) == 1, f"docs/nginx.conf should say {old!r} once"
        text = text.replace(old, new)
    return text


@contextmanager
def run_nginx(server: Server, prefix: Path) -> Iterator[Proxy]:
    """nginx in the foreground, one process, everything in `prefix`; stopped after."""
    nginx = _needs(str(NGINX), "nginx")
    cert, key = certificate(prefix)
    port = free_port()
    (prefix / "spine-ws.conf").write_text(site(server.port, port, cert, key))
    temp = "\n".join(
        f"    {kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (prefix / "nginx.conf").write_text(
        f"""daemon off;
master_process off;
pid {prefix / "nginx.pid"};
error_log {prefix / "error.log"} info;
events {{ worker_connections 256; }}
http {{
    access_log {prefix / "access.log"};
{temp}
    include {prefix / "spine-ws.conf"};
}}
"""
    )
    # -e: the error log before the configuration is read (not /var/log/nginx).
    argv: list[str | Path] = [nginx, "-p", prefix, "-c", prefix / "nginx.conf", "-e", "stderr"]
    context = ssl.create_default_context(cafile=str(cert))
    with spawn(argv) as process:
        deadline = time.monotonic() + 10
        while not _serves_tls(port, context):
            if process.process.poll() is not None or time.monotonic() > deadline:
                log = (prefix / "error.log").read_text() if (prefix / "error.log").exists() else ""
                raise RuntimeError(f"nginx did not start on {port}:\n{process.output()}{log}")
            time.sleep(0.05)
        yield Proxy(server, port, context, process, prefix)


def _serves_tls(port: int, context: ssl.SSLContext) -> bool:
    """Whether `port` completes a TLS handshake with this test's certificate: our nginx
    is up (not merely something else on the port)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as raw:
            context.wrap_socket(raw, server_hostname="127.0.0.1").close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """The default world running, with tokens, behind nginx; it trusts nginx's address."""
    flags = ("--autostart", "--max-connections-per-address", "2")
    with run_server(*flags, "--trusted-proxies", "127.0.0.1", env=TOKENS) as server:
        with run_nginx(server, tmp_path_factory.mktemp("nginx")) as proxy:
            yield proxy
        assert "refusing a connection: --transport" not in server.output()


async def open_client(url: str, **kwargs: Any) -> Client:
    """Connect (within 5 s) and read the snapshot, which must come first."""
    client = Client(await websockets.connect(url, open_timeout=5, **kwargs))
    client.snapshot = await client.recv()
    assert client.snapshot["type"] == "snapshot", "the first frame must be the snapshot"
    return client


def via(
    proxy: Proxy, token: str | None = CONTROLLER, browser: bool = True, **headers: str
) -> dict[str, Any]:
    """Connection arguments for a client of the proxy: a page of its own origin, or
    (not `browser`) a program, which sends no Origin."""
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    origin = proxy.origin if browser else None
    return {"ssl": proxy.ssl, "origin": origin, "additional_headers": headers}


async def status_through(proxy: Proxy, **kwargs: Any) -> int:
    """The HTTP status of a handshake through the proxy (101: accepted, then closed)."""
    try:
        ws = await websockets.connect(proxy.ws_url, open_timeout=5, **kwargs)
    except InvalidStatus as refused:
        return refused.response.status_code
    await close_reading(ws)
    return 101


async def refused_1013(url: str, **kwargs: Any) -> str:
    """Connect, expecting the server to close at once with 1013; its reason."""
    ws = await websockets.connect(url, open_timeout=5, **kwargs)
    try:
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    finally:
        await close_reading(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013, closed.value
    return closed.value.rcvd.reason


async def wait_connections(server: Server, count: int) -> None:
    """Until the server counts `count` open connections (within 5 s)."""
    deadline = time.monotonic() + 5
    while server.health()["connections"] != count:
        assert time.monotonic() < deadline, server.health()
        await asyncio.sleep(0.05)


async def addresses_logged(server: Server, expected: list[str]) -> list[str]:
    """The client addresses of the last `connect` lines the server logged, as many as
    `expected` (its output may lag behind the snapshot: waits up to 5 s for them)."""
    deadline = time.monotonic() + 5
    while True:
        found = [
            line.split(" from ")[1].rsplit(":", 1)[0]
            for line in server.output().splitlines()
            if " connect " in line and " from " in line
        ][-len(expected) :]
        if found == expected or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def test_the_stream_and_commands_work_over_wss(proxy: Proxy, transport: str) -> None:
    """Over wss:// through nginx: the snapshot, live ticks, and a command's ack, on the
    transport under test (under `fast`, a connection the proxy middleware had hidden
    uvicorn's protocol from would have been refused with 1011)."""
    output = proxy.server.output()
    assert f"/ws transport: {transport} (" in output
    assert "forwarded addresses: believed from 127.0.0.1" in output
    client = await open_client(proxy.ws_url, **via(proxy))
    try:
        assert client.snapshot["role"] == "controller"
        assert client.snapshot["simulation"]["status"] == "running"
        await client.next("tick_start")
        await client.next("agent_update")
        ack = await client.command({"type": "set_tick_rate", "tick_rate": 25})
        assert ack["type"] == "command_ack", ack
    finally:
        await close_reading(client)


async def test_tokens_work_through_the_proxy(proxy: Proxy) -> None:
    """Through nginx a wrong token gets 401, none gets 401, and a viewer gets `forbidden`."""
    assert await status_through(proxy, **via(proxy, "wrong-token-Qa1zWs2xEd3c")) == 401
    assert await status_through(proxy, **via(proxy, None)) == 401
    viewer = await open_client(proxy.ws_url, **via(proxy, VIEWER))
    try:
        assert viewer.snapshot["role"] == "viewer"
        reply = await viewer.command({"type": "pause"})
        assert reply["type"] == "error" and reply["code"] == "forbidden", reply
    finally:
        await close_reading(viewer)


async def test_origins_work_through_the_proxy(proxy: Proxy) -> None:
    """The proxy's own https:// origin is `self` (X-Forwarded-Proto made it wss); a
    foreign one, or the same host on another port, gets 403."""
    assert await status_through(proxy, **via(proxy)) == 101
    for origin in ("https://evil.example", f"https://127.0.0.1:{proxy.port + 1}"):
        assert await status_through(proxy, **{**via(proxy), "origin": origin}) == 403, origin


async def test_the_per_address_cap_sees_the_clients_behind_the_proxy(proxy: Proxy) -> None:
    """Two clients from each real address through nginx (programs: no Origin), the next
    from one is closed 1013, and an X-Forwarded-For it makes up is appended to, not
    believed."""
    program = via(proxy, browser=False)
    alice = [await open_client(proxy.ws_url, **program, local_addr=(ALICE, 0)) for _ in "12"]
    bob = await open_client(proxy.ws_url, **program, local_addr=(BOB, 0))
    try:
        reason = await refused_1013(proxy.ws_url, **program, local_addr=(ALICE, 0))
        assert "address" in reason
        forged = via(proxy, browser=False, **{"X-Forwarded-For": "198.51.100.7"})
        assert "address" in await refused_1013(proxy.ws_url, **forged, local_addr=(ALICE, 0))
        expected = [ALICE, ALICE, BOB]
        assert await addresses_logged(proxy.server, expected) == expected
    finally:
        for client in (*alice, bob):
            await close_reading(client)
    await wait_connections(proxy.server, 0)


def test_health_through_the_proxy(proxy: Proxy) -> None:
    """GET https://…/health through nginx: the server's own answer."""
    with httpx.Client(verify=proxy.ssl, timeout=5) as http:
        response = http.get(f"{proxy.origin}/health")
    assert response.status_code == 200, response.text
    assert response.json()["simulation"]["status"] == "running"


async def test_metrics_through_the_proxy(proxy: Proxy) -> None:
    """GET https://…/metrics through nginx: 401 without a token; with one, Prometheus's
    text, counting the connection open through the proxy."""
    # It reads nothing while the world ticks: an unbounded queue, or its close would
    # wait behind the frames it had stopped reading (websockets' close_timeout, 10 s).
    viewer = await open_client(proxy.ws_url, **via(proxy, VIEWER), max_queue=None)
    try:
        async with httpx.AsyncClient(verify=proxy.ssl, timeout=5) as http:
            assert (await http.get(f"{proxy.origin}/metrics")).status_code == 401
            auth = {"Authorization": f"Bearer {VIEWER}"}
            response = await http.get(f"{proxy.origin}/metrics", headers=auth)
    finally:
        await close_reading(viewer)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    assert samples[("spine_ws_connections", (("role", "viewer"),))] >= 1


async def test_forwarded_headers_are_believed_from_no_one_by_default() -> None:
    """Without --trusted-proxies a local client's X-Forwarded-For and X-Forwarded-Proto
    are ignored: the cap counts 127.0.0.1, and an https:// origin is not `self`."""
    with run_server("--max-connections-per-address", "2") as server:
        url, made_up = server.ws_url, ("192.0.2.1", "192.0.2.2", "192.0.2.3")
        clients = [
            await open_client(url, additional_headers={"X-Forwarded-For": a}) for a in made_up[:2]
        ]
        try:
            forged = {"X-Forwarded-For": made_up[2]}
            assert "address" in await refused_1013(url, additional_headers=forged)
            expected = ["127.0.0.1", "127.0.0.1"]
            assert await addresses_logged(server, expected) == expected
            origin = Origin(f"https://127.0.0.1:{server.port}")
            proto = {"X-Forwarded-Proto": "https"}
            with pytest.raises(InvalidStatus) as refused:
                await websockets.connect(
                    url, open_timeout=5, origin=origin, additional_headers=proto
                )
            assert refused.value.response.status_code == 403
        finally:
            for client in clients:
                await close_reading(client)


async def test_forwarded_headers_from_an_untrusted_address_are_not_believed() -> None:
    """With --trusted-proxies 127.0.0.1, a client at another address that sends its own
    X-Forwarded-For is counted at its real address."""
    with run_server(
        "--max-connections-per-address", "2", "--trusted-proxies", "127.0.0.1"
    ) as server:
        url = server.ws_url
        clients = [
            await open_client(url, local_addr=(ALICE, 0), additional_headers={"X-Forwarded-For": a})
            for a in ("192.0.2.1", "192.0.2.2")
        ]
        try:
            forged = {"X-Forwarded-For": "192.0.2.3"}
            reason = await refused_1013(url, local_addr=(ALICE, 0), additional_headers=forged)
            assert "address" in reason
            assert await addresses_logged(server, [ALICE, ALICE]) == [ALICE, ALICE]
        finally:
            for client in clients:
                await close_reading(client)
