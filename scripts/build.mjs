// Builds dist/: the bundled ESM CLI (an entry file, plus chunks loaded only by the commands that
// need them) and dist/rules.json, the rule catalogue validated by the zod schema at build time,
// with dist/literals.json, its patterns' prefilter literals: a plain run needs neither yaml nor
// zod (they are only used for --rules) and takes no regex apart.
import { spawnSync } from "node:child_process";
import { mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { importSource } from "./import-source.mjs";
import { generateSchema } from "./schema.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
await mkdir(`${root}dist`, { recursive: true });

// Validate the catalogue with the very loader the CLI uses for --rules.
const { loadRuleDir, literalTable, compileRules, RulePrefilter, ERROR_WORDS } = await importSource({
  "src/rules/load.ts": ["loadRuleDir"],
  "src/rules/compile.ts": ["literalTable", "compileRules"],
  "src/rules/prefilter.ts": ["RulePrefilter"],
  "src/core/keyline.ts": ["ERROR_WORDS"],
});
try {
  const rules = await loadRuleDir(`${root}rules`);
  await writeFile(`${root}dist/rules.json`, JSON.stringify(rules));
  // The prefilter literals of every pattern, so start-up need not take the regexes apart.
  const literals = literalTable(rules);
  await writeFile(`${root}dist/literals.json`, JSON.stringify(Object.fromEntries(literals)));
  // Their Aho–Corasick automaton, as the analysis's prefilter builds it (the rules' literals and
  // the error words): start-up reads the table instead of building it.
  await writeFile(`${root}dist/prefilter.bin`, new RulePrefilter(compileRules(rules, literals), ERROR_WORDS).automatonBytes());
} catch (error) {
  for (const problem of error.problems ?? [error.message]) console.error(problem);
  process.exit(1);
}

// Code splitting: what only some commands need (Octokit for run/annotate, yaml + zod for
// --rules and `rules test`, yauzl for zips) sits in chunks loaded by dynamic import, so a plain
// `kamal-doctor deploy.log` parses only the core. Chunks of earlier builds are removed after.
const bundled = await build({
  // The CLI and the library (`import … from "kamal-doctor"`) share the chunks.
  // The analysis worker of a long log (src/core/parallel.ts) is an entry of its own.
  entryPoints: { "kamal-doctor": `${root}src/cli/entry.ts`, lib: `${root}src/lib.ts`, "analysis-worker": `${root}src/core/analysis-worker.ts` },
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

// schema/report.schema.json, from the report's zod schema (`npm test` checks the committed one first).
await mkdir(`${root}schema`, { recursive: true });
await writeFile(`${root}schema/report.schema.json`, await generateSchema());

// The library's TypeScript declarations (dist/types/src/lib.d.ts, package.json "types").
await rm(`${root}dist/types`, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [`${root}node_modules/typescript/bin/tsc`, "-p", `${root}tsconfig.types.json`], { stdio: "inherit" });
if (tsc.status !== 0) process.exit(1);

// The GitHub Action's committed bundle (action/dist/, see scripts/action-bundle.mjs).
const { buildAction } = await import("./action-bundle.mjs");
await buildAction(`${root}action/dist`);
