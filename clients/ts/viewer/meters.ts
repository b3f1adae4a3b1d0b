/**
 * What the page measures of the stream and of itself: events and ticks per second, the
 * updates the server coalesced for it, how late ticks arrive, and how long a frame takes.
 *
 * The protocol carries no timestamps, so latency is estimated from the tick clock: over
 * the last few seconds, fit a steady stream (the mean tick interval) to the ticks'
 * arrival times; the latest tick's latency is how much later it came than that stream
 * predicts, the best-placed tick of the window counting as on time. It shows the page or
 * the network falling behind (a backlog delays every tick more than the one before);
 * a constant delay (the network's one-way time) it cannot see.
 */

const WINDOW_MS = 3_000;
const BUCKET_MS = 100;
const BUCKETS = WINDOW_MS / BUCKET_MS;
const FRAME_SAMPLES = 300;

/** Sorted-sample percentile; 0 for no samples. */
function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/** A count per second over WINDOW_MS, in 100 ms buckets: constant work per count, at any rate. */
class RateWindow {
  readonly #buckets = new Array<number>(BUCKETS).fill(0);
  readonly #bucketIds = new Array<number>(BUCKETS).fill(-1);

  add(now: number, count = 1): void {
    const id = Math.floor(now / BUCKET_MS);
    const slot = id % BUCKETS;
    if (this.#bucketIds[slot] !== id) {
      this.#bucketIds[slot] = id;
      this.#buckets[slot] = 0;
    }
    this.#buckets[slot] = (this.#buckets[slot] ?? 0) + count;
  }

  /** Over the last WINDOW_MS, the current (partial) bucket left out. */
  perSecond(now: number): number {
    const current = Math.floor(now / BUCKET_MS);
    let count = 0;
    for (let slot = 0; slot < BUCKETS; slot++) {
      const id = this.#bucketIds[slot] ?? -1;
      if (id < current && id > current - BUCKETS) count += this.#buckets[slot] ?? 0;
    }
    return count / (((BUCKETS - 1) * BUCKET_MS) / 1000);
  }
}

export class StreamMeter {
  readonly #events = new RateWindow();
  readonly #skipped = new RateWindow();
  #ticks: Array<{ tick: number; at: number }> = [];
  /** When the last event came; undefined before the first. */
  lastEventAt: number | undefined;
  latencyMs: number | undefined;
  /** Events counted since the page loaded. */
  total = 0;
  /** Agent updates the server coalesced for this page (`skipped` notices) since it loaded. */
  skippedTotal = 0;

  /** `count` events received at `now` (a columns frame brings a tick's updates at once). */
  event(now: number, count = 1): void {
    this.total += count;
    this.lastEventAt = now;
    this.#events.add(now, count);
  }

  /** A `skipped` notice: the server left out `count` updates (the page fell behind, or its max_rate). */
  skipped(count: number, now: number): void {
    this.skippedTotal += count;
    this.#skipped.add(now, count);
  }

  skippedPerSecond(now: number): number {
    return this.#skipped.perSecond(now);
  }

  tick(tick: number, now: number): void {
    const ticks = this.#ticks;
    const last = ticks.at(-1);
    // A tick that goes back (a new snapshot, a restart) starts the window over.
    if (last && tick <= last.tick) ticks.length = 0;
    ticks.push({ tick, at: now });
    while (ticks.length > 2 && (ticks[0]?.at ?? now) < now - WINDOW_MS) ticks.shift();
    this.latencyMs = this.#latency();
  }

  /** The stream stopped (paused, disconnected): later ticks are not late for it. */
  interrupt(): void {
    this.#ticks = [];
    this.latencyMs = undefined;
  }

  eventsPerSecond(now: number): number {
    return this.#events.perSecond(now);
  }

  ticksPerSecond(now: number): number | undefined {
    const ticks = this.#ticks;
    const first = ticks[0];
    const last = ticks.at(-1);
    if (!first || !last || ticks.length < 3 || now - last.at > WINDOW_MS) return undefined;
    return ((last.tick - first.tick) * 1000) / Math.max(1, last.at - first.at);
  }

  #latency(): number | undefined {
    const ticks = this.#ticks;
    const first = ticks[0];
    const last = ticks.at(-1);
    if (!first || !last || ticks.length < 5 || last.tick === first.tick) return undefined;
    const period = (last.at - first.at) / (last.tick - first.tick);
    let best = Number.POSITIVE_INFINITY;
    for (const { tick, at } of ticks) best = Math.min(best, at - tick * period);
    return last.at - last.tick * period - best;
  }
}

/** Frame timing: the time spent drawing, and the interval between frames. */
export class FrameMeter {
  readonly draw: number[] = [];
  readonly interval: number[] = [];
  #lastFrame: number | undefined;

  frame(start: number, end: number): void {
    if (this.#lastFrame !== undefined) push(this.interval, start - this.#lastFrame);
    this.#lastFrame = start;
    push(this.draw, end - start);
  }

  summary(): { drawP50: number; drawP95: number; intervalP50: number; intervalP95: number; frames: number } {
    return {
      drawP50: percentile(this.draw, 0.5),
      drawP95: percentile(this.draw, 0.95),
      intervalP50: percentile(this.interval, 0.5),
      intervalP95: percentile(this.interval, 0.95),
      frames: this.draw.length,
    };
  }
}

function push(samples: number[], value: number): void {
  samples.push(value);
  if (samples.length > FRAME_SAMPLES) samples.shift();
}
