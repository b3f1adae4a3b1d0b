"""What one client is sent when it is not sent everything as it comes: its subscription
(filters, batches, a maximum rate) and, under backpressure, coalescing. Sans-I/O.

A plain connection (no subscription, keeping up) never meets this module: the hub writes
the shared frames to it directly. A *shaped* one gets each broadcast offered with its
tag, and its replies in order among them; `Shaping.take` turns what it holds into the
frames to write now:

* a filter drops the events the client did not ask for (they keep their seq: gaps by
  design); `tick_start`, `tick_end`, `simulation_state` and `error` always pass;
* coalescing (under `max_rate`, or while the send queue is over its soft limit) keeps
  only the latest pending `agent_update` of each agent, and counts the ones left out
  for a `skipped` notice that precedes what follows them;
* `batch` puts each run of broadcast events in one `batch` frame, joined from the
  serialised bodies (no event is serialised again);
* `columns` sends each tick published at once as its one `agent_columns` frame, made
  once for all such clients (core/columnar.py); while coalescing, a tick's frame
  replaces a held one of the same agents and goes whole (a key frame); under a filter
  the updates go one by one;
* `region` passes only the agents inside a rectangle: one that moves in comes as
  `agent_entered`, one that moves out as `agent_left` (each in place of the update that
  moved it); each burst's updates are indexed by position once for all region clients
  (core/region.py), and each looks only where its rectangle and its agents are;
* `max_rate` holds everything until the next delivery is due, then sends it all in
  seq order (a reply is never held: it brings the delivery forward).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from pydantic import MISSING

from spine_ws.core.codec import batch_frame, entered_frame, left_frame, skipped_frame
from spine_ws.core.columnar import ColumnsRun, Indexing
from spine_ws.core.region import Region, RegionIndex, Where, position
from spine_ws.generated import SubscribeCommand

__all__ = [
    "ALWAYS",
    "SHARED_BATCH_EVENTS",
    "Burst",
    "Shaping",
    "Subscription",
    "Tag",
    "filtered_replay",
    "tag_of",
    "takes_columns",
]

# What every client receives, whatever it subscribed to: it always knows time and state.
ALWAYS = frozenset({"tick_start", "tick_end", "simulation_state", "error"})
# A burst of more events than this is offered to a batched client event by event, not as
# the shared batch frame: held, that frame could not be coalesced (a tick of a big world
# would then count whole against the client's limits, and shed it instead of thinning it).
SHARED_BATCH_EVENTS = 1024
# (event type, agent id, agent kind) of a broadcast, computed once per event.
Tag = tuple[str, str | None, str | None]
_UPDATE = "agent_update"


@dataclass(frozen=True, slots=True)
class Subscription:
    """What a connection asked for (`subscribe`); None members mean everything."""

    event_types: frozenset[str] | None = None
    agent_ids: frozenset[str] | None = None
    agent_kinds: frozenset[str] | None = None
    batch: bool = False
    max_rate: float | None = None
    columns: bool = False
    region: Region | None = None

    @classmethod
    def of(cls, command: SubscribeCommand) -> Subscription:
        def members(value: Any) -> frozenset[str] | None:
            return None if value is MISSING else frozenset(value)

        return cls(
            event_types=members(command.event_types),
            agent_ids=members(command.agent_ids),
            agent_kinds=members(command.agent_kinds),
            batch=command.batch is True,
            max_rate=None if command.max_rate is MISSING else float(command.max_rate),
            columns=command.columns is True,
            region=None if command.region is MISSING else Region.of(command.region),
        )

    @property
    def everything(self) -> bool:
        """The default: every event, one frame each, as it comes."""
        return self == _EVERYTHING

    @property
    def filtered(self) -> bool:
        return not (
            self.event_types is None
            and self.agent_ids is None
            and self.agent_kinds is None
            and self.region is None
        )

    def wants(self, tag: Tag) -> bool:
        kind, agent, agent_kind = tag
        if kind in ALWAYS:
            return True
        if self.event_types is not None and kind not in self.event_types:
            return False
        if agent is None or (self.agent_ids is None and self.agent_kinds is None):
            return True
        if self.agent_ids is not None and agent in self.agent_ids:
            return True
        if agent_kind is None:  # an agent the server no longer knows: only its removal
            return kind == "agent_removed"
        return self.agent_kinds is not None and agent_kind in self.agent_kinds

    def covers(self, agent: Mapping[str, Any]) -> bool:
        """Whether a snapshot's agent is one this subscription is about."""
        if self.region is not None and not self.region.contains(position(agent.get("data"))):
            return False
        if self.agent_ids is None and self.agent_kinds is None:
            return True
        return (self.agent_ids is not None and agent["agent_id"] in self.agent_ids) or (
            self.agent_kinds is not None and agent["agent_kind"] in self.agent_kinds
        )


