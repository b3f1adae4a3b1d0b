/**
 * Pure logic without a server: seq gaps, epochs, the schema-hash warning, the world mirror.
 * Frames are fed through a fake socket (test/fake.ts), one of the few places the tests do not
 * use the real server (a real server never skips a seq, so a gap cannot be provoked against it).
 */

import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type SchemaMismatch,
  PROTOCOL_VERSION,
  SCHEMA_HASH,
  type SeqGap,
  SeqTracker,
  type ServerEvent,
  SpineClient,
  WorldState,
} from "../src/index.js";
import { connected, FakeSocket, snapshot } from "./fake.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("seq gaps", () => {
  it("reports a skipped seq and a repeated one, and nothing for replies", async () => {
    const gaps: SeqGap[] = [];
    const { client, socket, connecting } = await connected({ onGap: (gap) => gaps.push(gap) });
    socket.deliver(snapshot("e1", 10));
    await connecting;
    socket.deliver({ type: "tick_start", seq: 11, tick: 8 });
    socket.deliver({ type: "command_ack", command_type: "start", tick: 8 });
    socket.deliver({ type: "error", code: "invalid_state", message: "no" });
    socket.deliver({ type: "tick_end", seq: 12, tick: 8 });
    expect(gaps).toEqual([]);
    socket.deliver({ type: "tick_start", seq: 15, tick: 9 });
    expect(gaps).toEqual([{ epoch: "e1", expected: 13, received: 15, eventType: "tick_start" }]);
    socket.deliver({ type: "tick_end", seq: 15, tick: 9 });
    expect(gaps[1]).toEqual({ epoch: "e1", expected: 16, received: 15, eventType: "tick_end" });
    expect(client.lastSeq).toBe(15);
    client.close();
  });

  it("counts a broadcast error (with seq) like any broadcast", async () => {
    const gaps: SeqGap[] = [];
    const { client, socket, connecting } = await connected({ onGap: (gap) => gaps.push(gap) });
    socket.deliver(snapshot("e1", 0));
    await connecting;
    socket.deliver({ type: "error", code: "simulation_error", message: "boom", seq: 1 });
    socket.deliver({ type: "tick_start", seq: 3, tick: 1 });
    expect(gaps.map((g) => [g.expected, g.received])).toEqual([[2, 3]]);
    client.close();
  });

  it("takes a reconnect's snapshot as the truth: a new epoch restarts seq without a gap", async () => {
    const gaps: SeqGap[] = [];
    const { client, socket, connecting } = await connected({
      onGap: (gap) => gaps.push(gap),
      reconnect: { initialDelayMs: 1, maxDelayMs: 1, jitter: 0 },
    });
    socket.deliver(snapshot("e1", 40));
    await connecting;
    socket.deliver({ type: "agent_added", seq: 41, tick: 7, agent_id: "b", agent_kind: "k", data: {} });
    expect(client.world.agents.has("b")).toBe(true);
    socket.drop();
    expect(client.state).toBe("reconnecting");
    await vi.waitFor(() => expect(FakeSocket.last).not.toBe(socket));
    const again = FakeSocket.last as FakeSocket;
    again.deliver(snapshot("e2", 3));
    again.deliver({ type: "tick_start", seq: 4, tick: 1 });
    expect(gaps).toEqual([]);
    expect(client.epoch).toBe("e2");
    expect(client.world.agents.has("b")).toBe(false);
    client.close();
  });

  it("counts an extension's broadcast event (a type the core does not know) by its seq", async () => {
    const gaps: SeqGap[] = [];
    const { client, socket, connecting } = await connected({ onGap: (gap) => gaps.push(gap) });
    socket.deliver(snapshot("e1", 0));
    await connecting;
    const jam = { type: "jam", seq: 1, tick: 7, road: "A1" };
    socket.deliver(jam as unknown as ServerEvent);
    socket.deliver({ type: "tick_start", seq: 2, tick: 8 });
    expect(gaps).toEqual([]);
    socket.deliver({ ...jam, seq: 4 } as unknown as ServerEvent);
    expect(gaps).toEqual([{ epoch: "e1", expected: 3, received: 4, eventType: "jam" }]);
    expect(client.lastSeq).toBe(4);
    client.close();
  });

  it("warns on the console by default", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { client, socket, connecting } = await connected();
    socket.deliver(snapshot("e1", 1));
    await connecting;
    socket.deliver({ type: "tick_start", seq: 5, tick: 1 });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("expected 2, got 5"));
    client.close();
  });

  it("SeqTracker ignores events before the first snapshot", () => {
    const tracker = new SeqTracker();
    expect(tracker.observe({ type: "tick_start", seq: 9, tick: 0 })).toBeUndefined();
    expect(tracker.snapshot(snapshot("e", 9))).toBe(false);
    expect(tracker.observe({ type: "tick_start", seq: 10, tick: 0 })).toBeUndefined();
    expect(tracker.snapshot(snapshot("f", 0))).toBe(true);
  });
});

