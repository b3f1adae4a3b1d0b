/**
 * The viewer page in headless Chromium (Debian's, driven by playwright-core) against the
 * real server, which serves the built page at `/` and the WebSocket at `/ws`.
 * Saves a screenshot to <repo>/test-artifacts/viewer.png.
 */

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { REPO_ROOT, type RunningServer, startServer } from "./server.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = resolve(REPO_ROOT, "test-artifacts");

let server: RunningServer;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function number(testId: string): Promise<number> {
  return Number(await page.getByTestId(testId).textContent());
}

/** How many canvas pixels are not the background: proof that something was drawn. */
async function paintedPixels(): Promise<{ painted: number; digest: number }> {
  return page.evaluate(() => {
    const canvas = document.getElementById("world") as HTMLCanvasElement;
    const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
    let painted = 0;
    let digest = 0;
    for (let i = 0; i < data.length; i += 4) {
      // Agents are bright; the background and grid lines are near black.
      if ((data[i] ?? 0) + (data[i + 1] ?? 0) + (data[i + 2] ?? 0) > 200) {
        painted++;
        digest = (digest * 31 + i) >>> 0;
      }
    }
    return { painted, digest };
  });
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  // The server serves clients/ts/dist/viewer: build it from the current sources.
  execFileSync(process.execPath, ["scripts/build-viewer.mjs"], { cwd: resolve(REPO_ROOT, "clients/ts") });
  server = await startServer({ args: ["--tick-rate", "20", "--seed-agents", "12"] });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") pageErrors.push(message.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("viewer page", () => {
  it("connects, starts, shows the tick rising and agents moving; saves a screenshot", async () => {
    await page.goto(server.httpUrl);
    await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.getByTestId("sim-status").textContent()).toBe("stopped");
    await expect.poll(() => page.getByTestId("world").getAttribute("data-agent-count")).toBe("12");

    await page.getByTestId("start").click();
    await expect.poll(() => page.getByTestId("sim-status").textContent()).toBe("running");
    const firstTick = await number("tick");
    await expect.poll(() => number("tick"), { timeout: 10_000 }).toBeGreaterThan(firstTick + 10);

    const before = await paintedPixels();
    expect(before.painted).toBeGreaterThan(100);
    await page.waitForTimeout(2_000);
    const after = await paintedPixels();
    expect(after.painted).toBeGreaterThan(100);
    expect(after.digest).not.toBe(before.digest);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: resolve(ARTIFACTS, "viewer.png") });
    expect(pageErrors).toEqual([]);
  });

  it("pauses, resumes and changes the tick rate", async () => {
    await page.getByTestId("pause").click();
    await expect.poll(() => page.getByTestId("sim-status").textContent()).toBe("paused");
    const paused = await number("tick");
    await page.waitForTimeout(500);
    expect(await number("tick")).toBe(paused);

    await page.getByTestId("resume").click();
    await expect.poll(() => page.getByTestId("sim-status").textContent()).toBe("running");

    // The slider is logarithmic: 1000 is 100 ticks per second.
    await page.getByTestId("tick-rate").fill("1000");
    await expect.poll(() => page.getByTestId("rate").textContent()).toBe("100");
    await page.getByTestId("tick-rate").fill("0");
    await expect.poll(() => page.getByTestId("rate").textContent()).toBe("0.1");
    await page.getByTestId("tick-rate").fill("619");
    await expect.poll(() => number("rate")).toBeCloseTo(7.2, 5);
  });

  it("adds and deletes agents, and shows the server's errors", async () => {
    await page.getByTestId("agent-id").fill("from-browser");
    await page.getByTestId("agent-kind").fill("visitor");
    await page.getByTestId("add-agent").click();
    await expect.poll(() => number("agent-total")).toBe(13);
    await expect.poll(() => page.getByTestId("agents").textContent()).toContain("from-browser (visitor)");

    // The same id again: the server answers agent_exists, and the page shows it.
    await page.getByTestId("agent-id").fill("from-browser");
    await page.getByTestId("add-agent").click();
    await expect.poll(() => page.getByTestId("errors").textContent()).toContain("agent_exists");

    await page.getByTestId("delete-from-browser").click();
    await expect.poll(() => number("agent-total")).toBe(12);

    await page.getByTestId("delete-id").fill("nobody-here");
    await page.getByTestId("delete-agent").click();
    await expect.poll(() => page.getByTestId("errors").textContent()).toContain("agent_not_found");

    await page.getByTestId("stop").click();
    await expect.poll(() => page.getByTestId("sim-status").textContent()).toBe("stopped");
    expect(pageErrors).toEqual([]);
  });
});

