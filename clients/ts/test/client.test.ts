/** SpineClient against the real Python server: acks, typed errors, narrowing, seq. */

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  CommandError,
  DisconnectedError,
  SCHEMA_HASH,
  type SeqGap,
  SpineError,
  type TickStartEvent,
} from "../src/index.js";
import { closeClients, newClient, nextEvent, openClient, rejectionOf } from "./helpers.js";
import { type RunningServer, startServer } from "./server.js";

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ args: ["--tick-rate", "50"] });
});
afterAll(async () => {
  await server?.stop();
});
afterEach(closeClients);

describe("connect", () => {
  it("resolves with a snapshot from the same contract", async () => {
    const client = newClient(server.wsUrl);
    const snapshot = await client.connect();
    expect(snapshot.type).toBe("snapshot");
    expect(snapshot.schema_hash).toBe(SCHEMA_HASH);
    expect(client.state).toBe("open");
    expect(client.epoch).toBe(snapshot.epoch);
    expect(client.lastSeq).toBe(snapshot.seq);
    expect(client.world.agents.size).toBe(snapshot.agents.length);
  });

  it("rejects with DisconnectedError when nothing listens", async () => {
    const client = newClient("ws://127.0.0.1:1/ws");
    expect(await rejectionOf(client.connect())).toBeInstanceOf(DisconnectedError);
    expect(client.state).toBe("closed");
  });
});

describe("send", () => {
  beforeEach(async () => {
    // Every test starts from a stopped simulation (stop is allowed in any state).
    const client = await openClient(server.wsUrl);
    await client.send({ type: "stop" });
    client.close();
  });

  it("resolves with the command_ack whose command_id is the command's id", async () => {
    const client = await openClient(server.wsUrl);
    const ack = await client.send({ type: "start", id: "start-1" });
    expect(ack).toMatchObject({ type: "command_ack", command_type: "start", command_id: "start-1" });
    expect(client.world.simulation?.status).toBe("running");
  });

  it("resolves a query with its typed result, read from the real server", async () => {
    const client = await openClient(server.wsUrl);
    await client.send({ type: "add_agent", agent_id: "typed-1", agent_kind: "probe" });
    const described = await client.send({ type: "describe_agent", agent_id: "typed-1" });
    // `result` is a DescribeAgentResult: these members type-check without a cast.
    expect(described.result.agent_kind).toBe("probe");
    expect(typeof described.result.data.x).toBe("number");
    const page = await client.send({ type: "list_agents", agent_kind: "probe", limit: 1 });
    expect(page.result.agents.map((a) => a.agent_id)).toEqual(["typed-1"]);
    await client.send({ type: "delete_agent", agent_id: "typed-1" });
    client.close();
  });

  it("assigns an id that matches the protocol's pattern when the command has none", async () => {
    const client = await openClient(server.wsUrl);
    const acks = await Promise.all([client.send({ type: "start" }), client.send({ type: "pause" })]);
    expect(acks.map((a) => a.command_type)).toEqual(["start", "pause"]);
    for (const ack of acks) expect(ack.command_id).toMatch(/^[A-Za-z0-9._:-]{1,64}$/);
    expect(acks[0]?.command_id).not.toBe(acks[1]?.command_id);
  });

  it("rejects with CommandError invalid_state for pause while stopped", async () => {
    const client = await openClient(server.wsUrl);
    const error = await rejectionOf(client.send({ type: "pause", id: "p1" }));
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toBeInstanceOf(SpineError);
    expect(error).toMatchObject({ code: "invalid_state", commandType: "pause", commandId: "p1" });
  });

  it("rejects with CommandError agent_not_found for deleting an unknown agent", async () => {
    const client = await openClient(server.wsUrl);
    const error = await rejectionOf(client.send({ type: "delete_agent", agent_id: "nobody" }));
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toMatchObject({ code: "agent_not_found", commandType: "delete_agent" });
  });

  it("carries the server's details for an invalid message", async () => {
    const client = await openClient(server.wsUrl);
    // Out of range on purpose: the schema says 0.1 <= tick_rate <= 100.
    const error = await rejectionOf(client.send({ type: "set_tick_rate", tick_rate: 1000 }));
    expect(error).toBeInstanceOf(CommandError);
    const commandError = error as CommandError;
    expect(commandError.code).toBe("invalid_message");
    expect(commandError.details.map((d) => d.path)).toContain("/tick_rate");
  });

  it("adds and deletes an agent, mirrored in client.world", async () => {
    const client = await openClient(server.wsUrl);
    const added = nextEvent(client, "agent_added", (e) => e.agent_id === "t-agent");
    await client.send({ type: "add_agent", agent_id: "t-agent", agent_kind: "tester" });
    expect((await added).agent_kind).toBe("tester");
    expect(client.world.agents.get("t-agent")?.agent_kind).toBe("tester");
    const exists = await rejectionOf(client.send({ type: "add_agent", agent_id: "t-agent", agent_kind: "x" }));
    expect(exists).toMatchObject({ code: "agent_exists" });
    await client.send({ type: "delete_agent", agent_id: "t-agent" });
    expect(client.world.agents.has("t-agent")).toBe(false);
  });

  it("refuses a malformed or duplicate id without sending", async () => {
    const client = await openClient(server.wsUrl);
    expect(await rejectionOf(client.send({ type: "stop", id: "has space" }))).toBeInstanceOf(TypeError);
    const first = client.send({ type: "stop", id: "same" });
    expect(await rejectionOf(client.send({ type: "stop", id: "same" }))).toBeInstanceOf(TypeError);
    await first;
  });

  it("rejects pending commands with DisconnectedError on close, and later sends at once", async () => {
    const client = await openClient(server.wsUrl);
    const pending = client.send({ type: "stop" });
    client.close();
    expect(await rejectionOf(pending)).toBeInstanceOf(DisconnectedError);
    expect(await rejectionOf(client.send({ type: "stop" }))).toBeInstanceOf(DisconnectedError);
  });
});

