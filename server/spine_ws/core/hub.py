"""The server's side of the boundary, on the event loop: a thin front over the three
parts that own its state (sans-I/O: clients are `Outbox`es, so tests need no socket):

* `Stream` (core/stream.py): seq and epoch, the log, the mirror, snapshots and resumes.
* `Fanout` (core/fanout.py): the connections, and each burst written to them.
* `Intake` (core/intake.py): command frames in, checked, ticketed and queued, or
  answered at once; the commands still owed a reply.

`deliver` takes each burst of the simulation's events in order: a broadcast is stamped
with the next seq (spliced into the JSON serialised once on the simulation's thread),
appended to the stream and written to every client; a reply goes to its one client.
`relay` does the same with frames stamped elsewhere (a cluster gateway's host). `join`
starts a client with the snapshot, or with `resumed` and exactly the frames it missed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson

from spine_ws.core.catalog import CORE, Catalog
from spine_ws.core.codec import SPINE, resumed_frame, snapshot_head
from spine_ws.core.columnar import ColumnsRun
from spine_ws.core.delivery import Subscription, Tag, tag_of
from spine_ws.core.errors import ProtocolError
from spine_ws.core.fanout import Fanout, Writing
from spine_ws.core.history import Log
from spine_ws.core.intake import Answer, CommandSink, Intake, LongCommands, Meter
from spine_ws.core.items import AgentUpdates, CommandItem, Published
from spine_ws.core.messages import wire_type
from spine_ws.core.mirror import Mirror
from spine_ws.core.outbox import Outbox, Sender
from spine_ws.core.parse import Limits
from spine_ws.core.region import Where, position
from spine_ws.core.stream import RESUME_MAX, SMALL_REPLAY, GapError, Stream

__all__ = ["SMALL_REPLAY", "CommandSink", "GapError", "Hub", "LongCommands", "Meter"]

# Where a tick's updates stand among a burst's events when none goes one by one.
_TICK_TAG: Tag = ("agent_columns", None, None)
# The events that say where their agent is (its data), for the region clients.
_POSITIONED = frozenset({"agent_update", "agent_added"})


class Hub:
    """Clients, the broadcast sequence and the mirror of the world."""

    def __init__(
        self,
        commands: CommandSink,
        *,
        clock: Callable[[], float],
        catalog: Catalog = CORE,
        limits: Limits | None = None,
        max_agent_data_bytes: int = 8 * 1024,
        epoch: str | None = None,
        supported: Iterable[str] | None = None,
        simulation_name: str = "the simulation",
        history: Log | None = None,
        id_prefix: str | None = None,
        capabilities: Iterable[str] = (),
        meter: Meter | None = None,
        jobs: LongCommands | None = None,
    ) -> None:
        # The one clock the hub reads (time.monotonic, from the wiring): the core reads
        # none of its own, so tests drive time.
        self._clock = clock
        self.catalog = catalog
        # The command types the running simulation handles (default: every schema's).
        handled = catalog.simulation_commands if supported is None else supported
        self.stream = Stream(
            catalog,
            clock=clock,
            supported=handled,
            capabilities=capabilities,
            epoch=epoch,
            history=history,
        )
        self.fanout = Fanout(id_prefix or self.stream.epoch[:6])
        self.intake = Intake(
            commands,
            self.stream,
            clock=clock,
            catalog=catalog,
            limits=limits,
            max_agent_data_bytes=max_agent_data_bytes,
            simulation_name=simulation_name,
            meter=meter,
            jobs=jobs,
        )

    # What others read: the parts' state, through the front.

    @property
    def epoch(self) -> str:
        return self.stream.epoch

    @property
    def seq(self) -> int:
        return self.stream.seq

    @property
    def broadcasts(self) -> int:
        return self.stream.broadcasts

    @property
    def history(self) -> Log:
        return self.stream.history

    @property
    def mirror(self) -> Mirror:
        return self.stream.mirror

    @property
    def supported(self) -> list[str]:
        return self.stream.supported

    @property
    def capabilities(self) -> list[str]:
        return self.stream.capabilities

    @property
    def connections(self) -> dict[str, Outbox]:
        return self.fanout.connections

    @property
    def subscriptions(self) -> int:
        return self.fanout.subscriptions

    @property
    def id_prefix(self) -> str:
        return self.fanout.id_prefix

    @property
    def outstanding(self) -> dict[int, CommandItem]:
        return self.intake.outstanding

    @property
    def failure(self) -> str | None:
        return self.intake.failure

    @property
    def meter(self) -> Meter:
        return self.intake.meter

    @property
    def jobs(self) -> LongCommands:
        return self.intake.jobs

    # Connections.

    def new_connection_id(self) -> str:
        return self.fanout.new_connection_id()

    def on_broadcast(self, callback: Callable[[], None]) -> None:
        """Call `callback` after each burst that added events to the stream."""
        self.fanout.on_broadcast(callback)

    def attach_remote(self, sender: Sender) -> None:
        """A sender of commands from elsewhere (a gateway's client): replies reach it
        like a connection's, broadcasts never do."""
        self.fanout.attach_remote(sender)

    def detach_remote(self, sender_id: str) -> None:
        self.fanout.detach_remote(sender_id)

    def close_all(self, code: int, reason: str) -> int:
        """Close every connection (they reconnect); how many there were."""
        return self.fanout.close_all(code, reason)

    def join(
        self, client: Outbox, resume: str | None = None, subscription: Subscription | None = None
    ) -> str:
        """Start the client and subscribe it: no event can fall between the two.

        `resume` is its `<epoch>:<seq>`, if it asked: it gets `resumed` and the frames
        after its seq if they are all held and fewer bytes than a snapshot; else the
        snapshot, saying why. A `subscription` (given at connect time) shapes both.
        Returns what it got, for the connect log line.
        """
        stream = self.stream
        if subscription is not None:
            client.subscribe(subscription)
        shaping = client.shaping
        filtered = shaping.subscription if shaping and shaping.subscription.filtered else None
        refused: dict[str, Any] | None = None
        if resume is not None:
            reason, after = stream.resumable(resume)
            if reason is None:
                replayed = stream.seq - after
                head = resumed_frame(
                    {
                        "epoch": stream.epoch,
                        "seq": after,
                        "connection_id": client.id,
                        "role": client.role,
                        "capabilities": stream.capabilities,
                        "protocol_version": self.catalog.protocol_version,
                        "schema_hash": self.catalog.schema_hash,
                        "replayed": replayed,
                    }
                )
                frames, size = stream.replay(after, filtered)
                if shaping is not None and filtered is not None and filtered.region is not None:
                    shaping.hold(a["agent_id"] for a in stream.covered(filtered))
                client.send_replay(head, frames, size)
                self.fanout.add(client)
                self.meter.resume("replayed")
                return f"resumed {stream.epoch}:{after} ({replayed} events)"
            self.meter.resume(reason)
            refused = {"requested": resume[:RESUME_MAX], "reason": reason}
        # The body is shared by every joiner at this seq; only the head is the client's.
        prefix = snapshot_head(client.id, client.role, refused)
        client.send_snapshot((prefix, memoryview(self._snapshot_for(client))[1:]))
        self.fanout.add(client)
        return f"snapshot ({refused['reason']})" if refused else "snapshot"

    def leave(self, client: Outbox) -> None:
        self.fanout.leave(client)

    def rejoin(self, client: Outbox) -> None:
        """A client back to the stream from elsewhere (the recorded past): the snapshot
        of now, superseding what was held for it, then the stream."""
        body = self._snapshot_for(client)
        client.restart((snapshot_head(client.id, client.role, None), memoryview(body)[1:]))
        self.fanout.add(client)

    def _snapshot_for(self, client: Outbox) -> bytes:
        """The snapshot body a client is sent: the whole world, or the agents its
        subscription covers (which a region client then holds)."""
        shaping = client.shaping
        if shaping is None or not shaping.subscription.filtered:
            return self.stream.snapshot()
        body, held = self.stream.snapshot_of(shaping.subscription)
        shaping.hold(held)
        return body

    def snapshot(self) -> bytes:
        """The snapshot at the current seq, without a connection's own members."""
        return self.stream.snapshot()

    def reset(
        self,
        epoch: str,
        supported: Iterable[str],
        history: Log,
        checkpoint: dict[str, Any] | None = None,
    ) -> None:
        """Start over in `epoch` (a cluster gateway following a host): at seq 0, or at a
        checkpoint's seq with its world (a snapshot's members)."""
        self.stream.reset(epoch, supported, history, checkpoint)
        self.intake.handles(supported)

    def answer(self, command_type: str, answer: Answer) -> None:
        """Answer connection command `command_type` here too, and list it (a recording's
        playback: `playback.seek`, ...)."""
        self.intake.answer(command_type, answer)
        self.stream.answers(command_type)

    # Commands in.

    def submit(self, client: Outbox, text: str) -> None:
        """Handle one command frame; every frame gets exactly one reply, now or later."""
        self.intake.submit(client, text)

    def submit_from(self, sender: Sender, text: str) -> None:
        """A command frame from a sender elsewhere (a cluster gateway's client)."""
        self.intake.submit_from(sender, text)

    def subscription_of(self, text: str, encoding: str = SPINE) -> Subscription:
        """A connect-time `/ws?subscribe=` value for a connection of `encoding` (raises
        the `ProtocolError` to reply)."""
        return self.intake.subscription_of(text, encoding)

    def reply(
        self,
        client: Sender,
        error: ProtocolError,
        command_id: str | None = None,
        command_type: str | None = None,
    ) -> None:
        self.intake.reply(client, error, command_id, command_type)

    def fail(self, reason: str) -> None:
        """The simulation is gone for good: say so to every client, and answer every
        command it still owed a reply (and every later one) with an error."""
        items = self.intake.fail(reason)
        if items is not None:
            self.deliver(items)

    # Events out.

    def deliver(self, items: Sequence[Published]) -> None:
        """Called on the loop with each burst of events of the simulation, in order."""
        stream, writing = self.stream, self.fanout.burst()
        now = self._clock() if any(item.to is None for item in items) else 0.0
        for item in items:
            if isinstance(item, AgentUpdates):
                self._updates(item, writing, now)
                continue
            if item.to is not None:
                if item.ticket is not None:
                    self.intake.answered(item.ticket, item.event)
                writing.reply(item.to, item.body)
                continue
            event = item.event
            tag: Tag | None = None
            where: Where = None
            if writing.tagging is not None:  # before the mirror forgets a removed agent
                tag = tag_of(
                    wire_type(type(event)),
                    getattr(event, "agent_id", None),
                    getattr(event, "agent_kind", None),
                    stream.mirror.kinds,
                )
                if writing.regional and tag[0] in _POSITIONED:
                    where = position(getattr(event, "data", None))
            seq, frame = stream.next_frame(item.body)
            stream.append(seq, frame, event, now)
            writing.send(seq, tag, frame, where)
        writing.end()

    def _updates(self, updates: AgentUpdates, writing: Writing, now: float) -> None:
        """A tick's `agent_update`s published at once: one entry of the stream, sent one
        by one (as `deliver` sends an event, with no model: their columns were validated
        whole) only to the clients that take them so, and as one columns frame to the
        others. A world watched as columns alone makes no frame, no data per agent."""
        if not updates.agent_ids:
            return
        stream, burst = self.stream, writing.tagging
        start = len(burst.events) if burst is not None else 0
        tick = stream.append_updates(updates, now, framed=writing.per_event)
        writing.broadcast = True
        if writing.per_event:
            kinds = stream.mirror.kinds if burst is not None else None
            rows = updates.rows() if writing.regional else None
            for offset, (agent_id, frame) in enumerate(
                zip(updates.agent_ids, tick.frames(), strict=True)
            ):
                tag = None if kinds is None else tag_of("agent_update", agent_id, None, kinds)
                where = position(rows[offset]) if rows is not None else None
                writing.send(tick.first + offset, tag, frame, where)
        elif burst is not None:  # one place among the burst's events, for its frame
            burst.events.append((tick.first, _TICK_TAG, b""))
            if burst.where is not None:
                burst.where.append(None)
        if burst is not None and writing.columnar:
            table = stream.agent_index
            index = table.indices(updates.agent_ids)
            burst.runs.append(
                ColumnsRun(
                    start,
                    len(burst.events),
                    tick.first,
                    updates.tick,
                    updates.agent_ids,
                    updates.columns,
                    table,
                    index,
                    len(table.ids),
                )
            )

    def relay(self, frames: Sequence[bytes]) -> None:
        """Deliver broadcast frames stamped elsewhere (a cluster gateway: the host's,
        read from the stream), as they are: same bytes, same seq. A frame at or below
        the current seq is a redelivery and is skipped; one beyond the next is a gap,
        which the caller must not let happen (`GapError`)."""
        stream, writing = self.stream, self.fanout.burst()
        now = self._clock()
        for frame in frames:
            event = orjson.loads(frame)
            seq = event.get("seq")
            if not isinstance(seq, int) or seq <= stream.seq:
                continue
            tag: Tag | None = None
            if writing.tagging is not None:
                agents = stream.mirror.kinds
                tag = tag_of(
                    event.get("type"), event.get("agent_id"), event.get("agent_kind"), agents
                )
            model = self.catalog.events.get(event.get("type"))
            stream.append(seq, frame, model.model_validate(event) if model else None, now)
            writing.send(seq, tag, frame, position(event.get("data")) if writing.regional else None)
        writing.end()
