// Bundles the viewer page (viewer/) into dist/viewer/: index.html, viewer.css, viewer.js.
// Run by `npm run build` after tsc; the server serves dist/viewer/ at `/`.
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "viewer");
const out = join(root, "dist", "viewer");

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: [join(src, "viewer.ts")],
  outfile: join(out, "viewer.js"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022"],
  minify: true,
  sourcemap: true,
  legalComments: "none",
  logLevel: "warning",
});
await copyFile(join(src, "index.html"), join(out, "index.html"));
await copyFile(join(src, "viewer.css"), join(out, "viewer.css"));
console.log(`viewer built into ${out}`);
