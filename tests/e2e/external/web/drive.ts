// The ring road's frontend, as its team writes it: the published client, typed by the
// types `spine-ws gen --ts-out src/protocol` generated from the team's own schemas.
// Prints what it saw as one JSON line for the test to judge.
import { SpineClient } from "@spine-ws/client";
import { WebSocket } from "ws";

import { CONTRACT, type Protocol } from "./src/protocol/contract.js";

/** What this team's simulation keeps in each car's `data`. */
interface Car {
  speed: number;
}

const url = process.argv[2] ?? "ws://127.0.0.1:8000/ws";
const mismatches: unknown[] = [];
const client = await SpineClient.connect<Protocol, Car>(url, {
  WebSocket,
  contract: CONTRACT,
  reconnect: false,
  onSchemaMismatch: (mismatch) => mismatches.push(mismatch),
});
const jams: string[][] = [];
client.on("jam", (event) => jams.push(event.cars));

const ack = await client.send({ type: "set_speed_limit", limit: 40 });
const slowed: number = ack.result.slowed;
// @ts-expect-error: the result of set_speed_limit has no member `nope`
void ack.result.nope;
// @ts-expect-error: limit is a number
void (() => client.send({ type: "set_speed_limit", limit: "fast" }));

const speeds: number[] = [...client.world.agents.values()].map((car) => car.data.speed);
console.log(JSON.stringify({ result: ack.result, slowed, jams, speeds, mismatches, commands: client.snapshot?.commands }));
client.close();
