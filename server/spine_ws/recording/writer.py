"""`spine-ws serve --record DIR`: every broadcast frame of every epoch into MCAP files,
the open format Foxglove and the robotics tools read.

One file per epoch (and per rotation): `<epoch>-<n>.mcap`. In it:

* one channel per message type (its topic the type), with the type's JSON Schema
  (schema encoding `jsonschema`, message encoding `json`); each message's data is the
  frame exactly as the JSON clients got it (its `seq` in it), its log time when the
  server stamped it (the MCAP sequence number is the writer's count per channel);
* a `spine-ws` Metadata record: the contract's `schema_hash` and `protocol_version`, the
  epoch, the server's version;
* checkpoints on the `snapshot` channel every `--checkpoint-seconds`, and first in every
  file: the snapshot at that moment, whose `seq` is the last frame it reflects (not a
  frame itself), so a file replays on its own.

A clean stop finishes the file (summary, index, footer). The chunk in progress is
written out every second, so after a SIGKILL at most the last second is lost and the
file still reads (sequentially, as Foxglove opens a file with no summary). A file is
rotated past `--record-max-bytes` or `--record-max-seconds`.

Written with the Foxglove SDK's MCAP writer (Rust): about 1.1 us a frame in `recorded`,
where the `mcap` package's Python writer took 4.5 (docs/performance.md, Recording).
Each recorder has a context of its own, so its channels reach its files only.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import foxglove
import orjson
from foxglove.mcap import MCAPWriteOptions, MCAPWriter

from spine_ws.core.catalog import Catalog
from spine_ws.core.codec import snapshot_head
from spine_ws.core.history import Trimmed
from spine_ws.core.stream import Stream

__all__ = ["CHECKPOINT_TOPIC", "Recorder", "event_schemas"]

log = logging.getLogger("spine_ws.recording")

CHECKPOINT_TOPIC = "snapshot"
PROFILE = "spine-ws"
# How often the chunk in progress is written out: what a SIGKILL may lose.
FLUSH_SECONDS = 1.0
# A stamped frame opens with its seq and its type (core/codec.py's `stamp`).
_TYPE = re.compile(rb'^\{"seq":\d+,"type":"([^"]{1,64})"')


class Recorder:
    """Writes what the stream appends, after each burst (`Hub.on_broadcast`)."""

    def __init__(
        self,
        directory: Path,
        stream: Stream,
        catalog: Catalog,
        *,
        max_bytes: int,
        max_seconds: float,
        checkpoint_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        wall_ns: Callable[[], int] = time.time_ns,
        version: str = "unknown",
    ) -> None:
        self._directory = directory
        self._stream = stream
        self._catalog = catalog
        self._max_bytes = max_bytes
        self._max_seconds = max_seconds
        self._checkpoint_seconds = checkpoint_seconds
        self._clock = clock
        self._wall_ns = wall_ns
        self._version = version
        self._schemas = event_schemas(catalog)
        self._context = foxglove.Context()
        self._path: Path | None = None
        self._writer: MCAPWriter | None = None
        # Topic -> its channel, in this recorder's context (each file gets them all).
        self._channels: dict[str, foxglove.Channel] = {}
        # A frame's type as it is in the frame -> its channel's `raw_log`.
        self._logs: dict[bytes, RawLog] = {}
        self._epoch = ""
        self._number = 0
        self._recorded = 0  # the last seq written
        self._opened_at = 0.0
        self._flushed_at = 0.0
        self._checkpoint_at = 0.0
        self._dirty = False
        self.files: list[Path] = []

    def start(self) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        self._open()

    def recorded(self) -> None:
        """After a burst: write the frames appended since the last one."""
        stream = self._stream
        if stream.epoch != self._epoch:  # a gateway following a new host epoch
            self._close()
            self._open()
        if stream.seq <= self._recorded:
            return
        writer = self._writer
        assert writer is not None
        now_ns = self._wall_ns()
        try:
            frames = list(stream.history.frames_after(self._recorded, stream.seq))
        except Trimmed:  # cannot happen within one burst; a gap would be recorded as one
            log.error("recording fell behind the history: frames after %d lost", self._recorded)
            frames = []
        logs, log_of, match = self._logs, self._log_of, _TYPE.match
        for frame in frames:  # the per-frame path: about 1.1 us
            head = match(frame)
            kind = head.group(1) if head is not None else _type_of(frame)
            (logs.get(kind) or log_of(kind))(frame, now_ns, None)
        self._recorded = stream.seq
        self._dirty = True  # flushed, checkpointed and rotated by `tick`, on a timer

    def tick(self) -> None:
        """Called on a timer (twice a second), events or none: the periodic flush,
        checkpoint and rotation. Not after each burst: a burst may be one event, and the
        per-burst path stays a loop of writes."""
        if self._writer is None:
            return
        now = self._clock()
        if now - self._checkpoint_at >= self._checkpoint_seconds and self._recorded:
            self._checkpoint()
        if self._dirty and now - self._flushed_at >= FLUSH_SECONDS:
            self.flush()
        assert self._path is not None
        too_old = now - self._opened_at > self._max_seconds
        if too_old or self._path.stat().st_size > self._max_bytes:
            self._close()
            self._open()

    def flush(self) -> None:
        """Write out the chunk in progress: the file then holds every frame so far (a
        connection travelling back in time reads it)."""
        if self._writer is not None and self._dirty:
            self._writer.flush()
        self._flushed_at, self._dirty = self._clock(), False

    def epoch_files(self) -> list[Path]:
        """The files of the epoch being recorded, in order."""
        return [path for path in self.files if path.name.startswith(f"{self._epoch}-")]

    def close(self) -> None:
        """Finish the file: summary, index and footer."""
        self._close()

    def _open(self) -> None:
        stream = self._stream
        self._epoch = stream.epoch
        self._number += 1
        self._path = path = self._directory / f"{stream.epoch}-{self._number}.mcap"
        # No seeking: a chunk is written whole, never opened with a length to fill in
        # later, so a file cut by a SIGKILL ends after its last whole record.
        # And no compression threads of its own: they would take the cores the server
        # and its clients run on (a chunk is compressed on the loop, once a megabyte).
        options = MCAPWriteOptions(profile=PROFILE, disable_seeking=True, compression_threads=0)
        self._writer = writer = foxglove.open_mcap(
            path, allow_overwrite=True, writer_options=options, context=self._context
        )
        writer.write_metadata(
            PROFILE,
            {
                "schema_hash": self._catalog.schema_hash,
                "protocol_version": self._catalog.protocol_version,
                "epoch": stream.epoch,
                "server": self._version,
            },
        )
        self._recorded = stream.seq
        self._opened_at = self._flushed_at = self._clock()
        self._checkpoint()  # first: a file replays on its own
        self.files.append(path)
        log.info("recording epoch %s into %s", stream.epoch, path)

    def _checkpoint(self) -> None:
        assert self._writer is not None
        now_ns = self._wall_ns()
        # The snapshot a viewer joining now would get (`seq`: the last frame it reflects).
        body = self._stream.snapshot()
        snapshot = snapshot_head("recording", "viewer", None) + body[1:]
        self._channel(CHECKPOINT_TOPIC).log(snapshot, log_time=now_ns)
        self._checkpoint_at = self._clock()
        self._dirty = True

    def _log_of(self, kind: bytes) -> RawLog:
        log = self._logs[kind] = raw_log(self._channel(kind.decode()))
        return log

    def _channel(self, topic: str) -> foxglove.Channel:
        channel = self._channels.get(topic)
        if channel is None:
            described = self._schemas.get(topic)
            schema = None
            if described is not None:
                name, data = described
                schema = foxglove.Schema(name=name, encoding="jsonschema", data=data)
            channel = foxglove.Channel(
                topic, message_encoding="json", schema=schema, context=self._context
            )
            self._channels[topic] = channel
        return channel

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


# A channel's log of a message's bytes: (data, log_time, sink_id).
RawLog = Callable[[bytes, int, None], None]


def raw_log(channel: foxglove.Channel) -> RawLog:
    """`channel`'s log without `Channel.log`'s checks of the message's Python type and
    the channel's encoding, which cost 0.7 of its 1.1 us: its `base` (the Rust channel)
    takes bytes as they are. The SDK's one internal spine-ws leans on: pinned below 0.31
    in pyproject.toml; tests/e2e/test_recording.py reads back every frame written so."""
    log: RawLog = channel.base.log
    return log


def _type_of(frame: bytes) -> bytes:
    """The type of a frame that does not open with its seq and type (none yet does)."""
    kind = orjson.loads(frame).get("type")
    return kind.encode() if isinstance(kind, str) else b"unknown"


def event_schemas(catalog: Catalog) -> dict[str, tuple[str, bytes]]:
    """Each event type's title and JSON Schema: its definition in the bundle, with every
    definition it refers to, as one self-contained document."""
    bundle: dict[str, Any] = json.loads((catalog.home / "protocol.schema.json").read_text())
    defs = bundle["$defs"]
    out: dict[str, tuple[str, bytes]] = {}
    for wire, model in catalog.events.items():
        title = model.__name__
        if title not in defs:
            continue
        used = _closure(title, defs)
        document = {"$schema": bundle["$schema"], "$ref": f"#/$defs/{title}", "$defs": used}
        out[wire] = (title, orjson.dumps(document))
    return out


def _closure(title: str, defs: dict[str, Any]) -> dict[str, Any]:
    """`title`'s definition and every one it refers to, transitively."""
    used: dict[str, Any] = {}
    todo = [title]
    while todo:
        name = todo.pop()
        if name in used or name not in defs:
            continue
        used[name] = defs[name]
        todo += _REF.findall(orjson.dumps(defs[name]).decode())
    return used


_REF = re.compile(r'"#/\$defs/([^"]+)"')
