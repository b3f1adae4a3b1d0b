// A frontend written in Route-Sim's envelope against the generated types: it compiles
// only if every action, signal and member it names is in the contract. Run against a
// server, it prints one JSON line of what it saw.
import { WebSocket } from "ws";
import { EnvelopeClient, EnvelopeCommandError } from "@spine-ws/client";
import { ENVELOPE, type WireEvent, type WireProtocol } from "./protocol/contract.js";

const url = process.argv[2] ?? "ws://127.0.0.1:8000/ws";
const sim = new EnvelopeClient<WireProtocol>(url, ENVELOPE, { WebSocket, timeoutMs: 10_000 });
await sim.opened();

const seen: string[] = [];
let size = 0;
sim.on("map.created", (data) => {
  size = data.size; // typed: MapCreatedEvent's members
  seen.push(`map.created:${data.nodes.length}`);
});
sim.on("agent.created", (data) => seen.push(`agent.created:${data.agent_id}`));

const made = await sim.send("map.create", { size: 3 });
const edges: number = made.edges; // typed: MapCreateResult
await sim.send("agent.create", { agent_id: "van-1", agent_kind: "van", agent_data: { x: 1 } });
const described = await sim.send("agent.describe", { agent_id: "van-1" });
let refused = "";
try {
  await sim.send("agent.describe", { agent_id: "nobody" });
} catch (error) {
  if (error instanceof EnvelopeCommandError) refused = error.code;
}
const frame: WireEvent = { signal: "tick.end", data: { tick: 1 }, seq: 1 }; // seq beside the data
sim.close();
console.log(
  JSON.stringify({ nodes: made.nodes, edges, size, kind: described.agent_kind, refused, seen, frame: frame.signal }),
);
