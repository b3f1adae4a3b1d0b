/**
 * A live server watched with Foxglove's own client library (`@foxglove/ws-protocol`) over
 * its protocol, `foxglove.websocket.v1`, on the server's `/ws`: the channels advertised
 * with their JSON Schemas, live messages on the subscribed channels only (each valid
 * against its channel's schema), the snapshot once on subscribing to it, and nothing more
 * of a channel after unsubscribing.
 */

import { FoxgloveClient, type Channel, type IWebSocket, type MessageData, type ServerInfo } from "@foxglove/ws-protocol";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { EVENT_TYPES, SCHEMA_HASH } from "../src/gen/contract.js";
import { type RunningServer, startServer } from "./server.js";

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ args: ["--seed-agents", "3", "--tick-rate", "50", "--autostart"] });
});
afterAll(async () => {
  await server?.stop();
});

function open(): { client: FoxgloveClient; info: Promise<ServerInfo>; channels: Promise<Channel[]> } {
  const ws = new WebSocket(server.wsUrl, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]);
  const client = new FoxgloveClient({ ws: ws as unknown as IWebSocket });
  const info = new Promise<ServerInfo>((done) => client.on("serverInfo", done));
  const channels = new Promise<Channel[]>((done) => client.on("advertise", done));
  return { client, info, channels };
}

const decoder = new TextDecoder();

describe("a live server in Foxglove's protocol", () => {
  it("advertises a channel per message type with its JSON Schema", async () => {
    const { client, info, channels } = open();
    expect((await info).metadata?.["schema_hash"]).toBe(SCHEMA_HASH);
    const advertised = await channels;
    const topics = advertised.map((channel) => channel.topic);
    for (const topic of ["snapshot", "tick_start", "agent_update", "agent_added", "skipped"]) expect(topics).toContain(topic);
    for (const channel of advertised) {
      expect(EVENT_TYPES).toContain(channel.topic);
      expect(channel.encoding).toBe("json");
      expect(channel.schemaEncoding).toBe("jsonschema");
      expect(JSON.parse(channel.schema).$ref).toBe(`#/$defs/${channel.schemaName}`);
    }
    client.close();
  });

  it("sends the subscribed channels' live messages, valid against their schemas, and stops on unsubscribe", async () => {
    const { client, channels } = open();
    const advertised = await channels;
    const byTopic = new Map(advertised.map((channel) => [channel.topic, channel]));
    const ajv = new Ajv2020({ strict: false });
    const validators = new Map(advertised.map((channel) => [channel.topic, ajv.compile(JSON.parse(channel.schema))]));
    const topicOf = new Map<number, string>();
    const got: { topic: string; event: { type: string; seq?: number; agents?: unknown[] } }[] = [];
    client.on("message", (message: MessageData) => {
      const topic = topicOf.get(message.subscriptionId) ?? "?";
      const event = JSON.parse(decoder.decode(message.data)) as { type: string };
      const valid = validators.get(topic)?.(event);
      expect(valid, `${topic}: ${JSON.stringify(validators.get(topic)?.errors)}`).toBe(true);
      got.push({ topic, event });
    });
    for (const topic of ["agent_update", "tick_start", "snapshot"]) {
      const channel = byTopic.get(topic) as Channel;
      topicOf.set(client.subscribe(channel.id), topic);
    }
    await expect.poll(() => got.filter((m) => m.topic === "agent_update").length, { timeout: 10_000 }).toBeGreaterThan(30);
    const snapshots = got.filter((m) => m.topic === "snapshot");
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0]?.event.agents).toHaveLength(3);
    for (const { topic, event } of got) expect(event.type).toBe(topic); // the subscribed only
    expect(new Set(got.map((m) => m.topic))).toEqual(new Set(["agent_update", "tick_start", "snapshot"]));

    const updates = [...topicOf].find(([, topic]) => topic === "agent_update")?.[0] as number;
    client.unsubscribe(updates);
    await new Promise((done) => setTimeout(done, 300)); // what was on its way
    const after = got.length;
    await expect.poll(() => got.length - after, { timeout: 5_000 }).toBeGreaterThan(10); // ticks go on
    expect(got.slice(after).every((m) => m.topic === "tick_start")).toBe(true);
    client.close();
  });
});
