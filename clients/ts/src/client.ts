/**
 * `SpineClient`: a typed, reconnecting client for the spine-ws protocol.
 *
 * It correlates each command with its reply (`command_ack` or `error`, by `command_id`),
 * narrows event handlers by `type`, reconnects with exponential backoff and jitter,
 * resumes where it left off (`?resume=<epoch>:<seq>`: the server replays exactly the missed
 * events, or sends a `snapshot`, which replaces whatever the client knew), checks `seq` for
 * gaps. Given several URLs (a cluster's gateways), each reconnect attempt moves to the
 * next one, round robin.
 *
 * Versions: a server of another major protocol version is refused (`IncompatibleServerError`,
 * no reconnect); one of a newer minor is reported once (`onSchemaMismatch`). The client is
 * a tolerant reader, which is what lets a newer minor server talk to it: members it does
 * not know are left alone, and events of types its contract does not list reach no
 * handler (only their `seq` is counted). Features are checked with `has(capability)`.
 */

import {
  CommandError,
  CommandTimeoutError,
  DisconnectedError,
  IncompatibleServerError,
  MissingCapabilityError,
  SpineError,
} from "./errors.js";
import { decode as decodeMsgpack, encode as encodeMsgpack } from "@msgpack/msgpack";
import { COMMAND_ID_PATTERN, CONTRACT, type Protocol, SUBPROTOCOL } from "./gen/contract.js";
import type {
  CommandAckEvent,
  Data,
  ProgressEvent,
  ResumedEvent,
  ResumeRefused,
  ServerEvent,
  SnapshotEvent,
  SubscribeCommand,
  SubscribeResult,
} from "./gen/protocol.js";
import { type SeqGap, SeqTracker } from "./seq.js";
import {
  type CloseLike,
  type MessageLike,
  OPEN,
  type WebSocketConstructor,
  type WebSocketLike,
  frameText,
} from "./socket.js";
import { AgentTable } from "./columns.js";
import { WorldState } from "./world.js";

/** Characters a subprotocol name may hold (an HTTP token, RFC 9110). */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `url` with the query parameter `name` set to `value` (URL-encoded), its other parameters kept. */
function withQuery(url: string, name: string, value: string): string {
  try {
    const target = new URL(url);
    target.searchParams.set(name, value);
    return target.toString();
  } catch {
    // Not an absolute URL (a browser's WebSocket resolves a relative one): append.
    return `${url}${url.includes("?") ? "&" : "?"}${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
  }
}

/** `MAJOR.MINOR.PATCH` as numbers; a part that is not a number counts as 0. */
function parseVersion(version: string): [number, number, number] {
  const [major, minor, patch] = version.split(".").map((part) => Number.parseInt(part, 10) || 0);
  return [major ?? 0, minor ?? 0, patch ?? 0];
}

/** Negative, zero or positive as `a` is below, equal to or above `b`. */
function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** The default `onSchemaMismatch`: a newer minor, or the same version from other schemas. */
function warnMismatch(m: SchemaMismatch): void {
  const [server, client] = [parseVersion(m.serverProtocolVersion), parseVersion(m.clientProtocolVersion)];
  if (m.server === "newer" && server[1] > client[1]) {
    console.warn(
      `spine-ws: the server speaks protocol ${m.serverProtocolVersion}, newer than this client's ` +
        `${m.clientProtocolVersion}: what this client does not know (members, event types) it ignores; ` +
        "upgrade the client to use it",
    );
  } else if (m.server === "same") {
    console.warn(
      `spine-ws: server schema ${m.serverSchemaHash} differs from this client's ${m.clientSchemaHash}, ` +
        `both protocol ${m.clientProtocolVersion}: one was built from unreleased schema changes; ` +
        "regenerate the client's types (`make gen`; your own: `spine-ws gen --ts-out`)",
    );
  }
}

/**
 * The message types a client speaks: the `Protocol` of a generated contract.ts, the
 * core's (the default) or an extension's, whose unions hold the core messages and its own.
 */
export interface ProtocolTypes {
  command: { type: string; id?: string };
  event: { type: string };
  results: object;
}

/** P's event tagged `T`, or the core's if P lists none: every server sends the core events. */
export type CoreEventOf<T extends ServerEvent["type"], P extends ProtocolTypes = Protocol> = [
  Extract<P["event"], { type: T }>,
] extends [never]
  ? Extract<ServerEvent, { type: T }>
  : Extract<P["event"], { type: T }>;

/**
 * The `command_ack` of a command of type `T`: with its typed `result` if it has one.
 * `AckOf<"set_speed_limit", MyProtocol>` for an extension's command.
 */
export type AckOf<T extends P["command"]["type"], P extends ProtocolTypes = Protocol> = Omit<
  CoreEventOf<"command_ack", P>,
  "result"
> &
  (T extends keyof P["results"] ? { result: P["results"][T] } : { result?: never });

/** The event type named `T`, e.g. `EventOf<"tick_start">` is `TickStartEvent`. */
export type EventOf<T extends P["event"]["type"], P extends ProtocolTypes = Protocol> = Extract<
  P["event"],
  { type: T }
>;

/** Which schemas a client was generated from: a generated contract.ts's `CONTRACT`. */
export interface ContractIdentity {
  protocolVersion: string;
  schemaHash: string;
  /** The event types handlers may get; others are ignored. Absent: every type is passed on. */
  eventTypes?: readonly string[];
}

/**
 * Where the client stands:
 * `idle` (never connected) → `connecting` (a socket is opening or awaits its first frame) →
 * `open` (`snapshot` or `resumed` received; commands may be sent) → on loss `reconnecting`
 * (waiting out the backoff) → `connecting` … ; `closed` after `close()` or once it gives up.
 */
export type ConnectionState = "idle" | "connecting" | "open" | "reconnecting" | "closed";

