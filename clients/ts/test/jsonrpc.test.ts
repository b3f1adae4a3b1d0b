/**
 * The `jsonrpc` profile, driven by a published JSON-RPC 2.0 library (json-rpc-2.0, pinned)
 * against the real server (`spine-ws serve --profile jsonrpc`): calls with results, errors
 * with their codes, a batch, a notification, and events received as notifications.
 */

import {
  JSONRPCClient,
  JSONRPCErrorException,
  type JSONRPCResponse,
  JSONRPCServer,
  JSONRPCServerAndClient,
} from "json-rpc-2.0";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { EVENT_TYPES, SUBPROTOCOL } from "../src/gen/contract.js";
import { type RunningServer, startServer } from "./server.js";

interface Notification {
  method: string;
  params: Record<string, unknown>;
}

/** A JSON-RPC peer over one WebSocket: the library's client for calls, its server for
 * the events, which arrive as notifications (one method per event type). */
async function open(url: string, protocols?: string[]) {
  const socket = new WebSocket(url, protocols);
  const seen: Notification[] = [];
  const rpc = new JSONRPCServerAndClient(
    new JSONRPCServer(),
    new JSONRPCClient((payload) => socket.send(JSON.stringify(payload))),
  );
  for (const method of EVENT_TYPES) {
    rpc.addMethod(method, (params) => {
      seen.push({ method, params: params as Record<string, unknown> });
    });
  }
  socket.on("message", (data) => void rpc.receiveAndSend(JSON.parse(String(data)), undefined, undefined));
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  const next = async (method: string, timeoutMs = 5000): Promise<Notification> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = seen.find((each) => each.method === method);
      if (found) {
        seen.splice(seen.indexOf(found), 1);
        return found;
      }
      if (Date.now() > deadline) throw new Error(`no ${method} notification in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { socket, rpc, seen, next };
}

async function codeOf(call: PromiseLike<unknown>): Promise<number> {
  try {
    await call;
  } catch (error) {
    if (error instanceof JSONRPCErrorException) return error.code;
    throw error;
  }
  throw new Error("the call succeeded");
}

describe("the jsonrpc profile, driven by json-rpc-2.0", () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({ args: ["--profile", "jsonrpc", "--seed-agents", "3", "--tick-rate", "20"] });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it("answers calls with results or null, and errors with their codes", async () => {
    const { socket, rpc, next } = await open(server.wsUrl);
    const snapshot = await next("snapshot");
    expect(snapshot.params.seq).toBeTypeOf("number");
    const agents = snapshot.params.agents as { agent_id: string }[];
    expect(agents).toHaveLength(3);
    const described = await rpc.request("describe_agent", { agent_id: agents[0]?.agent_id }, undefined);
    expect(described.agent_id).toBe(agents[0]?.agent_id);
    expect(await rpc.request("add_agent", { agent_id: "rpc-1", agent_kind: "k" }, undefined)).toBeNull();
    expect(await codeOf(rpc.request("add_agent", { agent_id: "rpc-1", agent_kind: "k" }, undefined))).toBe(-32000);
    expect(await codeOf(rpc.request("no_such_method", {}, undefined))).toBe(-32601);
    expect(await codeOf(rpc.request("add_agent", { agent_id: 7 }, undefined))).toBe(-32602);
    socket.close();
  });

  it("applies a batch in order and answers it with one array; a notification gets no answer", async () => {
    const { socket, rpc, next } = await open(server.wsUrl);
    await next("snapshot");
    const responses: JSONRPCResponse[] = await rpc.requestAdvanced(
      [
        { jsonrpc: "2.0", method: "add_agent", params: { agent_id: "batch-1", agent_kind: "k" }, id: 1 },
        { jsonrpc: "2.0", method: "describe_agent", params: { agent_id: "batch-1" }, id: 2 },
        { jsonrpc: "2.0", method: "delete_agent", params: { agent_id: "batch-1" }, id: 3 },
      ],
      undefined,
    );
    expect(responses.map((response) => response.id)).toEqual([1, 2, 3]);
    expect(responses[1]?.result).toMatchObject({ agent_id: "batch-1", agent_kind: "k" });
    // A notification is applied (its event is broadcast) and never answered.
    rpc.notify("add_agent", { agent_id: "quiet", agent_kind: "k" }, undefined);
    let added = await next("agent_added"); // batch-1's first
    while (added.params.agent_id !== "quiet") added = await next("agent_added");
    expect(added.params.seq).toBeTypeOf("number");
    expect(await rpc.request("delete_agent", { agent_id: "quiet" }, undefined)).toBeNull();
    socket.close();
  });

  it("streams every event as a notification with its seq, in order", async () => {
    const { socket, rpc, seen, next } = await open(server.wsUrl);
    await next("snapshot");
    await rpc.request("start", {}, undefined);
    await next("tick_end");
    await next("tick_end");
    await rpc.request("stop", {}, undefined);
    const seqs = seen.map((each) => each.params.seq).filter((seq) => seq !== undefined) as number[];
    expect(seqs.length).toBeGreaterThan(3);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    socket.close();
  });

  it("serves a client that asks for spine.v1 the spine profile", async () => {
    const socket = new WebSocket(server.wsUrl, [SUBPROTOCOL]);
    const first = await new Promise<Record<string, unknown>>((resolve) =>
      socket.once("message", (data) => resolve(JSON.parse(String(data)))),
    );
    expect(socket.protocol).toBe(SUBPROTOCOL);
    expect(first.type).toBe("snapshot");
    socket.close();
  });
});
