// Must not compile: a misspelled action and a member the command does not have.
import { WebSocket } from "ws";
import { EnvelopeClient } from "@spine-ws/client";
import { ENVELOPE, type WireProtocol } from "./protocol/contract.js";

const sim = new EnvelopeClient<WireProtocol>("ws://127.0.0.1:1/ws", ENVELOPE, { WebSocket });
await sim.send("agent.craete", { agent_id: "van-1", agent_kind: "van" });
await sim.send("map.create", { size: 3, colour: "red" });
