"""One connection's playback of a recording: where it stands, whether it plays and how
fast, which frames are due at a given moment, and the world at any moment (a seek).
Sans-I/O: the clock is an argument, frames come from the `Recording`.

Recorded pace: a frame is due once as much time has passed since the playback was
anchored (started, sought, resumed or sped up) as separated its log time from the
anchor's, divided by the speed. A burst (its frames share a log time) comes as one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import orjson

from spine_ws.core.catalog import Catalog
from spine_ws.core.delivery import Tag, tag_of
from spine_ws.core.history import History
from spine_ws.core.region import Where, position
from spine_ws.core.stream import Stream
from spine_ws.recording.reader import Frame, Recording, tick_of

__all__ = ["MAX_SPEED", "MIN_SPEED", "Player", "moment"]

MIN_SPEED, MAX_SPEED = 0.1, 100.0
# Frames handed out at once, at most: a fast playback of a busy recording is written
# in bursts of this size, not all at once.
BURST = 4096
_KIND_CHANGE = re.compile(rb'^\{"seq":\d+,"type":"agent_(added|removed)"')


def moment(
    recording: Recording,
    catalog: Catalog,
    *,
    seq: int | None = None,
    tick: int | None = None,
    at: float | None = None,
    supported: list[str] | None = None,
    capabilities: list[str] | None = None,
) -> tuple[Stream, int]:
    """The recorded stream as of one moment (after frame `seq`, after tick `tick`'s last
    frame, or `at` seconds of recorded time from the start; clamped to the recording),
    and its log time: the nearest checkpoint before it, and the frames after that
    applied to its world. None of the three: the recording's start."""
    if tick is not None:
        point = recording.checkpoint_before_tick(tick)
    elif at is not None:
        point = recording.checkpoint_before_time(recording.first_time + int(at * 1e9))
    else:
        target = min(max(seq or 0, recording.first_seq), recording.last_seq)
        point = recording.checkpoint_before(target)
    stream = Stream(
        catalog,
        clock=time.monotonic,
        supported=supported or (),
        capabilities=capabilities or (),
        epoch=recording.epoch,
        history=History(1, 1 << 40, float("inf")),
    )
    snapshot = recording.checkpoint(point)
    stream.reset(recording.epoch, supported or (), History(1, 1 << 40, float("inf")), snapshot)
    log_time = point.time
    if seq is None and tick is None and at is None:
        return stream, log_time
    limit = int(at * 1e9) + recording.first_time if at is not None else 0
    for frame in recording.frames(point.seq):
        if seq is not None and frame.seq > seq:
            break
        if tick is not None and (tick_of(frame.data) or 0) > tick:
            break
        if at is not None and frame.time > limit:
            break
        event = orjson.loads(frame.data)
        model = catalog.events.get(event.get("type"))
        stream.append(frame.seq, frame.data, model.model_validate(event) if model else None, 0.0)
        log_time = frame.time
    return stream, log_time


class Player:
    """Where one connection's playback stands; what is due when."""

    def __init__(self, recording: Recording, now: float, agents: dict[str, Any]) -> None:
        """At the recording's start, whose agents are `agents`; playing."""
        self.recording = recording
        self.playing = True
        self.speed = 1.0
        self.seq = recording.first_seq
        self.tick = recording.first_tick
        self._time = recording.first_time  # log time of the position (ns)
        # The agents' kinds as of the position, for the tags of a shaped client.
        self.kinds: dict[str, dict[str, Any]] = {}
        self._frames: Iterator[Frame] = iter(())
        self._next: Frame | None = None
        self.start_at(recording.first_seq, self.tick, self._time, agents)
        self._anchor = (now, self._time)

    def start_at(self, seq: int, tick: int, log_time: int, agents: dict[str, Any]) -> None:
        """Stand after frame `seq` (a seek's moment): its tick, its log time, its agents."""
        self.seq, self.tick, self._time = seq, tick, log_time
        self.kinds = {a: {"agent_kind": s.get("agent_kind")} for a, s in agents.items()}
        self._frames = self.recording.frames(seq)
        self._next = next(self._frames, None)

    def anchor(self, now: float) -> None:
        """Recorded pace runs from here: after a seek, a resume or a change of speed."""
        self._anchor = (now, self._time)

    def play(self, now: float) -> None:
        if self._next is None:  # at the end: play it again from the start
            return
        self.playing = True
        self.anchor(now)

    def pause(self) -> None:
        self.playing = False

    def set_speed(self, speed: float, now: float) -> None:
        if self.playing:  # from where the old speed got to, at the new one
            self._anchor = (now, self._recorded_at(now))
        self.speed = min(max(speed, MIN_SPEED), MAX_SPEED)

    @property
    def ended(self) -> bool:
        return self._next is None

    def wait(self, now: float) -> float | None:
        """Seconds until the next frame is due (0: now); None while nothing will be."""
        if not self.playing or self._next is None:
            return None
        return max((self._next.time - self._recorded_at(now)) / 1e9 / self.speed, 0.0)

    def due(self, now: float, *, tagging: bool) -> list[tuple[int, Tag | None, bytes, Where]]:
        """The frames due at `now` (at most `BURST`), with their tags and where their
        agent is if `tagging`; the playback stops at the end."""
        if not self.playing:
            return []
        until = self._recorded_at(now)
        out: list[tuple[int, Tag | None, bytes, Where]] = []
        frame = self._next
        while frame is not None and frame.time <= until and len(out) < BURST:
            data = frame.data
            tag: Tag | None = None
            where: Where = None
            if tagging:
                event = orjson.loads(data)
                tag = tag_of(
                    event.get("type"), event.get("agent_id"), event.get("agent_kind"), self.kinds
                )
                where = position(event.get("data"))
            self._track(data)
            out.append((frame.seq, tag, data, where))
            self.seq, self._time = frame.seq, frame.time
            frame = next(self._frames, None)
        self._next = frame
        if frame is None:
            self.playing = False
        return out

    def resume_reading(self) -> bool:
        """At the end of what was read: read on from the position (the recording has
        grown). Whether there was more; if so, it plays on."""
        self._frames = self.recording.frames(self.seq)
        self._next = next(self._frames, None)
        if self._next is None:
            return False
        self.playing = True
        return True

    def state(self, *, live: bool = False) -> dict[str, Any]:
        """The playback's state, as `PlaybackState` has it."""
        recording = self.recording
        return {
            "live": live,
            "playing": self.playing,
            "speed": self.speed,
            "seq": self.seq,
            "tick": self.tick,
            "time": round(max(self._time - recording.first_time, 0) / 1e9, 6),
            "first_seq": recording.first_seq,
            "last_seq": recording.last_seq,
            "first_tick": recording.first_tick,
            "last_tick": recording.last_tick,
            "duration": round(recording.duration, 6),
        }

    def _recorded_at(self, now: float) -> int:
        """The log time the playback has reached at `now`."""
        wall, recorded = self._anchor
        return recorded + int((now - wall) * self.speed * 1e9)

    def _track(self, data: bytes) -> None:
        tick = tick_of(data)
        if tick is not None and tick > self.tick:
            self.tick = tick
        change = _KIND_CHANGE.match(data)
        if change is not None:
            event = orjson.loads(data)
            agent = event.get("agent_id")
            if change.group(1) == b"added":
                self.kinds[agent] = {"agent_kind": event.get("agent_kind")}
            else:
                self.kinds.pop(agent, None)
