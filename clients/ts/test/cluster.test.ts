/**
 * A real cluster (issue 14): a NATS server with JetStream, one simulation host and two
 * gateways, all on 127.0.0.1. A client given both gateways' URLs whose gateway is killed
 * reconnects to the other and resumes there: no snapshot, no gap, and the same world as a
 * client of the host that never dropped.
 */

import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { broadcastSeq, type ConnectionStart, type SeqGap, type ServerEvent, type SpineClient } from "../src/index.js";
import { closeClients, openClient, tap } from "./helpers.js";
import { NATS_SERVER, type RunningNats, type RunningServer, startNats, startServer } from "./server.js";

const CLUSTER = `ts-${process.pid}`;
const missing = !existsSync(NATS_SERVER);
if (missing) {
  console.warn(`cluster.test.ts skipped: ${NATS_SERVER} does not exist (run \`make\` at the repository root)`);
}

let nats: RunningNats | undefined;
const servers: RunningServer[] = [];

/** What a client knows of the simulation, comparable with `toEqual` (agents in order). */
function worldOf(client: SpineClient) {
  return { simulation: client.world.simulation, agents: [...client.world.agents.values()] };
}

/** The broadcast frames (those with a `seq`) of `frames`, with their seq. */
function broadcasts(frames: string[]): Array<{ seq: number; frame: string }> {
  return frames.flatMap((frame) => {
    const seq = broadcastSeq(JSON.parse(frame) as ServerEvent);
    return seq === undefined ? [] : [{ seq, frame }];
  });
}

describe.skipIf(missing)(missing ? `cluster (skipped: ${NATS_SERVER} does not exist)` : "cluster", () => {
  let host: RunningServer;
  let gatewayA: RunningServer;
  let gatewayB: RunningServer;

  beforeAll(async () => {
    nats = await startNats();
    const cluster = ["--nats", nats.url, "--cluster-name", CLUSTER];
    host = await startServer({ args: [...cluster, "--autostart", "--tick-rate", "50", "--seed-agents", "4"] });
    servers.push(host);
    // One after the other: each `await` is its "listening" line.
    gatewayA = await startServer({ args: [...cluster, "--gateway"] });
    servers.push(gatewayA);
    gatewayB = await startServer({ args: [...cluster, "--gateway"] });
    servers.push(gatewayB);
  });

  afterAll(async () => {
    closeClients();
    // The spine-ws processes first (they talk to NATS while they stop), then NATS; each
    // stop is SIGTERM, then SIGKILL after its grace period.
    await Promise.all(servers.splice(0).map((server) => server.stop(5_000)));
    await nats?.stop(5_000);
    nats = undefined;
  });

  it("a client whose gateway is killed reconnects to the next URL and resumes: no gap, the host's world", async () => {
    const steady = await openClient(host.wsUrl);
    const roaming = tap();
    const gaps: SeqGap[] = [];
    const starts: Array<{ start: ConnectionStart; url: string }> = [];
    const client = await openClient([gatewayA.wsUrl, gatewayB.wsUrl], {
      WebSocket: roaming.WebSocket,
      reconnect: { initialDelayMs: 100, jitter: 0 },
      onGap: (gap) => gaps.push(gap),
      onResume: (start, url) => starts.push({ start, url }),
    });
    expect(client.url).toBe(gatewayA.wsUrl);
    expect(starts).toEqual([
      { start: { resumed: false, reason: undefined, requested: undefined }, url: gatewayA.wsUrl },
    ]);
    expect(client.epoch).toBe(steady.epoch);
    const joined = client.lastSeq ?? 0;
    await vi.waitFor(() => expect(client.lastSeq).toBeGreaterThan(joined + 30), { timeout: 10_000 });

    await gatewayA.kill();
    const [away] = roaming.sockets;
    const processed = broadcasts(away?.frames ?? []).at(-1)?.seq;
    // A change the client can only learn from gateway B (in the replay or live).
    await steady.send({ type: "add_agent", agent_id: "joined-while-away", agent_kind: "visitor" });
    await vi.waitFor(() => expect(starts).toHaveLength(2), { timeout: 10_000 });

    expect(client.url).toBe(gatewayB.wsUrl);
    expect(starts[1]?.url).toBe(gatewayB.wsUrl);
    expect(starts[1]?.start).toMatchObject({ resumed: true, epoch: steady.epoch, seq: processed });
    expect(roaming.sockets).toHaveLength(2);
    const back = roaming.sockets[1];
    const asked = new URL(back?.url ?? "");
    expect(`${asked.origin}${asked.pathname}`).toBe(gatewayB.wsUrl);
    expect(asked.searchParams.get("resume")).toBe(`${steady.epoch}:${processed}`);
    expect(JSON.parse(back?.frames[0] ?? "{}")).toMatchObject({ type: "resumed", seq: processed });

    // Pause the simulation through the host and wait until both clients have every event.
    await steady.send({ type: "pause" });
    await vi.waitFor(
      () => {
        expect(steady.world.simulation?.status).toBe("paused");
        expect(client.world.simulation?.status).toBe("paused");
        expect(client.lastSeq).toBe(steady.lastSeq);
      },
      { timeout: 10_000 },
    );
    expect(gaps).toEqual([]);
    expect(client.epoch).toBe(steady.epoch);
    expect(client.world.agents.has("joined-while-away")).toBe(true);
    expect(worldOf(client)).toEqual(worldOf(steady));
    // Every broadcast once, in order, across both gateways: gateway A's, then B's replay and live stream.
    const seen = [...broadcasts(away?.frames ?? []), ...broadcasts(back?.frames ?? [])].map((b) => b.seq);
    const first = seen[0] ?? 0;
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => first + i));
    expect(seen.at(-1)).toBe(steady.lastSeq);
  });
});
