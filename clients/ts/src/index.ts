export * from "./gen/protocol.js";
export * from "./gen/contract.js";
