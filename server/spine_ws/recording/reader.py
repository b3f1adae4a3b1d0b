"""A recording read back: one epoch's MCAP files (as `writer` wrote them), indexed by
chunk, so that any moment is a chunk read away and a file of any size costs a few
numbers per chunk in memory.

Opening a recording reads it through once: each chunk's place in its file and the seqs,
times and ticks it spans, and each checkpoint's seq, time and tick. Frames are read back
chunk by chunk when they are played (`frames`); a checkpoint's snapshot when it is sought
(`checkpoint`). A file cut short (the server was killed) reads up to its last whole
chunk, as the MCAP format promises.

The records are read with the `mcap` library's own record parsers; only the walk from
one record to the next is ours, because its readers neither tell a chunk's offset in a
file without a summary nor read a single chunk by offset (both are what seeking needs).
"""

from __future__ import annotations

import io
import re
import struct
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from mcap.data_stream import ReadDataStream
from mcap.exceptions import McapError
from mcap.opcode import Opcode
from mcap.records import Channel, Chunk, Message, Metadata
from mcap.stream_reader import breakup_chunk

from spine_ws.recording.writer import CHECKPOINT_TOPIC, PROFILE

__all__ = ["Checkpoint", "Frame", "Recording", "RecordingError", "seq_of", "tick_of"]

_MAGIC = b"\x89MCAP0\r\n"
_RECORD = struct.Struct("<BQ")  # opcode, length
# A stamped frame whose third member is its tick (`{"seq":..,"type":..,"tick":..`): how
# the index learns the ticks without parsing every frame.
_TICK = re.compile(rb'^\{"seq":\d+,"type":"[^"]{1,64}","tick":(\d+)')
# Every broadcast frame opens with its seq (core/codec.py's `stamp`): a frame's place in
# the stream is in it (the MCAP sequence number is the writer's count per channel).
_SEQ = re.compile(rb'^\{"seq":(\d+)')
# Both at once, for the index (a frame's seq, and its tick if third).
_SEQ_TICK = re.compile(rb'^\{"seq":(\d+)(?:,"type":"[^"]{1,64}","tick":(\d+))?')


