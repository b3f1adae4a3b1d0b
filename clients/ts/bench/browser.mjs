#!/usr/bin/env node
/**
 * How fast a browser tab takes the stream into `world`: batched vs one frame per event,
 * and batched in MessagePack (`spine.v1.msgpack`) vs in JSON; then, in a swarm of
 * BIG_AGENTS all moving each tick (bench.sim:swarm), batched MessagePack vs columns (`columns: true`: a tick's updates as one
 * `agent_columns` frame, applied to `world` in place); last, the viewer page itself
 * (WebGL) on a swarm of VIEWER_AGENTS at VIEWER_RATE ticks/s taken as columns: its frame
 * time (the draw's main-thread time, and the interval between frames: frames/s).
 *
 *     node clients/ts/bench/browser.mjs        (after `npm run build`; about 60-80 s)
 *
 * Starts the real server (`spine-ws serve` from the repo's .venv, the default world with
 * AGENTS seed agents, so one tick is AGENTS + 2 events: tick_start, an update per agent,
 * tick_end), opens a blank page of its origin in Debian's headless Chromium
 * (playwright-core, as test/browser.test.ts does) running `SpineClient` bundled from
 * src/, and steps the offered rate up by the tick rate (`set_tick_rate`, sent by the
 * page). A step is *sustained* when, over its window, the tab received at least 95 % of
 * the events offered, its latency did not grow (estimated from the tick clock, as the
 * viewer does: how much later a tick arrives than a steady stream would have it), and
 * nothing was lost, coalesced (`skipped`) or reconnected. The first step that is not
 * ends the mode. Main-thread time is Chromium's `TaskDuration` (CDP Performance
 * metrics) over the window of the highest sustained step, per 1,000 events received (an
 * agent_columns frame counts as the updates it carries): its inverse is the tab's
 * capacity, what it could take if the server offered more (the big world's server runs
 * out of ticks before a tab taking columns does).
 *
 * Prints one JSON object on stdout and nothing else; progress goes to stderr.
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE = resolve(HERE, "..");
const REPO = resolve(PACKAGE, "../..");
const SPINE_WS = resolve(REPO, ".venv/bin/spine-ws");
const CHROMIUM = "/usr/bin/chromium";

const AGENTS = 500;
const BIG_AGENTS = 10_000;
const VIEWER_AGENTS = 100_000;
const VIEWER_RATE = 10;
/** How long the viewer is watched once it holds the whole world. */
const VIEWER_WINDOW_MS = 8_000;
/** Ticks per second of each step: offered events/s = tick rate × (AGENTS + 2). */
const TICK_RATES = [4, 8, 12, 16, 24, 32, 48, 64, 100];
const SETTLE_MS = 1_000;
const WINDOW_MS = 3_000;
/** Latency may grow this much over a window and still count as not growing. */
const GROWTH_MS = 150;

const log = (...parts) => console.error("bench/browser:", ...parts);

/**
 * The default world with `agents` seed agents; or, `swarm`, bench.sim:swarm: `agents`
 * agents all moving each tick and nothing else (the default world adds a world event
 * per bounce), as the bigworld rows serve.
 */
