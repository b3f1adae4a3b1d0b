/**
 * Resume (`/ws?resume=<epoch>:<seq>`): against the real server, a client whose socket is
 * cut while events flow gets exactly the frames a client that never dropped got, and ends
 * with the same `world`; a refused resume rebuilds `world` from the snapshot. Then, on a
 * fake socket, the frames a real server never sends (a wrong `resumed`).
 */

import { afterEach, describe, expect, it, vi } from "vitest";
import {
  broadcastSeq,
  type ConnectionStart,
  type SchemaMismatch,
  type SeqGap,
  type ServerEvent,
  SpineClient,
} from "../src/index.js";
import { connected, FakeSocket, snapshot } from "./fake.js";
import { closeClients, openClient, tap } from "./helpers.js";
import { type RunningServer, startServer } from "./server.js";

const servers: RunningServer[] = [];

async function serve(...args: string[]): Promise<RunningServer> {
  const server = await startServer({ args });
  servers.push(server);
  return server;
}

afterEach(async () => {
  closeClients();
  vi.restoreAllMocks();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

/**
 * Events flow at ~300 a second (4 agents at 50 ticks/s: ~40 KB/s). The server resumes a
 * replay of up to 16 KiB even when it is larger than the snapshot (beyond that it sends the
 * snapshot, `snapshot_smaller`), so a drop of ~100 ms resumes with margin; at 100 ticks/s
 * and 20 agents, 16 KiB is 55 ms of events.
 */
const FLOWING = ["--tick-rate", "50", "--seed-agents", "4", "--autostart"];
/** Reconnect after 100 ms: long enough for events to be missed, and for the commands below. */
const RECONNECT = { initialDelayMs: 100, jitter: 0 };

function parse(frame: string): ServerEvent {
  return JSON.parse(frame) as ServerEvent;
}

/** The broadcast frames (those with a `seq`) of `frames`, by seq. */
function broadcasts(frames: string[]): Array<{ seq: number; frame: string }> {
  return frames.flatMap((frame) => {
    const seq = broadcastSeq(parse(frame));
    return seq === undefined ? [] : [{ seq, frame }];
  });
}

/** What a client knows of the simulation, comparable with `toEqual` (agents in order). */
function worldOf(client: SpineClient) {
  return { simulation: client.world.simulation, agents: [...client.world.agents.values()] };
}

/** Pause the simulation and wait until every client has every event: the same last seq. */
async function settle(controller: SpineClient, ...others: SpineClient[]): Promise<number> {
  await controller.send({ type: "pause" });
  const clients = [controller, ...others];
  await vi.waitFor(
    () => {
      for (const client of clients) expect(client.world.simulation?.status).toBe("paused");
      expect(new Set(clients.map((c) => c.lastSeq)).size).toBe(1);
    },
    { timeout: 10_000 },
  );
  return controller.lastSeq ?? Number.NaN;
}

/**
 * Open a steady client and a dropping one, let events flow, cut the dropping one's socket
 * and, while it is away, add an agent and delete one (changes no later tick repeats).
 * Resolves once the dropping client has started its second connection.
 */
async function dropWhileFlowing(server: RunningServer) {
  const steadyTap = tap();
  const droppingTap = tap();
  const gaps: SeqGap[] = [];
  const starts: ConnectionStart[] = [];
  const steady = await openClient(server.wsUrl, { WebSocket: steadyTap.WebSocket });
  const dropping = await openClient(server.wsUrl, {
    WebSocket: droppingTap.WebSocket,
    reconnect: RECONNECT,
    onGap: (gap) => gaps.push(gap),
    onResume: (start) => starts.push(start),
  });
  expect(starts).toEqual([{ resumed: false, reason: undefined, requested: undefined }]);
  // A change before the drop, after the snapshot: a client that rebuilt its world from that
  // snapshot instead of keeping it would lose this agent.
  await steady.send({ type: "add_agent", agent_id: "joined-before", agent_kind: "visitor" });
  await vi.waitFor(() => expect(dropping.world.agents.has("joined-before")).toBe(true));
  const joined = dropping.lastSeq ?? 0;
  await vi.waitFor(() => expect(dropping.lastSeq).toBeGreaterThan(joined + 30));

  droppingTap.drop();
  const epoch = steady.epoch;
  const added = steady.send({ type: "add_agent", agent_id: "joined-while-away", agent_kind: "visitor" });
  const deleted = steady.send({ type: "delete_agent", agent_id: "agent-1" });
  await Promise.all([added, deleted]);
  await vi.waitFor(() => expect(starts).toHaveLength(2), { timeout: 10_000 });
  expect(droppingTap.sockets).toHaveLength(2);
  const [before, after] = droppingTap.sockets as [(typeof droppingTap.sockets)[0], (typeof droppingTap.sockets)[0]];
  // The last event the dropping client processed before its socket was cut.
  const processed = broadcasts(before.frames).at(-1)?.seq;
  expect(new URL(before.url).searchParams.has("resume")).toBe(false);
  expect(new URL(after.url).searchParams.get("resume")).toBe(`${epoch}:${processed}`);
  return { steady, dropping, steadyTap, before, after, processed, gaps, starts, epoch };
}

describe("resume against the real server", () => {
  it("replays exactly the missed frames: the same frames and world as a client that never dropped", async () => {
    const server = await serve(...FLOWING);
    const { steady, dropping, steadyTap, after, processed, gaps, starts, epoch } = await dropWhileFlowing(server);

    const resumed = parse(after.frames[0] ?? "{}");
    expect(resumed).toMatchObject({ type: "resumed", epoch, seq: processed });
    const replayed = resumed.type === "resumed" ? resumed.replayed : -1;
    expect(replayed).toBeGreaterThan(0);
    expect(starts[1]).toEqual({ resumed: true, epoch, seq: processed, replayed });
    expect(dropping.lastStart).toEqual(starts[1]);
    expect(dropping.connectionId).toBe(resumed.type === "resumed" ? resumed.connection_id : "?");
    expect(after.frames.some((frame) => parse(frame).type === "snapshot")).toBe(false);

    const last = await settle(steady, dropping);
    // After the resume point, frame for frame, byte for byte: the replay, then the live stream.
    const steadyAfter = broadcasts(steadyTap.sockets[0]?.frames ?? []).filter((b) => b.seq > (processed ?? 0));
    expect(steadyAfter.at(-1)?.seq).toBe(last);
    expect(after.frames.slice(1)).toEqual(steadyAfter.map((b) => b.frame));
    expect(broadcasts(after.frames).map((b) => b.seq)).toEqual(steadyAfter.map((b) => b.seq));
    // The commands' events came while it was away, so in the replay, not live.
    const replay = after.frames.slice(1, 1 + replayed).map(parse);
    expect(replay).toContainEqual(expect.objectContaining({ type: "agent_added", agent_id: "joined-while-away" }));
    expect(replay).toContainEqual(expect.objectContaining({ type: "agent_removed", agent_id: "agent-1" }));

    expect(gaps).toEqual([]);
    expect(dropping.lastSeq).toBe(last);
    expect(dropping.world.agents.has("joined-before")).toBe(true);
    expect(dropping.world.agents.has("joined-while-away")).toBe(true);
    expect(dropping.world.agents.has("agent-1")).toBe(false);
    expect(worldOf(dropping)).toEqual(worldOf(steady));
    // And both are the server's truth: a fresh client's snapshot at the same seq.
    const fresh = await openClient(server.wsUrl);
    expect(fresh.snapshot?.seq).toBe(last);
    expect(worldOf(fresh)).toEqual(worldOf(steady));
  });

  it("takes the snapshot when the history no longer holds the missed events (too_old)", async () => {
    const server = await serve(...FLOWING, "--history-events", "1");
    const { steady, dropping, after, processed, gaps, starts, epoch } = await dropWhileFlowing(server);

    const refused = parse(after.frames[0] ?? "{}");
    const requested = `${epoch}:${processed}`;
    expect(refused).toMatchObject({ type: "snapshot", epoch, resume: { requested, reason: "too_old" } });
    expect(starts[1]).toEqual({ resumed: false, reason: "too_old", requested });
    expect(dropping.lastStart).toEqual(starts[1]);
    expect(dropping.snapshot).toEqual(refused);

    const last = await settle(steady, dropping);
    expect(gaps).toEqual([]);
    expect(dropping.lastSeq).toBe(last);
    // Rebuilt from the snapshot: the agent deleted while it was away is gone.
    expect(dropping.world.agents.has("agent-1")).toBe(false);
    expect(dropping.world.agents.has("joined-while-away")).toBe(true);
    expect(worldOf(dropping)).toEqual(worldOf(steady));
  });

  it("resumes a connection that was itself a resume, and does not resume with resume: false", async () => {
    const server = await serve(...FLOWING);
    const droppingTap = tap();
    const starts: ConnectionStart[] = [];
    const gaps: SeqGap[] = [];
    const dropping = await openClient(server.wsUrl, {
      WebSocket: droppingTap.WebSocket,
      reconnect: { initialDelayMs: 20, jitter: 0 },
      onResume: (start) => starts.push(start),
      onGap: (gap) => gaps.push(gap),
    });
    for (const round of [2, 3]) {
      const seen = dropping.lastSeq ?? 0;
      await vi.waitFor(() => expect(dropping.lastSeq).toBeGreaterThan(seen + 5));
      droppingTap.drop();
      await vi.waitFor(() => expect(starts).toHaveLength(round), { timeout: 10_000 });
      expect(starts.at(-1)).toMatchObject({ resumed: true });
    }
    expect(gaps).toEqual([]);

    const plainTap = tap();
    const plainStarts: ConnectionStart[] = [];
    await openClient(server.wsUrl, {
      WebSocket: plainTap.WebSocket,
      resume: false,
      reconnect: { initialDelayMs: 20, jitter: 0 },
      onResume: (start) => plainStarts.push(start),
    });
    plainTap.drop();
    await vi.waitFor(() => expect(plainStarts).toHaveLength(2), { timeout: 10_000 });
    expect(plainStarts[1]).toEqual({ resumed: false, reason: undefined, requested: undefined });
    expect(new URL(plainTap.sockets[1]?.url ?? "").searchParams.has("resume")).toBe(false);
  });
});

describe("resume on a fake socket", () => {
  const quick = { reconnect: { initialDelayMs: 1, maxDelayMs: 1, jitter: 0 } };

  async function reconnected(previous: FakeSocket): Promise<FakeSocket> {
    await vi.waitFor(() => expect(FakeSocket.last).not.toBe(previous));
    return FakeSocket.last as FakeSocket;
  }

  it("adds resume=<epoch>:<seq> to the URL, keeping its query (a query token too)", async () => {
    const client = new SpineClient("ws://fake/ws?x=1", {
      WebSocket: FakeSocket,
      token: "a b&c",
      tokenTransport: "query",
      ...quick,
    });
    const connecting = client.connect();
    const socket = FakeSocket.last as FakeSocket;
    expect(new URL(socket.url).searchParams.has("resume")).toBe(false);
    socket.deliver(snapshot("ep/1", 40));
    await connecting;
    socket.deliver({ type: "tick_start", seq: 41, tick: 8 });
    socket.drop();
    const again = await reconnected(socket);
    const query = new URL(again.url).searchParams;
    expect(query.get("resume")).toBe("ep/1:41");
    expect(query.get("token")).toBe("a b&c");
    expect(query.get("x")).toBe("1");
    expect(again.url).toContain("resume=ep%2F1%3A41");
    client.close();
  });

  it("keeps the world on resumed and continues the seq check from it", async () => {
    const gaps: SeqGap[] = [];
    const { client, socket, connecting } = await connected({ ...quick, onGap: (gap) => gaps.push(gap) });
    socket.deliver(snapshot("e1", 40));
    await connecting;
    socket.deliver({ type: "agent_added", seq: 41, tick: 7, agent_id: "b", agent_kind: "k", data: {} });
    socket.drop();
    const again = await reconnected(socket);
    again.deliver({ ...resumedFrame("e1", 41), replayed: 1 });
    again.deliver({ type: "agent_removed", seq: 42, tick: 8, agent_id: "a" });
    expect([...client.world.agents.keys()]).toEqual(["b"]);
    expect(client.lastSeq).toBe(42);
    expect(gaps).toEqual([]);
    again.deliver({ type: "tick_start", seq: 44, tick: 9 });
    expect(gaps).toEqual([{ epoch: "e1", expected: 43, received: 44, eventType: "tick_start" }]);
    client.close();
  });

  it("treats a resumed for another seq as a protocol error: reconnects without resume", async () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const starts: ConnectionStart[] = [];
    const { client, socket, connecting } = await connected({ ...quick, onResume: (s) => starts.push(s) });
    socket.deliver(snapshot("e1", 40));
    await connecting;
    socket.drop();
    const again = await reconnected(socket);
    expect(new URL(again.url).searchParams.get("resume")).toBe("e1:40");
    again.deliver(resumedFrame("e1", 39));
    expect(again.closed).toBe(true);
    const third = await reconnected(again);
    expect(new URL(third.url).searchParams.has("resume")).toBe(false);
    third.deliver(snapshot("e1", 45));
    expect(client.state).toBe("open");
    expect(starts.map((s) => s.resumed)).toEqual([false, false]);
    // And one resumed for another epoch, or one the client did not ask for, likewise.
    third.drop();
    const fourth = await reconnected(third);
    fourth.deliver(resumedFrame("e2", 45));
    expect(fourth.closed).toBe(true);
    const fifth = await reconnected(fourth);
    fifth.deliver(resumedFrame("e1", 45));
    expect(fifth.closed).toBe(true);
    client.close();
  });

  it("takes a snapshot after a gap: the world missed events, resuming would keep them missing", async () => {
    const { client, socket, connecting } = await connected({ ...quick, onGap: () => undefined });
    socket.deliver(snapshot("e1", 10));
    await connecting;
    socket.deliver({ type: "tick_start", seq: 12, tick: 8 });
    socket.drop();
    const again = await reconnected(socket);
    expect(new URL(again.url).searchParams.has("resume")).toBe(false);
    client.close();
  });

  it("asks for the same events again after an attempt that never started, not after close()", async () => {
    const { client, socket, connecting } = await connected(quick);
    socket.deliver(snapshot("e1", 10));
    await connecting;
    socket.drop();
    const again = await reconnected(socket);
    again.drop(); // before its first frame
    const third = await reconnected(again);
    expect(new URL(third.url).searchParams.get("resume")).toBe("e1:10");
    client.close();
    void client.connect().catch(() => undefined);
    expect(new URL((FakeSocket.last as FakeSocket).url).searchParams.has("resume")).toBe(false);
    client.close();
  });

  it("checks the schema hash of resumed too", async () => {
    const mismatches: SchemaMismatch[] = [];
    const { client, socket, connecting } = await connected({ ...quick, onSchemaMismatch: (m) => mismatches.push(m) });
    socket.deliver(snapshot("e1", 3));
    await connecting;
    socket.drop();
    const again = await reconnected(socket);
    again.deliver({ ...resumedFrame("e1", 3), schema_hash: "d".repeat(64) });
    expect(client.state).toBe("open");
    expect(mismatches.map((m) => m.serverSchemaHash)).toEqual(["d".repeat(64)]);
    client.close();
  });
});

function resumedFrame(epoch: string, seq: number): Extract<ServerEvent, { type: "resumed" }> {
  const { protocol_version, schema_hash, role, capabilities } = snapshot(epoch, seq);
  return {
    type: "resumed",
    epoch,
    seq,
    connection_id: "c2",
    role,
    capabilities,
    protocol_version,
    schema_hash,
    replayed: 0,
  };
}
