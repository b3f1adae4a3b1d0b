/** SpineClient when the server goes away: reconnect, timeouts, never hanging. */

import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CommandTimeoutError,
  type ConnectionState,
  DisconnectedError,
  type SnapshotEvent,
} from "../src/index.js";
import { closeClients, newClient, nextEvent, openClient, rejectionOf } from "./helpers.js";
import { type RunningServer, startServer } from "./server.js";

const servers: RunningServer[] = [];

async function serve(...args: Parameters<typeof startServer>): Promise<RunningServer> {
  const server = await startServer(...args);
  servers.push(server);
  return server;
}

afterEach(async () => {
  closeClients();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe("reconnect", () => {
  it("reconnects after the server restarts on the same port and takes the new snapshot", async () => {
    const first = await serve();
    const states: ConnectionState[] = [];
    const snapshots: SnapshotEvent[] = [];
    const client = newClient(first.wsUrl, {
      reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
      onStateChange: (state) => states.push(state),
    });
    client.on("snapshot", (snapshot) => snapshots.push(snapshot));
    await client.connect();
    await client.send({ type: "add_agent", agent_id: "only-in-first-run", agent_kind: "ghost" });
    expect(client.world.agents.has("only-in-first-run")).toBe(true);

    // A command in flight when the server dies rejects; it does not hang.
    first.freeze();
    const inFlight = rejectionOf(client.send({ type: "stop" }));
    await first.kill();
    expect(await inFlight).toBeInstanceOf(DisconnectedError);
    await vi.waitFor(() => expect(client.state).toBe("reconnecting"));
    expect(await rejectionOf(client.send({ type: "stop" }))).toBeInstanceOf(DisconnectedError);

    const second = await serve({ port: first.port });
    await vi.waitFor(() => expect(snapshots).toHaveLength(2), { timeout: 10_000 });
    const [before, after] = snapshots;
    expect(after?.epoch).not.toBe(before?.epoch);
    expect(client.state).toBe("open");
    expect(client.epoch).toBe(after?.epoch);
    expect(client.lastSeq).toBe(after?.seq);
    // The new snapshot is the truth: the first run's agent is gone from the mirror.
    expect(client.world.agents.has("only-in-first-run")).toBe(false);
    expect(client.world.agents.size).toBe(after?.agents.length);
    expect(states).toEqual(expect.arrayContaining(["connecting", "open", "reconnecting"]));
    const ack = await client.send({ type: "start" });
    expect(ack.command_type).toBe("start");
    await second.stop();
  });

  it("says why the connection was lost (lastLoss), before onStateChange is called", async () => {
    const server = await serve();
    const seen: [ConnectionState, string | undefined][] = [];
    const client = newClient(server.wsUrl, { reconnect: { initialDelayMs: 50, maxDelayMs: 100 } });
    client.onStateChange((state) => seen.push([state, client.lastLoss]));
    await client.connect();
    expect(client.lastLoss).toBeUndefined();
    await server.kill(); // no close frame: an abnormal closure
    await vi.waitFor(() => expect(client.state).toBe("reconnecting"));
    expect(seen).toContainEqual(["reconnecting", "closed (code 1006)"]);
    client.close();
    expect(client.lastLoss).toBe("close() was called");
    expect(seen.at(-1)).toEqual(["closed", "close() was called"]);
  });

  it("gives up after maxAttempts and rejects a waiting connect()", async () => {
    const server = await serve();
    const client = await openClient(server.wsUrl, {
      reconnect: { initialDelayMs: 20, maxDelayMs: 50, maxAttempts: 3 },
    });
    await server.stop();
    const waiting = client.connect();
    expect(await rejectionOf(waiting)).toBeInstanceOf(DisconnectedError);
    expect(client.state).toBe("closed");
  });

  it("does not reconnect when reconnect is false", async () => {
    const server = await serve();
    const client = await openClient(server.wsUrl, { reconnect: false });
    await server.stop();
    await vi.waitFor(() => expect(client.state).toBe("closed"));
  });

  it("retries the first connection when retryInitialConnect is set", async () => {
    const probe = await serve();
    const port = probe.port;
    await probe.stop();
    const client = newClient(`ws://127.0.0.1:${port}/ws`, {
      retryInitialConnect: true,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    });
    const connected = client.connect();
    await vi.waitFor(() => expect(client.state).toBe("reconnecting"));
    await serve({ port });
    const snapshot = await connected;
    expect(snapshot.type).toBe("snapshot");
  });
});

describe("timeouts", () => {
  it("rejects with CommandTimeoutError when the server does not answer", async () => {
    const server = await serve();
    const client = await openClient(server.wsUrl, { commandTimeoutMs: 300 });
    server.freeze();
    const started = Date.now();
    const error = await rejectionOf(client.send({ type: "stop", id: "frozen" }));
    expect(error).toBeInstanceOf(CommandTimeoutError);
    expect(error).toMatchObject({ commandId: "frozen", commandType: "stop", timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(2_000);
    // A per-call timeout overrides the client's.
    const quick = await rejectionOf(client.send({ type: "stop" }, { timeoutMs: 50 }));
    expect(quick).toBeInstanceOf(CommandTimeoutError);
    server.thaw();
    // Once thawed, the server answers again (the late replies to timed-out ids are ignored).
    expect((await client.send({ type: "stop" })).command_type).toBe("stop");
  });

  it("rejects connect() when the handshake or snapshot never comes", async () => {
    const server = await serve();
    server.freeze();
    const client = newClient(server.wsUrl, { connectTimeoutMs: 400 });
    const error = await rejectionOf(client.connect());
    expect(error).toBeInstanceOf(DisconnectedError);
    expect(String(error)).toContain("no snapshot within 400 ms");
    server.thaw();
  });

  it("keeps receiving events after a timed-out command", async () => {
    const server = await serve({ args: ["--tick-rate", "50"] });
    const client = await openClient(server.wsUrl, { commandTimeoutMs: 200 });
    server.freeze();
    await rejectionOf(client.send({ type: "start" }));
    server.thaw();
    // The start was applied after the thaw; ticks flow on the same connection.
    const tick = await nextEvent(client, "tick_start");
    expect(tick.tick).toBeGreaterThanOrEqual(0);
  });
});
