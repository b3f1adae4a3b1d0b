/**
 * A client for a contract spoken in a team's own envelope (its schema tree's
 * `envelope.json`): `send` and `on` are typed by the names and members the generated
 * `contract.ts` declares (`WireProtocol`), so a misspelled action or a missing member
 * fails to compile. Replies are matched by the envelope's id member (`request_id` for
 * Route-Sim's), never by name.
 *
 *     import { ENVELOPE, type WireProtocol } from "./protocol/contract.js";
 *     const sim = new EnvelopeClient<WireProtocol>(url, ENVELOPE, { WebSocket });
 *     await sim.opened();
 *     sim.on("agent.created", (data) => draw(data.agent_id));
 *     await sim.send("agent.create", { agent_id: "a1", agent_kind: "truck" });
 *
 * It is the small, typed edge of a frontend's own socket layer: one connection, no
 * reconnect or resume (`SpineClient` does those in spine's envelope).
 */

import type { ErrorCode, ErrorDetail } from "./gen/protocol.js";
import { SpineError, DisconnectedError, CommandTimeoutError } from "./errors.js";
import { OPEN, frameText, type WebSocketConstructor, type WebSocketLike } from "./socket.js";

/** Where an envelope keeps names, members and the correlation id (`envelope.json`). */
export interface EnvelopeShape {
  readonly name: string;
  readonly command: { readonly name: string; readonly members: string | null; readonly id: string };
  readonly event: { readonly name: string; readonly members: string | null; readonly seq?: string | null };
  readonly reply: { readonly ack: string; readonly error: string };
  /** Commands answered by name (agent.create -> agent.created): that message is the result. */
  readonly replies?: Readonly<Record<string, string>>;
}

/** A contract's messages by wire name, as `contract.ts` generates them (`WireProtocol`). */
export interface WireTypes {
  commands: object;
  events: object;
  results: object;
}

/** What a command's reply resolves with: its result, or undefined if it has none. */
export type WireResultOf<P extends WireTypes, K> = K extends keyof P["results"]
  ? P["results"][K]
  : undefined;

/** The members of an error reply, as the envelope carries them. */
export interface WireErrorMembers {
  code: ErrorCode;
  message: string;
  command_type?: string;
  details?: ErrorDetail[];
}

/** The server answered a command with the envelope's error reply. */
export class EnvelopeCommandError extends SpineError {
  override name = "EnvelopeCommandError";
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];
  /** The command's name as it was sent. */
  readonly action: string;

  constructor(action: string, members: WireErrorMembers) {
    super(`${action}: ${members.code}: ${members.message}`);
    this.action = action;
    this.code = members.code;
    this.details = members.details ?? [];
  }
}

export interface EnvelopeClientOptions {
  /** `globalThis.WebSocket` by default; `WebSocket` from `ws` in Node. */
  WebSocket?: WebSocketConstructor;
  /** How long a command waits for its reply (ms); 30 s by default. */
  timeoutMs?: number;
  /** Subprotocols to offer; by default `spine.v<major>.<envelope name>`. */
  protocols?: string[];
}

type Handler = (members: never, message: Record<string, unknown>) => void;

/** The members of a `progress` signal (a long-running command at work). */
export interface WireProgress {
  command_type: string;
  fraction: number;
  message: string;
}

/** What `send` returns: the promise of the result, with the request's id, its
 * progress and a way to cancel it (as `SpineClient`'s `CommandPromise`). */
export type WireCommandPromise<T> = Promise<T> & {
  readonly id: string;
  onProgress(handler: (progress: WireProgress) => void): WireCommandPromise<T>;
  /** Sends the core's `cancel` (under the team's name, if it has one) for this request. */
  cancel(): Promise<void>;
};

interface Waiting {
  action: string;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  rearm: () => void;
  progress: Set<(progress: WireProgress) => void>;
}

export class EnvelopeClient<P extends WireTypes> {
  private readonly socket: WebSocketLike;
  private readonly envelope: EnvelopeShape;
  private readonly timeoutMs: number;
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly waiting = new Map<string, Waiting>();
  private readonly open: Promise<void>;
  private next = 0;

  constructor(url: string, envelope: EnvelopeShape, options: EnvelopeClientOptions = {}) {
    const Impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (Impl === undefined) {
      throw new TypeError('no WebSocket implementation: pass options.WebSocket (`import { WebSocket } from "ws"`)');
    }
    this.envelope = envelope;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.socket = new Impl(url, options.protocols ?? [`spine.v1.${envelope.name}`]);
    this.open = new Promise((resolve, reject) => {
      this.socket.onopen = () => resolve();
      this.socket.onerror = () => reject(new DisconnectedError(`cannot connect to ${url}`));
    });
    this.socket.onmessage = (event: never) => this.receive((event as { data: unknown }).data);
    this.socket.onclose = () => this.fail(new DisconnectedError("the connection closed"));
  }