describe("schema hash", () => {
  it("reports a different schema_hash once per hash", async () => {
    const mismatches: SchemaMismatch[] = [];
    const { client, socket, connecting } = await connected({
      onSchemaMismatch: (m) => mismatches.push(m),
      reconnect: { initialDelayMs: 1, maxDelayMs: 1 },
    });
    socket.deliver(snapshot("e1", 0, "f".repeat(64)));
    await connecting;
    socket.drop();
    await vi.waitFor(() => expect(FakeSocket.last).not.toBe(socket));
    (FakeSocket.last as FakeSocket).deliver(snapshot("e1", 0, "f".repeat(64)));
    expect(mismatches).toEqual([
      {
        serverSchemaHash: "f".repeat(64),
        clientSchemaHash: SCHEMA_HASH,
        serverProtocolVersion: PROTOCOL_VERSION,
        clientProtocolVersion: PROTOCOL_VERSION,
        server: "same",
      },
    ]);
    client.close();
  });

  it("compares with the contract option: an extension's own CONTRACT", async () => {
    const mismatches: SchemaMismatch[] = [];
    // An extension's contract has the core's protocol version (it may not replace it).
    const contract = { protocolVersion: PROTOCOL_VERSION, schemaHash: "e".repeat(64) };
    const { client, socket, connecting } = await connected({
      contract,
      onSchemaMismatch: (m) => mismatches.push(m),
      reconnect: { initialDelayMs: 1, maxDelayMs: 1 },
    });
    socket.deliver(snapshot("e1", 0, contract.schemaHash)); // the extension's server
    await connecting;
    expect(mismatches).toEqual([]);
    socket.drop();
    await vi.waitFor(() => expect(FakeSocket.last).not.toBe(socket));
    (FakeSocket.last as FakeSocket).deliver(snapshot("e1", 0)); // a core server
    expect(mismatches).toEqual([
      {
        serverSchemaHash: SCHEMA_HASH,
        clientSchemaHash: contract.schemaHash,
        serverProtocolVersion: PROTOCOL_VERSION,
        clientProtocolVersion: contract.protocolVersion,
        server: "same",
      },
    ]);
    client.close();
  });

  it("console.warns by default, naming the fix", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { client, socket, connecting } = await connected();
    socket.deliver(snapshot("e1", 0, "0".repeat(64)));
    await connecting;
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("make gen"));
    client.close();
  });
});

describe("tokens", () => {
  it("offers spine.v1 and token.<t> as subprotocols by default", () => {
    const client = new SpineClient("ws://fake/ws", { WebSocket: FakeSocket, token: "s3cret" });
    void client.connect().catch(() => undefined);
    expect(FakeSocket.last?.protocols).toEqual(["spine.v1", "token.s3cret"]);
    expect(FakeSocket.last?.url).toBe("ws://fake/ws");
    client.close();
  });

  it("puts the token in the query string when asked", () => {
    const client = new SpineClient("ws://fake/ws?x=1", {
      WebSocket: FakeSocket,
      token: "a b&c",
      tokenTransport: "query",
    });
    void client.connect().catch(() => undefined);
    expect(FakeSocket.last?.protocols).toEqual(["spine.v1"]);
    expect(new URL(FakeSocket.last?.url ?? "").searchParams.get("token")).toBe("a b&c");
    client.close();
  });

  it("refuses a token that cannot be a subprotocol", () => {
    expect(() => new SpineClient("ws://fake/ws", { WebSocket: FakeSocket, token: "a b" })).toThrow(
      /tokenTransport: "query"/,
    );
  });
});

describe("WorldState", () => {
  it("folds events into the snapshot's state", () => {
    const world = new WorldState();
    world.reset(snapshot("e", 0));
    world.apply({ type: "agent_update", seq: 1, tick: 8, agent_id: "a", data: { x: 5, y: 6 } });
    world.apply({ type: "agent_added", seq: 2, tick: 8, agent_id: "b", agent_kind: "k", data: { x: 0 } });
    world.apply({ type: "simulation_state", seq: 3, status: "paused", tick: 8, tick_rate: 5 });
    world.apply({ type: "agent_removed", seq: 4, tick: 8, agent_id: "a" });
    world.apply({ type: "tick_start", seq: 5, tick: 9 });
    expect([...world.agents.keys()]).toEqual(["b"]);
    expect(world.simulation).toEqual({ status: "paused", tick: 9, tick_rate: 5 });
  });

  it("drops an update for an agent the stream never added, as the server's mirror does", () => {
    const world = new WorldState();
    world.reset(snapshot("e", 0));
    const before = [...world.agents.keys()];
    world.apply({ type: "agent_update", seq: 1, tick: 8, agent_id: "ghost", data: { x: 1 } });
    expect(world.agents.has("ghost")).toBe(false);
    expect([...world.agents.keys()]).toEqual(before);
  });
});