/**
 * How a connection started, known once its first frame came (`lastStart`, `onResume`).
 *
 * `resumed: true`: the server had every event after `seq` of `epoch` (what the client
 * asked for); `world` was kept and the `replayed` missed events follow, in order, before
 * the live stream. `resumed: false`: a `snapshot` rebuilt `world`. `requested` is the
 * `<epoch>:<seq>` the client asked to resume from, `undefined` when it did not ask (the
 * first connection, the `resume: false` option, after `close()` or a gap); `reason` is
 * why the server refused (the snapshot's `resume.reason`), `undefined` when the client
 * did not ask or the server does not resume (older than protocol 1.3.0).
 */
export type ConnectionStart =
  | { resumed: true; epoch: string; seq: number; replayed: number }
  | { resumed: false; reason: ResumeRefused["reason"] | undefined; requested: string | undefined };

/**
 * What a connection receives (the members of the `subscribe` command): which event types,
 * about which agents, batched or not, at most how often. A member left out means
 * everything (or off); `{}` is the default, every event one frame each.
 */
export type Subscription = Omit<SubscribeCommand, "type" | "id">;

/** The members of `sub` that are set, in a fresh object (what is sent and remembered). */
function members(sub: Subscription): Subscription {
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(sub)) {
    if (key === "type" || key === "id" || value === undefined) continue;
    copy[key] = Array.isArray(value) ? [...value] : typeof value === "object" && value !== null ? { ...value } : value;
  }
  return copy as Subscription;
}

/**
 * Whether a subscription leaves events out by design (a filter or a `max_rate`): then a
 * jump in `seq` is no loss. `batch` alone leaves nothing out.
 */
function leavesOut(sub: Subscription): boolean {
  return (
    sub.event_types !== undefined ||
    sub.agent_ids !== undefined ||
    sub.agent_kinds !== undefined ||
    sub.max_rate !== undefined ||
    sub.region !== undefined
  );
}

const COLUMNS_NEED_MSGPACK = 'columns: true travels in MessagePack: give the client encoding: "msgpack"';

/** Whether a subscription asks for the default: everything, one frame each. */
function isEverything(sub: Subscription): boolean {
  return !leavesOut(sub) && sub.batch !== true && sub.columns !== true;
}

/** The capabilities a subscription needs the server to have, and the first of them it lacks. */
function lacking(sub: Subscription, has: (capability: string) => boolean): string | undefined {
  if (!has("subscribe")) return "subscribe";
  if (sub.batch === true && !has("batch")) return "batch";
  if (sub.columns === true && !has("columns")) return "columns";
  if (sub.region !== undefined && !has("region")) return "region";
  return undefined;
}

/** Backoff between reconnection attempts: `min(maxDelayMs, initialDelayMs * factor^n)`. */
export interface ReconnectOptions {
  /** Delay before the first retry (default 250 ms). */
  initialDelayMs?: number;
  /** Upper bound of the delay (default 10 s). */
  maxDelayMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Up to this fraction of each delay is taken off at random (0–1, default 0.5). */
  jitter?: number;
  /** Give up (state `closed`) after this many failed attempts in a row (default: never). */
  maxAttempts?: number;
}

/**
 * The server speaks a different contract than the client's `contract` option names, of the
 * same major version (another major is refused: `IncompatibleServerError`).
 */
export interface SchemaMismatch {
  serverSchemaHash: string;
  clientSchemaHash: string;
  serverProtocolVersion: string;
  clientProtocolVersion: string;
  /**
   * `newer`: the server's version is higher (it may send members and event types this
   * client ignores). `older`: lower (it may lack commands and capabilities: check `has()`
   * and the snapshot's `commands`). `same`: the same version from other schemas (one side
   * was built from unreleased changes).
   */
  server: "newer" | "older" | "same";
}

/** Options of `SpineClient`; every one is optional. */
export interface SpineClientOptions {
  /** Access token; sent as described by `tokenTransport`. */
  token?: string;
  /**
   * How the token travels. `subprotocol` (default; what browsers can do) offers the
   * subprotocols `spine.v1` and `token.<token>`; `query` appends `?token=` to the URL
   * (servers redact it in logs, but it may end up in proxies' logs: prefer subprotocol).
   */
  tokenTransport?: "subprotocol" | "query";
  /** WebSocket implementation: default `globalThis.WebSocket`; in Node 20 pass `ws`'s. */
  WebSocket?: WebSocketConstructor;
  /**
   * The encoding on the wire: `json` (default; text frames, `spine.v1`) or `msgpack`
   * (the same messages in MessagePack, binary frames both ways, `spine.v1.msgpack`).
   * The client exposes the same typed messages either way.
   */
  encoding?: "json" | "msgpack";
  /** Reconnect after a lost connection (default on); `false` turns it off. */
  reconnect?: boolean | ReconnectOptions;
  /**
   * Resume on reconnect (default `true`): ask the server for exactly the events missed since
   * the last broadcast `seq` processed (`?resume=<epoch>:<seq>`), keeping `world`, instead of
   * a snapshot; the server sends a snapshot when it cannot. `false`: every connection starts
   * with a snapshot.
   */
  resume?: boolean;
  /** Called once per connection, right after its first frame: how it started, and the URL it is open to. */
  onResume?: (start: ConnectionStart, url: string) => void;
  /**
   * Whether `connect()` keeps retrying (with the reconnect backoff) when the first
   * attempt fails, instead of rejecting. Default `false`; a page that may load before
   * its server is up wants `true`.
   */
  retryInitialConnect?: boolean;
  /** How long `send` waits for the reply before rejecting (default 10 s). */
  commandTimeoutMs?: number;
  /** How long an attempt may take to open and deliver its snapshot (default 10 s). */
  connectTimeoutMs?: number;
  /** Called when a broadcast event's `seq` is not the expected one. */
  onGap?: (gap: SeqGap) => void;
  /**
   * The schemas this client's types come from, compared with each snapshot's (default: the
   * core's `CONTRACT`). A client of an extension passes the `CONTRACT` generated with its types.
   */
  contract?: ContractIdentity;
  /**
   * Called once per differing server hash (of the same major version). Default: a
   * `console.warn` when the server is of a newer minor version or of the same version from
   * other schemas; nothing for an older or a newer patch version.
   */
  onSchemaMismatch?: (mismatch: SchemaMismatch) => void;
  /** Called on every change of `state`, with the URL in use (see `url`). */
  onStateChange?: (state: ConnectionState, url: string) => void;
  /**
   * What to receive from the start (see `Subscription`), sent as `?subscribe=` on every
   * connection (resumes included) until `subscribe()` replaces it. The snapshot then lists
   * only the agents it covers. A server without the `subscribe` capability (or `batch`,
   * if asked) is refused: `connect()` rejects with `MissingCapabilityError`.
   */
  subscribe?: Subscription;
}

