"""The cluster over a real NATS JetStream server: one simulation host, two gateways.

Every guarantee of docs/cluster.md, from outside: the same frames
everywhere, snapshots from gateways, resume across gateways, commands through a gateway
(one reply, after their events), a host that stops and one that starts again.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from spine_ws.generated import SUBPROTOCOL
from tests.support.nats import Nats, run_nats
from tests.support.net import free_port, free_ports
from tests.support.process import busy_cores, spawn
from tests.support.server import Server, run_server, validate_event

SIM = ("--autostart", "--tick-rate", "50", "--seed-agents", "5")


@pytest.fixture(scope="module")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nats]:
    with run_nats(tmp_path_factory.mktemp("jetstream")) as server:
        yield server


@pytest.fixture(scope="module")
def cluster(nats_server: Nats) -> Iterator[dict[str, Server]]:
    """A host and two gateways of cluster `main`."""
    link = ("--nats", nats_server.url, "--cluster-name", "main")
    with ExitStack() as stack:
        host = stack.enter_context(run_server(*link, *SIM))
        a = stack.enter_context(run_server(*link, "--gateway"))
        b = stack.enter_context(run_server(*link, "--gateway"))
        yield {"host": host, "a": a, "b": b}


async def _recv(ws: ClientConnection) -> bytes:
    frame = await asyncio.wait_for(ws.recv(decode=False), 10)
    assert isinstance(frame, bytes)
    return frame


async def _open(url: str, query: str = "") -> tuple[ClientConnection, dict[str, Any]]:
    ws = await websockets.connect(url + query, open_timeout=10)
    first = json.loads(await _recv(ws))
    validate_event(first)
    return ws, first


async def _frames(ws: ClientConnection, until: int, into: dict[int, bytes]) -> list[dict[str, Any]]:
    """Broadcast frames by seq until `until`; the other frames (replies), in order."""
    others = []
    while max(into, default=0) < until:
        raw = await _recv(ws)
        event = json.loads(raw)
        validate_event(event)
        if "seq" in event:
            assert event["seq"] not in into, f"seq {event['seq']} twice"
            into[event["seq"]] = raw
        else:
            others.append(event)
    return others


async def _drop(ws: ClientConnection) -> None:
    ws.transport.abort()
    await ws.wait_closed()


def test_every_process_serves_the_same_frames_with_the_same_seq(
    cluster: dict[str, Server],
) -> None:
    """Clients of the host and of both gateways: one epoch, byte-identical frames."""

    async def main() -> None:
        opened = [await _open(cluster[k].ws_url) for k in ("host", "a", "b")]
        epochs = {first["epoch"] for _, first in opened}
        assert len(epochs) == 1
        start = max(first["seq"] for _, first in opened) + 1
        seen: list[dict[int, bytes]] = [{} for _ in opened]
        await asyncio.gather(
            *(_frames(ws, start + 300, into) for (ws, _), into in zip(opened, seen, strict=True))
        )
        host, *gateways = seen
        for frames in gateways:
            assert {s: frames[s] for s in range(start, start + 301)} == {
                s: host[s] for s in range(start, start + 301)
            }
        for ws, _ in opened:
            await _drop(ws)

    asyncio.run(main())


def test_a_command_through_a_gateway_gets_one_reply_after_its_events(
    cluster: dict[str, Server],
) -> None:
    """add_agent via gateway a: its agent_added reaches the sender before the ack, and a
    client of gateway b sees the same agent_added frame."""

    async def main() -> None:
        ws, _ = await _open(cluster["a"].ws_url)
        other, _ = await _open(cluster["b"].ws_url)
        await ws.send(json.dumps({"type": "add_agent", "id": "c1", "agent_id": "via-a",
                                  "agent_kind": "probe"}))  # fmt: skip
        await ws.send(json.dumps({"type": "describe_agent", "id": "c2", "agent_id": "via-a"}))
        order: list[tuple[str, Any]] = []
        while len([o for o in order if o[0] == "reply"]) < 2:
            event = json.loads(await _recv(ws))
            if event.get("type") == "agent_added" and event["agent_id"] == "via-a":
                order.append(("added", event["seq"]))
            elif event.get("type") in ("command_ack", "error"):
                order.append(("reply", event))
        assert order[0][0] == "added"
        acks = [o[1] for o in order if o[0] == "reply"]
        assert [a["type"] for a in acks] == ["command_ack", "command_ack"]
        assert acks[1]["result"]["agent_kind"] == "probe"
        added_seq = order[0][1]
        frames: dict[int, bytes] = {}
        await _frames(other, added_seq, frames)
        assert json.loads(frames[added_seq])["agent_id"] == "via-a"
        await ws.send(json.dumps({"type": "delete_agent", "id": "c3", "agent_id": "via-a"}))
        for sock in (ws, other):
            await _drop(sock)

    asyncio.run(main())


def test_a_jsonrpc_client_of_a_gateway_calls_the_host_and_gets_notifications(
    cluster: dict[str, Server],
) -> None:
    """The jsonrpc profile on a gateway: its requests reach the host and come back as
    responses with their ids; the relayed stream arrives as notifications, the same
    seqs a spine client of the other gateway sees."""

    async def main() -> None:
        protocols = [Subprotocol(f"{SUBPROTOCOL}.jsonrpc")]
        ws = await websockets.connect(cluster["a"].ws_url, subprotocols=protocols, open_timeout=10)
        snapshot = json.loads(await _recv(ws))
        assert snapshot["method"] == "snapshot"
        request = {"jsonrpc": "2.0", "method": "list_agents", "params": {"limit": 2}, "id": 41}
        await ws.send(json.dumps(request))
        seqs: list[int] = []
        response = None
        while response is None or len(seqs) < 20:
            message = json.loads(await _recv(ws))
            if "method" in message:
                seqs.append(message["params"]["seq"])
            else:
                response = message
        assert response["id"] == 41 and len(response["result"]["agents"]) == 2
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
        other, _ = await _open(cluster["b"].ws_url)
        frames: dict[int, bytes] = {}
        await _frames(other, max(seqs) + 30, frames)
        notifications: dict[int, dict[str, Any]] = {}
        while max(notifications, default=0) < max(seqs) + 30:
            message = json.loads(await _recv(ws))
            notifications[message["params"]["seq"]] = message
        both = sorted(set(frames) & set(notifications))
        assert len(both) >= 10
        for seq in both:
            message = notifications[seq]
            assert {"type": message["method"], **message["params"]} == json.loads(frames[seq])
        for sock in (ws, other):
            await _drop(sock)

    asyncio.run(main())


def test_a_client_resumes_on_another_gateway(cluster: dict[str, Server]) -> None:
    """Dropped from gateway a, back on gateway b with resume: exactly the missed frames."""

    async def main() -> None:
        reference_ws, _ = await _open(cluster["host"].ws_url)
        mine, first = await _open(cluster["a"].ws_url)
        frames: dict[int, bytes] = {}
        await _frames(mine, first["seq"] + 50, frames)
        last = max(frames)
        await _drop(mine)
        await asyncio.sleep(0.3)
        back, resumed = await _open(cluster["b"].ws_url, f"?resume={first['epoch']}:{last}")
        assert (resumed["type"], resumed["seq"]) == ("resumed", last), resumed
        after: dict[int, bytes] = {}
        reference: dict[int, bytes] = {}
        target = last + resumed["replayed"] + 50
        await asyncio.gather(_frames(back, target, after), _frames(reference_ws, target, reference))
        assert sorted(after) == list(range(last + 1, max(after) + 1))
        assert {s: after[s] for s in range(last + 1, target + 1)} == {
            s: reference[s] for s in range(last + 1, target + 1)
        }
        for ws in (back, reference_ws):
            await _drop(ws)

    asyncio.run(main())


def test_a_late_gateway_serves_the_same_world(
    cluster: dict[str, Server], nats_server: Nats
) -> None:
    """A gateway started after hundreds of events: paused, its snapshot is the host's."""

    async def snapshot(url: str) -> dict[str, Any]:
        ws, first = await _open(url)
        await _drop(ws)
        return first

    async def pause(url: str, kind: str) -> None:
        ws, _ = await _open(url)
        await ws.send(json.dumps({"type": kind, "id": kind}))
        while json.loads(await _recv(ws)).get("command_id") != kind:
            pass
        await _drop(ws)

    link = ("--nats", nats_server.url, "--cluster-name", "main")
    with run_server(*link, "--gateway") as late:
        asyncio.run(pause(cluster["a"].ws_url, "pause"))
        try:
            asyncio.run(asyncio.sleep(0.5))  # every process has relayed the pause
            host, later = asyncio.run(snapshot(cluster["host"].ws_url)), None
            later = asyncio.run(snapshot(late.ws_url))
        finally:
            asyncio.run(pause(cluster["a"].ws_url, "resume"))
    for key in ("seq", "epoch", "agents", "simulation", "schema_hash", "commands"):
        assert later[key] == host[key], key


