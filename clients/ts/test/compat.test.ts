/**
 * Versions and capabilities on a fake socket: a server of another major version is
 * refused for good, a newer minor is reported once, unknown event types reach no handler,
 * and features are checked with `has()`.
 */

import { afterEach, describe, expect, it, vi } from "vitest";
import {
  CONTRACT,
  IncompatibleServerError,
  PROTOCOL_VERSION,
  type SchemaMismatch,
  type ServerEvent,
  SpineError,
} from "../src/index.js";
import { connected, FakeSocket, snapshot } from "./fake.js";
import { rejectionOf } from "./helpers.js";

const [MAJOR, MINOR, PATCH] = PROTOCOL_VERSION.split(".").map(Number) as [number, number, number];
const quick = { reconnect: { initialDelayMs: 1, maxDelayMs: 1, jitter: 0 } };

/** A snapshot from a server of `version`, built from other schemas. */
function from(version: string, epoch = "e1", seq = 0): ServerEvent {
  return { ...snapshot(epoch, seq, "9".repeat(64)), protocol_version: version } as unknown as ServerEvent;
}

/** Lets the client's reconnect timer (1 ms) fire, if it set one. */
const settle = () => new Promise((done) => setTimeout(done, 30));

afterEach(() => {
  vi.restoreAllMocks();
});

describe("another major version", () => {
  it("rejects connect() with IncompatibleServerError and does not reconnect", async () => {
    const { client, socket, connecting } = await connected(quick);
    socket.deliver(from(`${MAJOR + 1}.0.0`));
    const error = await rejectionOf(connecting);
    expect(error).toBeInstanceOf(IncompatibleServerError);
    expect(error).toBeInstanceOf(SpineError);
    expect(error).toMatchObject({
      serverProtocolVersion: `${MAJOR + 1}.0.0`,
      clientProtocolVersion: PROTOCOL_VERSION,
    });
    expect((error as Error).message).toContain("upgrade the client");
    expect(client.state).toBe("closed");
    expect(socket.closed).toBe(true);
    expect(client.world.agents.size).toBe(0); // the frame was not applied
    await settle();
    expect(FakeSocket.last).toBe(socket);
  });

  it("closes for good when a reconnect meets an upgraded server", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const { client, socket, connecting } = await connected(quick);
    socket.deliver(snapshot("e1", 0));
    await connecting;
    socket.drop();
    await vi.waitFor(() => expect(FakeSocket.last).not.toBe(socket));
    const upgraded = FakeSocket.last as FakeSocket;
    upgraded.deliver(from(`${MAJOR + 1}.2.0`, "e2"));
    expect(client.state).toBe("closed");
    expect(error).toHaveBeenCalledWith(expect.stringContaining(`protocol ${MAJOR + 1}.2.0`));
    await settle();
    expect(FakeSocket.last).toBe(upgraded);
  });

  it("refuses an older major too", async () => {
    const { client, socket, connecting } = await connected({
      ...quick,
      contract: { ...CONTRACT, protocolVersion: `${MAJOR + 1}.0.0` },
    });
    socket.deliver(snapshot("e1", 0));
    expect(await rejectionOf(connecting)).toBeInstanceOf(IncompatibleServerError);
    expect(client.state).toBe("closed");
  });
});

