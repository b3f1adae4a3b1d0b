"""`spine-ws replay FILE`: a recording played back to each connection on its own.

Every connection joins at the recording's start (the hub's stream is set there) and is
then played the recorded frames, byte for byte, at the recorded pace, by a task of its
own; the playback commands (`playback.play`, `pause`, `seek`, `speed`) act on that
connection only. A seek sends a snapshot of the moment (`player.moment`) and the frames
from there. A client that reads slower than the playback is played slower: it is never
thinned or shed for the playback's speed.
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

from spine_ws.core.codec import snapshot_head
from spine_ws.core.errors import Busy, InvalidMessage
from spine_ws.core.fanout import Fanout
from spine_ws.core.hub import Hub
from spine_ws.core.outbox import Outbox
from spine_ws.core.stream import Stream
from spine_ws.recording.player import Player, moment
from spine_ws.recording.reader import Recording

__all__ = ["Replay"]

log = logging.getLogger("spine_ws.replay")

# Bytes waiting for a client past which its playback waits for it (and then goes on at
# the recorded pace from where it got to).
BEHIND_BYTES = 256 * 1024
BEHIND_WAIT = 0.02


@dataclass(eq=False)
class _Playing:
    client: Outbox
    player: Player
    fanout: Fanout
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class Replay:
    """The recording, and each connection's playback of it."""

    def __init__(
        self, recording: Recording, hub: Hub, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.recording = recording
        self._hub = hub
        self._clock = clock
        self._playing: dict[str, _Playing] = {}
        hub.answer("playback.play", self._play)
        hub.answer("playback.pause", self._pause)
        hub.answer("playback.seek", self._seek)
        hub.answer("playback.speed", self._speed)
        hub.intake.stream_of = self._stream_of

    def attach(self, client: Outbox) -> None:
        """A client joined (at the recording's start): play it the recording."""
        player = Player(self.recording, self._clock(), self._hub.stream.mirror.agents)
        fanout = Fanout(client.id)
        fanout.add(client)
        playing = _Playing(client, player, fanout)
        self._playing[client.id] = playing
        self._notice(playing)
        playing.task = asyncio.get_running_loop().create_task(self._run(playing))

    async def detach(self, client: Outbox) -> None:
        playing = self._playing.pop(client.id, None)
        if playing is not None and playing.task is not None:
            playing.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await playing.task

    async def _run(self, playing: _Playing) -> None:
        """Write the frames as they fall due, until the connection goes."""
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
                for seq, tag, frame in frames:
                    writing.send(seq, tag, frame)
                writing.end()
            if was_playing and player.ended:
                self._notice(playing)  # it reached the end
            wait = player.wait(now)
            if wait == 0.0:
                await asyncio.sleep(0)  # more due now: let the others go first
                continue
            playing.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(playing.wake.wait(), wait)

    def _notice(self, playing: _Playing) -> None:
        body = orjson.dumps({"type": "playback", "state": playing.player.state()})
        playing.client.send_reply(body)
        playing.client.flush()

    def _of(self, client: Outbox) -> _Playing:
        playing = self._playing.get(client.id)
        assert playing is not None, "a connection plays from its join"
        return playing

    def _answered(self, playing: _Playing) -> tuple[int, Any]:
        playing.wake.set()
        return playing.player.tick, playing.player.state()

    def _play(self, client: Outbox, command: BaseModel) -> tuple[int, Any]:
        playing = self._of(client)
        if playing.player.ended:  # at the end: from the start again
            self._go(playing, moment(self.recording, self._hub.catalog, **self._listing()))
        playing.player.play(self._clock())
        return self._answered(playing)

    def _pause(self, client: Outbox, command: BaseModel) -> tuple[int, Any]:
        playing = self._of(client)
        playing.player.pause()
        return self._answered(playing)

    def _speed(self, client: Outbox, command: BaseModel) -> tuple[int, Any]:
        playing = self._of(client)
        playing.player.set_speed(float(getattr(command, "speed", 1.0)), self._clock())
        return self._answered(playing)

    def _seek(self, client: Outbox, command: BaseModel) -> tuple[int, Any]:
        playing = self._of(client)
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
        self._go(playing, moment(self.recording, self._hub.catalog, **target, **self._listing()))
        return self._answered(playing)

    def _go(self, playing: _Playing, at: tuple[Stream, int]) -> None:
        """Send the client the snapshot of a moment, and play on from there."""
        stream, log_time = at
        client = playing.client
        shaping = client.shaping
        filtered = shaping.subscription if shaping and shaping.subscription.filtered else None
        body = stream.snapshot() if filtered is None else stream.snapshot_of(filtered)
        client.restart((snapshot_head(client.id, client.role, None), memoryview(body)[1:]))
        player = playing.player
        player.start_at(stream.seq, stream.mirror.simulation.tick, log_time, stream.mirror.agents)
        player.anchor(self._clock())

    def _listing(self) -> dict[str, Any]:
        """What a moment's snapshot lists: this server's commands and capabilities."""
        stream = self._hub.stream
        return {"supported": list(stream.supported), "capabilities": list(stream.capabilities)}

    def _stream_of(self, client: Outbox) -> Stream:
        """The stream as this client was sent it: its `subscribe` is answered there."""
        playing = self._playing.get(client.id)
        if playing is None:
            return self._hub.stream
        at = moment(self.recording, self._hub.catalog, seq=playing.player.seq, **self._listing())
        return at[0]


def _behind(client: Outbox) -> bool:
    return client.streaming or client.queued[1] > BEHIND_BYTES