function startServer(agents, swarm = false, rate = TICK_RATES[0], extra = []) {
  if (!existsSync(SPINE_WS)) throw new Error(`${SPINE_WS} is missing: run \`make\` at the repo root first`);
  const world = swarm ? ["--simulation", "bench.sim:swarm"] : ["--seed-agents", String(agents), "--autostart"];
  const args = ["serve", "--host", "127.0.0.1", "--port", "0", "--tick-rate", String(rate), ...world, ...extra];
  const env = { ...process.env, SPINE_BENCH_SWARM: String(agents), SPINE_BENCH_SWARM_RATE: String(rate), PYTHONPATH: REPO };
  const child = spawn(SPINE_WS, args, { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const port = new Promise((found, fail) => {
    const timer = setTimeout(() => fail(new Error(`the server did not listen within 20 s:\n${output}`)), 20_000);
    const onData = (chunk) => {
      output += chunk.toString("utf8");
      const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        found(Number(match[1]));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => fail(new Error(`the server exited (${code}):\n${output}`)));
  });
  const exited = new Promise((done) => child.once("exit", done));
  return {
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** SpineClient for the page: src/ bundled as an IIFE that sets `globalThis.Spine`. */
async function clientBundle() {
  const result = await build({
    entryPoints: [resolve(PACKAGE, "src/index.ts")],
    bundle: true,
    write: false,
    format: "iife",
    globalName: "Spine",
    target: "es2022",
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

/**
 * Runs in the page: a client into `world`, with counters the steps read. `tick_start`
 * handlers estimate latency from the tick clock; nothing else is done per event.
 */
function pageSetup({ url, batched, encoding, columns }) {
  const state = { events: 0, skipped: 0, gaps: 0, starts: 0, ticks: [], lastSeq: 0 };
  const options = {
    onGap: () => state.gaps++,
    onResume: () => state.starts++,
    reconnect: false,
  };
  if (batched) options.subscribe = { batch: true };
  if (columns) options.subscribe = { columns: true };
  if (encoding) options.encoding = encoding;
  const client = new globalThis.Spine.SpineClient(url, options);
  // A tick's columns frame stands for the updates it carries; the index table for none.
  client.onAny((event) => {
    if (event.type !== "agent_index") state.events += event.type === "agent_columns" ? event.count : 1;
  });
  client.on("skipped", (event) => (state.skipped += event.count));
  client.on("tick_start", (event) => state.ticks.push([event.tick, performance.now(), state.events]));
  globalThis.bench = {
    state,
    client,
    connect: () => client.connect().then(() => undefined),
    setRate: (rate) => client.send({ type: "set_tick_rate", tick_rate: rate }).then(() => undefined),
    /** Start a window: counters from here. */
    mark() {
      state.ticks = [];
      return { events: state.events, skipped: state.skipped, gaps: state.gaps, starts: state.starts, at: performance.now() };
    },
    read() {
      return {
        events: state.events,
        skipped: state.skipped,
        gaps: state.gaps,
        starts: state.starts,
        at: performance.now(),
        ticks: state.ticks,
        agents: client.world.agents.size,
        open: client.state === "open",
      };
    },
    close: () => client.close(),
  };
}

/** Latency per tick in the window: arrival minus the steady clock, less its best. */
function latencies(ticks, rate) {
  if (ticks.length < 2) return [];
  const [tick0] = ticks[0];
  const lags = ticks.map(([tick, at]) => at - ((tick - tick0) * 1000) / rate);
  const best = Math.min(...lags);
  return lags.map((lag) => lag - best);
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

async function runMode(browser, httpUrl, wsUrl, bundle, { batched, encoding, columns, agents = AGENTS }) {
  const name = `${columns ? "columns" : batched ? "batched" : "unbatched"}${encoding ? ` ${encoding}` : ""} ${agents}`;
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(`${httpUrl}health`); // the server's origin, for its WebSocket
  await page.setContent("<!doctype html><title>spine-ws bench</title>");
  await page.addScriptTag({ content: bundle });
  await page.evaluate(pageSetup, { url: wsUrl, batched, encoding, columns });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const taskSeconds = async () => (await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration")?.value ?? 0;
  await page.evaluate(() => globalThis.bench.connect());

  const steps = [];
  let best;
  for (const rate of TICK_RATES) {
    await page.evaluate((r) => globalThis.bench.setRate(r), rate);
    await page.waitForTimeout(SETTLE_MS);
    const start = await page.evaluate(() => globalThis.bench.mark());
    const task0 = await taskSeconds();
    await page.waitForTimeout(WINDOW_MS);
    const end = await page.evaluate(() => globalThis.bench.read());
    const task1 = await taskSeconds();
    const seconds = (end.at - start.at) / 1000;
    const offered = rate * (agents + 2);
    // Counted from the first tick in the window to the last: a window of whole ticks
    // (a columns client gets a tick's updates at once, so a window's edges would count
    // one more or one less tick: 8 % at 4 ticks/s).
    const first = end.ticks[0];
    const last = end.ticks.at(-1);
    const received =
      first && last && last[1] > first[1] ? ((last[2] - first[2]) * 1000) / (last[1] - first[1]) : (end.events - start.events) / seconds;
    const lat = latencies(end.ticks, rate);
    const third = Math.max(1, Math.floor(lat.length / 3));
    const growth = mean(lat.slice(-third)) - mean(lat.slice(0, third));
    const lost = end.gaps - start.gaps;
    const skipped = end.skipped - start.skipped;
    const reconnected = end.starts !== start.starts || !end.open;
    const step = {
      tick_rate: rate,
      offered_events_per_s: offered,
      received_events_per_s: Math.round(received),
      latency_ms_last: Math.round(lat.at(-1) ?? -1),
      latency_growth_ms: Math.round(growth),
      main_thread_ms_per_1000: Number(((((task1 - task0) * 1000) / Math.max(1, end.events - start.events)) * 1000).toFixed(2)),
      skipped,
      gaps: lost,
    };
    const why = [];
    if (received < 0.95 * offered) why.push("received < 95% of offered");
    if (growth > GROWTH_MS) why.push("latency growing");
    if (skipped > 0) why.push("coalesced (skipped)");
    if (lost > 0) why.push("gaps");
    if (reconnected) why.push("connection lost");
    step.sustained = why.length === 0;
    steps.push(step);
    log(name, JSON.stringify(step), why.join(", "));
    if (!step.sustained) {
      step.why = why.join(", ");
      break;
    }
    best = step;
  }
  await page.evaluate(() => globalThis.bench.close());
  await cdp.detach();
  await page.close();
  if (errors.length) log(name, "page errors:", errors.join("; "));
  const limit = steps.at(-1);
  const perThousand = best?.main_thread_ms_per_1000 ?? null;
  return {
    sustained_events_per_s: best?.received_events_per_s ?? 0,
    main_thread_ms_per_1000: perThousand,
    capacity_events_per_s: perThousand ? Math.round(1e6 / perThousand) : null,
    at_tick_rate: best?.tick_rate ?? null,
    first_unsustained: limit?.sustained ? null : { offered_events_per_s: limit?.offered_events_per_s, received_events_per_s: limit?.received_events_per_s, why: limit?.why },
  };
}

/**
 * The viewer page (served by the server, as a user opens it) with its Columns box ticked,
 * on a big swarm: once it holds every agent, its frame meter over VIEWER_WINDOW_MS.
 */
async function viewerFrames(browser) {
  // A 100,000 agents' frame is megabytes: a send queue of a few (docs/big-worlds.md).
  const server = startServer(VIEWER_AGENTS, true, VIEWER_RATE, ["--send-queue-bytes", String(16 * 1024 * 1024)]);
  try {
    const port = await server.port;
    log(`viewer: server on port ${port}, ${VIEWER_AGENTS} agents at ${VIEWER_RATE} ticks/s`);
    const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
    const errors = [];
    page.on("pageerror", (error) => errors.push(String(error)));
    await page.goto(`http://127.0.0.1:${port}/?columns=1`); // columns from the start
    await page.locator('[data-testid="connection-state"][data-state="open"]').waitFor({ timeout: 60_000 });
    const subscription = page.getByTestId("subscription");
    const deadline = Date.now() + 120_000;
    const total = async () => Number(await page.getByTestId("agent-total").textContent());
    while (((await subscription.getAttribute("data-columns")) !== "true" || (await total()) < VIEWER_AGENTS) && Date.now() < deadline) {
      await page.waitForTimeout(500);
    }
    const agents = await total();
    await page.waitForTimeout(2_000); // past the snapshot's frames
    const world = page.getByTestId("world");
    const counts = async () => ({
      draws: Number(await world.getAttribute("data-draws")),
      skipped: Number(await page.locator("#thinned").getAttribute("data-total")),
      events: Number(await page.locator("#meta").getAttribute("data-events")),
      at: Date.now(),
    });
    const before = await counts();
    await page.waitForTimeout(VIEWER_WINDOW_MS);
    const after = await counts();
    const seconds = (after.at - before.at) / 1000;
    const meter = await page.getByTestId("frame-ms").evaluate((element) => ({ ...element.dataset }));
    const renderer = await page.getByTestId("world").getAttribute("data-renderer");
    const drawn = Number(await page.getByTestId("world").getAttribute("data-agent-count"));
    await page.close();
    if (errors.length) log("viewer page errors:", errors.join("; "));
    const intervalP50 = Number(meter.intervalP50);
    return {
      agents,
      drawn,
      renderer,
      tick_rate: VIEWER_RATE,
      ticks_per_s_received: Number(meter.tickSpeed),
      updates_per_s_received: Math.round((after.events - before.events) / seconds),
      updates_per_s_skipped: Math.round((after.skipped - before.skipped) / seconds),
      draws_per_s: Number(((after.draws - before.draws) / seconds).toFixed(1)),
      draw_ms_p50: Number(meter.drawP50),
      draw_ms_p95: Number(meter.drawP95),
      frame_interval_ms_p50: intervalP50,
      frame_interval_ms_p95: Number(meter.intervalP95),
      frames_per_s: intervalP50 > 0 ? Number((1000 / intervalP50).toFixed(1)) : null,
      errors: errors.length,
    };
  } finally {
    await server.stop();
  }
}

async function main() {
  const began = Date.now();
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  const bundle = await clientBundle();
  const server = startServer(AGENTS);
  let big;
  let browser;
  try {
    const port = await server.port;
    const httpUrl = `http://127.0.0.1:${port}/`;
    const wsUrl = `ws://127.0.0.1:${port}/ws`;
    log(`server on ${httpUrl}, ${AGENTS} agents`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const unbatched = await runMode(browser, httpUrl, wsUrl, bundle, { batched: false });
    const batched = await runMode(browser, httpUrl, wsUrl, bundle, { batched: true });
    const msgpack = await runMode(browser, httpUrl, wsUrl, bundle, { batched: true, encoding: "msgpack" });
    await server.stop();
    big = startServer(BIG_AGENTS, true);
    const bigPort = await big.port;
    const bigHttp = `http://127.0.0.1:${bigPort}/`;
    const bigWs = `ws://127.0.0.1:${bigPort}/ws`;
    log(`server on ${bigHttp}, ${BIG_AGENTS} agents`);
    const bigMsgpack = await runMode(browser, bigHttp, bigWs, bundle, { batched: true, encoding: "msgpack", agents: BIG_AGENTS });
    const bigColumns = await runMode(browser, bigHttp, bigWs, bundle, { columns: true, encoding: "msgpack", agents: BIG_AGENTS });
    await big.stop();
    // A failure here (the page never holds the whole world) is reported, not fatal.
    const viewer = await viewerFrames(browser).catch((error) => ({ failed: String(error).slice(0, 200) }));
    log("viewer", JSON.stringify(viewer));
    const report = {
      agents: AGENTS,
      unbatched,
      batched,
      batched_msgpack: msgpack,
      big_agents: BIG_AGENTS,
      big_batched_msgpack: bigMsgpack,
      big_columns: bigColumns,
      viewer,
      seconds: Math.round((Date.now() - began) / 1000),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await browser?.close();
    await server.stop();
    await big?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
