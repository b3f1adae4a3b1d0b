export * from "./gen/protocol.js";
export * from "./gen/contract.js";
export {
  type AckOf,
  type ConnectionState,
  type EventOf,
  type ReconnectOptions,
  type SchemaMismatch,
  type SendOptions,
  SpineClient,
  type SpineClientOptions,
} from "./client.js";
export { CommandError, CommandTimeoutError, DisconnectedError, SpineError } from "./errors.js";
export { broadcastSeq, type SeqGap, SeqTracker } from "./seq.js";
export { type WebSocketConstructor, type WebSocketLike } from "./socket.js";
export { WorldState } from "./world.js";
