/**
 * The little of a WebSocket the client uses, so that both the browser's `WebSocket` and
 * Node's `ws` package fit without either being a dependency.
 */

/** `readyState` of an open socket (the same number in the DOM and in `ws`). */
export const OPEN = 1;

/**
 * A WebSocket as the client drives it. The handler parameters are typed `never` on
 * purpose: the DOM and `ws` declare different event classes, and a property typed with
 * `never` accepts either; the client reads only `data`, `code` and `reason` from them.
 */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** `globalThis.WebSocket`, or `WebSocket` from the `ws` package in Node. */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;

/** What the client reads from a `message` event. */
export interface MessageLike {
  data: unknown;
}

/** What the client reads from a `close` event. */
export interface CloseLike {
  code?: number;
  reason?: string;
}

const decoder = new TextDecoder();

/** A text frame's payload as a string; binary payloads are decoded as UTF-8. */
export function frameText(data: unknown): string | undefined {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return decoder.decode(data);
  if (ArrayBuffer.isView(data)) return decoder.decode(data);
  return undefined;
}
