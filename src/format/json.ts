// `--format json`: the public schemaVersion 1 contract (README "JSON schema").
import type { Report } from "../core/index.js";

export function formatJson(report: Report): string {
  const findings = report.findings.map(({ evidenceLines: _lines, ...finding }) => finding);
  return `${JSON.stringify({ ...report, findings }, null, 2)}\n`;
}
