// Reads a bundled protocol schema on stdin, writes TypeScript declarations on stdout.
// Run by spine_ws.codegen (`make gen`, `spine-ws gen`); the banner comes in as argv[2].
// json-schema-to-typescript is resolved from the working directory, the TypeScript
// project the types are for, since this script ships inside the Python package.
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(join(process.cwd(), "package.json"));
let compile;
try {
  ({ compile } = require("json-schema-to-typescript"));
} catch {
  process.stderr.write(
    `json-schema-to-typescript is not installed in ${process.cwd()} or above it: ` +
      "run `npm install --save-dev json-schema-to-typescript@16` in your TypeScript project\n",
  );
  process.exit(2);
}

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
