/**
 * Errors a `SpineClient` rejects with. One hierarchy, drawn once:
 *
 *     SpineError                  (base: every rejection the client makes itself)
 *     ├── CommandError            the server answered the command with an `error` event
 *     ├── CommandTimeoutError     no reply within the timeout (the command may still apply)
 *     └── DisconnectedError       not connected, or the connection closed before the reply
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
