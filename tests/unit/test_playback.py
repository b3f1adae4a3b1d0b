"""A recording read back and played (spine_ws.recording: reader, player), sans-I/O: a
stream recorded by the real `Recorder` into a real MCAP file on a clock the test moves,
then indexed, sought and paced against what the live stream was."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import BaseModel

from spine_ws.core.catalog import CORE
from spine_ws.core.messages import to_json
from spine_ws.core.stream import Stream
from spine_ws.generated import (
    AgentAddedEvent,
    AgentRemovedEvent,
    AgentUpdateEvent,
    TickEndEvent,
    TickStartEvent,
)
from spine_ws.recording import Recorder
from spine_ws.recording.player import Player, moment
from spine_ws.recording.reader import Recording, RecordingError

TICK_SECONDS = 0.1
TICKS = 60
SUPPORTED = ["start", "stop"]


class Clocks:
    """The recorder's monotonic clock and its wall clock (ns), moved together."""

    def __init__(self) -> None:
        self.ns = 100 * 10**9

    def advance(self, seconds: float) -> None:
        self.ns += round(seconds * 1e9)

    def monotonic(self) -> float:
        return self.ns / 1e9

    def wall_ns(self) -> int:
        return self.ns


class Recorded:
    """A recording of `TICKS` ticks of three agents (one removed, one added midway), with
    the live snapshot after every tick."""

    def __init__(self, folder: Path) -> None:
        clocks = Clocks()
        self.stream = stream = Stream(CORE, clock=clocks.monotonic, supported=SUPPORTED)
        recorder = Recorder(
            folder,
            stream,
            CORE,
            max_bytes=1 << 30,
            max_seconds=1e9,
            checkpoint_seconds=1.0,
            clock=clocks.monotonic,
            wall_ns=clocks.wall_ns,
        )
        recorder.start()
        self.frames: dict[int, bytes] = {}
        self.live: dict[int, bytes] = {}  # seq -> the snapshot a joiner got there
        self.tick_of: dict[int, int] = {}  # seq -> tick
        self.start_ns = clocks.wall_ns()
        clocks.advance(0.5)  # the first frames come after the first checkpoint
        for tick in range(1, TICKS + 1):
            events: list[BaseModel] = [TickStartEvent(seq=1, tick=tick)]
            if tick == 1:
                events += [
                    AgentAddedEvent(seq=1, tick=1, agent_id=a, agent_kind="walker", data={"x": 0})
                    for a in ("a", "b", "c")
                ]
            if tick == 30:
                events.append(AgentRemovedEvent(seq=1, tick=30, agent_id="b"))
                events.append(
                    AgentAddedEvent(seq=1, tick=30, agent_id="d", agent_kind="truck", data={"x": 0})
                )
            for agent in ("a", "c") + (("b",) if tick < 30 else ("d",)):
                events.append(AgentUpdateEvent(seq=1, tick=tick, agent_id=agent, data={"x": tick}))
            events.append(TickEndEvent(seq=1, tick=tick))
            for event in events:
                seq, frame = stream.next_frame(to_json(event, exclude={"seq"}))
                stream.append(seq, frame, event, clocks.monotonic())
                self.frames[seq] = frame
                self.tick_of[seq] = tick
            recorder.recorded()
            recorder.tick()  # the server's timer: checkpoints, flushes
            self.live[stream.seq] = stream.snapshot()
            clocks.advance(TICK_SECONDS)
        recorder.close()
        (self.path,) = folder.glob("*.mcap")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    return Recorded(tmp_path_factory.mktemp("recording"))


def test_the_index_spans_the_recording(recorded: Recorded) -> None:
    recording = Recording([recorded.path])
    assert recording.epoch == recorded.stream.epoch
    assert recording.schema_hash == CORE.schema_hash
    assert (recording.first_seq, recording.last_seq) == (0, max(recorded.frames))
    assert (recording.first_tick, recording.last_tick) == (0, TICKS)
    assert recording.duration == pytest.approx(0.5 + (TICKS - 1) * TICK_SECONDS)
    assert len(recording.checkpoints) >= 6  # the first, then one a second
    assert recording.tick_at(max(recorded.frames)) == TICKS


def test_frames_are_read_back_byte_for_byte_from_any_seq(recorded: Recorded) -> None:
    recording = Recording([recorded.path])
    for after in (0, 1, 137, max(recorded.frames) - 1):
        got = {frame.seq: frame.data for frame in recording.frames(after)}
        assert got == {s: f for s, f in recorded.frames.items() if s > after}


