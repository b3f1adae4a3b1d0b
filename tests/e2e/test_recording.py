"""`spine-ws serve --record DIR` on a real server, read back with the `mcap` library: the
frames live clients got, byte for byte and seq for seq; a channel per message type with
its JSON Schema; the contract in the metadata; checkpoints; rotation; a clean stop
finishes the file, and a SIGKILLed recorder's file still reads up to its last second."""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import websockets
from mcap.exceptions import EndOfFile
from mcap.reader import make_reader
from mcap.records import Channel, Message
from mcap.stream_reader import StreamReader

from spine_ws.generated import PROTOCOL_VERSION, SCHEMA_HASH
from tests.support.server import Server, close_reading, run_server

pytestmark = pytest.mark.anyio

WORLD = ("--seed-agents", "3", "--tick-rate", "50", "--autostart")


async def live_frames(server: Server, count: int) -> dict[int, bytes]:
    """What a live spine client got: its broadcast frames, as bytes, by seq."""
    frames: dict[int, bytes] = {}
    async with websockets.connect(server.ws_url, open_timeout=5) as ws:
        await ws.recv()  # the snapshot
        while len(frames) < count:
            raw = await asyncio.wait_for(ws.recv(), 5)
            data = raw.encode() if isinstance(raw, str) else raw
            event = json.loads(data)
            if "seq" in event:  # not the `playback` notice after the snapshot
                frames[event["seq"]] = data
        await close_reading(ws)
    return frames


def read_finished(folder: Path) -> tuple[dict[int, bytes], list[dict[str, Any]]]:
    """The one finished file in `folder`, read by seeking: its frames by seq and its
    checkpoints, each checked against its channel's schema and the file's metadata."""
    (path,) = recordings(folder)
    recorded: dict[int, bytes] = {}
    checkpoints: list[dict[str, Any]] = []
    with path.open("rb") as f:
        reader = make_reader(f)  # seeking: the summary and the footer are there
        summary = reader.get_summary()
        assert summary is not None and summary.statistics is not None
        (metadata,) = [m for m in reader.iter_metadata() if m.name == "spine-ws"]
        assert metadata.metadata["schema_hash"] == SCHEMA_HASH
        assert metadata.metadata["protocol_version"] == PROTOCOL_VERSION
        for schema, channel, message in reader.iter_messages():
            assert channel.message_encoding == "json"
            assert schema is not None and schema.encoding == "jsonschema"
            event = json.loads(message.data)
            jsonschema.validate(event, json.loads(schema.data))  # its channel's schema
            if channel.topic == "snapshot":  # its seq: the last frame it reflects
                checkpoints.append(event)
                continue
            assert channel.topic == event["type"]
            assert event["seq"] not in recorded
            recorded[event["seq"]] = message.data
    return recorded, checkpoints


def read_records(path: Path, seqs: list[int]) -> None:
    """Every frame's seq in `path`, read as a stream of records (as Foxglove opens a file
    with no summary), into `seqs`; the reader raises where the file was cut."""
    topics: dict[int, str] = {}
    with path.open("rb") as f:
        for record in StreamReader(f).records:
            if isinstance(record, Channel):
                topics[record.id] = record.topic
            elif isinstance(record, Message) and topics[record.channel_id] != "snapshot":
                seqs.append(json.loads(record.data)["seq"])


def recordings(folder: Path) -> list[Path]:
    """The files in `folder`, in the order they were written (`<epoch>-<n>.mcap`)."""
    return sorted(folder.glob("*.mcap"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))


def sequences(path: Path) -> list[tuple[str, int]]:
    with path.open("rb") as f:
        return [(c.topic, json.loads(m.data)["seq"]) for _, c, m in make_reader(f).iter_messages()]


def stop(server: Server, how: signal.Signals) -> None:
    server.process.send_signal(how)
    server.process.wait(10)


async def test_a_recording_holds_what_live_clients_got(tmp_path: Path) -> None:
    with run_server(*WORLD, "--record", str(tmp_path), "--checkpoint-seconds", "0.2") as server:
        live = await live_frames(server, 200)
        stop(server, signal.SIGTERM)
    recorded, checkpoints = read_finished(tmp_path)
    assert set(live) <= set(recorded)
    assert all(recorded[seq] == frame for seq, frame in live.items())  # byte for byte
    seqs = sorted(recorded)
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # no gap
    assert len(checkpoints) >= 3 and checkpoints[0]["seq"] == seqs[0] - 1


async def test_a_killed_recorder_loses_at_most_its_last_second(tmp_path: Path) -> None:
    with run_server(*WORLD, "--record", str(tmp_path)) as server:
        live = await live_frames(server, 150)
        last_seen = max(live)
        await asyncio.sleep(1.5)  # the chunk holding these is written out within a second
        stop(server, signal.SIGKILL)
    (path,) = recordings(tmp_path)
    seqs: list[int] = []
    with pytest.raises(EndOfFile):  # where the kill cut it, after every whole record
        read_records(path, seqs)
    assert seqs and max(seqs) >= last_seen
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))


async def test_files_rotate_each_replayable_on_its_own(tmp_path: Path) -> None:
    with run_server(*WORLD, "--record", str(tmp_path), "--record-max-seconds", "1") as server:
        await live_frames(server, 800)
        stop(server, signal.SIGTERM)
    paths = recordings(tmp_path)
    assert len(paths) >= 2
    following = None
    for path in paths:
        messages = sequences(path)
        assert messages[0][0] == "snapshot"  # a file starts from a checkpoint
        frames = [seq for topic, seq in messages if topic != "snapshot"]
        if following is not None and frames:
            assert frames[0] == following  # the files together have no gap
        if frames:
            following = frames[-1] + 1
