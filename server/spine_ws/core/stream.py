"""The stream: one epoch's numbered broadcasts, the log that keeps them, the world they
build, and the snapshots and resumes made from those. Sans-I/O.

`append` is the one way a broadcast enters it, with the next seq: the local
simulation's (stamped here first) and a cluster gateway's relayed frames (stamped by
the host) alike.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson
from pydantic import BaseModel

from spine_ws.core.catalog import Catalog
from spine_ws.core.codec import stamp
from spine_ws.core.columnar import AgentIndex
from spine_ws.core.delivery import Subscription, filtered_replay
from spine_ws.core.history import History, Log
from spine_ws.core.items import AgentUpdates
from spine_ws.core.messages import to_json
from spine_ws.core.mirror import Mirror
from spine_ws.generated import SimulationInfo, SnapshotEvent

__all__ = ["RESUME_MAX", "SMALL_REPLAY", "GapError", "Stream", "TickFrames", "parse_resume"]

# `resume=<epoch>:<seq>`: the epoch as the snapshot gave it, the seq in decimal.
_RESUME = re.compile(r"(?P<epoch>[^:]{1,64}):(?P<seq>[0-9]{1,16})")
RESUME_MAX = 128  # characters of a refused value echoed back
# A replay up to this size is sent without weighing it against the snapshot.
SMALL_REPLAY = 16 * 1024


def parse_resume(value: str) -> tuple[str, int] | None:
    """`<epoch>:<seq>` as a client asks to resume, or None if it is not that."""
    match = _RESUME.fullmatch(value)
    return (match["epoch"], int(match["seq"])) if match is not None else None


class GapError(Exception):
    """Relayed frames skipped a seq: this mirror can no longer be trusted."""

    def __init__(self, message: str, next_seq: int) -> None:
        super().__init__(message)
        self.next_seq = next_seq  # the seq that arrived after the gap


class TickFrames:
    """A tick published at once as the log holds it (a `Block`): its `agent_update`
    frames, stamped `first` on, made when first read."""

    __slots__ = ("_frames", "_updates", "count", "first", "size")

    def __init__(self, first: int, updates: AgentUpdates, *, framed: bool) -> None:
        self.first = first
        self.count = len(updates)
        self._updates = updates
        self._frames: list[bytes] | None = None
        if framed:
            self.size = sum(len(frame) for frame in self.frames())
        else:  # the log's bound counts it by its JSON's likely size until it is made
            self.size = self.count * _row_estimate(updates)

    def frames(self) -> list[bytes]:
        if self._frames is None:
            bodies = self._updates.bodies()
            self._frames = [stamp(body, seq) for seq, body in enumerate(bodies, self.first)]
        return self._frames


def _row_estimate(updates: AgentUpdates) -> int:
    """Bytes of one `agent_update` of this tick, about: its fixed members, an id, and
    each member's name with a number of 18 characters."""
    ids = updates.agent_ids
    sample = ids[:64]
    id_length = sum(map(len, sample)) // max(1, len(sample))
    return 64 + id_length + sum(len(name) + 21 for name in updates.names)


