/**
 * A recording (`spine-ws serve --record DIR`) as Foxglove's own library reads it:
 * `@mcap/core`'s indexed reader (zstd chunks through `fzstd`) finds the summary, the
 * `spine-ws` metadata, and every channel with its JSON Schema, and every message is its
 * channel's type, the frame a client got.
 */

import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { McapIndexedReader } from "@mcap/core";
import { decompress } from "fzstd";
import { afterAll, describe, expect, it } from "vitest";
import { EVENT_TYPES, SCHEMA_HASH } from "../src/gen/contract.js";
import { startServer } from "./server.js";

const folder = mkdtempSync(join(tmpdir(), "spine-record-"));

afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("a recording read with @mcap/core", () => {
  it("has every channel with its schema and every message of its type", async () => {
    const server = await startServer({
      args: ["--seed-agents", "3", "--tick-rate", "50", "--autostart", "--record", folder],
    });
    await new Promise((done) => setTimeout(done, 1500));
    await server.stop(); // SIGTERM: the file is finished
    const [name] = readdirSync(folder).filter((file) => file.endsWith(".mcap"));
    const bytes = new Uint8Array(readFileSync(join(folder, name as string)));
    const reader = await McapIndexedReader.Initialize({
      readable: {
        size: async () => BigInt(bytes.length),
        read: async (offset, size) => bytes.subarray(Number(offset), Number(offset + size)),
      },
      decompressHandlers: { zstd: (buffer) => decompress(buffer) },
    });
    expect(reader.statistics?.messageCount).toBeGreaterThan(100n);
    const metadata = [];
    for await (const record of reader.readMetadata({ name: "spine-ws" })) metadata.push(record);
    expect(metadata[0]?.metadata.get("schema_hash")).toBe(SCHEMA_HASH);

    const topics = new Set<string>();
    for (const channel of reader.channelsById.values()) {
      const schema = reader.schemasById.get(channel.schemaId);
      expect(schema?.encoding).toBe("jsonschema");
      expect(channel.messageEncoding).toBe("json");
      expect(JSON.parse(new TextDecoder().decode(schema?.data)).$ref).toBe(`#/$defs/${schema?.name}`);
      topics.add(channel.topic);
    }
    for (const topic of ["snapshot", "simulation_state", "agent_added", "tick_start", "agent_update", "tick_end"]) {
      expect(topics).toContain(topic);
    }
    for (const topic of topics) expect(["snapshot", ...EVENT_TYPES]).toContain(topic);
    let frames = 0;
    for await (const message of reader.readMessages()) {
      const event = JSON.parse(new TextDecoder().decode(message.data)) as { type: string; seq: number };
      const topic = reader.channelsById.get(message.channelId)?.topic;
      expect(Number.isInteger(event.seq)).toBe(true); // its place in the stream, in the frame
      if (topic !== "snapshot") {
        expect(event.type).toBe(topic);
        frames++;
      }
    }
    expect(frames).toBeGreaterThan(100);
  });
});