def test_a_late_gateway_serves_no_stale_world_with_both_cores_busy(nats_server: Nats) -> None:
    """A gateway started beside a busy host (both cores kept busy too) refuses /ws (1013,
    /health 503 catching_up) until it has relayed the stream up to where it was when the
    gateway started: its first client's snapshot is never older than that."""
    from tests.support.server import LISTENING, SPINE_WS

    link = ("--nats", nats_server.url, "--cluster-name", "late")
    flags = ("--autostart", "--tick-rate", "100", "--seed-agents", "300")
    with run_server(*link, *flags) as host:
        while host.health()["seq"] < 3000:
            time.sleep(0.1)
        with busy_cores(2):
            head = host.health()["seq"]
            argv: list[str | Path] = [SPINE_WS, "serve", "--port", "0", *link, "--gateway"]
            with spawn(argv) as gateway:
                found = gateway.wait_for(LISTENING, timeout=60)
                url = f"ws://{found[1]}:{found[2]}/ws"
                statuses: set[str] = set()
                refusals: list[int | None] = []

                async def first_snapshot() -> dict[str, Any]:
                    health_url = f"http://{found[1]}:{found[2]}/health"
                    async with httpx.AsyncClient(timeout=10) as http:
                        while True:
                            health = await http.get(health_url)
                            statuses.add(health.json()["status"])
                            assert (health.status_code == 503) == (health.json()["status"] != "ok")
                            ws = await websockets.connect(url, open_timeout=10)
                            try:
                                return dict(json.loads(await _recv(ws)))
                            except websockets.ConnectionClosed:
                                refusals.append(ws.close_code)
                                await asyncio.sleep(0.05)
                            finally:
                                await _drop(ws)

                snapshot = asyncio.run(first_snapshot())
    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] >= head, f"a stale world: seq {snapshot['seq']}, the head {head}"
    assert statuses <= {"ok", "catching_up"}
    assert set(refusals) <= {1013}, refusals


