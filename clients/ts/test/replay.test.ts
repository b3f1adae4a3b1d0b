/**
 * `spine-ws replay FILE` to the typed client: the playback commands typed as the contract
 * has them, the `playback` notice, and a seek's snapshot taking `world` back in time on the
 * same connection (no reconnect, no gap).
 */

import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { PlaybackState } from "../src/index.js";
import { closeClients, newClient, nextEvent, openClient } from "./helpers.js";
import { type RunningServer, startServer } from "./server.js";

const folder = mkdtempSync(join(tmpdir(), "spine-replay-"));
let replay: RunningServer | undefined;

beforeAll(async () => {
  const live = await startServer({
    args: ["--seed-agents", "3", "--tick-rate", "50", "--autostart", "--record", folder, "--checkpoint-seconds", "0.3"],
  });
  await new Promise((done) => setTimeout(done, 1500));
  await live.stop(); // SIGTERM: the file is finished
  const [name] = readdirSync(folder).filter((file) => file.endsWith(".mcap"));
  replay = await startServer({ command: "replay", args: [join(folder, name as string)] });
});

afterEach(() => closeClients());
afterAll(async () => {
  await replay?.stop();
  rmSync(folder, { recursive: true, force: true });
});

describe("a recording played back to the typed client", () => {
  it("seeks back in time on the same connection: world is the snapshot of that moment", async () => {
    const url = (replay as RunningServer).wsUrl;
    const client = newClient(url);
    const notice = nextEvent(client, "playback"); // it follows the snapshot
    await client.connect();
    expect(client.has("playback")).toBe(true);
    expect(client.snapshot?.role).toBe("viewer");
    const paused = await client.send({ type: "playback.pause" });
    expect(paused.result.playing).toBe(false);
    const span: PlaybackState = (await notice).state;
    expect(span.last_seq).toBeGreaterThan(span.first_seq);

    const seeking = nextEvent(client, "snapshot");
    const sought = await client.send({ type: "playback.seek", tick: 20 });
    const snapshot = await seeking;
    expect(sought.result.tick).toBe(20);
    expect(snapshot.seq).toBe(sought.result.seq);
    expect(client.world.simulation?.tick).toBe(20);
    expect([...client.world.agents.values()]).toEqual(snapshot.agents);
    expect(client.state).toBe("open");

    // Playing on from there: the frames follow the sought snapshot's seq, with no gap.
    const gaps: unknown[] = [];
    client.onGap((gap) => gaps.push(gap));
    const next = nextEvent(client, "tick_start");
    await client.send({ type: "playback.play" });
    expect((await next).tick).toBe(21);
    const faster = await client.send({ type: "playback.speed", speed: 4 });
    expect(faster.result.speed).toBe(4);
    expect(gaps).toEqual([]);
  });

  it("refuses what a recording cannot do, typed, and stays open", async () => {
    const client = await openClient((replay as RunningServer).wsUrl);
    const refused = client.send({ type: "add_agent", agent_id: "x", agent_kind: "walker" });
    await expect(refused).rejects.toMatchObject({ code: "unsupported_command" });
    const seeking = await client.send({ type: "playback.seek", seq: 5 });
    expect(seeking.result.seq).toBe(5);
  });
});
