/**
 * The contract on the TypeScript side: the shared example messages get the same verdicts
 * from ajv as from Python, and the generated AsyncAPI document is valid and complete.
 *
 * Examples live in tests/contract/messages/{commands,events}/<type>.json (see
 * tests/contract/test_examples.py for the format); no server is needed.
 */

import { readdirSync, readFileSync } from "node:fs";
import { DiagnosticSeverity, Parser } from "@asyncapi/parser";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { PROTOCOL_VERSION } from "../src/gen/contract.js";

const ROOT = new URL("../../../", import.meta.url);
const MESSAGES = new URL("tests/contract/messages/", ROOT);
const FOLDERS = ["commands", "events"] as const;
type Folder = (typeof FOLDERS)[number];

function readJson(url: URL): unknown {
  return JSON.parse(readFileSync(url, "utf8"));
}

/** Wire types that have a schema, from the file names in schema/<folder>/. */
function schemaTypes(folder: Folder): string[] {
  return readdirSync(new URL(`schema/${folder}/`, ROOT))
    .filter((name) => name.endsWith(".json"))
    .map((name) => name.slice(0, -".json".length))
    .sort();
}

function titleOf(folder: Folder, wire: string): string {
  const schema = readJson(new URL(`schema/${folder}/${wire}.json`, ROOT)) as { title: string };
  return schema.title;
}

interface Case {
  id: string;
  folder: Folder;
  wire: string;
  valid: boolean;
  message?: unknown;
  raw?: string;
}

interface ExampleFile {
  valid: unknown[];
  invalid: { why: string; message?: unknown; raw?: string }[];
}

/** Same ids as the Python side: `<folder>/<type>/valid-<n>` or `…/invalid-<slug of why>`. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

function loadCases(): Case[] {
  const cases: Case[] = [];
  for (const folder of FOLDERS) {
    const files = readdirSync(new URL(`${folder}/`, MESSAGES));
    for (const file of files.filter((f) => f.endsWith(".json")).sort()) {
      const wire = file.slice(0, -".json".length);
      // "<protocol_version>" stands for the contract's version (a bump touches no example).
      const text = readFileSync(new URL(`${folder}/${file}`, MESSAGES), "utf8");
      const doc = JSON.parse(text.replaceAll('"<protocol_version>"', JSON.stringify(PROTOCOL_VERSION))) as ExampleFile;
      doc.valid.forEach((message, n) => {
        cases.push({ id: `${folder}/${wire}/valid-${n}`, folder, wire, valid: true, message });
      });
      for (const { why, message, raw } of doc.invalid) {
        const id = `${folder}/${wire}/invalid-${slug(why)}`;
        cases.push(
          raw === undefined
            ? { id, folder, wire, valid: false, message }
            : { id, folder, wire, valid: false, raw },
        );
      }
    }
  }
  return cases;
}

/** Drop the OpenAPI `discriminator` keyword (for code generators) so ajv can stay strict. */
function withoutDiscriminator(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDiscriminator);
  if (node !== null && typeof node === "object") {
    return Object.fromEntries(
      Object.entries(node)
        .filter(([key]) => key !== "discriminator")
        .map(([key, value]) => [key, withoutDiscriminator(value)]),
    );
  }
  return node;
}

/**
 * True when a number in the document is not finite.
 *
 * JSON has no NaN or Infinity: `JSON.parse` refuses the `NaN` literal, but turns `1e400`
 * into `Infinity`, which no JSON Schema keyword rejects inside free-form data. The server
 * refuses such text as invalid_json, and so does the Python side of this test, so a
 * non-finite number makes a message invalid here too.
 */
function hasNonFinite(node: unknown): boolean {
  if (typeof node === "number") return !Number.isFinite(node);
  if (Array.isArray(node)) return node.some(hasNonFinite);
  if (node !== null && typeof node === "object") return Object.values(node).some(hasNonFinite);
  return false;
}

const BUNDLE_ID = "https://spine-ws.invalid/protocol.schema.json";
const bundleUrl = new URL("generated/spine_ws/generated/protocol.schema.json", ROOT);
const bundle = withoutDiscriminator(readJson(bundleUrl)) as object;
// Strict, except strictTypes: it wants `type` beside every type-specific keyword, and
// modify_agent's `agent_data` puts `minProperties` beside a `$ref` to an object schema,
// which is valid 2020-12.
const ajv = new Ajv2020({ strict: true, strictTypes: false, allErrors: true });
// The protocol's own annotation (a command about the connection): known, not validated.
ajv.addKeyword({ keyword: "x-spine-scope", schemaType: "string" });
// A member of bytes (MessagePack's binary strings, which JSON has not): its layout.
ajv.addKeyword({ keyword: "x-spine-bytes", schemaType: "string" });
addFormats.default(ajv);
ajv.addSchema({ ...bundle, $id: BUNDLE_ID });
const validators = new Map<string, ValidateFunction>();

