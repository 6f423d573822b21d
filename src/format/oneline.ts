// `--format oneline`: one line for chat messages and commit statuses — outcome · root cause · the
// fix · link. Redacted like the other formats meant to leave the machine.
import type { Report } from "../core/index.js";

const MAX = 300;

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

export function formatOneline(report: Report): string {
  const root = report.findings.find((finding) => finding.rootCause) ?? (report.outcome === "failed" ? report.findings[0] : undefined);
  const outcome = report.outcome === "failed" && report.deploy.failedPhase ? `failed in ${report.deploy.failedPhase}` : report.outcome === "unknown" && report.sources.length === 0 ? "nothing to diagnose" : report.outcome;
  const parts = [`kamal-doctor: ${outcome}`];
  if (root) {
    parts.push(clip(root.title, 120));
    if (root.remediation[0] !== undefined) parts.push(clip(root.remediation[0], 160));
    if (root.url) parts.push(root.url);
  } else if (report.outcome === "failed") {
    const line = report.unmatched[0];
    parts.push(line ? `not recognised: ${clip(line.text, 160)}` : "not recognised");
  } else if (report.outcome === "succeeded") parts.push("no failure found");
  return `${clip(parts.join(" · "), MAX + (root?.url?.length ?? 0))}\n`;
}
