/**
 * Subscriptions, batches and `skipped` notices on a fake socket (test/fake.ts): the frames a
 * shaped connection gets, played into the client one by one, so that seq gaps by design,
 * coalesced updates and refusals can be set up exactly. The real server's side is in
 * test/subscribe.test.ts.
 */

import { afterEach, describe, expect, it, vi } from "vitest";
import {
  MissingCapabilityError,
  type SeqGap,
  type ServerEvent,
  type SpineClient,
  type SubscribeCommand,
} from "../src/index.js";
import { connected, FakeSocket, snapshot } from "./fake.js";

const SHAPING = ["resume", "subscribe", "batch"];

afterEach(() => {
  vi.restoreAllMocks();
});

/** A client open on a fake server that has `capabilities`, its snapshot at `seq` 10 of e1. */
async function open(options: Parameters<typeof connected>[0] = {}, capabilities = SHAPING) {
  const gaps: SeqGap[] = [];
  const opened = await connected({ onGap: (gap) => gaps.push(gap), ...options });
  opened.socket.deliver({ ...snapshot("e1", 10), capabilities });
  await opened.connecting;
  return { ...opened, gaps };
}

/** Every event handlers get, as `type:seq` (`type` alone for an event without seq). */
function record(client: SpineClient): string[] {
  const seen: string[] = [];
  client.onAny((event) => seen.push("seq" in event && event.seq !== undefined ? `${event.type}:${event.seq}` : event.type));
  return seen;
}

/** What the client sent last, parsed. */
function lastSent(socket: FakeSocket): Record<string, unknown> {
  return JSON.parse(socket.sent.at(-1) ?? "null") as Record<string, unknown>;
}

/** The JSON of the `subscribe` query parameter of the URL a socket opened, or null. */
function subscribeParam(socket: FakeSocket): unknown {
  const value = new URL(socket.url).searchParams.get("subscribe");
  return value === null ? null : JSON.parse(value);
}

const burst: ServerEvent[] = [
  { type: "tick_start", seq: 11, tick: 8 },
  { type: "agent_update", seq: 12, tick: 8, agent_id: "a", data: { x: 3, y: 4 } },
  { type: "agent_added", seq: 13, tick: 8, agent_id: "b", agent_kind: "car", data: { x: 0 } },
  { type: "tick_end", seq: 14, tick: 8 },
];

/** Deliver a `batch` frame (the fake's `deliver` takes core events; a batch is one). */
function deliverBatch(socket: FakeSocket, events: ServerEvent[]): void {
  socket.deliver({ type: "batch", events: events as unknown as [{ type: "tick_start"; seq: number }] });
}

describe("batch frames", () => {
  it("reach handlers, world and the seq check as the same events one by one would", async () => {
    const plain = await open();
    const plainSeen = record(plain.client);
    for (const event of burst) plain.socket.deliver(event);

    const batched = await open();
    const batchedSeen = record(batched.client);
    const ticks: number[] = [];
    batched.client.on("tick_end", (event) => ticks.push(event.tick));
    deliverBatch(batched.socket, burst);

    expect(batchedSeen).toEqual(["tick_start:11", "agent_update:12", "agent_added:13", "tick_end:14"]);
    expect(batchedSeen).toEqual(plainSeen);
    expect(ticks).toEqual([8]);
    expect([...batched.client.world.agents]).toEqual([...plain.client.world.agents]);
    expect(batched.client.world.agents.get("a")?.data).toEqual({ x: 3, y: 4 });
    expect(batched.client.lastSeq).toBe(14);
    expect(batched.gaps).toEqual([]);
    plain.client.close();
    batched.client.close();
  });

  it("calls on('batch') once per frame, after its events are in world (onAny sees the events only)", async () => {
    const { client, socket } = await open();
    const calls: Array<{ size: number; hasB: boolean }> = [];
    client.on("batch", (event) => calls.push({ size: event.events.length, hasB: client.world.agents.has("b") }));
    const seen = record(client);
    deliverBatch(socket, burst);
    expect(calls).toEqual([{ size: 4, hasB: true }]);
    expect(seen).not.toContain("batch");
    client.close();
  });

  it("still reports a gap inside a batch when nothing filters (batch alone loses nothing)", async () => {
    const { client, socket, gaps } = await open({ subscribe: { batch: true } });
    deliverBatch(socket, [burst[0] as ServerEvent, burst[2] as ServerEvent]);
    expect(gaps).toEqual([{ epoch: "e1", expected: 12, received: 13, eventType: "agent_added" }]);
    client.close();
  });
});

