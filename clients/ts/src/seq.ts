/**
 * Sequence tracking. Every broadcast event carries `seq`, one more than the previous
 * broadcast; a `snapshot`'s `seq` is the last broadcast it already reflects, so the next
 * event is `seq + 1`. A new `epoch` means a new server run whose `seq` started over.
 *
 * Two things make a jump in `seq` no loss: a `skipped` notice (the server coalesced
 * agent updates away: the seqs up to its `last_seq` may be missing), and a subscription
 * that filters (`lenient`: the server leaves out, by design, what it was not asked for).
 */

import { BROADCAST_EVENT_TYPES, EVENT_TYPES } from "./gen/contract.js";
import type { ServerEvent, SnapshotEvent } from "./gen/protocol.js";

/** A broadcast event whose `seq` was not the one expected. */
export interface SeqGap {
  /** Server run the events belong to. */
  epoch: string;
  /** The `seq` that should have come next. */
  expected: number;
  /** The `seq` that came. Greater: `received - expected` events were lost; smaller: a repeat. */
  received: number;
  /** Type of the event that revealed the gap. */
  eventType: ServerEvent["type"];
}

const BROADCAST: ReadonlySet<string> = new Set(BROADCAST_EVENT_TYPES);
const CORE: ReadonlySet<string> = new Set(EVENT_TYPES);

/**
 * The `seq` of a broadcast event, or `undefined` for replies and snapshots. An event the
 * core does not know (an extension's) is a broadcast if it carries `seq`: the server
 * stamps every broadcast, and skipping one would report a gap at the next.
 */
export function broadcastSeq(event: ServerEvent): number | undefined {
  if ((CORE.has(event.type) && !BROADCAST.has(event.type)) || !("seq" in event)) return undefined;
  return typeof event.seq === "number" ? event.seq : undefined;
}

/** Remembers the last `seq` seen in the current epoch and spots gaps. */
export class SeqTracker {
  /** Epoch of the last snapshot (or resume); `undefined` before the first. */
  epoch: string | undefined;
  /** Last `seq` seen on this connection; `undefined` until its snapshot (or `resumed`) arrives. */
  last: number | undefined;
  /**
   * A subscription filters what this connection is sent (event types or agents, or a
   * `max_rate`): events are missing by design, so a `seq` beyond the expected one is no
   * loss. A repeat or a step back (a `seq` at or below the last) is still reported.
   */
  lenient = false;
  /** The highest `last_seq` of a `skipped` notice on this connection: up to it, seqs may be missing. */
  #covered = 0;

  /** Take the snapshot's position. Returns whether the epoch changed (a new server run). */
  snapshot(snapshot: SnapshotEvent): boolean {
    const changed = this.epoch !== undefined && this.epoch !== snapshot.epoch;
    this.epoch = snapshot.epoch;
    this.last = snapshot.seq;
    this.#covered = 0;
    return changed;
  }

  /**
   * Take a `resumed` frame's position: the server replays the events after `seq` of
   * `epoch`, so the next event is `seq + 1`, as after a snapshot at that seq.
   */
  resume(epoch: string, seq: number): void {
    this.epoch = epoch;
    this.last = seq;
    this.#covered = 0;
  }

  /**
   * A subscription took effect after `seq` (its ack's `result.seq`): the next event is
   * `seq + 1` as after a snapshot there. What the old subscription left out before it is no loss.
   */
  resubscribed(seq: number): void {
    if (this.last !== undefined) this.last = Math.max(this.last, seq);
  }

  /**
   * A `skipped` notice: agent updates up to `lastSeq` were coalesced away (each replaced by
   * a later one of the same agent), so the seqs up to it may be missing without a loss.
   */
  skipped(lastSeq: number): void {
    if (this.last !== undefined) this.#covered = Math.max(this.#covered, lastSeq);
  }

  /** Check one event; returns the gap it reveals, if any. Repeats do not move `last` back. */
  observe(event: ServerEvent): SeqGap | undefined {
    // A tick's updates as columns stand for the seqs first_seq to last_seq.
    const columns = event.type === "agent_columns";
    const seq = columns ? event.first_seq : broadcastSeq(event);
    if (seq === undefined || this.last === undefined || this.epoch === undefined) return undefined;
    const last = this.last;
    const end = columns ? event.last_seq : seq;
    if (end > last) this.last = end;
    if (seq === last + 1) return undefined;
    if (seq > last && (this.lenient || seq <= this.#covered + 1)) return undefined;
    // Past what a notice covered, the first seq missing is the one after it.
    const expected = seq > last ? Math.max(last, this.#covered) + 1 : last + 1;
    return { epoch: this.epoch, expected, received: seq, eventType: event.type };
  }

  /** The connection is gone: stop checking until the next snapshot or resume. */
  disconnect(): void {
    this.last = undefined;
    this.#covered = 0;
  }
}