def test_health_says_each_process_role_and_lag(cluster: dict[str, Server]) -> None:
    roles = {k: s.health()["cluster"] for k, s in cluster.items()}
    assert [roles[k]["role"] for k in ("host", "a", "b")] == ["host", "gateway", "gateway"]
    for info in roles.values():
        assert info["nats"] == "connected" and info["name"] == "main"
        assert info["lag"] < 500  # a burst in flight at most
    assert cluster["a"].health()["epoch"] == cluster["host"].health()["epoch"]


def test_commands_are_unavailable_without_a_host_and_a_new_host_is_a_new_epoch(
    nats_server: Nats,
) -> None:
    """The host stops: a gateway's clients stay, their commands get `unavailable` within
    --command-timeout. A host starts again: a new epoch, every client is closed (1012)
    to reconnect, and its resume is refused as epoch_changed: a fresh snapshot."""
    link = ("--nats", nats_server.url, "--cluster-name", "restart")
    gateway_flags = (*link, "--gateway", "--command-timeout", "1")
    with run_server(*link, *SIM) as host, run_server(*gateway_flags) as gateway:
        epoch = host.health()["epoch"]
        host.process.terminate()  # the host stops; the gateway and its clients stay
        host.process.wait(10)

        async def main() -> tuple[Any, ...]:
            ws, first = await _open(gateway.ws_url)
            await ws.send(json.dumps({"type": "pause", "id": "p"}))
            while (reply := json.loads(await _recv(ws))).get("command_id") != "p":
                pass
            with ExitStack() as second_host:
                again = await asyncio.to_thread(second_host.enter_context, run_server(*link, *SIM))
                code = None
                try:
                    while True:
                        await _recv(ws)
                except websockets.ConnectionClosed as exc:
                    code = exc.rcvd.code if exc.rcvd else None
                await _drop(ws)  # the close frame came; do not leave the TCP socket to GC
                query = f"?resume={first['epoch']}:{first['seq']}"
                fresh_ws, fresh = await _open(gateway.ws_url, query)
                await _drop(fresh_ws)
                new_epoch = (await asyncio.to_thread(again.health))["epoch"]
            return reply, first, code, fresh, new_epoch

        reply, first, code, fresh, new_epoch = asyncio.run(main())
    assert first["epoch"] == epoch
    assert reply["code"] == "unavailable", reply
    assert code == 1012
    assert new_epoch != epoch
    assert (fresh["type"], fresh["epoch"]) == ("snapshot", new_epoch)
    assert fresh["resume"]["reason"] == "epoch_changed"


