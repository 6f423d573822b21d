// Config findings in the ordinary Finding shape (so pretty, JSON, markdown and GitHub show
// them) and the `config` section of the report.

import type { Finding, Report } from "../core/index.js";
import type { KamalTarget } from "./checks.js";
import type { ConfigFinding, ConfigSummary } from "./findings.js";
import type { LoadedConfig } from "./load.js";

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function toFinding(f: ConfigFinding): Finding {
  return {
    ruleId: f.checkId,
    // A config check is a rule of its own, written in code (src/config/checks.ts).
    basis: "rule",
    // Not a log line: the config file's line is in configRef.
    origin: null,
    title: f.title,
    category: f.category,
    severity: f.severity,
    rootCause: false,
    source: f.ref.file,
    line: f.ref.line,
    endLine: f.ref.line,
    host: null,
    hosts: [],
    phase: null,
    evidence: [`${f.ref.file}:${f.ref.line}: ${f.lineText.trim()}`],
    evidenceLines: [{ line: f.ref.line, text: f.lineText }],
    captures: { key: f.ref.key },
    explanation: f.explanation,
    remediation: [f.fix, ...f.more],
    docs: f.docs,
    occurrences: 1,
    url: null,
    step: null,
    configRef: f.ref,
  };
}

export function configSummary(config: LoadedConfig, target: KamalTarget): ConfigSummary {
  return {
    file: config.location.file,
    destination: config.location.destination,
    files: config.files.map((f) => f.path),
    secretsFiles: config.secrets.map((f) => f.file),
    pinnedKamal: config.pinned?.version ?? null,
    checkedFor: { version: target.version, from: target.from },
    exposedPorts: config.exposed.map((e) => e.port),
  };
}

/** The report of `kamal-doctor config`: findings only, errors first, in file order. */
export function configReport(config: LoadedConfig, target: KamalTarget, findings: ConfigFinding[], toolVersion: string): Report {
  const sorted = [...findings].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.ref.file.localeCompare(b.ref.file) || a.ref.line - b.ref.line);
  return {
    schemaVersion: 1,
    tool: { name: "kamal-doctor", version: toolVersion },
    outcome: findings.length > 0 ? "failed" : "succeeded",
    sources: config.files.map((f) => ({ name: f.path, job: null, step: null, lines: f.lines.length, attachedTo: null })),
    deploy: { kamalVersion: target.version, command: "config check", hosts: [], phases: [], failedPhase: null, seconds: null, failedCommand: null },
    deploys: [],
    findings: sorted.map(toFinding),
    unmatched: [],
    counts: { error: 0, warn: 0, info: 0, debug: 0 },
    config: configSummary(config, target),
  };
}
