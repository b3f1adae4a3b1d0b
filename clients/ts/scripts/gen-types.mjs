// Reads the bundled protocol schema on stdin, writes TypeScript declarations on stdout.
// Called by `make gen` (server/codegen.py); the banner comes in as argv[2].
import { compile } from "json-schema-to-typescript";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const bundle = JSON.parse(Buffer.concat(chunks).toString("utf8"));

const ts = await compile(bundle, bundle.title, {
  bannerComment: process.argv[2] ?? "",
  unreachableDefinitions: true,
  additionalProperties: false,
  strictIndexSignatures: true,
  format: true,
  declareExternallyReferenced: true,
});
// The tool notes under every definition that the bundle references it: always true here.
const referenced = /\n \*\n \* This interface was referenced by `[^`]+`'s JSON-Schema\n \* via the `definition` "[^"]+"\./g;
process.stdout.write(ts.replace(referenced, ""));