def test_a_gateway_without_nats_is_refused_in_one_line() -> None:
    """`--gateway` without `--nats` is one clear line and exit 2."""
    import subprocess

    from tests.support.server import SPINE_WS

    result = subprocess.run(
        [str(SPINE_WS), "serve", "--port", "0", "--gateway"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "--gateway needs --nats" in result.stderr


def test_a_second_host_for_the_same_cluster_is_refused(
    cluster: dict[str, Server], nats_server: Nats
) -> None:
    """One writer per cluster: a second host exits 2 in one line naming the first."""
    import subprocess

    from tests.support.server import SPINE_WS

    flags = ["--nats", nats_server.url, "--cluster-name", "main"]
    result = subprocess.run(
        [str(SPINE_WS), "serve", "--port", "0", *flags],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    epoch = cluster["host"].health()["epoch"]
    assert f"cluster 'main' already has a simulation host (epoch {epoch})" in result.stderr
    assert cluster["host"].health()["cluster"]["nats"] == "connected"  # untouched


def test_a_gateway_starts_from_a_checkpoint_when_the_stream_dropped_the_start(
    nats_server: Nats,
) -> None:
    """With a stream of 200 events, a gateway started seconds later begins at the host's
    checkpoint and serves the host's world."""
    link = ("--nats", nats_server.url, "--cluster-name", "short")
    with run_server(*link, *SIM, "--history-events", "200") as host:

        async def settle(url: str) -> None:
            ws, _ = await _open(url)
            await ws.send(json.dumps({"type": "pause", "id": "p"}))
            while json.loads(await _recv(ws)).get("command_id") != "p":
                pass
            await _drop(ws)

        asyncio.run(asyncio.sleep(3.0))  # ~1,000 events: the stream holds the last 200
        asyncio.run(settle(host.ws_url))
        asyncio.run(asyncio.sleep(2.5))  # a checkpoint of the paused world
        with run_server(*link, "--gateway") as late:

            async def first(url: str) -> dict[str, Any]:
                ws, snapshot = await _open(url)
                await _drop(ws)
                return snapshot

            there, here = asyncio.run(first(late.ws_url)), asyncio.run(first(host.ws_url))
            output = late.output()
    assert "(a checkpoint)" in output
    for key in ("seq", "epoch", "agents", "simulation"):
        assert there[key] == here[key], key


def test_a_nats_restart_loses_nothing(tmp_path: Path) -> None:
    """NATS stops for a second and comes back on the same port and storage: the
    gateway's client sees every seq once, in order, byte-identical to the host's."""
    port = free_port()
    store = tmp_path / "js"
    store.mkdir()
    first_nats = run_nats(store, port)
    first_nats.__enter__()
    stopped = False
    try:
        link = ("--nats", f"nats://127.0.0.1:{port}", "--cluster-name", "bounce")
        with run_server(*link, *SIM) as host, run_server(*link, "--gateway") as gateway:

            async def main() -> tuple[dict[int, bytes], dict[int, bytes], int]:
                nonlocal stopped
                near, a = await _open(host.ws_url)
                far, b = await _open(gateway.ws_url)
                start = max(a["seq"], b["seq"]) + 1
                mine: dict[int, bytes] = {}
                theirs: dict[int, bytes] = {}
                await asyncio.gather(
                    _frames(near, start + 50, mine), _frames(far, start + 50, theirs)
                )
                await asyncio.to_thread(first_nats.__exit__, None, None, None)
                stopped = True
                await asyncio.sleep(1.0)
                again = run_nats(store, port)
                await asyncio.to_thread(again.__enter__)
                try:
                    end = max(mine) + 400
                    await asyncio.gather(_frames(near, end, mine), _frames(far, end, theirs))
                finally:
                    await asyncio.to_thread(again.__exit__, None, None, None)
                for ws in (near, far):
                    await _drop(ws)
                return mine, theirs, start

            mine, theirs, start = asyncio.run(main())
    finally:
        if not stopped:
            first_nats.__exit__(None, None, None)
    end = max(theirs)
    assert sorted(theirs) == list(range(min(theirs), end + 1)), "a gap"  # (_frames: no dup)
    assert {s: theirs[s] for s in range(start, end + 1)} == {
        s: mine[s] for s in range(start, end + 1)
    }


def test_make_cluster_runs_three_processes_and_stops_them_all() -> None:
    """`make cluster`'s launcher: NATS, a host and two gateways serving one epoch; SIGINT
    stops every process it started (its output is read throughout, so its shutdown
    messages can never fill a pipe and hold it up)."""
    import signal
    import sys

    import httpx
    import psutil

    # The host's port and the gateways' (+1, +2): all three free.
    argv = [sys.executable, "-m", "spine_ws.cluster.local", "--port", str(free_ports(3))]
    with spawn(argv, stop_signal=signal.SIGINT) as launcher:
        launcher.wait_for("Ctrl-C stops them all", timeout=90)
        urls = re.findall(r"^\s+(?:host|gateway \d)\s+(http://\S+)/", launcher.output(), re.M)
        assert len(urls) == 3, launcher.output()
        children = psutil.Process(launcher.pid).children()
        epochs = {httpx.get(f"{url}/health", timeout=5).json()["epoch"] for url in urls}
        assert len(epochs) == 1
        launcher.send_signal(signal.SIGINT)
        assert launcher.wait(60) == 0, launcher.output()
        gone, alive = psutil.wait_procs(children, timeout=20)
        assert alive == [] and len(gone) == 4  # NATS, the host, two gateways


def test_a_simulation_with_its_own_messages_is_served_by_gateways_given_its_catalog(
    nats_server: Nats, tmp_path: Path
) -> None:
    """The ring road (tests/e2e/external) on a host: a gateway with the core's contract
    refuses to start (one line, exit 2); one started with --catalog ringroad.protocol
    relays the custom events and forwards set_speed_limit, result and all."""
    import shutil
    import subprocess

    from tests.support.server import SPINE_WS

    project = Path(__file__).with_name("external")
    shutil.copytree(project / "schema", tmp_path / "schema")
    shutil.copytree(project / "ringroad", tmp_path / "ringroad")
    generated = subprocess.run(
        [str(SPINE_WS), "gen", "--python-out", "ringroad/protocol"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert generated.returncode == 0, generated.stderr
    env = {"PYTHONPATH": str(tmp_path)}
    link = ("--nats", nats_server.url, "--cluster-name", "ring")
    with run_server(*link, "--simulation", "ringroad.sim:create", env=env, cwd=tmp_path):
        refused = subprocess.run(
            [str(SPINE_WS), "serve", "--port", "0", *link, "--gateway"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 2
        assert "speaks another contract" in refused.stderr
        assert "--catalog" in refused.stderr
        flags = (*link, "--gateway", "--catalog", "ringroad.protocol")
        with run_server(*flags, env=env, cwd=tmp_path) as gateway:

            async def main() -> list[dict[str, Any]]:
                ws, first = await _open(gateway.ws_url)
                assert "set_speed_limit" in first["commands"]
                await ws.send(json.dumps({"type": "set_speed_limit", "id": "s", "limit": 50}))
                seen: list[dict[str, Any]] = []
                while not seen or seen[-1].get("command_id") != "s":
                    seen.append(json.loads(await _recv(ws)))
                await _drop(ws)
                return seen

            seen = asyncio.run(main())
    jam = [e for e in seen if e["type"] == "jam"]
    assert jam and jam[0]["cars"]
    assert seen[-1]["type"] == "command_ack" and seen[-1]["result"]["limit"] == 50
