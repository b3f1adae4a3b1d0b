"""Each connection's own playback of a recording: `spine-ws replay FILE`, and time
travel on a live server that records (`serve --record`).

**A replay.** Every connection joins at the recording's start (the hub's stream is set
there) and is played the recorded frames, byte for byte, at the recorded pace, by a task
of its own.

**A live server.** Every connection joins live, as ever. A seek (or a pause) takes it
out of the live fan-out into the recorded past of the epoch (the recorder's files, read
as they grow); `playback.live` brings it back with a snapshot of now, and a playback
that catches up with the live stream rejoins it by itself, with no snapshot: it has
every frame up to the stream's seq, and the next broadcast is the one after.

Either way the playback commands (`playback.play`, `pause`, `seek`, `speed`, `live`) act
on their sender only. A seek sends a snapshot of the moment (`player.moment`), then the
reply, then the frames from there. A client that reads slower than its playback is
played slower: it is never thinned or shed for the speed it asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import MISSING, BaseModel

from spine_ws.core.codec import resumed_frame, snapshot_head
from spine_ws.core.delivery import Subscription, Tag, tag_of
from spine_ws.core.errors import Busy, InvalidMessage, InvalidState
from spine_ws.core.fanout import Fanout
from spine_ws.core.hub import Hub
from spine_ws.core.outbox import Outbox
from spine_ws.core.region import Where, position
from spine_ws.core.stream import Stream, parse_resume
from spine_ws.recording.player import Player, moment
from spine_ws.recording.reader import Recording, RecordingError
from spine_ws.recording.writer import Recorder

__all__ = ["COMMANDS", "Playback"]

log = logging.getLogger("spine_ws.playback")

COMMANDS = ("playback.play", "playback.pause", "playback.seek", "playback.speed", "playback.live")
# How long a live connection's playback at the end of the files looks for more to be
# recorded before it rejoins the live stream (it finds it at once: the recorder writes
# out what it holds when asked), and how often it looks.
CATCH_UP_SECONDS = 1.5
CATCH_UP_POLL = 0.05
# Bytes waiting for a client past which its playback waits for it (and then goes on at
# the recorded pace from where it got to).
BEHIND_BYTES = 256 * 1024
BEHIND_WAIT = 0.02


@dataclass(eq=False)
class _Playing:
    """A connection being played the recording (not live)."""

    client: Outbox
    player: Player
    fanout: Fanout
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class Playback:
    """The recording, and each connection's playback of it."""

    def __init__(
        self,
        hub: Hub,
        *,
        recording: Recording | None = None,
        recorder: Recorder | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """A replay of `recording`, or time travel on a live hub that `recorder` records."""
        assert (recording is None) != (recorder is None)
        self._hub = hub
        self._recorder = recorder
        self._recording = recording
        self._clock = clock
        self._playing: dict[str, _Playing] = {}
        # The speed a live connection asked for: its playback's, once it travels.
        self._speeds: dict[str, float] = {}
        for command_type in COMMANDS:
            hub.answer(command_type, getattr(self, "_" + command_type.split(".")[1]))
        hub.intake.stream_of = self._stream_of

    @property
    def live(self) -> bool:
        """Time travel on a live server (not a replay)."""
        return self._recorder is not None

    def join(self, client: Outbox, resume: str | None, subscription: Subscription | None) -> str:
        """A client joins (`Hub.join`'s part, for the log line what it got). On a live
        server it joins live and is told where the recorded past begins. On a replay it
        is played the recording from its start, or, asking to resume at a seq of the
        recording, `resumed` there (it has that world) and played on from there."""
        hub = self._hub
        if self.live:
            started = hub.join(client, resume, subscription)
            self._notice(client, self._live_state(current=False))
            return started
        recording = self.recording()
        asked = parse_resume(resume) if resume is not None else None
        inside = asked is not None and recording.first_seq <= asked[1] <= recording.last_seq
        if asked is None or asked[0] != recording.epoch or not inside:
            started = hub.join(client, resume, subscription)
            self._travel(client, Player(recording, self._clock(), hub.stream.mirror.agents))
            return started
        if subscription is not None:
            client.subscribe(subscription)
        stream, log_time = moment(recording, hub.catalog, seq=asked[1], **self._listing())
        head = resumed_frame(
            {
                "epoch": recording.epoch,
                "seq": stream.seq,
                "connection_id": client.id,
                "role": client.role,
                "capabilities": hub.stream.capabilities,
                "protocol_version": hub.catalog.protocol_version,
                "schema_hash": hub.catalog.schema_hash,
                "replayed": 0,
            }
        )
        client.send_replay(head, iter(()), 0)  # nothing to replay: the playback goes on
        hub.fanout.add(client)  # counted among the connections; a replay broadcasts nothing
        player = Player(recording, self._clock(), {})
        player.start_at(stream.seq, stream.mirror.simulation.tick, log_time, stream.mirror.agents)
        player.anchor(self._clock())
        self._travel(client, player)
        return f"resumed {recording.epoch}:{stream.seq} (its playback from there)"

    async def detach(self, client: Outbox) -> None:
        self._speeds.pop(client.id, None)
        await self._stop(client)

    def recording(self, *, current: bool = True) -> Recording:
        """The recording; if live, read on to what the files hold now (asking for the
        chunk in progress) unless `current` is false and some of it was read already
        (a join's notice: the span as last read). `InvalidState` while a live server has
        nothing of its epoch on disk yet (the first second)."""
        recorder = self._recorder
        if recorder is None:
            assert self._recording is not None
            return self._recording
        if self._recording is not None and not current:
            return self._recording
        recorder.flush()
        files = recorder.epoch_files()
        try:
            if self._recording is None or not files or self._recording.paths[0] != files[0]:
                self._recording = Recording(files)  # the first, or a new epoch's
            else:
                self._recording.refresh(files)
        except RecordingError as exc:
            why = f"nothing of this run is recorded yet ({exc}): retry in a second"
            raise InvalidState(why) from None
        return self._recording

    # The connection's two ways: travelling (its own task) and live (the hub's fan-out).

    def _travel(self, client: Outbox, player: Player) -> _Playing:
        fanout = Fanout(client.id)
        fanout.add(client)
        playing = _Playing(client, player, fanout)
        self._playing[client.id] = playing
        self._notice(client, player.state(live=False))
        playing.task = asyncio.get_running_loop().create_task(self._run(playing))
        return playing

    async def _stop(self, client: Outbox) -> None:
        playing = self._playing.pop(client.id, None)
        if playing is not None and playing.task is not None:
            playing.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await playing.task

    def _rejoin(self, playing: _Playing, *, snapshot: bool) -> None:
        """Back to the live stream: with a snapshot of now, or (a playback that caught
        up with it) with the frames after its seq from the stream's history, then on."""
        client = playing.client
        self._playing.pop(client.id, None)
        if playing.task is not None and playing.task is not asyncio.current_task():
            playing.task.cancel()
        self._speeds[client.id] = playing.player.speed
        if snapshot:
            self._hub.rejoin(client)
        else:
            stream, after = self._hub.stream, playing.player.seq
            if after < stream.seq:  # what the files did not hold yet, as it was sent
                writing = playing.fanout.burst()
                for offset, frame in enumerate(stream.history.frames_after(after, stream.seq)):
                    tag, where = self._tag(frame, playing)
                    writing.send(after + 1 + offset, tag, frame, where)
                writing.end()
            self._hub.fanout.add(client)
        self._notice(client, self._live_state(client, current=False))

    async def _run(self, playing: _Playing) -> None:
        """Write the frames as they fall due, until the connection goes (or is live)."""
        client, player = playing.client, playing.player
        while True:
            now = self._clock()
            if player.playing and _behind(client):
                await asyncio.sleep(BEHIND_WAIT)
                player.anchor(self._clock())  # on from where it got to
                continue
            was_playing = player.playing
            frames = player.due(now, tagging=client.shaping is not None)
            if frames:
                writing = playing.fanout.burst()
                for seq, tag, frame, where in frames:
                    writing.send(seq, tag, frame, where)
                writing.end()
            if was_playing and player.ended:
                if self.live:
                    if await self._catch_up(playing):
                        return  # live again
                    continue  # more was recorded meanwhile: played on
                self._notice(client, player.state(live=False))  # the end of a replay
            wait = player.wait(now)
            if wait == 0.0:
                await asyncio.sleep(0)  # more due now: let the others go first
                continue
            playing.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(playing.wake.wait(), wait)

    async def _catch_up(self, playing: _Playing) -> bool:
        """A live connection's playback at the end of what the files hold: it plays on
        if more was recorded (it stays behind live, as it chose); if not, it is at the
        live stream's edge and rejoins it, sent any frames it lacks from the stream's
        history (seamless), or a snapshot if the history no longer holds them. Whether
        it rejoined."""
        player, stream = playing.player, self._hub.stream
        deadline = self._clock() + CATCH_UP_SECONDS
        while self._clock() < deadline:
            if player.seq >= stream.seq:
                break
            with contextlib.suppress(InvalidState):
                self.recording()  # asks for the chunk in progress, reads on
            if player.resume_reading():
                return False
            await asyncio.sleep(CATCH_UP_POLL)
        if player.seq >= stream.seq or stream.history.holds_after(player.seq, self._clock()):
            self._rejoin(playing, snapshot=False)
        else:
            self._rejoin(playing, snapshot=True)
        return True

    # The notices and the states.

    def _notice(self, client: Outbox, state: dict[str, Any]) -> None:
        client.send_notice(orjson.dumps({"type": "playback", "state": state}))
        client.flush()

    def _live_state(self, client: Outbox | None = None, *, current: bool = True) -> dict[str, Any]:
        """A live connection's state: at the stream's seq, and the recorded span (none
        yet in the first second: from here)."""
        stream = self._hub.stream
        seq, tick = stream.seq, stream.mirror.simulation.tick
        try:
            recording = self.recording(current=current)
            span = {
                "first_seq": recording.first_seq,
                "last_seq": recording.last_seq,
                "first_tick": recording.first_tick,
                "last_tick": recording.last_tick,
                "duration": round(recording.duration, 6),
            }
        except InvalidState:
            span = {"first_seq": seq, "last_seq": seq, "first_tick": tick, "last_tick": tick}
            span["duration"] = 0.0
        speed = self._speeds.get(client.id, 1.0) if client is not None else 1.0
        state = {"live": True, "playing": True, "speed": speed, "seq": seq, "tick": tick}
        return {**state, "time": span["duration"], **span}

    def _answered(self, client: Outbox) -> tuple[int, Any]:
        playing = self._playing.get(client.id)
        if playing is None:  # the span as last read: a command of a live one flushes nothing
            return self._hub.stream.mirror.simulation.tick, self._live_state(client, current=False)
        playing.wake.set()
        return playing.player.tick, playing.player.state(live=False)

    # The commands.

    def _play(self, client: Outbox, command: BaseModel) -> tuple[int, Any]:
        playing = self._playing.get(client.id)
        if playing is not None:
            if playing.player.ended:  # at the end of a replay: from its start again
                self._go(playing, moment(self.recording(), self._hub.catalog, **self._listing()))
            playing.player.play(self._clock())
        return self._answered(client)

    def _pause(self, client: Outbox, command: BaseModel) -> tuple[int, Any]:
        playing = self._playing.get(client.id)
        if playing is None:  # live: freeze the view where it stands (it has that world)
            stream = self._hub.stream
            self._hub.leave(client)  # out of the live fan-out
            recording = self.recording()
            player = Player(recording, self._clock(), stream.mirror.agents)
            player.start_at(
                stream.seq, stream.mirror.simulation.tick, recording.last_time, stream.mirror.agents
            )
            player.speed = self._speeds.pop(client.id, 1.0)
            player.pause()
            self._travel(client, player)
        else:
            playing.player.pause()
        return self._answered(client)

    def _speed(self, client: Outbox, command: BaseModel) -> tuple[int, Any]:
        speed = float(getattr(command, "speed", 1.0))
        playing = self._playing.get(client.id)
        if playing is None:  # live stays live: the speed is for when it travels
            self._speeds[client.id] = speed
        else:
            playing.player.set_speed(speed, self._clock())
        return self._answered(client)

    def _seek(self, client: Outbox, command: BaseModel) -> tuple[int, Any]:
        given = {
            name: value
            for name in ("seq", "tick", "time")
            if (value := getattr(command, name, MISSING)) is not MISSING
        }
        if len(given) != 1:
            raise InvalidMessage("playback.seek takes exactly one of seq, tick and time")
        if client.streaming:
            raise Busy("the last snapshot is still being sent; seek again once it is in")
        name, value = given.popitem()
        target = {"at" if name == "time" else name: value}
        at = moment(self.recording(), self._hub.catalog, **target, **self._listing())
        playing = self._playing.get(client.id)
        if playing is None:  # from live into the recorded past
            self._hub.leave(client)  # out of the live fan-out
            player = Player(self.recording(), self._clock(), {})
            player.speed = self._speeds.pop(client.id, 1.0)
            playing = self._travel(client, player)
        self._go(playing, at)
        return self._answered(client)

    def _live(self, client: Outbox, command: BaseModel) -> tuple[int, Any]:
        if not self.live:
            raise InvalidState("a recording played back has no live stream to return to")
        playing = self._playing.get(client.id)
        if playing is not None:
            if client.streaming:
                raise Busy("the last snapshot is still being sent; ask again once it is in")
            self._rejoin(playing, snapshot=True)
        return self._answered(client)

    def _go(self, playing: _Playing, at: tuple[Stream, int]) -> None:
        """Send the client the snapshot of a moment, and play on from there."""
        stream, log_time = at
        client = playing.client
        shaping = client.shaping
        if shaping is None or not shaping.subscription.filtered:
            body = stream.snapshot()
        else:
            body, held = stream.snapshot_of(shaping.subscription)
            shaping.hold(held)
        client.restart((snapshot_head(client.id, client.role, None), memoryview(body)[1:]))
        player = playing.player
        player.start_at(stream.seq, stream.mirror.simulation.tick, log_time, stream.mirror.agents)
        player.anchor(self._clock())

    def _tag(self, frame: bytes, playing: _Playing) -> tuple[Tag | None, Where]:
        """A frame's tag, and where its agent is, for a shaped client (the stream's
        mirror knows the kinds)."""
        if playing.client.shaping is None:
            return None, None
        event = orjson.loads(frame)
        agents = self._hub.stream.mirror.kinds
        tag = tag_of(event.get("type"), event.get("agent_id"), event.get("agent_kind"), agents)
        return tag, position(event.get("data"))

    def _listing(self) -> dict[str, Any]:
        """What a moment's snapshot lists: this server's commands and capabilities."""
        stream = self._hub.stream
        return {"supported": list(stream.supported), "capabilities": list(stream.capabilities)}

    def _stream_of(self, client: Outbox) -> Stream:
        """The stream as this client was sent it: its `subscribe` is answered there."""
        playing = self._playing.get(client.id)
        if playing is None:
            return self._hub.stream
        seq = playing.player.seq
        return moment(self.recording(), self._hub.catalog, seq=seq, **self._listing())[0]


def _behind(client: Outbox) -> bool:
    return client.streaming or client.queued[1] > BEHIND_BYTES