/** Per-call options of `send`. */
export interface SendOptions {
  /**
   * Overrides the client's `commandTimeoutMs` for this command: how long it may go
   * without a word from the server (each `progress` of a long-running command starts it over).
   */
  timeoutMs?: number;
  /** Called with each `progress` of a long-running command (its schema's `x-spine-long-running`). */
  onProgress?: (progress: ProgressEvent) => void;
}

/**
 * What `send` returns: the promise of the command's reply, with its `id`, its progress
 * and a way to cancel it.
 */
export type CommandPromise<T> = Promise<T> & {
  /** The command's id (assigned when the command had none). */
  readonly id: string;
  /** Calls `handler` with each `progress` of the command; returns the same promise. */
  onProgress(handler: (progress: ProgressEvent) => void): CommandPromise<T>;
  /**
   * Asks the server to cancel the command (`cancel`): resolves once the request is taken.
   * The command's own promise then rejects with a `CommandError` of code `cancelled`, or
   * resolves if the command finished first.
   */
  cancel(options?: SendOptions): Promise<void>;
};

interface Pending {
  commandType: string;
  resolve: (ack: CommandAckEvent) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
  // Starts the timeout over: a long-running command's progress shows it is alive.
  rearm: () => void;
  progress: Set<(progress: ProgressEvent) => void>;
}

interface Waiter {
  resolve: (snapshot: SnapshotEvent) => void;
  reject: (error: Error) => void;
}

type Handler = (event: { type: string }) => void;

/** Calls every listener, so that one throwing listener cannot break the others or the client. */
function callAll<A, B = undefined>(
  listeners: Iterable<(arg: A, extra: B) => void>,
  arg: A,
  what: string,
  extra?: B,
): void {
  for (const listener of [...listeners]) {
    try {
      listener(arg, extra as B);
    } catch (error) {
      console.error(`spine-ws: a ${what} handler threw`, error);
    }
  }
}

/**
 * A typed, reconnecting spine-ws client. See the README for a worked example.
 *
 * `P`: the message types (an extension's generated `Protocol`; pass its `CONTRACT` as
 * the `contract` option too). `D`: what the frontend declares its agents' `data` to be,
 * as `world` holds it; the server does not check data against it.
 */
export class SpineClient<P extends ProtocolTypes = Protocol, D extends object = Data> {
  /** Create a client and wait for its first snapshot (see `connect()`). */
  static async connect<P extends ProtocolTypes = Protocol, D extends object = Data>(
    url: string | readonly string[],
    options: SpineClientOptions = {},
  ): Promise<SpineClient<P, D>> {
    const client = new SpineClient<P, D>(url, options);
    await client.connect();
    return client;
  }

  /** The simulation as the latest snapshot and the events since describe it. */
  readonly world = new WorldState<D>();
  /**
   * The agent index table of a `columns: true` subscription (`agent_index` frames build
   * it): `updates(event, client.agentTable)` reads an `agent_columns` frame's rows.
   */
  readonly agentTable = new AgentTable();

  /** The URLs as given (what `url` and `urls` show: no token, no resume). */
  readonly #urls: readonly string[];
  /** The same, each with the query token if `tokenTransport` is `query`: what is opened. */
  readonly #targets: readonly string[];
  /** Index in `#urls` of the URL in use (or last used, or next to be tried). */
  #urlIndex = 0;
  readonly #protocols: string[];
  // MessagePack in binary frames (`encoding: "msgpack"`), else JSON in text frames.
  readonly #packed: boolean;
  readonly #WebSocket: WebSocketConstructor;
  readonly #reconnect: Required<ReconnectOptions> | undefined;
  readonly #retryInitial: boolean;
  readonly #resume: boolean;
  readonly #commandTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #contract: ContractIdentity;
  readonly #onSchemaMismatch: (mismatch: SchemaMismatch) => void;
  /** The event types handlers get (the contract's), or undefined: all of them. */
  readonly #eventTypes: ReadonlySet<string> | undefined;

  readonly #handlers = new Map<string, Set<Handler>>();
  readonly #anyHandlers = new Set<Handler>();
  readonly #gapHandlers = new Set<(gap: SeqGap) => void>();
  readonly #stateHandlers = new Set<(state: ConnectionState, url: string) => void>();
  readonly #startHandlers = new Set<(start: ConnectionStart, url: string) => void>();
  readonly #pending = new Map<string, Pending>();
  /** Subscribe commands sent on this connection and not yet answered, by id. */
  readonly #subscribing = new Map<string, Subscription>();
  readonly #seq = new SeqTracker();
  readonly #warnedHashes = new Set<string>();
  readonly #idPrefix = `c${Math.random().toString(36).slice(2, 8)}:`;

