/**
 * Several URLs (a cluster's gateways): the first connection opens the first, and every
 * reconnect attempt moves to the next one, round robin, asking to resume there. On a fake
 * socket, so that every attempt can be steered; the real cluster is in cluster.test.ts.
 */

import { afterEach, describe, expect, it, vi } from "vitest";
import {
  type ConnectionStart,
  type ConnectionState,
  DisconnectedError,
  type ResumedEvent,
  SpineClient,
  type SpineClientOptions,
} from "../src/index.js";
import { FakeSocket, snapshot } from "./fake.js";
import { rejectionOf } from "./helpers.js";

const A = "ws://gateway-a/ws";
const B = "ws://gateway-b/ws?x=1";
const C = "ws://gateway-c/ws";

/** A `FakeSocket` that also keeps every socket the client opened, in order. */
class Recorded extends FakeSocket {
  static all: Recorded[] = [];
  constructor(url: string, protocols?: string | string[]) {
    super(url, protocols);
    Recorded.all.push(this);
  }
}

const quick = { reconnect: { initialDelayMs: 1, maxDelayMs: 1, jitter: 0 } };
const clients: SpineClient[] = [];

function client(urls: string | string[], options: SpineClientOptions = {}): SpineClient {
  const made = new SpineClient(urls, { WebSocket: Recorded, ...quick, ...options });
  clients.push(made);
  return made;
}

/** The socket opened after the `count` ones so far. */
async function opened(count: number): Promise<Recorded> {
  await vi.waitFor(() => expect(Recorded.all.length).toBeGreaterThan(count));
  expect(Recorded.all).toHaveLength(count + 1);
  return Recorded.all[count] as Recorded;
}

