/**
 * Long-running commands from TypeScript: `send` returns a promise with the command's
 * progress and a way to cancel it, in spine's envelope (`SpineClient`) and in a team's
 * own (`EnvelopeClient`). The server runs the simulation of tests/e2e/envelopes/routesim,
 * generated here with `spine-ws gen`: `map.create` reports a progress per row (20 ms
 * each) and is cancellable.
 */

import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  type Command,
  CommandError,
  CONTRACT,
  EnvelopeClient,
  EnvelopeCommandError,
  type EnvelopeShape,
  type ProgressEvent,
  SpineClient,
  type WireProgress,
} from "../src/index.js";
import { REPO_ROOT, type RunningServer, startServer } from "./server.js";

const TREE = resolve(REPO_ROOT, "tests/e2e/envelopes/routesim");
const ENVELOPE = JSON.parse(readFileSync(join(TREE, "schema/envelope.json"), "utf8")) as EnvelopeShape;
// map.create is the tree's own command, not the core's: the core's client types it loosely.
const mapCreate = (size: number) => ({ type: "map.create", size }) as unknown as Command;

let server: RunningServer;
let project: string;
// The tree's contract, as its generated catalog names it, for the client's check.
let contract: typeof CONTRACT;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), "spine-long-"));
  execFileSync(
    resolve(REPO_ROOT, ".venv/bin/spine-ws"),
    ["gen", "--schema", join(TREE, "schema"), "--python-out", join(project, "routesim_protocol")],
    { stdio: "pipe" },
  );
  copyFileSync(join(TREE, "sim.py"), join(project, "sim.py"));
  const catalog = readFileSync(join(project, "routesim_protocol/catalog.py"), "utf8");
  const schemaHash = /SCHEMA_HASH: Final = "([0-9a-f]{64})"/.exec(catalog)?.[1] ?? "";
  contract = { ...CONTRACT, schemaHash } as unknown as typeof CONTRACT;
  server = await startServer({ args: ["--simulation", "sim:create"], env: { PYTHONPATH: project } });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  rmSync(project, { recursive: true, force: true });
});

describe("SpineClient", () => {
  it("reports progress, and each progress starts the timeout over", async () => {
    const client = new SpineClient(server.wsUrl, { WebSocket, contract });
    await client.connect();
    const seen: ProgressEvent[] = [];
    // 40 rows of 20 ms: 0.8 s in all, far over the 300 ms the command may go silent.
    const ack = await client.send(mapCreate(40), { timeoutMs: 300 }).onProgress((p) => seen.push(p));
    expect(ack.result).toEqual({ nodes: 1600, edges: 3120 });
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.at(-1)).toMatchObject({ command_type: "map.create", fraction: 1, message: "row 40 of 40" });
    client.close();
  });

  it("cancels: the command's promise rejects with cancelled", async () => {
    const client = new SpineClient(server.wsUrl, { WebSocket, contract });
    await client.connect();
    const command = client.send(mapCreate(64));
    let cancelling: Promise<void> | undefined;
    command.onProgress(() => {
      cancelling ??= command.cancel();
    });
    const error = await command.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).code).toBe("cancelled");
    await expect(cancelling).resolves.toBeUndefined();
    client.close();
  });
});

describe("EnvelopeClient", () => {
  it("reports progress and cancels in the team's envelope", async () => {
    const client = new EnvelopeClient<{
      commands: { "map.create": { size: number } };
      events: object;
      results: { "map.create": { nodes: number; edges: number } };
    }>(server.wsUrl, ENVELOPE, { WebSocket, timeoutMs: 300 });
    await client.opened();
    const seen: WireProgress[] = [];
    const made = await client.send("map.create", { size: 20 }).onProgress((p) => seen.push(p));
    expect(made).toEqual({ nodes: 400, edges: 760 });
    expect(seen.at(-1)).toMatchObject({ command_type: "map.create", fraction: 1 });

    const command = client.send("map.create", { size: 64 });
    let cancelling: Promise<void> | undefined;
    command.onProgress(() => {
      cancelling ??= command.cancel();
    });
    const error = await command.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EnvelopeCommandError);
    expect((error as EnvelopeCommandError).code).toBe("cancelled");
    await expect(cancelling).resolves.toBeUndefined();
    client.close();
  });
});
