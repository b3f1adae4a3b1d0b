"""`/metrics` over a real socket: scrape, run a scripted series, scrape again; every
counter moved by exactly what the series did."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from prometheus_client.parser import text_string_to_metric_families

from tests.support.server import Server, close_reading, connect, run_server

pytestmark = pytest.mark.anyio

VIEWER, CONTROLLER = "viewer-token-0123456789abcdef", "controller-token-0123456789abcdef"
Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    tokens = f"viewer:{VIEWER},controller:{CONTROLLER}"
    with run_server("--seed-agents", "2", env={"SPINE_WS_TOKENS": tokens}) as server:
        yield server


def scrape(server: Server, token: str | None = CONTROLLER) -> Samples:
    request = urllib.request.Request(f"{server.http_url}/metrics")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def bearer(token: str) -> dict[str, Any]:
    return {"additional_headers": {"Authorization": f"Bearer {token}"}}


async def test_counters_move_by_exactly_what_a_scripted_series_did(server: Server) -> None:
    before = scrape(server)
    controller = await connect(server, **bearer(CONTROLLER))
    viewer = await connect(server, **bearer(VIEWER))
    assert scrape(server)[("spine_ws_connections", (("role", "viewer"),))] >= 1
    replies = [
        await controller.command({"type": "start", "tick_rate": 50}),
        await controller.command({"type": "start"}),  # invalid_state
        await controller.command({"type": "add_agent", "agent_id": "m1", "agent_kind": "walker"}),
        await controller.command({"type": "add_agent", "agent_id": "m2", "agent_kind": "walker"}),
        await controller.command({"type": "no_such_thing"}),
        await controller.command({"type": "stop"}),
        await viewer.command({"type": "pause"}),  # forbidden
    ]
    await controller.send_raw("{not json")
    replies.append(await controller.next("error"))
    assert [r.get("code", "ack") for r in replies] == [
        "ack",
        "invalid_state",
        "ack",
        "ack",
        "unknown_command",
        "ack",
        "forbidden",
        "invalid_json",
    ]
    with pytest.raises(websockets.InvalidStatus):
        await websockets.connect(server.ws_url, open_timeout=5, **bearer("wrong-token-12345"))
    resumed = await websockets.connect(
        f"{server.ws_url}?resume=nonsense", open_timeout=5, **bearer(VIEWER)
    )
    snapshot = json.loads(await resumed.recv())
    assert snapshot["resume"]["reason"] == "invalid"
    await close_reading(resumed)
    await close_reading(controller)
    await close_reading(viewer)
    received = len(controller.seen) + len(viewer.seen) + 1  # + the resumed one's snapshot

    after = scrape(server)
    assert after[("spine_ws_connections", (("role", "controller"),))] == 0
    assert after[("spine_ws_connections", (("role", "viewer"),))] == 0
    expected_commands = {
        ("start", "ack"): 1,
        ("start", "invalid_state"): 1,
        ("add_agent", "ack"): 2,
        ("unknown", "unknown_command"): 1,
        ("stop", "ack"): 1,
        ("pause", "forbidden"): 1,
        ("unknown", "invalid_json"): 1,
    }
    for (kind, outcome), count in expected_commands.items():
        assert moved(before, after, "spine_ws_commands_total", type=kind, outcome=outcome) == count
    total = sum(
        after[key] - before.get(key, 0.0) for key in after if key[0] == "spine_ws_commands_total"
    )
    assert total == len(replies)
    latency = "spine_ws_command_latency_seconds_count"
    assert moved(before, after, latency, type="start") == 2
    assert moved(before, after, latency, type="add_agent") == 2
    assert moved(before, after, "spine_ws_connections_accepted_total", role="controller") == 1
    assert moved(before, after, "spine_ws_connections_accepted_total", role="viewer") == 2
    assert moved(before, after, "spine_ws_connections_refused_total", reason="unauthorized") == 1
    assert moved(before, after, "spine_ws_resumes_total", outcome="invalid") == 1
    assert moved(before, after, "spine_ws_connections_closed_total", code="1000") == 3
    assert moved(before, after, "spine_ws_slow_consumers_shed_total") == 0
    # Every frame the clients read was written; a few more may have been in flight.
    assert moved(before, after, "spine_ws_frames_written_total") >= received
    broadcasts = moved(before, after, "spine_ws_broadcast_events_total")
    assert broadcasts == server.health()["seq"] - controller.snapshot["seq"] > 0
    assert after[("spine_ws_simulation_status", (("status", "stopped"),))] == 1
    assert after[("spine_ws_simulation_tick", ())] == replies[-3]["tick"]
    assert after[("spine_ws_simulation_tick_rate", ())] == 50
    assert after[("spine_ws_history_events", ())] > 0
    assert after[("spine_ws_command_queue_depth", ())] == 0


def test_what_start_up_made_is_frozen_out_of_full_collections(server: Server) -> None:
    """A full collection over the start-up objects took 40-60 ms, several a second under
    load: `spine-ws serve` freezes them once it is up, and says so."""
    samples = scrape(server)
    assert samples[("spine_ws_gc_frozen_objects", ())] > 10_000
    full = ("spine_ws_gc_collections_total", (("generation", "2"),))
    assert samples[full] >= 1  # the collection just before the freeze, at least


def test_metrics_want_a_token_when_the_server_has_tokens(server: Server) -> None:
    for token in (None, "wrong-token-12345"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            scrape(server, token)
        assert refused.value.code == 401
        refused.value.close()
    assert ("spine_ws_connections", (("role", "viewer"),)) in scrape(server, VIEWER)
    assert CONTROLLER not in server.output() and VIEWER not in server.output()


async def test_scrapes_while_clients_come_and_go_and_events_flow_all_succeed() -> None:
    """100 ticks a second into a held history, clients joining and leaving all along,
    and /metrics scraped meanwhile: every scrape is whole (the collector reads the hub
    on its loop, never while the loop changes it)."""
    flags = ("--autostart", "--tick-rate", "100", "--seed-agents", "10", "--history-seconds", "1")
    with run_server(*flags) as server:
        stop = asyncio.Event()

        async def churn() -> int:
            joined = 0
            while not stop.is_set():
                client = await connect(server)
                await client.next("tick_end")
                await close_reading(client)
                joined += 1
            return joined

        async def scrapes() -> list[Samples]:
            pages = [await asyncio.to_thread(scrape, server, None) for _ in range(40)]
            stop.set()
            return pages

        joined, pages = await asyncio.gather(churn(), scrapes())
        assert joined > 5
        assert all(page[("spine_ws_broadcast_events_total", ())] > 0 for page in pages)
