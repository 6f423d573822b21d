// `npm run docs:rules`: regenerates docs/rules.md from rules/ (the test suite checks it is fresh).
import { rm, writeFile } from "node:fs/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../", import.meta.url));
const bundle = `${root}dist/.docs-rules.mjs`;
await build({
  stdin: { contents: 'export { loadRuleDir } from "./src/rules/load.ts"; export { renderRulesDoc } from "./src/rules/docs.ts";', resolveDir: root, loader: "ts" },
  outfile: bundle,
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  logLevel: "warning",
});
const { loadRuleDir, renderRulesDoc } = await import(pathToFileURL(bundle).href);
await rm(bundle);
try {
  await writeFile(`${root}docs/rules.md`, renderRulesDoc(await loadRuleDir(`${root}rules`)));
} catch (error) {
  for (const problem of error.problems ?? [error.message]) console.error(problem);
  process.exit(1);
}
