// A report turned into the memory of its run: the findings' fingerprints (the root cause's
// first) and its root cause in a few words, from the redacted report, so nothing remembered or
// cached can hold a secret value. The fingerprints are the report's own, made by the core.

import { fingerprint, type Report } from "../core/index.js";
import { redactReport, redactText } from "../report/redact.js";
import type { RunMemory } from "./types.js";

/** The marker's bound on fingerprints (see marker.ts). */
const MAX_FINGERPRINTS = 100;

export interface MemoryRun {
  id: number;
  attempt: number;
  sha: string;
  destination: string | null;
  /** When the run was diagnosed (ISO 8601); default now. */
  at?: string;
}

export function memoryOf(report: Report, run: MemoryRun): RunMemory {
  const redacted = redactReport(report);
  const destination = run.destination === null ? null : redactText(run.destination);
  const kind = redacted.deploy.failedCommand?.kind ?? null;
  const root = redacted.findings.find((finding) => finding.rootCause) ?? null;
  const ordered = root ? [root, ...redacted.findings.filter((finding) => finding !== root)] : redacted.findings;
  // The report's own fingerprint (made before redaction, as every report's is); computed for a report that has none.
  const fingerprints = [...new Set(ordered.map((finding) => finding.fingerprint ?? fingerprint(finding, destination, kind)))].slice(0, MAX_FINGERPRINTS);
  return {
    v: 1,
    run: { id: run.id, attempt: run.attempt },
    sha: run.sha,
    destination,
    outcome: redacted.outcome,
    fingerprints,
    rootCause: root ? { ruleId: root.ruleId, category: root.category, title: root.title } : null,
    at: run.at ?? new Date().toISOString(),
  };
}
