/**
 * `encoding: "msgpack"` against the real server: the client offers `spine.v1.msgpack`,
 * sends its commands and reads every frame as MessagePack in binary frames, and exposes
 * the same typed messages and `world` as over JSON.
 */

import { decode } from "@msgpack/msgpack";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { SpineClient } from "../src/index.js";
import { type RunningServer, startServer } from "./server.js";

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ args: ["--seed-agents", "2", "--tick-rate", "50"] });
});

afterAll(async () => {
  await server?.stop();
});

describe("SpineClient over MessagePack", () => {
  it("speaks spine.v1.msgpack: the snapshot, commands with results, typed events", async () => {
    const client = new SpineClient(server.wsUrl, { WebSocket, encoding: "msgpack" });
    const snapshot = await client.connect();
    expect(snapshot.type).toBe("snapshot");
    expect(client.world.agents.size).toBe(2);

    const ack = await client.send({
      type: "add_agent",
      agent_id: "packed-1",
      agent_kind: "walker",
      agent_data: { x: 0.1, y: 2.5 },
    });
    expect(ack.command_type).toBe("add_agent");
    const described = await client.send({ type: "describe_agent", agent_id: "packed-1" });
    expect(described.result.data).toMatchObject({ x: 0.1, y: 2.5 });

    const ends: number[] = [];
    client.on("tick_end", (event) => ends.push(event.tick));
    await client.send({ type: "start" });
    await new Promise((done) => setTimeout(done, 300));
    await client.send({ type: "stop" });
    expect(ends.length).toBeGreaterThan(3);
    expect(ends).toEqual([...ends].sort((a, b) => a - b));
    client.close();
  });

  it("is what a raw socket sees too: binary frames of MessagePack", async () => {
    const socket = new WebSocket(server.wsUrl, ["spine.v1.msgpack"]);
    const first = await new Promise<{ data: unknown; binary: boolean }>((done) => {
      socket.on("message", (data, binary) => done({ data, binary }));
    });
    expect(socket.protocol).toBe("spine.v1.msgpack");
    expect(first.binary).toBe(true);
    expect((decode(first.data as Uint8Array) as { type: string }).type).toBe("snapshot");
    socket.close();
  });
});