describe("viewer page with tokens", () => {
  const CONTROLLER = "controller-token-Zp9x";
  let guarded: RunningServer | undefined;

  beforeAll(async () => {
    guarded = await startServer({ env: { SPINE_WS_TOKENS: `controller:${CONTROLLER}` } });
    // A token-checking server refuses a handshake without one (HTTP 401).
    const status = await new Promise<number | undefined>((done) => {
      const ws = new WebSocket(guarded?.wsUrl ?? "");
      ws.on("open", () => {
        ws.close();
        done(101);
      });
      ws.on("unexpected-response", (_request, response) => done(response.statusCode));
      ws.on("error", () => done(undefined));
    });
    expect(status, "a server with tokens refuses a handshake without one").toBe(401);
  });
  afterAll(async () => {
    await guarded?.stop();
  });

  it("passes ?token= from the page URL on, and can then command", async () => {
    if (!guarded) throw new Error("no server");
    const tokenPage = await browser.newPage();
    await tokenPage.goto(`${guarded.httpUrl}?token=${CONTROLLER}`);
    await tokenPage.locator('[data-testid="connection-state"][data-state="open"]').waitFor({ timeout: 10_000 });
    await tokenPage.getByTestId("start").click();
    await expect.poll(() => tokenPage.getByTestId("sim-status").textContent()).toBe("running");
    await tokenPage.close();
  });

  it("does not get in without a token, and does once one is typed in", async () => {
    if (!guarded) throw new Error("no server");
    const tokenPage = await browser.newPage();
    await tokenPage.goto(guarded.httpUrl);
    await tokenPage.waitForTimeout(1_000);
    expect(await tokenPage.getByTestId("connection-state").getAttribute("data-state")).not.toBe("open");
    await tokenPage.getByTestId("token").fill(CONTROLLER);
    await tokenPage.getByTestId("connect").click();
    await tokenPage.locator('[data-testid="connection-state"][data-state="open"]').waitFor({ timeout: 10_000 });
    await tokenPage.close();
  });
});

describe("viewer page across a lost connection", () => {
  let flowing: RunningServer | undefined;
  let port = 0;

  beforeAll(async () => {
    flowing = await startServer({ args: ["--tick-rate", "20", "--seed-agents", "4", "--autostart"] });
    port = flowing.port;
  });
  afterAll(async () => {
    await flowing?.stop();
  });

  it("says whether it resumed or took a snapshot, and why", async () => {
    if (!flowing) throw new Error("no server");
    const lossPage = await browser.newPage();
    // Keep the page's sockets within reach, so that the test can close one.
    type Sockets = { sockets: Array<{ close(): void }> };
    await lossPage.addInitScript(() => {
      const Native = window.WebSocket;
      const sockets: Array<{ close(): void }> = [];
      (window as unknown as Sockets).sockets = sockets;
      window.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          sockets.push(this);
        }
      };
    });
    const start = lossPage.getByTestId("connection-start");
    await lossPage.goto(flowing.httpUrl);
    await lossPage.locator('[data-testid="connection-state"][data-state="open"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => start.textContent()).toBe("snapshot");

    // The connection drops while ticks flow: the client resumes with the missed events.
    await lossPage.evaluate(() => (window as unknown as Sockets).sockets.at(-1)?.close());
    await expect.poll(() => start.textContent(), { timeout: 10_000 }).toMatch(/^resumed \(\d+ events?\)$/);
    expect(await start.getAttribute("data-resumed")).toBe("true");

    // A restarted server is another run: the resume is refused, and the page says why.
    await flowing.kill();
    flowing = await startServer({ port, args: ["--tick-rate", "20", "--seed-agents", "4", "--autostart"] });
    await expect.poll(() => start.textContent(), { timeout: 15_000 }).toBe("snapshot (epoch_changed)");
    expect(await start.getAttribute("data-resumed")).toBe("false");
    await lossPage.close();
    expect(pageErrors).toEqual([]);
  });
});
