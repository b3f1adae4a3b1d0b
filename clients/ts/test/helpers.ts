/** Small helpers shared by the tests that drive a real server. */

import { WebSocket } from "ws";
import {
  type EventOf,
  type ServerEvent,
  SpineClient,
  type SpineClientOptions,
} from "../src/index.js";

/** Clients opened by `openClient`; `closeClients()` (in an afterEach) closes them. */
const opened = new Set<SpineClient>();

/** A client for Node (the `ws` package), not yet connected; closed by `closeClients()`. */
export function newClient(url: string, options: SpineClientOptions = {}): SpineClient {
  const client = new SpineClient(url, { WebSocket, ...options });
  opened.add(client);
  return client;
}

/** A connected client (its first snapshot has arrived); closed by `closeClients()`. */
export async function openClient(url: string, options: SpineClientOptions = {}): Promise<SpineClient> {
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
