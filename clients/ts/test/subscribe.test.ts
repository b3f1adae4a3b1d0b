/**
 * Subscriptions against the real server: by kind, batched, at a maximum rate, given at
 * connect time and changed with `subscribe()`. `world` and handlers must follow exactly
 * what was asked for, with no gap reported for what the server leaves out by design.
 * (Exact frame sequences, refusals and gaps are pinned on a fake socket: shaping.test.ts.)
 */

import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import { type SeqGap, SpineClient } from "../src/index.js";
import { closeClients, openClient, tap } from "./helpers.js";
import { type RunningServer, startServer } from "./server.js";

let server: RunningServer;
let controller: SpineClient;
const CARS = ["car-1", "car-2", "car-3"];

beforeAll(async () => {
  server = await startServer({ args: ["--tick-rate", "50", "--seed-agents", "6", "--autostart"] });
  // Unfiltered, for the whole file (closeClients() in afterEach closes the others).
  controller = await SpineClient.connect(server.wsUrl, { WebSocket });
});

afterEach(() => closeClients());

afterAll(async () => {
  controller?.close();
  await server?.stop();
});

/** The agents of `client.world`, as sorted ids. */
function ids(client: SpineClient): string[] {
  return [...client.world.agents.keys()].sort();
}

describe("subscriptions on the real server", () => {
  it("by kind, batched, at most 5 deliveries a second: world and handlers see the cars only, no gap", async () => {
    for (const [i, id] of CARS.entries()) {
      await controller.send({ type: "add_agent", agent_id: id, agent_kind: "car", agent_data: { x: 10 + i, y: 10, vx: 0.5, vy: 0.25 } });
    }
    const walkers = [...controller.world.agents.values()].filter((a) => a.agent_kind === "walker").map((a) => a.agent_id);
    expect(walkers.length).toBe(6);

    const gaps: SeqGap[] = [];
    const wire = tap();
    const sub = { agent_kinds: ["car"], batch: true, max_rate: 5 };
    const client = await openClient(server.wsUrl, { WebSocket: wire.WebSocket, subscribe: sub, onGap: (gap) => gaps.push(gap) });
    expect(ids(client)).toEqual(CARS);
    expect(client.subscription).toEqual(sub);

    const updated = new Set<string>();
    let ticks = 0;
    let batches = 0;
    let skipped = 0;
    client.on("agent_update", (event) => updated.add(event.agent_id));
    client.on("tick_start", () => ticks++);
    client.on("batch", () => batches++);
    client.on("skipped", (event) => {
      expect(event.reason).toBe("max_rate");
      skipped += event.count;
    });
    await vi.waitFor(() => expect(ticks).toBeGreaterThan(60), { timeout: 10_000 });
    expect([...updated].sort()).toEqual(CARS);
    expect(batches).toBeGreaterThan(0);
    expect(skipped).toBeGreaterThan(0); // ten ticks a delivery: nine updates of each car coalesced
    expect(ids(client)).toEqual(CARS);
    expect(gaps).toEqual([]);
    // What came were batch frames (and notices), not one frame per event.
    const after = wire.sockets[0]?.frames.slice(1) ?? [];
    expect(after.every((frame) => /^\{"type":"(batch|skipped)"/.test(frame))).toBe(true);

    // Paused, the subscriber's cars end where the unfiltered client's are.
    await controller.send({ type: "pause" });
    const carsOf = (c: SpineClient) => CARS.map((id) => c.world.agents.get(id)?.data);
    await vi.waitFor(() => expect(carsOf(client)).toEqual(carsOf(controller)), { timeout: 5_000 });
    await controller.send({ type: "resume" });
  });

  it("a region: world holds exactly the agents inside it as they cross, no gap, and panning starts it over", async () => {
    const left = { x_min: 0, y_min: 0, x_max: 50, y_max: 100 };
    const gaps: SeqGap[] = [];
    const client = await openClient(server.wsUrl, { WebSocket, subscribe: { region: left }, onGap: (gap) => gaps.push(gap) });
    let entered = 0;
    let leftRegion = 0;
    client.on("agent_entered", () => entered++);
    client.on("agent_left", () => leftRegion++);
    const inside = (region: typeof left, c: SpineClient): string[] =>
      [...c.world.agents.values()]
        .filter((a) => {
          const { x, y } = a.data as { x: number; y: number };
          return region.x_min <= x && x <= region.x_max && region.y_min <= y && y <= region.y_max;
        })
        .map((a) => a.agent_id)
        .sort();
    await vi.waitFor(() => expect(entered + leftRegion).toBeGreaterThan(3), { timeout: 15_000 });
    // Paused, the region client holds what the unfiltered client has inside the region.
    await controller.send({ type: "pause" });
    await vi.waitFor(() => expect(client.lastSeq).toBe(controller.lastSeq), { timeout: 5_000 });
    expect(ids(client)).toEqual(inside(left, controller));
    for (const id of ids(client)) expect(client.world.agents.get(id)?.data).toEqual(controller.world.agents.get(id)?.data);
    const right = { x_min: 50, y_min: 0, x_max: 100, y_max: 100 };
    await client.subscribe({ region: right });
    expect(ids(client)).toEqual(inside(right, controller));
    await controller.send({ type: "resume" });
    expect(gaps).toEqual([]);
  });

  it("subscribe() switches to another kind: world starts over from the ack's agents, handlers follow", async () => {
    const gaps: SeqGap[] = [];
    const client = await openClient(server.wsUrl, { subscribe: { agent_kinds: ["car"] }, onGap: (gap) => gaps.push(gap) });
    expect(ids(client)).toEqual(CARS);
    const walkers = ids(controller).filter((id) => !CARS.includes(id));

    let switched = false;
    const before = new Set<string>();
    const afterSwitch = new Set<string>();
    client.on("agent_update", (event) => (switched ? afterSwitch : before).add(event.agent_id));
    const result = await client.subscribe({ agent_kinds: ["walker"], batch: true });
    switched = true;
    expect(result.agents.map((a) => a.agent_id).sort()).toEqual(walkers);
    expect(ids(client)).toEqual(walkers);
    expect(client.lastSeq).toBeGreaterThanOrEqual(result.seq);
    expect(client.subscription).toEqual({ agent_kinds: ["walker"], batch: true });

    await vi.waitFor(() => expect(afterSwitch.size).toBe(walkers.length), { timeout: 5_000 });
    expect([...before].every((id) => CARS.includes(id))).toBe(true);
    expect([...afterSwitch].every((id) => walkers.includes(id))).toBe(true);

    // Back to everything, batched: nothing is left out any more, and nothing is lost.
    const all = await client.subscribe({ batch: true });
    expect(all.agents.length).toBe(walkers.length + CARS.length);
    const seq = client.lastSeq ?? 0;
    await vi.waitFor(() => expect(client.lastSeq).toBeGreaterThan(seq + 200), { timeout: 10_000 });
    expect(ids(client)).toEqual(ids(controller));
    expect(gaps).toEqual([]);
  });

  it("a viewer token may subscribe (its other commands are forbidden)", async () => {
    const guarded = await startServer({ env: { SPINE_WS_TOKENS: "viewer:viewer-token-Kx7qPz2w,controller:controller-token-Lm3vRt8y" } });
    try {
      const viewer = await openClient(guarded.wsUrl, { token: "viewer-token-Kx7qPz2w" });
      const result = await viewer.subscribe({ agent_kinds: ["nobody"] });
      expect(result.agents).toEqual([]);
      expect(viewer.world.agents.size).toBe(0);
      await expect(viewer.send({ type: "start" })).rejects.toMatchObject({ code: "forbidden" });
    } finally {
      closeClients();
      await guarded.stop();
    }
  });
});