_EVERYTHING = Subscription()


def tag_of(
    kind: str, agent: object, agent_kind: object, kinds: Mapping[str, Mapping[str, Any]]
) -> Tag:
    """The tag of a broadcast event of type `kind` with these members (None: absent);
    `kinds` maps agent ids to their snapshot entry ({agent_kind, ...}), for the events
    that do not name the kind."""
    if not isinstance(agent, str):
        return kind, None, None
    if not isinstance(agent_kind, str):
        known = kinds.get(agent)
        agent_kind = known["agent_kind"] if known is not None else None
    return kind, agent, agent_kind if isinstance(agent_kind, str) else None


def filtered_replay(
    frames: Iterable[bytes], subscription: Subscription, kinds: Mapping[str, Mapping[str, Any]]
) -> Iterator[bytes]:
    """The frames of a resume's replay this subscription wants (each read back once;
    agents added within the replay are known by their kind from then on). Under a
    region, an agent's first update inside it comes as `agent_entered` and its first
    outside as `agent_left` (the client's view of the region before is not known here)."""
    added: dict[str, Mapping[str, Any]] = {}
    region = subscription.region
    inside: set[str] = set()
    outside: set[str] = set()
    for frame in frames:
        event = orjson.loads(frame)
        kind, agent = event.get("type"), event.get("agent_id")
        if kind == "agent_added" and isinstance(agent, str):
            added[agent] = event
        known = added if isinstance(agent, str) and agent in added else kinds
        tag = tag_of(kind, agent, event.get("agent_kind"), known)
        if not subscription.wants(tag):
            continue
        if region is None or not isinstance(agent, str):
            yield frame
            continue
        if kind == _UPDATE or kind == "agent_added":
            if not region.contains(position(event.get("data"))):
                if agent not in outside:
                    outside.add(agent)
                    inside.discard(agent)
                    if kind == _UPDATE:
                        yield left_frame(event["seq"], event["tick"], agent)
                continue
            outside.discard(agent)
            if agent in inside or kind == "agent_added" or tag[2] is None:
                inside.add(agent)
                yield frame
                continue
            inside.add(agent)
            yield entered_frame(event["seq"], event["tick"], agent, tag[2], event["data"])
        elif agent not in outside:  # removed, or another event about a held agent
            yield frame


class Burst:
    """The broadcasts of one burst for the shaped clients: (seq, tag, frame) each, and
    their batch frame, joined once for all the clients that take the whole burst as it
    is (the same bytes object for each: framed once on the fast path too)."""

    __slots__ = ("_batch", "_regions", "events", "runs", "where")

    def __init__(self, regional: bool = False) -> None:
        self.events: list[tuple[int, Tag, bytes]] = []
        # Where each event's agent is (agent_update and agent_added), beside `events`,
        # while a client subscribes to a region.
        self.where: list[Where] | None = [] if regional else None
        self._regions: tuple[int, RegionIndex] | None = None
        # The ticks published at once among the events, for the columns clients (only
        # when there are some).
        self.runs: list[ColumnsRun] = []
        # (how many events it holds, the frame): the burst may grow after a reply.
        self._batch: tuple[int, bytes] | None = None

    def batch(self) -> bytes:
        """The batch frame of every event so far."""
        count = len(self.events)
        if self._batch is None or self._batch[0] != count:
            self._batch = count, batch_frame([message for _, _, message in self.events])
        return self._batch[1]

    def regions(self) -> RegionIndex:
        """The events indexed by position, for the region clients (made once)."""
        count = len(self.events)
        if self._regions is None or self._regions[0] != count:
            assert self.where is not None, "a burst without positions"
            self._regions = count, RegionIndex(self.events, self.where)
        return self._regions[1]


