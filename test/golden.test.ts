// Golden tests: the exact `pretty` (without colour) and `json` output for a few fixtures.
// After an intended change, regenerate with: UPDATE_GOLDEN=1 npx vitest run test/golden.test.ts
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatJson } from "../src/format/json.js";
import { formatPretty } from "../src/format/pretty.js";
import { analyzeFile } from "./support/analyze.js";

const root = path.resolve(import.meta.dirname, "..");
const FIXTURES = [
  "fixtures/sample/kamal2-healthcheck-failed.log",
  "fixtures/kamal1/healthcheck-unhealthy.log",
  "fixtures/kamal2/multi-host-port-allocated.log",
  "fixtures/kamal2/deploy-success.log",
  "fixtures/github/registry-denied-wrapped.log",
  "fixtures/kamal1/deploy-lock-held.log",
];

function golden(file: string, actual: string): void {
  const target = path.join(root, "test/golden", file);
  if (process.env["UPDATE_GOLDEN"] || !existsSync(target)) writeFileSync(target, actual);
  expect(actual).toBe(readFileSync(target, "utf8"));
}

describe("golden output", () => {
  it.each(FIXTURES)("%s", async (fixture) => {
    const report = await analyzeFile(path.join(root, fixture));
    const name = path.basename(fixture, ".log");
    golden(`${name}.pretty.txt`, formatPretty(report, { width: 100 }));
    golden(`${name}.json`, formatJson(report));
  });
});
