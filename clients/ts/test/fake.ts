/**
 * A fake socket for the tests that need frames a real server never sends (a skipped seq,
 * a wrong `resumed`): `deliver` plays a server frame into the client, `drop` loses it.
 */

import {
  PROTOCOL_VERSION,
  SCHEMA_HASH,
  type ServerEvent,
  type SnapshotEvent,
  SpineClient,
  type WebSocketLike,
} from "../src/index.js";

/** Records what the client sends; `deliver` plays a server frame into the client. */
export class FakeSocket implements WebSocketLike {
  static last: FakeSocket | undefined;
  readyState = 1;
  onopen: ((event: never) => void) | null = null;
  onmessage: ((event: never) => void) | null = null;
  onclose: ((event: never) => void) | null = null;
  onerror: ((event: never) => void) | null = null;
  readonly sent: string[] = [];
  closed = false;

  constructor(
    readonly url: string,
    readonly protocols?: string | string[],
  ) {
    FakeSocket.last = this;
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(): void {
    this.readyState = 3;
    this.closed = true;
  }

  deliver(event: ServerEvent): void {
    (this.onmessage as ((event: { data: unknown }) => void) | null)?.({ data: JSON.stringify(event) });
  }

  drop(): void {
    this.readyState = 3;
    (this.onclose as ((event: { code: number }) => void) | null)?.({ code: 1006 });
  }
}

export function snapshot(epoch: string, seq: number, schemaHash = SCHEMA_HASH): SnapshotEvent {
  return {
    type: "snapshot",
    protocol_version: PROTOCOL_VERSION,
    schema_hash: schemaHash,
    epoch,
    seq,
    connection_id: "c1",
    role: "controller",
    capabilities: ["resume"],
    simulation: { status: "running", tick: 7, tick_rate: 20 },
    commands: ["start", "stop"],
    agents: [{ agent_id: "a", agent_kind: "walker", data: { x: 1, y: 2 } }],
  };
}

/** A client on a `FakeSocket`, its `connect()` under way: deliver the first frame next. */
export async function connected(options: ConstructorParameters<typeof SpineClient>[1] = {}) {
  const client = new SpineClient("ws://fake/ws", { WebSocket: FakeSocket, ...options });
  const connecting = client.connect();
  const socket = FakeSocket.last;
  if (!socket) throw new Error("the client did not open a socket");
  return { client, socket, connecting };
}
