/**
 * Test helper: runs the real Python server (`spine-ws serve`) on 127.0.0.1 and stops it.
 *
 * `startServer()` waits for the `listening on http://127.0.0.1:<port>` line and returns
 * the port; `stop()` sends SIGTERM (SIGKILL after a grace period). Every server started
 * here is also killed when the test process exits, so a failed test leaves nothing behind.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (clients/ts/test/ → ../../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const SPINE_WS = resolve(REPO_ROOT, ".venv/bin/spine-ws");
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;

export interface ServerOptions {
  /** Port to bind (default 0: any free port). */
  port?: number;
  /** Extra flags, e.g. `["--tick-rate", "50", "--autostart"]`. */
  args?: string[];
  /** Extra environment, e.g. `{ SPINE_WS_TOKENS: "controller:abc" }`. */
  env?: Record<string, string>;
  /** How long to wait for the listening line (default 20 s). */
  startTimeoutMs?: number;
}

export interface RunningServer {
  readonly port: number;
  /** `ws://127.0.0.1:<port>/ws` */
  readonly wsUrl: string;
  /** `http://127.0.0.1:<port>/` */
  readonly httpUrl: string;
  readonly process: ChildProcess;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /** SIGSTOP: the process stays, but answers nothing (the kernel still accepts TCP). */
  freeze(): void;
  /** SIGCONT after `freeze()`. */
  thaw(): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL: the kernel drops its connections at once; resolves once it has exited. */
  kill(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Start `spine-ws serve` and wait until it listens. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  if (!existsSync(SPINE_WS)) {
    throw new Error(`${SPINE_WS} is missing: run \`make test\` (or \`make run\`) at the repo root first`);
  }
  const args = ["serve", "--host", "127.0.0.1", "--port", String(options.port ?? 0), ...(options.args ?? [])];
  const child = spawn(SPINE_WS, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  const exited = new Promise<void>((done) => {
    child.once("exit", () => {
      running.delete(child);
      done();
    });
  });

  const port = await new Promise<number>((found, fail) => {
    const timeoutMs = options.startTimeoutMs ?? 20_000;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`spine-ws did not report listening within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = LISTENING.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        found(Number(match[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`spine-ws exited (${signal ?? code}) before listening:\n${output}`));
    });
  });

  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
  };
  return {
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    httpUrl: `http://127.0.0.1:${port}/`,
    process: child,
    output: () => output,
    freeze: () => signal("SIGSTOP"),
    thaw: () => signal("SIGCONT"),
    async stop(graceMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal("SIGCONT"); // a frozen process cannot act on SIGTERM
      signal("SIGTERM");
      const killer = setTimeout(() => signal("SIGKILL"), graceMs);
      await exited;
      clearTimeout(killer);
    },
    async kill() {
      signal("SIGKILL");
      await exited;
    },
  };
}
