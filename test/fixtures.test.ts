// Whole-log golden tests: every fixtures/**/NAME.log has NAME.expected.json saying what a
// correct diagnosis is. Every failing fixture must yield its root cause; every successful one none.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFile } from "./support/analyze.js";

interface Expected {
  outcome: "failed" | "succeeded" | "unknown";
  rootCause?: string | null;
  /** The root cause's category, or the categories any of which is right. */
  category?: string | string[];
  findings?: string[];
  absent?: string[];
  failedPhase?: string | null;
  kamalVersion?: string | null;
  hosts?: string[];
}

const root = path.resolve(import.meta.dirname, "../fixtures");
const cases = (readdirSync(root, { recursive: true }) as string[])
  .filter((file) => file.endsWith(".expected.json"))
  .sort()
  .map((file) => ({ name: file.replace(/\.expected\.json$/, ""), expected: JSON.parse(readFileSync(path.join(root, file), "utf8")) as Expected }));

describe("fixtures", () => {
  it("has fixtures", () => {
    expect(cases.length).toBeGreaterThan(5);
  });

  it.each(cases)("$name", async ({ name, expected }) => {
    const logFile = path.join(root, `${name}.log`);
    const report = await analyzeFile(logFile);
    expect(report.outcome).toBe(expected.outcome);
    const [first] = report.findings;
    if (expected.outcome === "failed") {
      if (expected.rootCause === undefined) {
        expect(first?.rootCause, "a root cause").toBe(true);
      } else if (expected.rootCause === null) {
        expect(report.findings.filter((f) => f.severity === "error")).toEqual([]);
        expect(report.unmatched.length).toBeGreaterThan(0);
      } else {
        expect(first?.ruleId, JSON.stringify(report.findings.map((f) => f.ruleId))).toBe(expected.rootCause);
        expect(first?.rootCause).toBe(true);
      }
      if (expected.category) expect([expected.category].flat()).toContain(first?.category);
    } else {
      expect(report.findings.filter((f) => f.severity === "error").map((f) => f.ruleId)).toEqual([]);
      expect(report.findings.some((f) => f.rootCause)).toBe(false);
    }
    const ids = report.findings.map((f) => f.ruleId);
    for (const id of expected.findings ?? []) expect(ids).toContain(id);
    for (const id of expected.absent ?? []) expect(ids).not.toContain(id);
    if (expected.failedPhase !== undefined) expect(report.deploy.failedPhase).toBe(expected.failedPhase);
    if (expected.kamalVersion !== undefined) expect(report.deploy.kamalVersion).toBe(expected.kamalVersion);
    if (expected.hosts) expect(report.deploy.hosts).toEqual(expected.hosts);
  });
});