  #state: ConnectionState = "idle";
  #socket: WebSocketLike | undefined;
  /** Bumped for every socket, so callbacks of an abandoned socket are ignored. */
  #generation = 0;
  #attempt = 0;
  #connectedOnce = false;
  #snapshot: SnapshotEvent | undefined;
  #connectionId: string | undefined;
  #capabilities: readonly string[] = [];
  #lastStart: ConnectionStart | undefined;
  #lastLoss: string | undefined;
  /** Where the next attempt resumes from: the last connection's last processed event. */
  #resumeFrom: { epoch: string; seq: number } | undefined;
  /** What the current attempt asked to resume from. */
  #requested: { epoch: string; seq: number } | undefined;
  /** The current connection's first frame (`snapshot` or `resumed`) came. */
  #started = false;
  /** Events were skipped on the current connection: `world` misses some; do not resume. */
  #gapped = false;
  #waiter: Waiter | undefined;
  #waiting: Promise<SnapshotEvent> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #snapshotTimer: ReturnType<typeof setTimeout> | undefined;
  #nextId = 0;
  /** The subscription in force (asked at connect time, or the latest acknowledged). */
  #subscription: Subscription = {};

  /**
   * `url`: the server's WebSocket URL, or several (a cluster's gateways, all serving the
   * same stream): the first connection opens the first; every reconnect attempt (and every
   * retry of a first connection, with `retryInitialConnect`) moves to the next, round robin.
   */
  constructor(url: string | readonly string[], options: SpineClientOptions = {}) {
    const urls: readonly string[] = typeof url === "string" ? [url] : [...url];
    if (urls.length === 0) throw new TypeError("no URL: pass a URL or a non-empty list of URLs");
    for (const each of urls) {
      if (typeof each !== "string") throw new TypeError(`not a URL: ${String(each)}`);
    }
    const WebSocketImpl =
      options.WebSocket ??
      (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl) {
      throw new TypeError(
        "no WebSocket implementation: pass options.WebSocket (in Node 20: `import { WebSocket } from \"ws\"`)",
      );
    }
    this.#WebSocket = WebSocketImpl;
    let targets = urls;
    // Named always: a server whose default profile is another (--profile jsonrpc) still
    // speaks spine.v1 to a client that asks for it.
    this.#packed = options.encoding === "msgpack";
    const own = this.#packed ? `${SUBPROTOCOL}.msgpack` : SUBPROTOCOL;
    let protocols: string[] = [own];
    if (options.token !== undefined) {
      const token = options.token;
      if (options.tokenTransport === "query") {
        targets = urls.map((each) => {
          const withToken = new URL(each);
          withToken.searchParams.set("token", token);
          return withToken.toString();
        });
      } else {
        if (!HTTP_TOKEN.test(options.token)) {
          throw new TypeError(
            'this token cannot travel as a subprotocol (only HTTP token characters can): use tokenTransport: "query"',
          );
        }
        protocols = [own, `token.${options.token}`];
      }
    }
    this.#urls = urls;
    this.#targets = targets;
    this.#protocols = protocols;
    const reconnect = options.reconnect ?? true;
    this.#reconnect =
      reconnect === false
        ? undefined
        : {
            initialDelayMs: 250,
            maxDelayMs: 10_000,
            factor: 2,
            jitter: 0.5,
            maxAttempts: Number.POSITIVE_INFINITY,
            ...(reconnect === true ? {} : reconnect),
          };
    this.#retryInitial = options.retryInitialConnect ?? false;
    this.#resume = options.resume ?? true;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 10_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#contract = options.contract ?? CONTRACT;
    this.#onSchemaMismatch = options.onSchemaMismatch ?? warnMismatch;
    this.#eventTypes = this.#contract.eventTypes ? new Set(this.#contract.eventTypes) : undefined;
    if (options.onGap) this.#gapHandlers.add(options.onGap);
    if (options.onStateChange) this.#stateHandlers.add(options.onStateChange);
    if (options.onResume) this.#startHandlers.add(options.onResume);
    if (options.subscribe?.columns === true && !this.#packed) throw new TypeError(COLUMNS_NEED_MSGPACK);
    if (options.subscribe) this.#subscription = members(options.subscribe);
  }

  /** Where the client stands (see `ConnectionState`). */
  get state(): ConnectionState {
    return this.#state;
  }

  /**
   * The URL in use: the one open or being opened; while `reconnecting`, the one the next
   * attempt opens; once `closed`, the last one used. As given to the constructor (no
   * `token=`, no `resume=`).
   */
  get url(): string {
    return this.#urls[this.#urlIndex] as string;
  }

  /** Every URL the client rotates through, in order, as given to the constructor. */
  get urls(): readonly string[] {
    return this.#urls;
  }

  /**
   * The latest snapshot, or `undefined` before the first. After a resume it is the one
   * `world` was built from: `world` is newer.
   */
  get snapshot(): CoreEventOf<"snapshot", P> | undefined {
    return this.#snapshot as CoreEventOf<"snapshot", P> | undefined;
  }

  /** How the latest connection started (resumed or snapshot, and why), once its first frame came. */
  get lastStart(): ConnectionStart | undefined {
    return this.#lastStart;
  }

  /**
   * Why the latest connection was lost, `undefined` before any was: the close code and
   * reason (`closed (code 1008, slow consumer)`), `no snapshot within 10000 ms`, a protocol
   * error, why the client gave up (an incompatible server), or `close() was called`. Set
   * before the state changes, so an `onStateChange` handler can show it.
   */
  get lastLoss(): string | undefined {
    return this.#lastLoss;
  }

  /** The server's id of the latest connection (from its `snapshot` or `resumed`). */
  get connectionId(): string | undefined {
    return this.#connectionId;
  }

  /**
   * What the server of the latest connection supports (its snapshot's or resumed's
   * `capabilities`, e.g. `resume`, `subscribe`, `batch`, `cluster`); empty before the first.
   */
  get capabilities(): readonly string[] {
    return this.#capabilities;
  }

  /** Whether the server supports `capability`: check features here, not versions. */
  has(capability: string): boolean {
    return this.#capabilities.includes(capability);
  }

  /**
   * The subscription in force: the `subscribe` option, or what the latest acknowledged
   * `subscribe` asked for (`{}`: everything). Every new connection asks for it.
   */
  get subscription(): Subscription {
    return members(this.#subscription);
  }

  /** The server run (`epoch`) of the latest snapshot or resume. */
  get epoch(): string | undefined {
    return this.#seq.epoch;
  }

  /** The last broadcast `seq` processed on the current connection. */
  get lastSeq(): number | undefined {
    return this.#seq.last;
  }

  /**
   * Open the connection; resolves with the first snapshot. Rejects with a
   * `DisconnectedError` if that attempt fails (unless `retryInitialConnect`), if the
   * reconnect attempts run out, or if `close()` is called first. Calling it while
   * connecting returns the same promise; while open, resolves with the current snapshot
   * (after a resume, the latest snapshot, which `world` has moved on from).
   */
  connect(): Promise<CoreEventOf<"snapshot", P>> {
    // The server's snapshot is P's: P is generated from the schemas the server runs.
    return this.#connect() as Promise<CoreEventOf<"snapshot", P>>;
  }

  #connect(): Promise<SnapshotEvent> {
    if (this.#state === "open" && this.#snapshot) return Promise.resolve(this.#snapshot);
    if (this.#waiting) return this.#waiting;
    this.#waiting = new Promise<SnapshotEvent>((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
    // The promise is also kept for later callers; don't report it unhandled for them.
    this.#waiting.catch(() => undefined);
    if (this.#state !== "connecting" && this.#state !== "reconnecting") {
      this.#connectedOnce = false;
      this.#attempt = 0;
      this.#urlIndex = 0;
      this.#open();
    }
    return this.#waiting;
  }

  /**
   * Close for good: no reconnect; pending commands reject with `DisconnectedError`. A
   * later `connect()` starts with a snapshot (it does not resume).
   */
  close(): void {
    this.#generation++;
    this.#resumeFrom = undefined;
    this.#started = false;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#snapshotTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) this.#detach(socket, 1000, "client closed");
    this.#seq.disconnect();
    this.#failPending("the client was closed");
    this.#settleWaiter(new DisconnectedError("the client was closed before it connected"));
    if (this.#state !== "closed" && this.#state !== "idle") this.#lastLoss = "close() was called";
    this.#setState("closed");
  }

  /**
   * Send a command; resolves with its `command_ack`, whose `result` is typed for a
   * command that returns one (`AckOf<"describe_agent">["result"]` is
   * `DescribeAgentResult`). An `id` is assigned when missing.
   * Rejects with `CommandError` (the server's `error` reply), `CommandTimeoutError`, or
   * `DisconnectedError` (not open, or the connection dropped before the reply; the
   * command may then have been applied: the next snapshot shows). A malformed or
   * already pending `id` rejects with a `TypeError`.
   */
  send<C extends P["command"]>(command: C, options: SendOptions = {}): CommandPromise<AckOf<C["type"], P>> {
    // The server validated `result` against this command's result schema.
    return this.#send(command, options) as CommandPromise<unknown> as CommandPromise<AckOf<C["type"], P>>;
  }

  /**
   * Change what this connection receives, from the seq the ack states on: sends
   * `subscribe` (a viewer may) and resolves with its result once acknowledged. Then `world`'s
   * agents are the ack's `agents` (all the new subscription covers, as of `seq`), the
   * events after `seq` follow it, and every later connection asks for it (`?subscribe=`).
   * `{}` goes back to everything, one frame each. Rejects as `send` does, and with
   * `MissingCapabilityError` (sending nothing) if the server lacks `subscribe`, or `batch`
   * when asked for.
   */
  subscribe(subscription: Subscription, options: SendOptions = {}): Promise<SubscribeResult> {
    const sub = members(subscription);
    if (sub.columns === true && !this.#packed) return Promise.reject(new TypeError(COLUMNS_NEED_MSGPACK));
    if (this.#state === "open") {
      const missing = lacking(sub, (name) => this.has(name));
      if (missing) return Promise.reject(new MissingCapabilityError(missing, "subscribe()"));
    }
    return this.#send({ ...sub, type: "subscribe" }, options).then((ack) => ack.result as unknown as SubscribeResult);
  }

  #send(command: { type: string; id?: string }, options: SendOptions): CommandPromise<CommandAckEvent> {
    const id = command.id ?? `${this.#idPrefix}${++this.#nextId}`;
    const progress = new Set<(progress: ProgressEvent) => void>();
    if (options.onProgress) progress.add(options.onProgress);
    const promise = this.#start(command, id, options, progress) as CommandPromise<CommandAckEvent>;
    return Object.assign(promise, {
      id,
      onProgress: (handler: (progress: ProgressEvent) => void) => {
        progress.add(handler);
        return promise;
      },
      cancel: (cancelOptions: SendOptions = {}) =>
        this.#send({ type: "cancel", command_id: id } as { type: string }, cancelOptions).then(() => undefined),
    });
  }

  #start(
    command: { type: string; id?: string },
    id: string,
    options: SendOptions,
    progress: Set<(progress: ProgressEvent) => void>,
  ): Promise<CommandAckEvent> {
    if (!COMMAND_ID_PATTERN.test(id)) {
      return Promise.reject(new TypeError(`command id ${JSON.stringify(id)} does not match ${COMMAND_ID_PATTERN}`));
    }
    if (this.#pending.has(id)) {
      return Promise.reject(new TypeError(`command id ${JSON.stringify(id)} is already waiting for a reply`));
    }
    const socket = this.#socket;
    if (this.#state !== "open" || !socket || socket.readyState !== OPEN) {
      return Promise.reject(new DisconnectedError(`cannot send ${command.type}: the client is ${this.#state}`));
    }
    const timeoutMs = options.timeoutMs ?? this.#commandTimeoutMs;
    return new Promise<CommandAckEvent>((resolve, reject) => {
      const expire = () =>
        setTimeout(() => {
          this.#pending.delete(id);
          reject(new CommandTimeoutError(id, command.type, timeoutMs));
        }, timeoutMs);
      const pending: Pending = {
        commandType: command.type,
        resolve,
        reject,
        timer: expire(),
        rearm: () => {
          clearTimeout(pending.timer);
          pending.timer = expire();
        },
        progress,
      };
      this.#pending.set(id, pending);
      // Kept past a timeout: a late ack still changes what this connection receives.
      if (command.type === "subscribe") this.#subscribing.set(id, members(command as Subscription));
      try {
        const message = { ...command, id };
        socket.send(this.#packed ? encodeMsgpack(message) : JSON.stringify(message));
      } catch (error) {
        clearTimeout(pending.timer);
        this.#pending.delete(id);
        this.#subscribing.delete(id);
        reject(new DisconnectedError(`cannot send ${command.type}: ${String(error)}`));
      }
    });
  }

  /** Call `handler` for every event of `type`, narrowed to it. Returns an unsubscribe. */
  on<T extends P["event"]["type"]>(type: T, handler: (event: EventOf<T, P>) => void): () => void {
    let set = this.#handlers.get(type);
    if (!set) this.#handlers.set(type, (set = new Set()));
    // Sound: only events whose `type` is T are dispatched to this set.
    const stored = handler as Handler;
    set.add(stored);
    return () => void set.delete(stored);
  }

  /** Call `handler` for every event. Returns an unsubscribe. */
  onAny(handler: (event: P["event"]) => void): () => void {
    // Sound as far as the server sends P's events (it validates them against its schemas).
    const stored = handler as Handler;
    this.#anyHandlers.add(stored);
    return () => void this.#anyHandlers.delete(stored);
  }

  /** Call `handler` when a broadcast `seq` is not the expected one. Returns an unsubscribe. */
  onGap(handler: (gap: SeqGap) => void): () => void {
    this.#gapHandlers.add(handler);
    return () => void this.#gapHandlers.delete(handler);
  }

  /** Call `handler` on every change of `state`, with the URL in use (`url`). Returns an unsubscribe. */
  onStateChange(handler: (state: ConnectionState, url: string) => void): () => void {
    this.#stateHandlers.add(handler);
    return () => void this.#stateHandlers.delete(handler);
  }

  /**
   * Call `handler` once per connection, right after its first frame, with how it started
   * (see `ConnectionStart`; the same as `lastStart` then) and the URL it is open to (`url`).
   * Returns an unsubscribe.
   */
  onResume(handler: (start: ConnectionStart, url: string) => void): () => void {
    this.#startHandlers.add(handler);
    return () => void this.#startHandlers.delete(handler);
  }

  #open(): void {
    const generation = ++this.#generation;
    this.#setState("connecting");
    const from = this.#resume ? this.#resumeFrom : undefined;
    this.#requested = from;
    this.#started = false;
    this.#gapped = false;
    const target = this.#targets[this.#urlIndex] as string;
    let url = from ? withQuery(target, "resume", `${from.epoch}:${from.seq}`) : target;
    const sub = this.#subscription;
    if (!isEverything(sub)) url = withQuery(url, "subscribe", JSON.stringify(sub));
    this.#seq.lenient = leavesOut(sub);
    let socket: WebSocketLike;
    try {
      socket = new this.#WebSocket(url, this.#protocols);
    } catch (error) {
      // A malformed URL or protocol list: retrying cannot help.
      this.#settleWaiter(new DisconnectedError(`cannot open ${this.url}: ${String(error)}`));
      this.#setState("closed");
      return;
    }
    this.#socket = socket;
    if (this.#packed) (socket as { binaryType?: string }).binaryType = "arraybuffer";
    const current = () => generation === this.#generation;
    socket.onmessage = (event: MessageLike) => {
      if (current()) this.#receive(event.data);
    };
    socket.onclose = (event: CloseLike) => {
      if (current()) this.#lost(`closed (code ${event.code ?? "?"}${event.reason ? `, ${event.reason}` : ""})`);
    };
    // An error is always followed by close; handle it there (it carries the code).
    socket.onerror = () => undefined;
    this.#snapshotTimer = setTimeout(() => {
      if (current()) this.#lost(`no snapshot within ${this.#connectTimeoutMs} ms`);
    }, this.#connectTimeoutMs);
  }

  /** Stop listening to a socket and close it. */
  #detach(socket: WebSocketLike, code: number, reason: string): void {
    // No-ops rather than null: `ws` emits `error` when a handshake is aborted, and an
    // EventEmitter `error` without a listener would throw.
    const ignore = () => undefined;
    socket.onopen = ignore;
    socket.onmessage = ignore;
    socket.onclose = ignore;
    socket.onerror = ignore;
    try {
      socket.close(code, reason);
    } catch {
      // Closing a socket that never opened may throw in some implementations.
    }
  }

  /**
   * The connection is gone (or given up on). The next attempt resumes after the last event
   * this one processed, unless `keepResume` is false: then it takes a snapshot.
   */
  #lost(reason: string, keepResume = true): void {
    this.#generation++;
    this.#lastLoss = reason;
    clearTimeout(this.#snapshotTimer);
    if (!keepResume) {
      this.#resumeFrom = undefined;
    } else if (this.#started) {
      const { epoch, last } = this.#seq;
      // Only a server that says it resumes is asked to (a feature check, not a version's).
      const resumable = epoch !== undefined && last !== undefined && !this.#gapped && this.has("resume");
      this.#resumeFrom = resumable ? { epoch, seq: last } : undefined;
    } // else the attempt never started: the next asks for the same events again
    this.#started = false;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) this.#detach(socket, 1000, "lost");
    this.#seq.disconnect();
    this.#failPending(`the connection was lost before the reply (${reason})`);
    const backoff = this.#reconnect;
    const retry = backoff !== undefined && (this.#connectedOnce || this.#retryInitial);
    if (!retry || this.#attempt >= backoff.maxAttempts) {
      this.#settleWaiter(new DisconnectedError(`cannot connect to ${this.url}: ${reason}`));
      this.#setState("closed");
      return;
    }
    // The next attempt goes to the next URL: a cluster client whose gateway died lands on
    // another one and resumes there (every gateway serves the same epoch and seq).
    this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
    const base = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * backoff.factor ** this.#attempt);
    const delay = base * (1 - Math.min(1, Math.max(0, backoff.jitter)) * Math.random());
    this.#attempt++;
    this.#setState("reconnecting");
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  #receive(data: unknown): void {
    const text = this.#packed ? undefined : frameText(data);
    let event: unknown;
    try {
      event = this.#packed ? unpack(data) : text === undefined ? undefined : JSON.parse(text);
    } catch {
      event = undefined;
    }
    if (typeof event !== "object" || event === null || typeof (event as { type?: unknown }).type !== "string") {
      console.warn("spine-ws: ignoring a frame that is not a JSON event", text);
      return;
    }
    const version = (event as { protocol_version?: unknown }).protocol_version;
    if (typeof version === "string" && !this.#sameMajor(version)) return;
    // Trusted to follow the schema: the server validates what it sends with the same models.
    // Seen as a core event: only those are handled here; an extension's own pass through.
    const ev = event as ServerEvent;
    if (ev.type === "batch") {
      // Unpacked whatever the contract lists: each event as if it had come alone, so
      // handlers, `world` and the seq check cannot tell; the frame itself reaches
      // on("batch") handlers only, once its events are in `world`.
      for (const member of ev.events) this.#handle(member as unknown as ServerEvent);
      if (!this.#eventTypes || this.#eventTypes.has("batch")) callAll(this.#handlers.get("batch") ?? [], ev, "batch");
      return;
    }
    this.#handle(ev);
  }

  /** One event, alone or out of a batch. */
  #handle(ev: ServerEvent): void {
    if ((ev.type === "snapshot" || ev.type === "resumed") && !this.#started && !this.#capable(ev.capabilities ?? [])) {
      return;
    }
    if (ev.type === "snapshot") {
      this.#takeSnapshot(ev);
    } else if (ev.type === "resumed") {
      if (!this.#takeResumed(ev)) return;
    } else {
      const gap = this.#seq.observe(ev);
      if (gap) {
        // Events were lost: `world` misses them, so the next connection takes a snapshot.
        if (gap.received > gap.expected) this.#gapped = true;
        if (this.#gapHandlers.size === 0) {
          console.warn(`spine-ws: seq gap in epoch ${gap.epoch}: expected ${gap.expected}, got ${gap.received}`);
        }
        callAll(this.#gapHandlers, gap, "gap");
      }
      this.world.apply(ev);
      if (ev.type === "agent_index") this.agentTable.apply(ev);
      else if (ev.type === "agent_columns") this.world.applyColumns(ev, this.agentTable);
      if (ev.type === "skipped") this.#seq.skipped(ev.last_seq);
      if (ev.type === "command_ack" || ev.type === "error") this.#subscribed(ev);
    }
    // A newer server's event type: counted for seq above, for no handler (tolerant reader).
    if (this.#eventTypes && !this.#eventTypes.has(ev.type)) return;
    if (ev.type === "progress") {
      const pending = ev.command_id === undefined ? undefined : this.#pending.get(ev.command_id);
      if (pending) {
        pending.rearm();
        callAll(pending.progress, ev, "progress");
      }
    }
    if (ev.type === "command_ack" || ev.type === "error") {
      const pending = ev.command_id === undefined ? undefined : this.#pending.get(ev.command_id);
      if (pending && ev.command_id !== undefined) {
        clearTimeout(pending.timer);
        this.#pending.delete(ev.command_id);
        if (ev.type === "command_ack") pending.resolve(ev);
        else pending.reject(new CommandError(ev, pending.commandType));
      }
    }
    callAll(this.#handlers.get(ev.type) ?? [], ev, ev.type);
    callAll(this.#anyHandlers, ev, "onAny");
  }

  /**
   * A reply that may change the subscription in force, before anyone hears of it: the
   * ack of a `subscribe` starts `world`'s agents over from its `agents`, at its `seq`.
   */
  #subscribed(reply: CommandAckEvent | ServerEvent & { type: "error" }): void {
    if (reply.command_type !== "subscribe") return;
    const id = reply.command_id;
    if (id === undefined) {
      // No id: the server refused this connection's `?subscribe=` and sends it everything.
      if (reply.type === "error") this.#setSubscription({});
      return;
    }
    const asked = this.#subscribing.get(id);
    if (!asked) return;
    this.#subscribing.delete(id);
    if (reply.type === "error") return; // refused: the old one stays in force
    const result = reply.result as SubscribeResult | undefined;
    if (!result) return;
    this.#setSubscription(asked);
    this.#seq.resubscribed(result.seq);
    this.world.replaceAgents(result.agents);
  }

  #setSubscription(sub: Subscription): void {
    this.#subscription = sub;
    this.#seq.lenient = leavesOut(sub);
  }

  /**
   * Whether the server of a connection's first frame has what the subscription needs (it
   * ignored a `?subscribe=` it does not know, so it sends everything). If not, give up, as
   * for another major version: every attempt would meet the same server.
   */
  #capable(capabilities: readonly string[]): boolean {
    const sub = this.#subscription;
    if (isEverything(sub)) return true;
    const missing = lacking(sub, (name) => capabilities.includes(name));
    if (missing === undefined) return true;
    this.#giveUp(new MissingCapabilityError(missing, `the subscribe option ${JSON.stringify(sub)}`));
    return false;
  }

  #takeSnapshot(snapshot: SnapshotEvent): void {
    clearTimeout(this.#snapshotTimer);
    const first = !this.#started;
    this.#started = true;
    this.#gapped = false;
    this.#snapshot = snapshot;
    this.#connectionId = snapshot.connection_id;
    this.#capabilities = snapshot.capabilities ?? []; // none from servers before 1.5.0
    this.#seq.snapshot(snapshot);
    this.world.reset(snapshot);
    this.#attempt = 0;
    this.#connectedOnce = true;
    this.#checkContract(snapshot.schema_hash, snapshot.protocol_version);
    const asked = this.#requested;
    const start: ConnectionStart | undefined = first
      ? {
          resumed: false,
          reason: snapshot.resume?.reason,
          requested: asked ? `${asked.epoch}:${asked.seq}` : undefined,
        }
      : undefined;
    if (start) this.#lastStart = start;
    this.#setState("open");
    if (start) this.#callStart(start);
    this.#settleWaiter(snapshot);
  }

  /**
   * The first frame of a connection that asked to resume: `world` stays, the missed events
   * follow. Anything but the answer to what this attempt asked is a protocol error: drop
   * the connection and reconnect for a snapshot. Returns whether the frame was taken.
   */
  #takeResumed(resumed: ResumedEvent): boolean {
    const asked = this.#requested;
    const snapshot = this.#snapshot;
    if (this.#started || !asked || !snapshot || resumed.epoch !== asked.epoch || resumed.seq !== asked.seq) {
      const wanted = this.#started
        ? "a connection already started"
        : asked
          ? `${asked.epoch}:${asked.seq}`
          : "no resume";
      const reason = `protocol error: resumed ${resumed.epoch}:${resumed.seq} for ${wanted}`;
      console.warn(`spine-ws: ${reason}; reconnecting for a snapshot`);
      this.#lost(reason, false);
      return false;
    }
    clearTimeout(this.#snapshotTimer);
    this.#started = true;
    this.#connectionId = resumed.connection_id;
    this.#capabilities = resumed.capabilities ?? [];
    this.#seq.resume(resumed.epoch, resumed.seq);
    this.#attempt = 0;
    this.#connectedOnce = true;
    this.#checkContract(resumed.schema_hash, resumed.protocol_version);
    const start: ConnectionStart = {
      resumed: true,
      epoch: resumed.epoch,
      seq: resumed.seq,
      replayed: resumed.replayed,
    };
    this.#lastStart = start;
    this.#setState("open");
    this.#callStart(start);
    this.#settleWaiter(snapshot);
    return true;
  }

  /**
   * Whether a server of `version` speaks this client's major version. If not, give up on
   * it for good: retrying would meet the same server (a reconnect storm, for nothing).
   */
  #sameMajor(version: string): boolean {
    const client = this.#contract.protocolVersion;
    if (parseVersion(version)[0] === parseVersion(client)[0]) return true;
    this.#giveUp(new IncompatibleServerError(version, client));
    return false;
  }

  /** Close for good because of `error` (reported, as `connect()`'s rejection or on the console). */
  #giveUp(error: SpineError): void {
    this.#generation++;
    this.#resumeFrom = undefined;
    this.#started = false;
    clearTimeout(this.#snapshotTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) this.#detach(socket, 1000, error.name);
    this.#seq.disconnect();
    this.#failPending(error.message);
    if (!this.#waiter) console.error(`spine-ws: ${error.message}`);
    this.#settleWaiter(error);
    this.#lastLoss = error.message;
    this.#setState("closed");
  }

  /** Report, once per hash, a server built from other schemas than `contract`. */
  #checkContract(schemaHash: string, protocolVersion: string): void {
    const contract = this.#contract;
    if (schemaHash === contract.schemaHash || this.#warnedHashes.has(schemaHash)) return;
    this.#warnedHashes.add(schemaHash);
    const order = compareVersions(protocolVersion, contract.protocolVersion);
    try {
      this.#onSchemaMismatch({
        serverSchemaHash: schemaHash,
        clientSchemaHash: contract.schemaHash,
        serverProtocolVersion: protocolVersion,
        clientProtocolVersion: contract.protocolVersion,
        server: order > 0 ? "newer" : order < 0 ? "older" : "same",
      });
    } catch (error) {
      console.error("spine-ws: the onSchemaMismatch handler threw", error);
    }
  }

  #settleWaiter(outcome: SnapshotEvent | Error): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    this.#waiting = undefined;
    if (!waiter) return;
    if (outcome instanceof Error) waiter.reject(outcome);
    else waiter.resolve(outcome);
  }

  #failPending(reason: string): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(new DisconnectedError(`${pending.commandType} (id ${id}): ${reason}`));
    }
    this.#pending.clear();
    this.#subscribing.clear();
  }

  #callStart(start: ConnectionStart): void {
    const url = this.url;
    callAll(this.#startHandlers, start, "onResume", url);
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state) return;
    this.#state = state;
    const url = this.url;
    callAll(this.#stateHandlers, state, "state", url);
  }
}

/** A binary frame's MessagePack as the event it carries (undefined for a text frame). */
function unpack(data: unknown): unknown {
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return decodeMsgpack(data as ArrayBuffer);
  return undefined;
}