describe("events", () => {
  beforeEach(async () => {
    const client = await openClient(server.wsUrl);
    await client.send({ type: "stop" });
    client.close();
  });

  it("narrows on(type) handlers and stops calling them after unsubscribe", async () => {
    const client = await openClient(server.wsUrl);
    const ticks: number[] = [];
    const unsubscribe = client.on("tick_start", (event) => {
      expectTypeOf(event).toEqualTypeOf<TickStartEvent>();
      ticks.push(event.tick);
    });
    await client.send({ type: "start" });
    await nextEvent(client, "tick_end", () => ticks.length >= 5);
    unsubscribe();
    const seen = ticks.length;
    await nextEvent(client, "tick_end", (e) => e.tick > (ticks.at(-1) ?? 0) + 2);
    expect(ticks.length).toBe(seen);
    for (let i = 1; i < ticks.length; i++) expect(ticks[i]).toBe((ticks[i - 1] ?? 0) + 1);
  });

  it("sees every broadcast seq in order (no gap) and keeps world in step", async () => {
    const gaps: SeqGap[] = [];
    const client = await openClient(server.wsUrl, { onGap: (gap) => gaps.push(gap) });
    const seqs: number[] = [];
    client.onAny((event) => {
      if (event.type !== "snapshot" && "seq" in event && event.seq !== undefined) seqs.push(event.seq);
    });
    const start = client.lastSeq ?? 0;
    await client.send({ type: "start" });
    const end = await nextEvent(client, "tick_end", () => seqs.length >= 100);
    expect(gaps).toEqual([]);
    expect(seqs[0]).toBe(start + 1);
    expect(seqs).toEqual(seqs.map((_, i) => start + 1 + i));
    expect(client.world.simulation?.tick).toBe(end.tick);
    for (const agent of client.world.agents.values()) {
      expect(typeof agent.data["x"]).toBe("number");
    }
  });

  it("gives a second client a snapshot whose seq continues the stream exactly", async () => {
    const gaps: SeqGap[] = [];
    const first = await openClient(server.wsUrl);
    await first.send({ type: "start" });
    await nextEvent(first, "tick_end");
    // Subscribe before connecting: events may follow the snapshot in the same frame batch.
    const second = newClient(server.wsUrl, { onGap: (gap) => gaps.push(gap) });
    const seen: number[] = [];
    second.onAny((event) => {
      if (event.type !== "snapshot" && "seq" in event && event.seq !== undefined) seen.push(event.seq);
    });
    await second.connect();
    await nextEvent(second, "tick_end", () => seen.length >= 20);
    expect(gaps).toEqual([]);
    expect(seen[0]).toBe((second.snapshot?.seq ?? 0) + 1);
  });
});