/** `url` without its query: where a socket went. */
function base(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

function resumedFrame(epoch: string, seq: number, replayed = 0): ResumedEvent {
  const { protocol_version, schema_hash, role, capabilities } = snapshot(epoch, seq);
  return {
    type: "resumed",
    protocol_version,
    schema_hash,
    epoch,
    seq,
    replayed,
    connection_id: "c2",
    role,
    capabilities,
  };
}

afterEach(() => {
  for (const made of clients.splice(0)) made.close();
  Recorded.all = [];
});

describe("a list of URLs", () => {
  it("opens the first, rotates through the list on every reconnect and resumes on the new URL", async () => {
    const starts: Array<[ConnectionStart, string]> = [];
    const states: Array<[ConnectionState, string]> = [];
    const spine = client([A, B, C], {
      onResume: (start, url) => starts.push([start, url]),
      onStateChange: (state, url) => states.push([state, url]),
    });
    expect(spine.urls).toEqual([A, B, C]);
    expect(spine.url).toBe(A);
    const connecting = spine.connect();
    const first = await opened(0);
    expect(first.url).toBe(A);
    first.deliver(snapshot("e1", 40));
    await connecting;
    first.deliver({ type: "tick_start", seq: 41, tick: 8 });
    expect(starts).toEqual([[{ resumed: false, reason: undefined, requested: undefined }, A]]);

    // A is lost: the next attempt goes to B, asking for the events after 41, B's query kept.
    first.drop();
    const second = await opened(1);
    expect(base(second.url)).toBe("ws://gateway-b/ws");
    expect(new URL(second.url).searchParams.get("resume")).toBe("e1:41");
    expect(new URL(second.url).searchParams.get("x")).toBe("1");
    expect(spine.url).toBe(B);
    // B fails before its first frame: the next attempt goes to C, for the same events.
    second.drop();
    const third = await opened(2);
    expect(base(third.url)).toBe("ws://gateway-c/ws");
    expect(new URL(third.url).searchParams.get("resume")).toBe("e1:41");
    third.deliver(resumedFrame("e1", 41, 1));
    third.deliver({ type: "tick_end", seq: 42, tick: 8 });
    expect(spine.state).toBe("open");
    expect(spine.url).toBe(C);
    expect(starts.at(-1)).toEqual([{ resumed: true, epoch: "e1", seq: 41, replayed: 1 }, C]);

    // C is lost: round robin, back to A, resuming after 42.
    third.drop();
    const fourth = await opened(3);
    expect(base(fourth.url)).toBe("ws://gateway-a/ws");
    expect(new URL(fourth.url).searchParams.get("resume")).toBe("e1:42");
    expect(spine.url).toBe(A);

    // Each state change names the URL in use: while reconnecting, the one tried next.
    expect(states).toEqual([
      ["connecting", A],
      ["open", A],
      ["reconnecting", B],
      ["connecting", B],
      ["reconnecting", C],
      ["connecting", C],
      ["open", C],
      ["reconnecting", A],
      ["connecting", A],
    ]);
  });

  it("rotates when a first connection fails with retryInitialConnect, and not without", async () => {
    const retrying = client([A, B], { retryInitialConnect: true });
    const connecting = retrying.connect();
    (await opened(0)).drop();
    const second = await opened(1);
    expect(second.url).toBe(B);
    second.deliver(snapshot("e1", 3));
    expect((await connecting).seq).toBe(3);
    expect(retrying.url).toBe(B);
    retrying.close();

    Recorded.all = [];
    const once = client([A, B]);
    const failing = once.connect();
    (await opened(0)).drop();
    const error = await rejectionOf(failing);
    expect(error).toBeInstanceOf(DisconnectedError);
    expect(String(error)).toContain(`cannot connect to ${A}`);
    expect(once.state).toBe("closed");
    expect(once.url).toBe(A);
    expect(Recorded.all).toHaveLength(1);
  });

  it("starts again from the first URL after close(), without resuming", async () => {
    const spine = client([A, B]);
    let connecting = spine.connect();
    (await opened(0)).deliver(snapshot("e1", 5));
    await connecting;
    Recorded.all[0]?.drop();
    (await opened(1)).deliver(resumedFrame("e1", 5));
    expect(spine.url).toBe(B);
    spine.close();
    expect(spine.url).toBe(B);
    connecting = spine.connect();
    const again = await opened(2);
    expect(again.url).toBe(A);
    again.deliver(snapshot("e1", 9));
    await connecting;
    expect(spine.url).toBe(A);
  });

  it("counts maxAttempts across the URLs", async () => {
    const spine = client([A, B, C], { reconnect: { initialDelayMs: 1, maxDelayMs: 1, jitter: 0, maxAttempts: 2 } });
    const connecting = spine.connect();
    (await opened(0)).deliver(snapshot("e1", 1));
    await connecting;
    Recorded.all[0]?.drop();
    (await opened(1)).drop();
    (await opened(2)).drop();
    await vi.waitFor(() => expect(spine.state).toBe("closed"));
    expect(Recorded.all.map((socket) => base(socket.url))).toEqual([A, "ws://gateway-b/ws", C]);
  });

  it("puts a query token on every URL, and never in `url`", async () => {
    const spine = client([A, B], { token: "s3cret", tokenTransport: "query" });
    const connecting = spine.connect();
    const first = await opened(0);
    expect(new URL(first.url).searchParams.get("token")).toBe("s3cret");
    first.deliver(snapshot("e1", 1));
    await connecting;
    first.drop();
    const second = await opened(1);
    const query = new URL(second.url).searchParams;
    expect([query.get("token"), query.get("x"), query.get("resume")]).toEqual(["s3cret", "1", "e1:1"]);
    expect(spine.url).toBe(B);
    expect(spine.urls).toEqual([A, B]);
  });

  it("offers the token subprotocol on every URL", async () => {
    const spine = client([A, B], { token: "s3cret" });
    const connecting = spine.connect();
    const first = await opened(0);
    first.deliver(snapshot("e1", 1));
    await connecting;
    first.drop();
    const second = await opened(1);
    expect(base(second.url)).toBe("ws://gateway-b/ws");
    expect(second.url).not.toContain("s3cret");
    expect(second.protocols).toEqual(first.protocols);
    expect(second.protocols).toContain("token.s3cret");
  });

  it("takes a one-URL list like a string, and refuses an empty list", async () => {
    const spine = client([A]);
    const connecting = spine.connect();
    (await opened(0)).deliver(snapshot("e1", 1));
    await connecting;
    Recorded.all[0]?.drop();
    expect((await opened(1)).url).toBe(`${A}?resume=e1%3A1`);
    expect(spine.url).toBe(A);
    expect(() => new SpineClient([], { WebSocket: Recorded })).toThrow(TypeError);
  });
});
