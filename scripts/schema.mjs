// schema/report.schema.json: the JSON Schema of the report, generated from its zod schema
// (src/report/schema.ts) with z.toJSONSchema. `node scripts/schema.mjs` writes it (the build
// does); `--check` only compares and fails when the committed file is stale (run by `npm test`
// before the build, so CI catches a schema change that was not committed).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { importSource } from "./import-source.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const file = `${root}schema/report.schema.json`;

export async function generateSchema() {
  const { reportJsonSchema } = await importSource({ "src/report/schema.ts": ["reportJsonSchema"] });
  return `${JSON.stringify(reportJsonSchema(), null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = await generateSchema();
  if (process.argv.includes("--check")) {
    const committed = await readFile(file, "utf8").catch(() => null);
    if (committed !== text) {
      console.error("schema/report.schema.json is stale: run `npm run build` and commit it");
      process.exit(1);
    }
  } else {
    await mkdir(`${root}schema`, { recursive: true });
    await writeFile(file, text);
  }
}