class RecordingError(ValueError):
    """Not a recording spine-ws can play: one line saying why."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One recorded broadcast: its seq, its log time (ns) and its bytes as sent."""

    seq: int
    time: int
    data: bytes


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A snapshot the recording kept: the world as of `seq` (the last frame it reflects)."""

    seq: int
    time: int
    tick: int
    chunk: int  # the index of the chunk it is in


@dataclass(frozen=True, slots=True)
class _Span:
    """One chunk: where it is, and the frames in it (none: a chunk of checkpoints only)."""

    file: int
    offset: int
    first_seq: int
    last_seq: int
    first_time: int
    last_time: int


def seq_of(frame: bytes) -> int:
    """The seq a stamped frame opens with."""
    match = _SEQ.match(frame)
    if match is None:
        raise RecordingError(f"a recorded frame without its seq: {frame[:60]!r}")
    return int(match.group(1))


def tick_of(frame: bytes) -> int | None:
    """The tick a stamped frame carries as its third member, if it does."""
    match = _TICK.match(frame)
    return int(match.group(1)) if match is not None else None


class Recording:
    """One epoch's recording: its contract, its span, its chunks and checkpoints."""

    def __init__(self, paths: Sequence[Path]) -> None:
        if not paths:
            raise RecordingError("no recording given")
        self.paths = list(paths)
        self.metadata: dict[str, str] = {}
        # Per file: channel id -> topic (the writer registers each channel once a file).
        self._topics: list[dict[int, str]] = []
        self._spans: list[_Span] = []
        self.checkpoints: list[Checkpoint] = []
        # (seq, tick) wherever a frame's tick changed, for seeking by tick.
        self._tick_seqs: list[int] = []
        self._ticks: list[int] = []
        self.last_seq = 0
        self.last_time = 0
        # Per file: where its scan stopped (after its last whole record), and whether
        # it is finished (its footer read).
        self._scanned: list[int] = []
        self._finished: list[bool] = []
        for path in self.paths:
            self._add(path)
        if not self.checkpoints:
            raise RecordingError(f"{self.paths[0]}: no checkpoint (not a spine-ws recording?)")
        first = self.checkpoints[0]
        self.first_seq, self.first_time, self.first_tick = first.seq, first.time, first.tick
        self.last_seq = max(self.last_seq, first.seq)
        self.last_time = max(self.last_time, first.time)
        self._lookups()

    def refresh(self, paths: Sequence[Path]) -> None:
        """Read on where the files have grown since (a recording being written: the
        live server's, for a connection travelling back in time), and the new ones."""
        for number, path in enumerate(self.paths):
            if not self._finished[number]:
                self._scan(number, path)
        for path in paths[len(self.paths) :]:
            self.paths.append(path)
            self._add(path)
        self._lookups()

    def _lookups(self) -> None:
        self._span_seqs = [span.first_seq for span in self._spans]
        self._checkpoint_seqs = [c.seq for c in self.checkpoints]
        self._checkpoint_times = [c.time for c in self.checkpoints]
        self._checkpoint_ticks = [c.tick for c in self.checkpoints]

    @property
    def epoch(self) -> str:
        return self.metadata.get("epoch", "")

    @property
    def schema_hash(self) -> str:
        return self.metadata.get("schema_hash", "")

    @property
    def protocol_version(self) -> str:
        return self.metadata.get("protocol_version", "")

    @property
    def last_tick(self) -> int:
        return self._ticks[-1] if self._ticks else self.first_tick

    @property
    def duration(self) -> float:
        """Seconds of recorded time from the first checkpoint to the last frame."""
        return (self.last_time - self.first_time) / 1e9

    def tick_at(self, seq: int) -> int:
        """The latest tick a frame up to `seq` carried (the first checkpoint's before)."""
        at = bisect_right(self._tick_seqs, seq)
        return self._ticks[at - 1] if at else self.first_tick

    def checkpoint_before(self, seq: int) -> Checkpoint:
        """The last checkpoint at or before `seq` (the first one for a seq before it)."""
        return self.checkpoints[max(bisect_right(self._checkpoint_seqs, seq) - 1, 0)]

    def checkpoint_before_tick(self, tick: int) -> Checkpoint:
        """The last checkpoint whose tick is before `tick` (its frames may carry `tick`)."""
        return self.checkpoints[max(bisect_left(self._checkpoint_ticks, tick) - 1, 0)]

    def checkpoint_before_time(self, time: int) -> Checkpoint:
        """The last checkpoint at or before log time `time` (ns)."""
        return self.checkpoints[max(bisect_right(self._checkpoint_times, time) - 1, 0)]

    def checkpoint(self, point: Checkpoint) -> dict[str, Any]:
        """The snapshot a checkpoint kept, as members."""
        for topic, message in self._messages(self._spans[point.chunk]):
            if topic == CHECKPOINT_TOPIC and message.log_time == point.time:
                snapshot: dict[str, Any] = orjson.loads(message.data)
                if snapshot.get("seq") == point.seq:
                    return snapshot
        raise RecordingError(f"checkpoint {point.seq} is gone from its chunk")

    def frames(self, after: int) -> Iterator[Frame]:
        """The recorded frames after seq `after`, in order, read a chunk at a time."""
        at = max(bisect_right(self._span_seqs, after + 1) - 1, 0)
        for span in self._spans[at:]:
            if span.last_seq <= after:
                continue
            for topic, message in self._messages(span):
                if topic != CHECKPOINT_TOPIC and (seq := seq_of(message.data)) > after:
                    yield Frame(seq, message.log_time, message.data)

    def _messages(self, span: _Span) -> Iterator[tuple[str, Message]]:
        topics = self._topics[span.file]
        with self.paths[span.file].open("rb") as file:
            file.seek(span.offset)
            opcode, length = _RECORD.unpack(file.read(_RECORD.size))
            chunk = Chunk.read(ReadDataStream(io.BytesIO(file.read(length))))
        assert opcode == Opcode.CHUNK
        for record in breakup_chunk(chunk):
            if isinstance(record, Message):
                yield topics.get(record.channel_id, ""), record

    def _add(self, path: Path) -> None:
        self._topics.append({})
        self._scanned.append(len(_MAGIC))
        self._finished.append(False)
        try:
            with path.open("rb") as file:
                magic = file.read(len(_MAGIC))
        except OSError as exc:
            raise RecordingError(f"{path}: {exc.strerror}") from None
        if magic != _MAGIC:
            raise RecordingError(f"{path}: not an MCAP file")
        self._scan(len(self._scanned) - 1, path)

    def _scan(self, number: int, path: Path) -> None:
        """Read `path` on from where its scan stopped, to its end or its data's end."""
        topics = self._topics[number]
        with path.open("rb") as file:
            file.seek(self._scanned[number])
            while True:
                offset = file.tell()
                head = file.read(_RECORD.size)
                if len(head) < _RECORD.size:
                    break  # cut short, or still being written: everything before is whole
                opcode, length = _RECORD.unpack(head)
                if opcode == Opcode.FOOTER or opcode == Opcode.DATA_END:
                    self._finished[number] = True
                    break
                if opcode not in (Opcode.CHUNK, Opcode.METADATA):
                    file.seek(length, io.SEEK_CUR)
                    self._scanned[number] = file.tell()
                    continue
                body = file.read(length)
                if len(body) < length:
                    break  # the last record, cut short (or half written)
                try:
                    if opcode == Opcode.METADATA:
                        self._metadata(path, Metadata.read(ReadDataStream(io.BytesIO(body))))
                    else:
                        chunk = Chunk.read(ReadDataStream(io.BytesIO(body)))
                        self._chunk(number, offset, breakup_chunk(chunk), topics)
                except (McapError, ValueError, struct.error) as exc:
                    raise RecordingError(
                        f"{path}: a damaged record at byte {offset}: {exc}"
                    ) from exc
                self._scanned[number] = file.tell()

    def _metadata(self, path: Path, record: Metadata) -> None:
        if record.name != PROFILE:
            return
        if self.metadata and record.metadata.get("epoch") != self.epoch:
            raise RecordingError(
                f"{path} records epoch {record.metadata.get('epoch')}, not {self.epoch}: "
                "replay one epoch's files at a time"
            )
        self.metadata = dict(record.metadata)

    def _chunk(self, file: int, offset: int, records: list[Any], topics: dict[int, str]) -> None:
        first = last = first_time = last_time = 0
        for record in records:
            if isinstance(record, Channel):
                topics[record.id] = record.topic
                continue
            if not isinstance(record, Message):
                continue
            if topics.get(record.channel_id) == CHECKPOINT_TOPIC:
                snapshot = orjson.loads(record.data)
                seq = int(snapshot["seq"])
                tick = int(snapshot.get("simulation", {}).get("tick", 0))
                chunk = len(self._spans)
                self.checkpoints.append(Checkpoint(seq, record.log_time, tick, chunk))
                if not self.last_seq:  # the first: the frames follow on from it
                    self.last_seq, self.last_time = seq, record.log_time
                continue
            head = _SEQ_TICK.match(record.data)
            if head is None:
                raise RecordingError(f"a recorded frame without its seq: {record.data[:60]!r}")
            seq = int(head.group(1))
            if seq != self.last_seq + 1 and self.last_seq:
                raise RecordingError(
                    f"frame {seq} follows {self.last_seq}: the recording has a gap"
                )
            first = first or seq
            first_time = first_time or record.log_time
            last, last_time = seq, record.log_time
            self.last_seq, self.last_time = seq, record.log_time
            carried = int(head.group(2)) if head.group(2) is not None else None
            if carried is not None and (not self._ticks or carried != self._ticks[-1]):
                self._tick_seqs.append(seq)
                self._ticks.append(carried)
        if not first:  # checkpoints only: findable by their seq all the same
            first = last = self.checkpoints[-1].seq if self.checkpoints else 0
        self._spans.append(_Span(file, offset, first, last, first_time, last_time))