describe("the same major version", () => {
  async function mismatchOf(version: string): Promise<SchemaMismatch[]> {
    const mismatches: SchemaMismatch[] = [];
    const { client, socket, connecting } = await connected({ onSchemaMismatch: (m) => mismatches.push(m) });
    socket.deliver(from(version));
    await connecting;
    expect(client.state).toBe("open");
    client.close();
    return mismatches;
  }

  it("tells a newer, an older and the same version apart", async () => {
    expect((await mismatchOf(`${MAJOR}.${MINOR + 1}.0`)).map((m) => m.server)).toEqual(["newer"]);
    expect((await mismatchOf(`${MAJOR}.${MINOR}.${PATCH + 1}`)).map((m) => m.server)).toEqual(["newer"]);
    expect((await mismatchOf(PROTOCOL_VERSION)).map((m) => m.server)).toEqual(["same"]);
    const older = MINOR > 0 ? `${MAJOR}.${MINOR - 1}.0` : `${MAJOR}.0.0`;
    expect((await mismatchOf(older)).map((m) => m.server)).toEqual([MINOR > 0 ? "older" : "same"]);
  });

  it("warns once by default on a newer minor, across reconnects", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const { client, socket, connecting } = await connected(quick);
    const newer = `${MAJOR}.${MINOR + 1}.0`;
    socket.deliver(from(newer));
    await connecting;
    socket.drop();
    await vi.waitFor(() => expect(FakeSocket.last).not.toBe(socket));
    (FakeSocket.last as FakeSocket).deliver(from(newer, "e2"));
    expect(client.state).toBe("open");
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining(`protocol ${newer}, newer than this client's`));
    client.close();
  });

  it("stays quiet by default on an older minor and a newer patch", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    for (const version of [`${MAJOR}.${MINOR}.${PATCH + 1}`, `${MAJOR}.0.0`]) {
      const { client, socket, connecting } = await connected();
      socket.deliver(from(version));
      await connecting;
      client.close();
    }
    expect(warn).not.toHaveBeenCalled();
  });
});

describe("a newer server's event types", () => {
  it("reach no handler, and their seq is still counted", async () => {
    const gaps: unknown[] = [];
    const { client, socket, connecting } = await connected({ onGap: (gap) => gaps.push(gap) });
    socket.deliver(snapshot("e1", 10));
    await connecting;
    const seen: string[] = [];
    client.onAny((event) => seen.push(event.type));
    socket.deliver({ type: "skip_notice", seq: 11, skipped: 4 } as unknown as ServerEvent);
    socket.deliver({ type: "tick_start", seq: 12, tick: 8 });
    expect(seen).toEqual(["tick_start"]);
    expect(gaps).toEqual([]);
    expect(client.lastSeq).toBe(12);
    expect(client.state).toBe("open");
    client.close();
  });

  it("are passed on when the contract lists no event types (hand-written identities)", async () => {
    const { client, socket, connecting } = await connected({
      contract: { protocolVersion: CONTRACT.protocolVersion, schemaHash: CONTRACT.schemaHash },
    });
    socket.deliver(snapshot("e1", 10));
    await connecting;
    const seen: string[] = [];
    client.onAny((event) => seen.push(event.type));
    socket.deliver({ type: "skip_notice", seq: 11 } as unknown as ServerEvent);
    expect(seen).toEqual(["skip_notice"]);
    client.close();
  });
});

describe("capabilities", () => {
  it("come from the snapshot and are checked with has()", async () => {
    const { client, socket, connecting } = await connected();
    expect(client.capabilities).toEqual([]);
    expect(client.has("resume")).toBe(false);
    socket.deliver({ ...snapshot("e1", 0), capabilities: ["batch", "resume"] });
    await connecting;
    expect(client.capabilities).toEqual(["batch", "resume"]);
    expect(client.has("batch")).toBe(true);
    expect(client.has("cluster")).toBe(false);
    client.close();
  });

  it("decide whether a reconnect asks to resume", async () => {
    const { client, socket, connecting } = await connected(quick);
    socket.deliver({ ...snapshot("e1", 5), capabilities: [] });
    await connecting;
    socket.drop();
    await vi.waitFor(() => expect(FakeSocket.last).not.toBe(socket));
    const again = FakeSocket.last as FakeSocket;
    expect(new URL(again.url).searchParams.has("resume")).toBe(false);
    again.deliver(snapshot("e1", 5)); // this one resumes
    again.drop();
    await vi.waitFor(() => expect(FakeSocket.last).not.toBe(again));
    expect(new URL((FakeSocket.last as FakeSocket).url).searchParams.get("resume")).toBe("e1:5");
    client.close();
  });
});
