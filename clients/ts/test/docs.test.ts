/**
 * `/docs` in headless Chromium with every request off this machine refused: the page
 * (Swagger UI, its assets served from the Python package) renders the HTTP API offline.
 */

import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "./server.js";

const CHROMIUM = "/usr/bin/chromium";

let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  server = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("/docs", () => {
  it("renders every HTTP operation with nothing fetched from outside", async () => {
    const page = await browser.newPage();
    const outside: string[] = [];
    await page.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === "127.0.0.1" || url.protocol === "data:") return route.continue();
      outside.push(url.href);
      return route.abort();
    });
    await page.goto(`${server.httpUrl}docs`);
    const operations = page.locator(".opblock-summary-path");
    await expect.poll(() => operations.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    const paths = await operations.allTextContents();
    for (const path of ["/health", "/metrics", "/schemas", "/asyncapi"]) {
      expect(paths.map((p) => p.replace(/\u200b/g, ""))).toContain(path);
    }
    expect(outside).toEqual([]);
    await page.close();
  });
});
