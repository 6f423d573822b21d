// Builds dist/: one bundled ESM file for the CLI (fast start-up: a single file to load) and
// dist/rules.json, the rule catalogue validated by the zod schema at build time (with
// dist/literals.json, its patterns' prefilter literals), so a plain run
// needs neither yaml nor zod (they are only used for --rules).
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../", import.meta.url));
await mkdir(`${root}dist`, { recursive: true });

// Validate the catalogue with the very loader the CLI uses for --rules.
const loaderFile = `${root}dist/.rule-loader-${process.pid}.mjs`; // several builds may run at once
await build({
  stdin: { contents: 'export { loadRuleDir } from "./src/rules/load.ts"; export { literalTable } from "./src/rules/compile.ts";', resolveDir: root, loader: "ts" },
  outfile: loaderFile,
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  logLevel: "warning",
});
const { loadRuleDir, literalTable } = await import(pathToFileURL(loaderFile).href);
await rm(loaderFile);
try {
  const rules = await loadRuleDir(`${root}rules`);
  await writeFile(`${root}dist/rules.json`, JSON.stringify(rules));
  // The prefilter literals of every pattern, so start-up need not take the regexes apart.
  await writeFile(`${root}dist/literals.json`, JSON.stringify(Object.fromEntries(literalTable(rules))));
} catch (error) {
  for (const problem of error.problems ?? [error.message]) console.error(problem);
  process.exit(1);
}

// Code splitting: what only some commands need (Octokit for run/annotate, yaml + zod for
// --rules and `rules test`, yauzl for zips) sits in chunks loaded by dynamic import, so a plain
// `kamal-doctor deploy.log` parses only the core. Chunks of earlier builds are removed after.
const bundled = await build({
  entryPoints: { "kamal-doctor": `${root}src/cli/entry.ts` },
  outdir: `${root}dist`,
  splitting: true,
  metafile: true,
  chunkNames: "[name]-[hash]",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  mainFields: ["module", "main"],
  sourcemap: true,
  legalComments: "none",
  banner: {
    // Bundled CommonJS dependencies call require(): give them one.
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
  logLevel: "warning",
});
const current = new Set(Object.keys(bundled.metafile.outputs).map((file) => file.split("/").pop()));
for (const file of await readdir(`${root}dist`)) {
  if (/\.js(?:\.map)?$/.test(file) && !current.has(file) && !current.has(file.replace(/\.map$/, ""))) await rm(`${root}dist/${file}`);
}
