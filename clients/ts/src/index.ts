export * from "./gen/protocol.js";
export * from "./gen/contract.js";
export {
  type AckOf,
  type CommandPromise,
  type ConnectionStart,
  type ConnectionState,
  type ContractIdentity,
  type CoreEventOf,
  type EventOf,
  type ProtocolTypes,
  type ReconnectOptions,
  type SchemaMismatch,
  type SendOptions,
  SpineClient,
  type SpineClientOptions,
  type Subscription,
} from "./client.js";
export {
  CommandError,
  CommandTimeoutError,
  DisconnectedError,
  IncompatibleServerError,
  MissingCapabilityError,
  SpineError,
} from "./errors.js";
export { AgentTable, type Columns, COLUMNS_LAYOUT, readColumns, updates } from "./columns.js";
export { broadcastSeq, type SeqGap, SeqTracker } from "./seq.js";
export { type WebSocketConstructor, type WebSocketLike } from "./socket.js";
export { type WorldAgent, WorldState } from "./world.js";
export {
  EnvelopeClient,
  type EnvelopeClientOptions,
  EnvelopeCommandError,
  type EnvelopeShape,
  type WireCommandPromise,
  type WireErrorMembers,
  type WireProgress,
  type WireResultOf,
  type WireTypes,
} from "./envelope.js";
