/**
 * The package as a user gets it: `npm pack`, installed into a fresh project, imported
 * from an ES module and required from CommonJS (Node's require of an ES module).
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

import { PROTOCOL_VERSION } from "../src/index.js";

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const work = mkdtempSync(join(tmpdir(), "spine-ws-pack-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", timeout: 120_000 });
}

describe("npm pack", () => {
  it("installs into a fresh project and runs from ESM and CommonJS", () => {
    run("npm", ["pack", "--silent", "--pack-destination", work], PACKAGE);
    const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"));
    expect(tarball).toBeDefined();
    const project = join(work, "project");
    run("mkdir", ["-p", project], work);
    writeFileSync(join(project, "package.json"), JSON.stringify({ name: "fresh", private: true }));
    run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", join(work, tarball ?? "")], project);

    const esm = run(
      "node",
      ["--input-type=module", "-e", "import {SpineClient, PROTOCOL_VERSION} from '@spine-ws/client'; console.log(typeof SpineClient, PROTOCOL_VERSION)"],
      project,
    );
    expect(esm.trim()).toBe(`function ${PROTOCOL_VERSION}`);
    const cjs = run("node", ["-e", "const m = require('@spine-ws/client'); console.log(typeof m.WorldState)"], project);
    expect(cjs.trim()).toBe("function");
    const files = run("node", ["-e", "console.log(require('fs').readdirSync('node_modules/@spine-ws/client/dist').join(' '))"], project);
    expect(files).toContain("index.js");
    expect(files).not.toContain("viewer"); // the viewer is the server's, not the package's
  }, 120_000);
});
