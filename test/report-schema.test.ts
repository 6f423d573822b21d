// schema/report.schema.json and what the tool prints cannot drift: every fixture's JSON report
// (and the shared corpus's, when ../shared is there) validates against the committed schema
// with a JSON Schema validator, the committed schema is what the zod schema generates, and the
// schema is strict enough to refuse a report that breaks the contract.
import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeText } from "../src/core/index.js";
import { formatJson } from "../src/format/json.js";
import { builtinRules } from "../src/rules/builtin.js";
import { compileRules, type CompiledRule } from "../src/rules/compile.js";
import { reportJsonSchema } from "../src/report/schema.js";
import { logsUnder } from "./support/logs.js";

const root = path.resolve(import.meta.dirname, "..");
const schema = JSON.parse(readFileSync(path.join(root, "schema/report.schema.json"), "utf8")) as Record<string, unknown>;
const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);


const fixtures = logsUnder(path.join(root, "fixtures"));
const corpusDir = path.resolve(root, "../shared/corpus");
const corpus = [...logsUnder(path.join(corpusDir, "real-dev")), ...logsUnder(path.join(corpusDir, "generated"))];

let rules: CompiledRule[];
beforeAll(async () => {
  rules = compileRules(await builtinRules());
});

/** The report exactly as `--format json` prints it. */
function printed(file: string): unknown {
  return JSON.parse(formatJson(analyzeText(file, readFileSync(file, "utf8"), { rules, toolVersion: "0.0.0-test" })));
}

function problems(): string {
  return (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ""}`).join("\n");
}

describe("schema/report.schema.json", () => {
  it("is what the zod schema of the report generates (npm run build writes it)", () => {
    expect(schema).toEqual(JSON.parse(JSON.stringify(reportJsonSchema())));
  });

  it.each(fixtures.map((file) => path.relative(root, file)))("validates the JSON report of %s", (file) => {
    const report = printed(path.join(root, file));
    expect(validate(report), problems()).toBe(true);
  });

  it.skipIf(corpus.length === 0)("validates the JSON report of every shared corpus log", () => {
    for (const file of corpus) {
      const report = printed(file);
      expect(validate(report), `${path.relative(corpusDir, file)}:\n${problems()}`).toBe(true);
    }
  });

  it("refuses a report that breaks the contract", () => {
    const good = (printed(path.join(root, "fixtures/kamal2/pull-disk-full.log"))) as { findings: Array<Record<string, unknown>> } & Record<string, unknown>;
    expect(validate(good)).toBe(true);
    const finding = good.findings[0] as Record<string, unknown>;
    // What a GitHub run's report adds: the job and step of a source, a finding's deep link and step.
    const step = { number: 3, name: "Deploy" };
    const job = { id: 7, name: "deploy", url: "https://github.com/acme/shop/actions/runs/1/job/7", runId: 1, attempt: 2, repo: "acme/shop" };
    const fromGitHub = {
      ...good,
      sources: (good["sources"] as Array<Record<string, unknown>>).map((source) => ({ ...source, job, step })),
      findings: [{ ...finding, url: `${job.url}#step:3:13`, step }],
    };
    expect(validate(fromGitHub), problems()).toBe(true);
    const broken = [
      { ...good, schemaVersion: 2 },
      { ...good, outcome: "crashed" },
      { ...good, findings: [{ ...finding, category: "not-a-category" }] },
      { ...good, findings: [{ ...finding, evidenceLines: [] }] },
      { ...good, findings: [{ ...finding, line: "13" }] },
      Object.fromEntries(Object.entries(good).filter(([key]) => key !== "counts")),
    ];
    for (const report of broken) expect(validate(report)).toBe(false);
  });
});
