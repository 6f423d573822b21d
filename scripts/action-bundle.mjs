// action/dist/: the GitHub Action's committed bundle — index.mjs, one file with every dependency
// in it, and the rule catalogue beside it (rules.json, literals.json, where the built-in rules
// loader looks) — so a workflow runs the action with no `npm ci` and no build. The build writes
// it; `--check` builds into a temporary directory and fails when the committed files differ
// (run by `npm test` before the build, so CI catches a bundle that was not rebuilt).
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { importSource } from "./import-source.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const committed = `${root}action/dist`;

export async function buildAction(outdir) {
  await mkdir(outdir, { recursive: true });
  const { loadRuleDir, literalTable } = await importSource({ "src/rules/load.ts": ["loadRuleDir"], "src/rules/compile.ts": ["literalTable"] });
  const rules = await loadRuleDir(`${root}rules`);
  await writeFile(`${outdir}/rules.json`, JSON.stringify(rules));
  await writeFile(`${outdir}/literals.json`, JSON.stringify(Object.fromEntries(literalTable(rules))));
  await build({
    entryPoints: [`${root}src/action/entry.ts`],
    outfile: `${outdir}/index.mjs`,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    mainFields: ["module", "main"],
    legalComments: "eof",
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: "warning",
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes("--check")) {
    const dir = await mkdtemp(`${tmpdir()}/kamal-doctor-action-`);
    try {
      await buildAction(dir);
      for (const file of await readdir(dir)) {
        const fresh = await readFile(`${dir}/${file}`, "utf8");
        const current = await readFile(`${committed}/${file}`, "utf8").catch(() => null);
        if (current !== fresh) {
          console.error(`action/dist/${file} is stale: run \`npm run build\` and commit action/dist/`);
          process.exit(1);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  } else await buildAction(committed);
}