function validatorFor(folder: Folder, wire: string): ValidateFunction {
  const title = titleOf(folder, wire);
  let validate = validators.get(title);
  if (validate === undefined) {
    validate = ajv.compile({ $ref: `${BUNDLE_ID}#/$defs/${title}` });
    validators.set(title, validate);
  }
  return validate;
}

/** ajv's verdict on a case: raw text must parse and hold only finite numbers first. */
function accepts(c: Case): { ok: boolean; why: string } {
  let message = c.message;
  if (c.raw !== undefined) {
    try {
      message = JSON.parse(c.raw);
    } catch (err) {
      return { ok: false, why: `JSON.parse: ${(err as Error).message}` };
    }
  }
  if (hasNonFinite(message)) return { ok: false, why: "non-finite number" };
  const validate = validatorFor(c.folder, c.wire);
  const ok = validate(message);
  return { ok, why: ok ? "valid" : ajv.errorsText(validate.errors) };
}

const cases = loadCases();

describe("example messages, validated with ajv against the bundled schema (spine_ws.generated)", () => {
  it("there are examples for every command and event type", () => {
    // Each type has examples (and no example file lacks a schema); names the missing type.
    for (const folder of FOLDERS) {
      const withExamples = new Set(cases.filter((c) => c.folder === folder).map((c) => c.wire));
      expect([...withExamples].sort(), `types with examples in tests/contract/messages/${folder}/`)
        .toEqual(schemaTypes(folder));
    }
  });

  it("case ids are unique, so each test names one case", () => {
    const ids = cases.map((c) => c.id);
    expect(ids.filter((id, n) => ids.indexOf(id) !== n)).toEqual([]);
  });

  it.each(cases.map((c) => [c.id, c] as const))("%s gets its recorded verdict", (_id, c) => {
    // ajv accepts exactly the examples recorded as valid (same verdicts as Python).
    const verdict = accepts(c);
    const text = c.raw ?? JSON.stringify(c.message);
    const wrong = `${c.valid ? "rejected" : "accepted"} ${text}: ${verdict.why}`;
    expect(verdict.ok, wrong).toBe(c.valid);
  });

  it("hasNonFinite catches what JSON.parse lets through", () => {
    // 1e400 parses to Infinity in JS; the helper flags it anywhere in the document.
    expect(hasNonFinite(JSON.parse('{"a": [1, {"b": 1e400}]}'))).toBe(true);
    expect(hasNonFinite(JSON.parse('{"a": -1e400}'))).toBe(true);
    expect(hasNonFinite(JSON.parse('{"a": [1e308, -0, 0.1]}'))).toBe(false);
    expect(() => JSON.parse('{"a": NaN}')).toThrow(SyntaxError);
  });
});

describe("the generated AsyncAPI document", () => {
  const text = readFileSync(new URL("generated/spine_ws/generated/asyncapi.json", ROOT), "utf8");
  // Parsed once (the parser is the slow part); both tests await the same result.
  const parsed = new Parser().parse(text);

  it("validates with @asyncapi/parser and names every message", async () => {
    // No error-severity diagnostics, and its messages are exactly the schema'd types.
    const { document, diagnostics } = await parsed;
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
    expect(errors.map((d) => `${d.code} at ${d.path.join("/")}: ${d.message}`)).toEqual([]);
    expect(document).toBeDefined();
    if (document === undefined) return;

    const messages = document.messages().all();
    const names = messages.map((m) => m.name() ?? m.id()).sort();
    expect(names).toEqual([...schemaTypes("commands"), ...schemaTypes("events")].sort());
    for (const folder of FOLDERS) {
      for (const wire of schemaTypes(folder)) {
        const message = messages.find((m) => (m.name() ?? m.id()) === wire);
        expect(message?.payload()?.title(), `payload of ${wire}`).toBe(titleOf(folder, wire));
      }
    }
  });

  it("has a receive operation with a correlated reply for every command", async () => {
    // Each command is received on /ws, its reply is command_ack or error, correlated by id.
    const { document } = await parsed;
    if (document === undefined) throw new Error("asyncapi.json did not parse");
    for (const wire of schemaTypes("commands")) {
      const op = document
        .operations()
        .filterByReceive()
        .find((o) => o.messages().all().some((m) => (m.name() ?? m.id()) === wire));
      expect(op, `receive operation for ${wire}`).toBeDefined();
      expect(op?.channels().all().map((ch) => ch.address())).toEqual(["/ws"]);
      const replies = op?.reply()?.messages().all().map((m) => m.name() ?? m.id());
      expect(replies?.sort(), `replies to ${wire}`).toEqual(["command_ack", "error"]);
      const message = op?.messages().all().find((m) => (m.name() ?? m.id()) === wire);
      expect(message?.correlationId()?.location()).toBe("$message.payload#/id");
    }
  });
});
