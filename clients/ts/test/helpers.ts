/** Small helpers shared by the tests that drive a real server. */

import { type RawData, WebSocket } from "ws";
import {
  type EventOf,
  type ServerEvent,
  SpineClient,
  type SpineClientOptions,
  type WebSocketConstructor,
} from "../src/index.js";

/** Clients opened by `openClient`; `closeClients()` (in an afterEach) closes them. */
const opened = new Set<SpineClient>();

/** A client for Node (the `ws` package), of one URL or several, not yet connected; closed by `closeClients()`. */
export function newClient(url: string | readonly string[], options: SpineClientOptions = {}): SpineClient {
  const client = new SpineClient(url, { WebSocket, ...options });
  opened.add(client);
  return client;
}

/** A connected client (its first snapshot has arrived); closed by `closeClients()`. */
export async function openClient(
  url: string | readonly string[],
  options: SpineClientOptions = {},
): Promise<SpineClient> {
  const client = newClient(url, options);
  await client.connect();
  return client;
}

export function closeClients(): void {
  for (const client of opened) client.close();
  opened.clear();
}

/** The next event of `type` that satisfies `accept`; rejects after `timeoutMs`. */
export function nextEvent<T extends ServerEvent["type"]>(
  client: SpineClient,
  type: T,
  accept: (event: EventOf<T>) => boolean = () => true,
  timeoutMs = 5_000,
): Promise<EventOf<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`no ${type} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const unsubscribe = client.on(type, (event) => {
      if (!accept(event)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(event);
    });
  });
}

/** The rejection of `promise`, or a failure if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject, but it resolved");
}

/** One socket a `Tap` opened: its URL and every frame it received, as the server sent it. */
export interface TappedSocket {
  readonly url: string;
  readonly frames: string[];
  readonly socket: WebSocket;
}

/** A `WebSocket` option that records the client's sockets and their frames, and can cut one. */
export interface Tap {
  readonly WebSocket: WebSocketConstructor;
  /** Every socket the client opened, in order. */
  readonly sockets: TappedSocket[];
  /** Cut the latest socket's TCP connection at once, as a network failure does (no close handshake). */
  drop(): void;
}

/**
 * `ws`'s WebSocket, tapped: each socket's frames are recorded (text, byte for byte) before
 * the client sees them. Pass `tap.WebSocket` as the client's `WebSocket` option.
 */
export function tap(): Tap {
  const sockets: TappedSocket[] = [];
  class Tapped extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      const record: TappedSocket = { url, frames: [], socket: this };
      sockets.push(record);
      // Registered before the client's onmessage: recorded first, in the same dispatch.
      this.on("message", (data: RawData) => {
        // A Buffer: the client's `binaryType` is ws's default, "nodebuffer".
        record.frames.push((data as Buffer).toString("utf8"));
      });
    }
  }
  return {
    WebSocket: Tapped,
    sockets,
    drop() {
      const latest = sockets.at(-1);
      if (!latest) throw new Error("the client has opened no socket");
      latest.socket.terminate();
    },
  };
}
