// The same log with and without the GitHub Actions wrapping (BOM, runner timestamps, CRLF, a step
// group with the script echo, the runner's exit line) must give the same findings.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Report } from "../src/core/report.js";
import { analyze, wrapForGitHub } from "./support/analyze.js";

const root = path.resolve(import.meta.dirname, "../fixtures");
const plainLogs = (readdirSync(root, { recursive: true }) as string[])
  .filter((file) => file.endsWith(".log") && !file.startsWith("github/"))
  .filter((file) => !readFileSync(path.join(root, file), "utf8").match(/^\uFEFF?\d{4}-\d{2}-\d{2}T/))
  .sort();

const essence = (report: Report) =>
  report.findings.map((f) => ({ ruleId: f.ruleId, rootCause: f.rootCause, severity: f.severity, evidence: f.evidence, captures: f.captures, hosts: f.hosts, phase: f.phase }));

describe("GitHub Actions wrapping", () => {
  it.each(plainLogs)("%s gives the same findings wrapped", async (file) => {
    const text = readFileSync(path.join(root, file), "utf8");
    const plain = await analyze(text);
    const wrapped = await analyze(wrapForGitHub(text, { exitCode: plain.outcome === "failed" ? 1 : 0 }));
    expect(essence(wrapped)).toEqual(essence(plain));
    expect(wrapped.outcome).toBe(plain.outcome);
    expect(wrapped.deploy.failedPhase).toBe(plain.deploy.failedPhase);
    expect(wrapped.deploy.hosts).toEqual(plain.deploy.hosts);
    expect(wrapped.unmatched.map((u) => u.text)).toEqual(plain.unmatched.map((u) => u.text));
  });
});