@pytest.mark.parametrize("fraction", [0.0, 0.2, 0.5, 0.77, 1.0])
def test_the_moment_after_a_seq_is_the_world_a_joiner_got_there(
    recorded: Recorded, fraction: float
) -> None:
    seqs = sorted(recorded.live)
    seq = seqs[int(fraction * (len(seqs) - 1))]
    stream, _ = moment(Recording([recorded.path]), CORE, seq=seq, supported=SUPPORTED)
    assert orjson.loads(stream.snapshot()) == orjson.loads(recorded.live[seq])


def test_a_moment_by_tick_or_time_ends_with_that_tick(recorded: Recorded) -> None:
    recording = Recording([recorded.path])
    stream, _ = moment(recording, CORE, tick=42, supported=SUPPORTED)
    end_of_42 = max(s for s, t in recorded.tick_of.items() if t == 42)
    assert stream.seq == end_of_42
    assert orjson.loads(stream.snapshot()) == orjson.loads(recorded.live[end_of_42])
    # 0.5 s of lead, then a tick every 0.1 s: 1.05 s in is tick 6's frames.
    stream, log_time = moment(recording, CORE, at=1.05, supported=SUPPORTED)
    assert stream.mirror.simulation.tick == 6
    assert log_time == recording.first_time + int(1.0 * 1e9)


def test_a_moment_outside_the_recording_is_its_first_or_last(recorded: Recorded) -> None:
    recording = Recording([recorded.path])
    before, _ = moment(recording, CORE, tick=0, supported=SUPPORTED)
    assert before.seq == 0 and not before.mirror.agents
    after, _ = moment(recording, CORE, seq=10**9, supported=SUPPORTED)
    assert after.seq == recording.last_seq


def play(player: Player, until: float, step: float = 0.01) -> list[tuple[float, int]]:
    """(time, seq) of every frame the player hands out from 0 to `until`."""
    out: list[tuple[float, int]] = []
    now = 0.0
    while now <= until:
        out += [(now, seq) for seq, _, _, _ in player.due(now, tagging=False)]
        now = round(now + step, 6)
    return out


def test_frames_come_at_the_recorded_pace_times_the_speed(recorded: Recorded) -> None:
    recording = Recording([recorded.path])
    player = Player(recording, 0.0, {})
    first_tick = [s for s, t in recorded.tick_of.items() if t == 1]
    assert player.due(0.49, tagging=False) == []  # the 0.5 s lead before tick 1
    assert [seq for seq, _, _, _ in player.due(0.5, tagging=False)] == first_tick  # one burst
    assert player.wait(0.5) == pytest.approx(TICK_SECONDS)
    player.set_speed(10, 0.5)
    assert player.wait(0.5) == pytest.approx(TICK_SECONDS / 10)
    handed = play(player, 0.5 + (TICKS - 1) * TICK_SECONDS / 10 + 0.02)
    assert [seq for _, seq in handed] == list(range(max(first_tick) + 1, recording.last_seq + 1))
    assert player.ended and not player.playing
    assert player.state()["seq"] == recording.last_seq and player.state()["tick"] == TICKS


def test_a_paused_player_hands_out_nothing_and_resumes_where_it_was(recorded: Recorded) -> None:
    recording = Recording([recorded.path])
    player = Player(recording, 0.0, {})
    player.due(1.0, tagging=False)
    where = player.seq
    player.pause()
    assert player.due(50.0, tagging=False) == [] and player.wait(50.0) is None
    player.play(50.0)
    resumed = player.due(50.0 + TICK_SECONDS, tagging=False)
    assert resumed and resumed[0][0] == where + 1  # nothing skipped over the pause


def test_tags_know_a_removed_agents_kind(recorded: Recorded) -> None:
    recording = Recording([recorded.path])
    start: dict[str, Any] = {}
    player = Player(recording, 0.0, start)
    tags = [tag for _, tag, _, _ in player.due(100.0, tagging=True)]
    assert ("agent_removed", "b", "walker") in tags
    assert ("agent_update", "d", "truck") in tags


def test_a_file_cut_short_reads_up_to_its_last_whole_chunk(
    recorded: Recorded, tmp_path: Path
) -> None:
    whole = Recording([recorded.path])
    cut = tmp_path / "cut.mcap"
    shutil.copy(recorded.path, cut)
    data = cut.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    recording = Recording([cut])
    assert recording.first_seq == 0 and 0 < recording.last_seq <= whole.last_seq
    frames = [frame.seq for frame in recording.frames(0)]
    assert frames == list(range(1, recording.last_seq + 1))


def test_what_is_not_a_recording_is_refused_in_one_line(tmp_path: Path) -> None:
    other = tmp_path / "notes.mcap"
    other.write_text("not an mcap file")
    with pytest.raises(RecordingError, match="not an MCAP file"):
        Recording([other])
    with pytest.raises(RecordingError, match="No such file"):
        Recording([tmp_path / "missing.mcap"])
