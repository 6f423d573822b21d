// `--format json`: the public schemaVersion 1 contract (README "JSON schema").
import type { Finding, Report } from "../core/index.js";

/** A finding as the JSON contract has it: `evidenceLines` is internal (pretty output, deep links). */
export type JsonFinding = Omit<Finding, "evidenceLines">;
/** The report as `--format json` prints it and the library returns it. */
export type JsonReport = Omit<Report, "findings"> & { findings: JsonFinding[] };

export function toJsonReport(report: Report): JsonReport {
  const findings = report.findings.map(({ evidenceLines: _lines, ...finding }) => finding);
  return { ...report, findings };
}

export function formatJson(report: Report): string {
  return `${JSON.stringify(toJsonReport(report), null, 2)}\n`;
}
