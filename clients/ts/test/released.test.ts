/**
 * A client of an earlier release keeps working against this server: each
 * `released/<version>/spine-ws-client.tgz` of this major version (the package as it was
 * packed at that release, `make release-schema`) is installed into a fresh project and
 * driven against the real server built from the current tree.
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";

import { PROTOCOL_VERSION } from "../src/index.js";
import { REPO_ROOT, type RunningServer, startServer } from "./server.js";

const RELEASED = join(REPO_ROOT, "released");
const MAJOR = PROTOCOL_VERSION.split(".")[0];
const releases = existsSync(RELEASED)
  ? readdirSync(RELEASED).filter(
      (v) => v.split(".")[0] === MAJOR && existsSync(join(RELEASED, v, "spine-ws-client.tgz")),
    )
  : [];

/** The part of an old package's API this test drives (what every 1.x client has). */
interface OldClient {
  connect(): Promise<{ type: string; protocol_version: string }>;
  send(command: object): Promise<{ type: string; command_type: string; result?: unknown }>;
  on(type: string, handler: (event: { type: string; tick?: number }) => void): () => void;
  onAny(handler: (event: { type: string }) => void): () => void;
  close(): void;
  readonly state: string;
}
type OldClientClass = new (url: string, options: object) => OldClient;

let server: RunningServer;
const work = mkdtempSync(join(tmpdir(), "spine-ws-released-"));

beforeAll(async () => {
  if (releases.length > 0) server = await startServer({ args: ["--tick-rate", "50"] });
});
afterAll(async () => {
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Install a released pack into its own fresh project; import its client from there. */
async function install(version: string): Promise<{ SpineClient: OldClientClass; PROTOCOL_VERSION: string }> {
  const project = join(work, version);
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "old-frontend", private: true }));
  const tarball = join(RELEASED, version, "spine-ws-client.tgz");
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", tarball], {
    cwd: project,
    timeout: 120_000,
  });
  const entry = join(project, "node_modules/@spine-ws/client/dist/index.js");
  return (await import(pathToFileURL(entry).href)) as { SpineClient: OldClientClass; PROTOCOL_VERSION: string };
}

describe.skipIf(releases.length === 0)("a released client against this server", () => {
  it.each(releases)("the client of %s connects, commands and follows the stream", async (version) => {
    const old = await install(version);
    expect(old.PROTOCOL_VERSION).toBe(version);
    const mismatches: Array<{ server: string }> = [];
    const client = new old.SpineClient(server.wsUrl, {
      WebSocket,
      reconnect: false,
      onSchemaMismatch: (m: { server: string }) => mismatches.push(m),
    });
    try {
      const snapshot = await client.connect();
      expect(snapshot.protocol_version).toBe(PROTOCOL_VERSION);
      expect(client.state).toBe("open");
      // Never refused: this server is of the same major version, and not older.
      expect(mismatches.every((m) => m.server === "newer" || m.server === "same")).toBe(true);
      const seen = new Set<string>();
      client.onAny((event) => seen.add(event.type));
      const ticks: number[] = [];
      client.on("tick_start", (event) => ticks.push(event.tick ?? -1));
      await client.send({ type: "stop" });
      await client.send({ type: "add_agent", agent_id: `old-${version}`, agent_kind: "probe" });
      const described = await client.send({ type: "describe_agent", agent_id: `old-${version}` });
      expect(described.result).toMatchObject({ agent_kind: "probe" });
      expect((await client.send({ type: "start" })).command_type).toBe("start");
      await expect.poll(() => ticks.length, { timeout: 10_000 }).toBeGreaterThan(3);
      await client.send({ type: "delete_agent", agent_id: `old-${version}` });
      expect(seen.has("agent_added")).toBe(true);
    } finally {
      client.close();
    }
  }, 120_000);
});
