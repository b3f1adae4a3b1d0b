/**
 * Errors a `SpineClient` rejects with. One hierarchy, drawn once:
 *
 *     SpineError                  (base: every rejection the client makes itself)
 *     ├── CommandError            the server answered the command with an `error` event
 *     ├── CommandTimeoutError     no reply within the timeout (the command may still apply)
 *     ├── DisconnectedError       not connected, or the connection closed before the reply
 *     ├── IncompatibleServerError the server speaks another major protocol version
 *     └── MissingCapabilityError  the server lacks a feature asked for (`subscribe`, `batch`)
 *
 * Programming mistakes (a malformed command id, a reused id) throw a plain `TypeError`.
 */

import type { ErrorCode, ErrorDetail, ErrorEvent as SpineErrorEvent } from "./gen/protocol.js";

/** Base class of every error the client rejects a promise with. */
export class SpineError extends Error {
  override name = "SpineError";
}

/** The server refused a command: carries the `error` event's code, message and details. */
export class CommandError extends SpineError {
  override name = "CommandError";
  /** Machine-readable reason from the schema's `ErrorCode` enum. */
  readonly code: ErrorCode;
  /** Wire type of the failed command (taken from the event, else from the command sent). */
  readonly commandType: string | undefined;
  /** Id of the failed command. */
  readonly commandId: string | undefined;
  /** Each thing wrong with the message; empty when the server gave none. */
  readonly details: readonly ErrorDetail[];
  /** The `error` event as received. */
  readonly event: SpineErrorEvent;

  constructor(event: SpineErrorEvent, sentType?: string) {
    super(`${event.code}: ${event.message}`);
    this.event = event;
    this.code = event.code;
    this.commandType = event.command_type ?? sentType;
    this.commandId = event.command_id;
    this.details = event.details ?? [];
  }
}

/** No `command_ack` or `error` arrived in time. The server may still apply the command. */
export class CommandTimeoutError extends SpineError {
  override name = "CommandTimeoutError";
  readonly commandId: string;
  readonly commandType: string;
  readonly timeoutMs: number;

  constructor(commandId: string, commandType: string, timeoutMs: number) {
    super(`no reply to ${commandType} (id ${commandId}) within ${timeoutMs} ms`);
    this.commandId = commandId;
    this.commandType = commandType;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The client is not connected, or the connection closed while a command waited for its
 * reply. In the second case the outcome is unknown: the next `snapshot` tells the truth.
 */
export class DisconnectedError extends SpineError {
  override name = "DisconnectedError";
}

/**
 * The server speaks another major protocol version than this client was generated for:
 * the client closes (no reconnect: retrying cannot help) and `connect()` rejects with this.
 * Upgrade the client (or point it at a server of its major version).
 */
export class IncompatibleServerError extends SpineError {
  override name = "IncompatibleServerError";
  readonly serverProtocolVersion: string;
  readonly clientProtocolVersion: string;

  constructor(serverProtocolVersion: string, clientProtocolVersion: string) {
    super(
      `the server speaks protocol ${serverProtocolVersion}, this client ${clientProtocolVersion}: ` +
        "another major version, so they cannot talk; upgrade the client to its major version",
    );
    this.serverProtocolVersion = serverProtocolVersion;
    this.clientProtocolVersion = clientProtocolVersion;
  }
}

/**
 * The server does not offer a feature the client was asked to use (it is not in the
 * first frame's `capabilities`): `subscribe()` rejects with this, sending nothing; a
 * connection opened with the `subscribe` option is closed (no reconnect) and `connect()`
 * rejects with it. Check `client.has(capability)` first, or use a newer server.
 */
export class MissingCapabilityError extends SpineError {
  override name = "MissingCapabilityError";
  /** The capability the server lacks, e.g. `subscribe`. */
  readonly capability: string;

  constructor(capability: string, what: string) {
    super(`the server does not offer "${capability}" (not in its capabilities), needed for ${what}: use a newer server, or check has("${capability}") first`);
    this.capability = capability;
  }
}
