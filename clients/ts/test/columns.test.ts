/**
 * `columns: true` against the real server: a MessagePack client gets each tick of the
 * default world's movers as one `agent_columns` frame, and its rows are, seq for seq, the
 * `agent_update` events a JSON client gets; `world` holds the same agents and data.
 */

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { type AgentColumnsEvent, AgentTable, type AgentUpdateEvent, SpineClient, updates, WorldState } from "../src/index.js";
import { type RunningServer, startServer } from "./server.js";

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ args: ["--seed-agents", "40", "--tick-rate", "50"] });
});

afterAll(async () => {
  await server?.stop();
});

describe("SpineClient with columns", () => {
  it("decodes each tick's frame to the JSON client's updates and keeps the same world", async () => {
    const columns = new SpineClient(server.wsUrl, { WebSocket, encoding: "msgpack", subscribe: { columns: true } });
    const json = new SpineClient(server.wsUrl, { WebSocket });
    await Promise.all([columns.connect(), json.connect()]);
    const fromColumns = new Map<number, AgentUpdateEvent>();
    const fromJson = new Map<number, AgentUpdateEvent>();
    let frames = 0;
    let deltas = 0; // frames that left the velocities out (they change at a wall only)
    columns.on("agent_update", () => {
      throw new Error("a columns client got an agent_update frame while keeping up");
    });
    columns.on("agent_columns", (event) => {
      frames++;
      if (event.unchanged.length > 0) deltas++;
      const held = (id: string) => columns.world.agents.get(id)?.data;
      for (const update of updates(event, columns.agentTable, held)) fromColumns.set(update.seq, update);
    });
    json.on("agent_update", (event) => fromJson.set(event.seq, event));
    await json.send({ type: "start" });
    await new Promise((done) => setTimeout(done, 400));
    await json.send({ type: "stop" });
    // Both have seen the stream up to the stop once the JSON client's last seq reached the other.
    const last = Math.max(...fromJson.keys());
    for (let i = 0; i < 100 && Math.max(0, ...fromColumns.keys()) < last; i++) {
      await new Promise((done) => setTimeout(done, 20));
    }
    expect(frames).toBeGreaterThan(3);
    expect(deltas).toBeGreaterThan(0);
    const common = [...fromJson.keys()].filter((seq) => fromColumns.has(seq));
    expect(common.length).toBe(fromJson.size);
    for (const seq of common) expect(fromColumns.get(seq)).toEqual(fromJson.get(seq));
    expect(columns.agentTable.ids.length).toBe(40);
    expect([...columns.world.agents.entries()]).toEqual([...json.world.agents.entries()]);
    columns.close();
    json.close();
  });

  it("refuses columns over JSON before sending anything", async () => {
    expect(() => new SpineClient(server.wsUrl, { WebSocket, subscribe: { columns: true } })).toThrow(/msgpack/);
    const json = new SpineClient(server.wsUrl, { WebSocket });
    await json.connect();
    await expect(json.subscribe({ columns: true })).rejects.toThrow(/msgpack/);
    json.close();
  });
});

const bytes = (array: Float64Array | Uint32Array) => new Uint8Array(array.buffer);

describe("agent_columns, read without a server", () => {
  it("keeps unchanged members, applies a patch's rows only, and updates() agrees with world", () => {
    const world = new WorldState();
    world.reset({
      type: "snapshot",
      seq: 4,
      epoch: "e",
      connection_id: "c",
      role: "viewer",
      protocol_version: "1.8.0",
      schema_hash: "h",
      capabilities: [],
      supported_commands: [],
      simulation: { status: "running", tick: 1, tick_rate: 10 },
      agents: ["a", "b", "c"].map((id, n) => ({ agent_id: id, agent_kind: "k", data: { x: n, vx: 1, vy: 2, tag: "t" } })),
    } as never);
    const table = new AgentTable();
    table.apply({ type: "agent_index", start: 0, agent_ids: ["c", "a", "b"] });
    const frame: AgentColumnsEvent = {
      type: "agent_columns",
      layout: 1,
      tick: 2,
      first_seq: 5,
      last_seq: 7,
      count: 3,
      index: bytes(new Uint32Array([1, 2, 0])), // a, b, c
      columns: { x: bytes(new Float64Array([10, 11, 12])) },
      values: { tag: ["u", "v", null] },
      unchanged: ["vy"],
      patches: { vx: { rows: bytes(new Uint32Array([1])), data: bytes(new Float64Array([-1])) } },
    };
    world.applyColumns(frame, table);
    const data = Object.fromEntries([...world.agents].map(([id, agent]) => [id, agent.data]));
    expect(data).toEqual({
      a: { x: 10, vx: 1, vy: 2, tag: "u" },
      b: { x: 11, vx: -1, vy: 2, tag: "v" },
      c: { x: 12, vx: 1, vy: 2, tag: null },
    });
    const rows = [...updates(frame, table, (id) => world.agents.get(id)?.data)];
    expect(rows.map((row) => [row.seq, row.agent_id, row.data])).toEqual([
      [5, "a", data.a],
      [6, "b", data.b],
      [7, "c", data.c],
    ]);
  });
});
