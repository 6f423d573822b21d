// `npm run docs:rules`: regenerates docs/rules.md from rules/ (the test suite checks it is fresh).
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { importSource } from "./import-source.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const { loadRuleDir, renderRulesDoc } = await importSource({ "src/rules/load.ts": ["loadRuleDir"], "src/rules/docs.ts": ["renderRulesDoc"] });
try {
  await writeFile(`${root}docs/rules.md`, renderRulesDoc(await loadRuleDir(`${root}rules`)));
} catch (error) {
  for (const problem of error.problems ?? [error.message]) console.error(problem);
  process.exit(1);
}