describe("skipped notices", () => {
  it("reach handlers, and the seqs they cover are no loss; a gap past last_seq still is", async () => {
    const { client, socket, gaps } = await open();
    const notices: number[] = [];
    client.on("skipped", (event) => notices.push(event.count));
    socket.deliver({ type: "skipped", reason: "backpressure", count: 3, first_seq: 12, last_seq: 16 });
    socket.deliver({ type: "tick_start", seq: 11, tick: 8 });
    socket.deliver({ type: "tick_end", seq: 15, tick: 8 }); // 12-14 coalesced away
    socket.deliver({ type: "agent_update", seq: 17, tick: 8, agent_id: "a", data: { x: 9 } }); // 16 too
    expect(notices).toEqual([3]);
    expect(gaps).toEqual([]);
    expect(client.world.agents.get("a")?.data).toEqual({ x: 9 });
    socket.deliver({ type: "tick_start", seq: 20, tick: 9 });
    expect(gaps).toEqual([{ epoch: "e1", expected: 18, received: 20, eventType: "tick_start" }]);
    client.close();
  });

  it("work inside a max_rate delivery: the notice, then a batch whose seqs it covers", async () => {
    const { client, socket, gaps } = await open({ subscribe: { batch: true, max_rate: 2 } });
    socket.deliver({ type: "skipped", reason: "max_rate", count: 2, first_seq: 12, last_seq: 13 });
    deliverBatch(socket, [
      { type: "tick_start", seq: 11, tick: 8 },
      { type: "agent_update", seq: 14, tick: 8, agent_id: "a", data: { x: 1 } },
    ]);
    expect(gaps).toEqual([]);
    expect(client.lastSeq).toBe(14);
    client.close();
  });
});

describe("a connect-time subscription (the subscribe option)", () => {
  it("goes in ?subscribe= on every connection, resumes included", async () => {
    const subscription = { agent_kinds: ["car"], batch: true };
    const { client, socket } = await open({ subscribe: subscription, reconnect: { initialDelayMs: 1, maxDelayMs: 1, jitter: 0 } });
    expect(subscribeParam(socket)).toEqual(subscription);
    expect(client.subscription).toEqual(subscription);
    socket.drop();
    await vi.waitFor(() => expect(FakeSocket.last).not.toBe(socket));
    const again = FakeSocket.last as FakeSocket;
    expect(new URL(again.url).searchParams.get("resume")).toBe("e1:10");
    expect(subscribeParam(again)).toEqual(subscription);
    client.close();
  });

  it("is left out of the URL when it asks for everything", async () => {
    const { client, socket } = await open({ subscribe: {} });
    expect(new URL(socket.url).searchParams.has("subscribe")).toBe(false);
    client.close();
  });

  it("makes seq jumps no loss while it filters, but a repeat is still reported", async () => {
    const { client, socket, gaps } = await open({ subscribe: { agent_kinds: ["car"] } });
    socket.deliver({ type: "tick_start", seq: 15, tick: 8 });
    socket.deliver({ type: "tick_end", seq: 19, tick: 8 });
    expect(gaps).toEqual([]);
    expect(client.lastSeq).toBe(19);
    socket.deliver({ type: "tick_end", seq: 19, tick: 8 });
    expect(gaps).toEqual([{ epoch: "e1", expected: 20, received: 19, eventType: "tick_end" }]);
    client.close();
  });

  it("fails clearly on a server without subscribe: connect() rejects, the client closes", async () => {
    const opened = await connected({ subscribe: { agent_kinds: ["car"] } });
    opened.socket.deliver({ ...snapshot("e1", 10), capabilities: ["resume"] });
    const error = await opened.connecting.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(MissingCapabilityError);
    expect((error as MissingCapabilityError).capability).toBe("subscribe");
    expect(opened.client.state).toBe("closed");
    expect(opened.socket.closed).toBe(true);
  });

  it("is dropped when the server refuses it (an error for subscribe after the snapshot)", async () => {
    const { client, socket, gaps } = await open({ subscribe: { agent_kinds: ["car"] } });
    socket.deliver({ type: "error", code: "invalid_message", message: "bad", command_type: "subscribe" });
    expect(client.subscription).toEqual({});
    socket.deliver({ type: "tick_start", seq: 13, tick: 8 }); // unfiltered now: 11, 12 are lost
    expect(gaps).toEqual([{ epoch: "e1", expected: 11, received: 13, eventType: "tick_start" }]);
    client.close();
  });
});