class Shaping:
    """One shaped connection's pending events and replies, in order."""

    __slots__ = (
        "_due",
        "_entries",
        "_fixed_bytes",
        "_held_runs",
        "_indexing",
        "_inside",
        "_latest",
        "_pressured",
        "_replies",
        "_skipped",
        "coalesced",
        "subscription",
    )

    def __init__(self, subscription: Subscription) -> None:
        self.subscription = subscription
        # Pending, in order: (seq, message, coalescible agent) (seq 0: a reply); None
        # where an agent_update was replaced by a later one of the same agent.
        self._entries: list[tuple[int, bytes, str | None] | None] = []
        # Agent id -> index in _entries of its pending agent_update, while coalescing.
        self._latest: dict[str, int] = {}
        # Bytes pending that no coalescing can save (everything but agent updates).
        self._fixed_bytes = 0
        self._replies = 0
        # Left out since the last notice: [count, first seq, last seq].
        self._skipped = [0, 0, 0]
        # When the next delivery under max_rate may go (monotonic seconds).
        self._due = 0.0
        # Set by the connection while its send queue is over the soft limit.
        self._pressured = False
        # agent_updates left out since start, for /metrics.
        self.coalesced = 0
        # How much of the agent index table the client has (columns clients).
        self._indexing = Indexing()
        # Columns frames held while coalescing: (index in _entries, its run).
        self._held_runs: list[tuple[int, ColumnsRun]] = []
        # The agents the client holds, under a region subscription.
        self._inside: set[str] = set()

    def hold(self, agent_ids: Iterable[str]) -> None:
        """The agents the client's view starts over from (a snapshot's, an ack's): under
        a region, the ones it is told leave, and the ones it is not told enter."""
        self._inside = set(agent_ids)

    @property
    def pressured(self) -> bool:
        """Whether the connection's send queue is over its soft limit (set by it)."""
        return self._pressured

    @pressured.setter
    def pressured(self, value: bool) -> None:
        if value and not self._pressured:
            self._coalesce_held()
        self._pressured = value

    def _coalesce_held(self) -> None:
        """Coalescing starts: the updates already held, offered before it, are coalesced
        too (each agent's latest stands), and later ones replace them."""
        latest: dict[str, int] = {}
        for index, entry in enumerate(self._entries):
            if entry is None or entry[2] is None:
                continue
            earlier = latest.get(entry[2])
            if earlier is not None:
                dropped = self._entries[earlier]
                assert dropped is not None
                self._entries[earlier] = None
                self._count_skipped(dropped[0])
            latest[entry[2]] = index
        self._latest = latest

    @property
    def fixed_bytes(self) -> int:
        return self._fixed_bytes

    @property
    def holding(self) -> bool:
        return bool(self._entries)

    @property
    def due(self) -> float:
        return self._due

    @property
    def idle(self) -> bool:
        """Nothing held, nothing asked for: the connection can go back to plain."""
        return not self._entries and not self.pressured and self.subscription.everything

    def offer_burst(self, burst: Burst, start: int, end: int) -> None:
        """The burst's events from `start` to `end` (a reply to this client may come
        between two parts of one burst)."""
        if start >= end:
            return  # nothing of it yet (a reply to this client came first)
        subscription = self.subscription
        whole = start == 0 and end == len(burst.events) <= SHARED_BATCH_EVENTS
        if whole and subscription.batch and not self.pressured and _onlybatch_frame(subscription):
            frame = burst.batch()  # shared with every client like this one
            self._entries.append((-1, frame, None))
            self._fixed_bytes += len(frame)
            return
        if burst.runs and subscription.columns and _only_columns(subscription):
            self._offer_columns(burst, start, end)
            return
        region = subscription.region
        if region is not None and burst.where is not None:
            self._offer_region(burst, region, start, end)
            return
        for seq, tag, message in burst.events[start:end]:
            self.offer(seq, tag, message)

    def _offer_region(self, burst: Burst, region: Region, start: int, end: int) -> None:
        """The burst's events a region client may be concerned by (`_Regions.picks`); the
        common one, an update of an agent it holds that stays inside, is taken here
        (`offer` does the same, slower) when nothing else shapes the client."""
        events, where, inside, entries = burst.events, burst.where, self._inside, self._entries
        assert where is not None
        subscription = self.subscription
        direct = not (
            self.pressured
            or subscription.max_rate is not None
            or subscription.event_types is not None
            or subscription.agent_ids is not None
            or subscription.agent_kinds is not None
        )
        x_min, y_min, x_max, y_max = region.x_min, region.y_min, region.x_max, region.y_max
        for index in burst.regions().picks(region, inside, start, end):
            seq, tag, message = events[index]
            at = where[index]
            if (
                direct
                and at is not None
                and tag[0] == _UPDATE
                and tag[1] in inside
                and x_min <= at[0] <= x_max
                and y_min <= at[1] <= y_max
            ):
                entries.append((seq, message, tag[1]))
                continue
            self.offer(seq, tag, message, at)

    def _offer_columns(self, burst: Burst, start: int, end: int) -> None:
        """The burst's events, each tick published at once as its one shared frame (after
        the part of the agent index table the client lacks, if any). While coalescing,
        a tick's frame replaces a held one of the same agents, and goes whole (a key
        frame): the client never gets the one its deltas were taken against."""
        coalescing = self.pressured or self.subscription.max_rate is not None
        events, position = burst.events, start
        for run in burst.runs:
            if run.end <= start or run.start >= end:
                continue
            for seq, tag, message in events[position : run.start]:
                self.offer(seq, tag, message)
            position = run.end
            index = self._indexing.frame(run.table, run.needed)
            if index is not None:
                self._entries.append((-1, index, None))
                self._fixed_bytes += len(index)
            frame = (self._supersede(run) if coalescing else None) or run.frame()
            if coalescing:  # replaced by the next tick of its agents: not fixed (as updates)
                self._held_runs.append((len(self._entries), run))
            else:
                self._fixed_bytes += len(frame)
            self._entries.append((-1, frame, None))
        for seq, tag, message in events[position:end]:
            self.offer(seq, tag, message)

    def _supersede(self, run: ColumnsRun) -> bytes | None:
        """Drop a held frame of the same agents (counted as skipped), and return the key
        frame that replaces it; None if none is held."""
        for number, (at, held) in enumerate(self._held_runs):
            if held.agent_ids == run.agent_ids:
                self._entries[at] = None
                del self._held_runs[number]
                count, first, last = held.count, held.first_seq, held.last_seq
                self._count_skipped(first, count, last)
                return run.key_frame()
        return None

    def offer(self, seq: int, tag: Tag, message: bytes, where: Where = None) -> None:
        """A broadcast event (its tag and its stamped frame; where its agent is, for a
        region)."""
        subscription = self.subscription
        if not subscription.wants(tag):
            return
        kind, agent, _ = tag
        region = subscription.region
        if (
            region is not None
            and agent is not None
            and not self._through_region(region, seq, tag, message, where)
        ):
            return
        coalescing = self.pressured or subscription.max_rate is not None
        if kind == _UPDATE and agent is not None:
            if coalescing:
                earlier = self._latest.get(agent)
                if earlier is not None:
                    dropped = self._entries[earlier]
                    assert dropped is not None
                    self._entries[earlier] = None
                    self._count_skipped(dropped[0])
                self._latest[agent] = len(self._entries)
            self._entries.append((seq, message, agent))
            return
        if agent is not None:  # an agent added or removed: its earlier updates stand
            self._latest.pop(agent, None)
            self._held_runs = []
        self._entries.append((seq, message, None))
        self._fixed_bytes += len(message)

    def _through_region(
        self, region: Region, seq: int, tag: Tag, message: bytes, where: Where
    ) -> bool:
        """Whether an event about an agent goes on as it is, for a region client; an
        update that moves its agent in or out is held here as `agent_entered` or
        `agent_left` instead, and an event about an agent outside is dropped."""
        kind, agent, agent_kind = tag
        assert agent is not None
        inside = self._inside
        held = agent in inside
        if kind == _UPDATE:
            now_inside = region.contains(where)
            if held and now_inside:
                return True
            if held:
                inside.discard(agent)
                self._latest.pop(agent, None)  # its held updates stand, then it leaves
                self._hold_fixed(seq, left_frame(seq, orjson.loads(message)["tick"], agent))
            elif now_inside and agent_kind is not None:
                inside.add(agent)
                self._latest.pop(agent, None)
                event = orjson.loads(message)
                frame = entered_frame(seq, event["tick"], agent, agent_kind, event["data"])
                self._hold_fixed(seq, frame)
            return False
        if kind == "agent_added":
            if region.contains(where):
                inside.add(agent)
                return True
            return False
        if kind == "agent_removed":
            inside.discard(agent)
        return held

    def _hold_fixed(self, seq: int, message: bytes) -> None:
        self._entries.append((seq, message, None))
        self._fixed_bytes += len(message)

    def reply(self, message: bytes) -> None:
        """A reply to this client: never held back, never batched."""
        self._entries.append((0, message, None))
        self._fixed_bytes += len(message)
        self._replies += 1

    def forget_broadcasts(self) -> None:
        """Drop the broadcasts held (a new snapshot supersedes them: a playback's seek);
        the replies stay, in order."""
        self._entries = [e for e in self._entries if e is not None and e[0] == 0]
        self._fixed_bytes = sum(len(e[1]) for e in self._entries if e is not None)
        self._latest = {}
        self._skipped = [0, 0, 0]
        self._held_runs = []
        self._indexing = Indexing()  # the table is sent whole again, from the start

    def take(self, now: float, *, hold: bool = False) -> tuple[list[bytes], int]:
        """The frames to write now, and how many agent_updates they leave out (the
        notice is among the frames); nothing while `hold` (the socket is not keeping
        up) or while a max_rate delivery is not due and no reply waits."""
        if not self._entries:
            return [], 0
        max_rate = self.subscription.max_rate
        replying = self._replies > 0
        if hold and not replying:
            return [], 0
        if max_rate is not None and now < self._due and not replying:
            return [], 0
        if max_rate is not None:
            self._due = now + 1.0 / max_rate
        frames: list[bytes] = []
        count, first, last = self._skipped
        if count:
            reason: Literal["max_rate", "backpressure"] = (
                "backpressure" if self.pressured or max_rate is None else "max_rate"
            )
            frames.append(skipped_frame(reason, count, first, last))
        batch: list[bytes] = []
        batching = self.subscription.batch
        for entry in self._entries:
            if entry is None:
                continue
            seq, message, _ = entry
            if seq > 0 and batching:
                batch.append(message)
                continue
            if batch:
                frames.append(batch_frame(batch))
                batch = []
            frames.append(message)
        if batch:
            frames.append(batch_frame(batch))
        self._entries = []
        self._latest = {}
        self._held_runs = []
        self._fixed_bytes = 0
        self._replies = 0
        self._skipped = [0, 0, 0]
        return frames, count

    def _count_skipped(self, seq: int, count: int = 1, last: int | None = None) -> None:
        """`count` updates left out, seqs `seq` to `last` (one: `seq` alone)."""
        skipped = self._skipped
        if not skipped[0]:
            skipped[1] = seq
        skipped[0] += count
        skipped[1] = min(skipped[1], seq)
        skipped[2] = max(skipped[2], seq if last is None else last)
        self.coalesced += count


def _onlybatch_frame(subscription: Subscription) -> bool:
    """Every event as it comes, batched: what a shared batch frame is."""
    return not subscription.filtered and subscription.max_rate is None and not subscription.columns


def _only_columns(subscription: Subscription) -> bool:
    """Every agent: what a shared columns frame is (filters need updates one by one)."""
    return not subscription.filtered


def takes_columns(subscription: Subscription) -> bool:
    """Whether a client takes a tick published at once as its shared frame only (never
    its updates one by one)."""
    return subscription.columns and _only_columns(subscription)