  /** Resolves once the connection is open. */
  opened(): Promise<void> {
    return this.open;
  }

  /** Send a command under its wire name; resolves with its result, or rejects with an
   * `EnvelopeCommandError` carrying the server's code and details. */
  send<K extends keyof P["commands"] & string>(
    action: K,
    members: P["commands"][K],
  ): WireCommandPromise<WireResultOf<P, K>> {
    const id = `${Date.now().toString(36)}-${(this.next += 1)}`;
    const progress = new Set<(progress: WireProgress) => void>();
    const promise = this.start(action, members as Record<string, unknown>, id, progress);
    const command = promise as unknown as WireCommandPromise<WireResultOf<P, K>>;
    return Object.assign(command, {
      id,
      onProgress: (handler: (progress: WireProgress) => void) => {
        progress.add(handler);
        return command;
      },
      cancel: () =>
        this.start(this.wireName("cancel"), { command_id: id }, `${id}-cancel`, new Set()).then(() => undefined),
    });
  }

  private wireName(core: string): string {
    const names = (this.envelope as { names?: Record<string, string> }).names ?? {};
    return Object.keys(names).find((wire) => names[wire] === core) ?? core;
  }

  private start(
    action: string,
    body: Record<string, unknown>,
    id: string,
    progress: Set<(progress: WireProgress) => void>,
  ): Promise<never> {
    if (this.socket.readyState !== OPEN) {
      return Promise.reject(new DisconnectedError("not connected"));
    }
    const { command } = this.envelope;
    const message =
      command.members === null
        ? { [command.name]: action, ...body, [command.id]: id }
        : { [command.name]: action, [command.members]: body, [command.id]: id };
    return new Promise((resolve, reject) => {
      const expire = () =>
        setTimeout(() => {
          this.waiting.delete(id);
          reject(new CommandTimeoutError(id, action, this.timeoutMs));
        }, this.timeoutMs);
      const waiting: Waiting = {
        action,
        resolve: resolve as (r: unknown) => void,
        reject,
        timer: expire(),
        rearm: () => {
          clearTimeout(waiting.timer);
          waiting.timer = expire();
        },
        progress,
      };
      this.waiting.set(id, waiting);
      this.socket.send(JSON.stringify(message));
    });
  }

  /** Call `handler` with the members of every event of this name; returns the unsubscriber. */
  on<K extends keyof P["events"] & string>(
    name: K,
    handler: (members: P["events"][K], message: Record<string, unknown>) => void,
  ): () => void {
    const set = this.handlers.get(name) ?? new Set<Handler>();
    this.handlers.set(name, set);
    set.add(handler as Handler);
    return () => set.delete(handler as Handler);
  }

  close(): void {
    this.socket.close(1000);
  }

  private receive(data: unknown): void {
    const text = frameText(data);
    if (text === undefined) return;
    const parsed: unknown = JSON.parse(text);
    for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
      this.dispatch(message as Record<string, unknown>);
    }
  }

  private dispatch(message: Record<string, unknown>): void {
    const { event, command, reply } = this.envelope;
    const name = message[event.name];
    if (typeof name !== "string") return;
    const members = (event.members === null ? message : message[event.members]) as Record<
      string,
      unknown
    >;
    const id = message[command.id];
    const waiting = typeof id === "string" ? this.waiting.get(id) : undefined;
    if (waiting !== undefined && name === this.wireName("progress")) {
      waiting.rearm();
      for (const handler of [...waiting.progress]) handler(members as unknown as WireProgress);
      return;
    }
    const answer = waiting === undefined ? undefined : (this.envelope.replies?.[waiting.action] ?? reply.ack);
    if (waiting !== undefined && (name === answer || name === reply.error)) {
      this.waiting.delete(id as string);
      clearTimeout(waiting.timer);
      if (name === reply.error) {
        waiting.reject(new EnvelopeCommandError(waiting.action, members as unknown as WireErrorMembers));
      } else {
        // Answered by name: the message is the result; else the ack carries it.
        waiting.resolve(answer === reply.ack ? members.result : members);
      }
      return;
    }
    if (name === "batch" && Array.isArray(members.events)) {
      for (const member of members.events) this.dispatch(member as Record<string, unknown>);
      return;
    }
    for (const handler of this.handlers.get(name) ?? []) {
      (handler as (m: unknown, message: Record<string, unknown>) => void)(members, message);
    }
  }

  private fail(error: Error): void {
    for (const [id, waiting] of this.waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(error);
      this.waiting.delete(id);
    }
  }
}