describe("subscribe()", () => {
  const agents = [{ agent_id: "c1", agent_kind: "car", data: { x: 5 } }];

  it("sends subscribe; its ack replaces world's agents, moves the seq on, and is kept for reconnects", async () => {
    const { client, socket, gaps } = await open({ reconnect: { initialDelayMs: 1, maxDelayMs: 1, jitter: 0 } });
    const done = client.subscribe({ agent_kinds: ["car"], max_rate: 5 });
    const sent = lastSent(socket);
    expect(sent).toMatchObject({ type: "subscribe", agent_kinds: ["car"], max_rate: 5 });
    socket.deliver({ type: "tick_start", seq: 11, tick: 8 }); // still the old subscription
    socket.deliver({
      type: "command_ack",
      command_type: "subscribe",
      command_id: sent["id"] as string,
      tick: 8,
      result: { seq: 12, agents },
    });
    const result = await done;
    expect(result).toEqual({ seq: 12, agents });
    expect([...client.world.agents.keys()]).toEqual(["c1"]);
    expect(client.lastSeq).toBe(12);
    expect(client.subscription).toEqual({ agent_kinds: ["car"], max_rate: 5 });
    socket.deliver({ type: "tick_end", seq: 18, tick: 8 }); // filtered: no loss
    expect(gaps).toEqual([]);

    socket.drop();
    await vi.waitFor(() => expect(FakeSocket.last).not.toBe(socket));
    expect(subscribeParam(FakeSocket.last as FakeSocket)).toEqual({ agent_kinds: ["car"], max_rate: 5 });
    client.close();
  });

  it("checks gaps strictly again once a subscription no longer filters", async () => {
    const { client, socket, gaps } = await open({ subscribe: { agent_kinds: ["car"] } });
    socket.deliver({ type: "tick_start", seq: 15, tick: 8 });
    const done = client.subscribe({ batch: true });
    const id = lastSent(socket)["id"] as string;
    socket.deliver({ type: "command_ack", command_type: "subscribe", command_id: id, tick: 8, result: { seq: 17, agents } });
    await done;
    deliverBatch(socket, [
      { type: "tick_end", seq: 18, tick: 8 },
      { type: "tick_start", seq: 20, tick: 9 },
    ]);
    expect(gaps).toEqual([{ epoch: "e1", expected: 19, received: 20, eventType: "tick_start" }]);
    client.close();
  });

  it("is the same when sent with send(): world follows the ack", async () => {
    const { client, socket } = await open();
    const done = client.send({ type: "subscribe", id: "s1", agent_ids: ["c1"] } satisfies SubscribeCommand);
    socket.deliver({ type: "command_ack", command_type: "subscribe", command_id: "s1", tick: 8, result: { seq: 10, agents } });
    expect((await done).result.agents).toEqual(agents);
    expect([...client.world.agents.keys()]).toEqual(["c1"]);
    expect(client.subscription).toEqual({ agent_ids: ["c1"] });
    client.close();
  });

  it("keeps the subscription and world when the server refuses it", async () => {
    const { client, socket } = await open({ subscribe: { agent_kinds: ["walker"] } });
    const done = client.subscribe({ agent_kinds: ["car"] }).catch((error: unknown) => error);
    const id = lastSent(socket)["id"] as string;
    socket.deliver({ type: "error", code: "invalid_message", message: "no", command_type: "subscribe", command_id: id });
    expect(await done).toMatchObject({ code: "invalid_message" });
    expect(client.subscription).toEqual({ agent_kinds: ["walker"] });
    expect([...client.world.agents.keys()]).toEqual(["a"]);
    client.close();
  });

  it("rejects with MissingCapabilityError, sending nothing, on a server without subscribe or batch", async () => {
    const old = await open({}, ["resume"]);
    const error = await old.client.subscribe({ agent_kinds: ["car"] }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(MissingCapabilityError);
    expect(String(error)).toContain('"subscribe"');
    expect(old.socket.sent).toEqual([]);
    old.client.close();

    const noBatch = await open({}, ["resume", "subscribe"]);
    const refused = await noBatch.client.subscribe({ batch: true }).catch((failure: unknown) => failure);
    expect((refused as MissingCapabilityError).capability).toBe("batch");
    expect(noBatch.socket.sent).toEqual([]);
    noBatch.client.close();
  });
});