class Stream:
    """seq and epoch, the `Log`, the mirror of the world, and the snapshot at each seq."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        clock: Callable[[], float],
        supported: Iterable[str],
        capabilities: Iterable[str] = (),
        epoch: str | None = None,
        history: Log | None = None,
    ) -> None:
        self._clock = clock
        self.catalog = catalog
        self.epoch = epoch or secrets.token_hex(8)
        self.history: Log = history or History(100_000, 64 * 1024 * 1024, 300.0)
        self.seq = 0
        # Broadcasts appended since start (seq starts over with each epoch).
        self.broadcasts = 0
        self.mirror = Mirror(clock())
        # The epoch's agent index table, for columnar frames.
        self.agent_index = AgentIndex()
        # The connection commands answered beyond the server's own (`Hub.answer`).
        self.answered: set[str] = set()
        # The command types the snapshot lists: the simulation's and the server's own.
        self.supported = sorted({*supported, *catalog.own_commands})
        # What this server supports, as the snapshot and `resumed` tell clients.
        self.capabilities = sorted(set(capabilities))
        self._snapshot: tuple[int, bytes] | None = None

    def next_frame(self, body: bytes) -> tuple[int, bytes]:
        """A broadcast's body (its JSON without `seq`) stamped with the next seq."""
        seq = self.seq + 1
        return seq, stamp(body, seq)

    def append(self, seq: int, frame: bytes, event: BaseModel | None, now: float) -> None:
        """Broadcast `seq` (its stamped `frame`, and its model for the mirror: None if
        the contract has none) joins the stream; a seq that is not the next is a gap."""
        if seq != self.seq + 1:
            raise GapError(f"event {seq} follows {self.seq}: {seq - self.seq - 1} missing", seq)
        self.seq = seq
        self.broadcasts += 1
        self.history.append(seq, frame, now)
        if event is not None:
            self.mirror.apply(event, now)

    def append_updates(self, updates: AgentUpdates, now: float, *, framed: bool) -> TickFrames:
        """A tick's `agent_update`s published at once, the next seqs, as one entry of the
        log and one of the mirror (each agent's frame and data made when first read;
        `framed`: now, for the clients sent them one by one)."""
        tick = TickFrames(self.seq + 1, updates, framed=framed)
        self.seq += tick.count
        self.broadcasts += tick.count
        self.history.append_block(tick.first, tick, now)
        self.mirror.updates(updates, now)
        return tick

    def reset(
        self,
        epoch: str,
        supported: Iterable[str],
        history: Log,
        checkpoint: dict[str, Any] | None = None,
    ) -> None:
        """Start over in `epoch` (a cluster gateway following a host): at seq 0, or at a
        checkpoint's seq with its world (a snapshot's members)."""
        self.epoch = epoch
        self.seq = 0
        self.mirror = Mirror(self._clock())
        self.agent_index = AgentIndex()
        self.history = history
        self.supported = sorted({*supported, *self.catalog.own_commands, *self.answered})
        self._snapshot = None
        if checkpoint is not None:
            self.seq = checkpoint["seq"]
            self.mirror.simulation = SimulationInfo.model_validate(checkpoint["simulation"])
            self.mirror.agents = {a["agent_id"]: a for a in checkpoint["agents"]}

    def answers(self, command_type: str) -> None:
        """The server answers `command_type` (a connection command) too: list it."""
        self.answered.add(command_type)
        self.supported = sorted({*self.supported, command_type})

    def resumable(self, value: str) -> tuple[str | None, int]:
        """(None, seq) if `<epoch>:<seq>` can be resumed, else (why not, 0)."""
        match = _RESUME.fullmatch(value)
        if match is None:
            return "invalid", 0
        epoch, after = match["epoch"], int(match["seq"])
        if epoch != self.epoch:
            return "epoch_changed", 0
        if after > self.seq:
            return "ahead", 0
        if not self.history.holds_after(after, self._clock()):
            return "too_old", 0
        # A replay must not cost more than the snapshot it saves (a storm of reconnects
        # after a long outage would be worse than today); a small one always goes.
        size = self.history.size_after(after)
        if size > SMALL_REPLAY and size > len(self.snapshot()):
            return "snapshot_smaller", 0
        return None, after

    def replay(self, after: int, filtered: Subscription | None) -> tuple[Iterator[bytes], int]:
        """The frames after `after` (those `filtered` wants), and their size in all."""
        frames = self.history.frames_after(after, self.seq)
        if filtered is not None:
            frames = filtered_replay(frames, filtered, self.mirror.kinds)
        return frames, self.history.size_after(after)

    def snapshot(self) -> bytes:
        """The snapshot at the current seq without its `connection_id` and `role`, built
        once per seq.

        Serialised by orjson straight from the mirror (whose members came from validated
        events), not through a model per agent: a 5,000-agent world costs milliseconds,
        and a join storm at one seq costs one serialisation.
        """
        cached = self._snapshot
        if cached is not None and cached[0] == self.seq:
            return cached[1]
        members = {
            "type": "snapshot",
            "protocol_version": self.catalog.protocol_version,
            "schema_hash": self.catalog.schema_hash,
            "epoch": self.epoch,
            "seq": self.seq,
            "simulation": self.mirror.simulation.model_dump(mode="json"),
            "commands": self.supported,
            "capabilities": self.capabilities,
        }
        try:
            body = orjson.dumps({**members, "agents": list(self.mirror.agents.values())})
        except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits: pydantic's way
            event = SnapshotEvent.model_validate(
                {
                    **members,
                    "connection_id": "-",
                    "role": "viewer",
                    "agents": self.mirror.agent_states(),
                }
            )
            body = to_json(event, exclude={"connection_id", "role"})
        self._snapshot = (self.seq, body)
        return body

    def covered(self, subscription: Subscription) -> list[dict[str, Any]]:
        """The agents of the mirror a subscription covers, as they stand now."""
        return [a for a in self.mirror.agents.values() if subscription.covers(a)]

    def snapshot_of(self, subscription: Subscription) -> tuple[bytes, list[str]]:
        """A snapshot of the agents a subscription covers (built for this client), and
        their ids."""
        full = orjson.loads(self.snapshot())
        full["agents"] = [a for a in full["agents"] if subscription.covers(a)]
        return orjson.dumps(full), [a["agent_id"] for a in full["agents"]]
