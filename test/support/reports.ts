// Hand-built reports for formatter tests: a finding factory with defaults for every field.
import type { Finding, Report } from "../../src/core/report.js";

export function finding(partial: Partial<Finding> & { ruleId?: string } = {}): Finding {
  const line = partial.line ?? 10;
  return {
    ruleId: "some-rule",
    basis: "rule",
    origin: { command: "other", text: "kamal" },
    title: "Something broke",
    category: "other",
    severity: "error",
    rootCause: false,
    source: "deploy.log",
    line,
    endLine: line,
    host: "192.0.2.10",
    hosts: ["192.0.2.10"],
    phase: "boot",
    evidence: [`line ${line}`],
    evidenceLines: [{ line, text: `line ${line}` }],
    captures: {},
    explanation: "Because.",
    remediation: ["Do this."],
    docs: ["https://kamal-deploy.org/docs/"],
    occurrences: 1,
    url: null,
    step: null,
    ...partial,
  };
}

export function report(findings: Finding[], partial: Partial<Report> = {}): Report {
  return {
    schemaVersion: 1,
    tool: { name: "kamal-doctor", version: "0.0.0-test" },
    outcome: "failed",
    sources: [{ name: "deploy.log", job: null, step: null, lines: 100, attachedTo: null }],
    deploy: { kamalVersion: "2.x", command: "deploy", hosts: ["192.0.2.10"], phases: [], failedPhase: "boot", seconds: 12, failedCommand: null },
    deploys: [],
    findings,
    unmatched: [],
    counts: { error: 1, warn: 0, info: 10, debug: 0 },
    ...partial,
  };
}

/** n findings of one severity, the first one the root cause when asked. */
export function many(n: number, severity: Finding["severity"], from = 0, rootCause = false): Finding[] {
  return Array.from({ length: n }, (_, i) => finding({ ruleId: `${severity}-${from + i}`, title: `${severity} number ${from + i}`, severity, line: 10 + from + i, rootCause: rootCause && i === 0 }));
}
