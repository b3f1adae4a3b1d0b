/**
 * Tokens against the real server started with SPINE_WS_TOKENS: a controller's token works
 * as a subprotocol and as `?token=`, a viewer's commands are forbidden, a missing or wrong
 * token is refused.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CommandError, DisconnectedError } from "../src/index.js";
import { closeClients, newClient, openClient, rejectionOf } from "./helpers.js";
import { type RunningServer, startServer } from "./server.js";

const VIEWER = "viewer-token-7Hq2";
const CONTROLLER = "controller-token-Zp9x";

let server: RunningServer;

beforeAll(async () => {
  server = await startServer({ env: { SPINE_WS_TOKENS: `viewer:${VIEWER},controller:${CONTROLLER}` } });
});
afterAll(async () => {
  await server?.stop();
});
afterEach(closeClients);

describe("tokens", () => {
  it("lets a controller command with its token offered as a subprotocol", async () => {
    const client = await openClient(server.wsUrl, { token: CONTROLLER });
    expect((await client.send({ type: "stop" })).command_type).toBe("stop");
  });

  it("lets a controller command with its token in the query string", async () => {
    const client = await openClient(server.wsUrl, { token: CONTROLLER, tokenTransport: "query" });
    expect((await client.send({ type: "stop" })).command_type).toBe("stop");
  });

  it("rejects a viewer's commands with CommandError forbidden, events still flow", async () => {
    const client = await openClient(server.wsUrl, { token: VIEWER });
    expect(client.snapshot?.type).toBe("snapshot");
    const error = await rejectionOf(client.send({ type: "start" }));
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toMatchObject({ code: "forbidden", commandType: "start" });
  });

  it("refuses a missing token: connect() rejects", async () => {
    const client = newClient(server.wsUrl, { reconnect: false, connectTimeoutMs: 3_000 });
    expect(await rejectionOf(client.connect())).toBeInstanceOf(DisconnectedError);
    expect(client.state).toBe("closed");
  });

  it("refuses a wrong token: connect() rejects, without retrying forever", async () => {
    const client = newClient(server.wsUrl, { token: "not-a-token" });
    expect(await rejectionOf(client.connect())).toBeInstanceOf(DisconnectedError);
    expect(client.state).toBe("closed");
  });

  it("never lets a token reach the server's log", async () => {
    for (const tokenTransport of ["subprotocol", "query"] as const) {
      const client = await openClient(server.wsUrl, { token: CONTROLLER, tokenTransport });
      await client.send({ type: "stop" });
    }
    await rejectionOf(newClient(server.wsUrl, { token: "wrong-token-in-the-log", reconnect: false }).connect());
    for (const secret of [VIEWER, CONTROLLER, "wrong-token-in-the-log"]) {
      expect(server.output()).not.toContain(secret);
    }
  });
});
