// What `kamal-doctor history` shows, computed from the records (pure): each run with its outcome
// and root cause, and the causes grouped by the root cause's fingerprint — how often, first and
// last seen, and how long each blocked deploys (from a failure to the next green run). Rendered
// as text, JSON (a documented, stable shape: docs/memory.md) or markdown with a mermaid chart.

import { text as mdText } from "../format/markdown.js";
import { printable } from "../format/pretty.js";
import type { RunRecord } from "./types.js";

export type RunOutcome = "succeeded" | "failed" | "cancelled" | "running" | "other";

export interface HistoryRun {
  id: number;
  number: number;
  attempt: number;
  url: string;
  sha: string;
  branch: string | null;
  event: string;
  createdAt: string;
  updatedAt: string;
  status: string;
  conclusion: string | null;
  outcome: RunOutcome;
  destination: string | null;
  /** The root cause's fingerprint, when the run's memory has a root cause. */
  fingerprint: string | null;
  rootCause: RunRecord["rootCause"];
  from: RunRecord["from"];
}

export interface RunPointer {
  id: number;
  number: number;
  attempt: number;
  url: string;
  createdAt: string;
}

export interface CauseSummary {
  fingerprint: string;
  /** The destination it failed on, when known: one failure on two destinations is two causes. */
  destination: string | null;
  ruleId: string;
  category: string;
  title: string;
  /** Runs (attempts) whose root cause it was. */
  count: number;
  firstSeen: RunPointer;
  lastSeen: RunPointer;
  /** Seconds from each first failure to the next green run, summed; to the last failure while it lasts. */
  blockedSeconds: number;
  /** No green run since its last failure. */
  ongoing: boolean;
  /** The green run that ended its last streak, or null while it lasts. */
  clearedBy: RunPointer | null;
}

export interface HistoryReport {
  schemaVersion: 1;
  repository: string;
  workflow: { id: number; name: string; path: string };
  branch: string | null;
  destination: string | null;
  /** How many runs were asked for. */
  limit: number;
  /** Newest first. */
  runs: HistoryRun[];
  /** Most frequent first. */
  causes: CauseSummary[];
  /** Failed runs whose cause is unknown (logs expired, not readable). */
  undiagnosed: number;
}

const FAILED = new Set(["failure", "timed_out", "startup_failure"]);

export function outcomeOf(record: Pick<RunRecord, "status" | "conclusion">): RunOutcome {
  if (record.status !== "completed") return "running";
  if (record.conclusion === "success") return "succeeded";
  if (record.conclusion !== null && FAILED.has(record.conclusion)) return "failed";
  if (record.conclusion === "cancelled") return "cancelled";
  return "other";
}

const pointer = (run: HistoryRun): RunPointer => ({ id: run.id, number: run.number, attempt: run.attempt, url: run.url, createdAt: run.createdAt });

export function summariseHistory(records: readonly RunRecord[], meta: Omit<HistoryReport, "schemaVersion" | "runs" | "causes" | "undiagnosed">): HistoryReport {
  const runs: HistoryRun[] = records.map((r) => ({
    id: r.id,
    number: r.number,
    attempt: r.attempt,
    url: r.url,
    sha: r.sha,
    branch: r.branch,
    event: r.event,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    status: r.status,
    conclusion: r.conclusion,
    outcome: outcomeOf(r),
    destination: r.destination,
    fingerprint: r.rootCause ? (r.fingerprints[0] ?? null) : null,
    rootCause: r.rootCause,
    from: r.from,
  }));
  const causes = new Map<string, CauseSummary & { open: number | null }>();
  const ms = (iso: string) => Date.parse(iso);
  // Oldest first: a streak opens at a cause's failure and closes at the next green run.
  for (const run of [...runs].reverse()) {
    if (run.outcome === "succeeded") {
      for (const cause of causes.values()) {
        if (cause.open === null) continue;
        cause.blockedSeconds += Math.max(0, Math.round((ms(run.updatedAt) - cause.open) / 1000));
        cause.open = null;
        cause.ongoing = false;
        cause.clearedBy = pointer(run);
      }
      continue;
    }
    if (run.outcome !== "failed" || run.fingerprint === null || run.rootCause === null) continue;
    const key = `${run.fingerprint}\0${run.destination ?? ""}`;
    const cause = causes.get(key) ?? {
      fingerprint: run.fingerprint,
      destination: run.destination,
      ...run.rootCause,
      count: 0,
      firstSeen: pointer(run),
      lastSeen: pointer(run),
      blockedSeconds: 0,
      ongoing: true,
      clearedBy: null,
      open: null,
    };
    cause.count++;
    cause.lastSeen = pointer(run);
    cause.open ??= ms(run.createdAt);
    cause.ongoing = true;
    cause.clearedBy = null;
    causes.set(key, cause);
  }
  const summaries = [...causes.values()].map(({ open, ...cause }) => {
    // Still failing: blocked at least until its last failure ended.
    const last = runs.find((run) => run.id === cause.lastSeen.id && run.attempt === cause.lastSeen.attempt);
    if (open !== null && last) cause.blockedSeconds += Math.max(0, Math.round((ms(last.updatedAt) - open) / 1000));
    return cause;
  });
  summaries.sort((a, b) => b.count - a.count || b.lastSeen.createdAt.localeCompare(a.lastSeen.createdAt));
  const undiagnosed = runs.filter((run) => run.outcome === "failed" && run.rootCause === null).length;
  return { schemaVersion: 1, ...meta, runs, causes: summaries, undiagnosed };
}

/** 45s, 12m, 3h 05m, 2d 4h. */
export function span(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h ${String(minutes % 60).padStart(2, "0")}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** `2026-11-02 10:04` (UTC). */
const when = (iso: string) => iso.replace("T", " ").slice(0, 16);
const day = (iso: string) => iso.slice(0, 10);
const runName = (run: { number: number; attempt: number }) => `#${run.number}${run.attempt > 1 ? ` (attempt ${run.attempt})` : ""}`;

function heading(report: HistoryReport): string {
  const scope = [report.branch ? `branch ${report.branch}` : null, report.destination ? `destination ${report.destination}` : null].filter(Boolean).join(", ");
  return `${report.workflow.name} (${report.workflow.path}) of ${report.repository}${scope ? `, ${scope}` : ""}`;
}

function causeLine(run: HistoryRun): string {
  if (run.rootCause) return `${run.rootCause.title} [${run.fingerprint ?? run.rootCause.ruleId}]`;
  if (run.outcome === "failed") return run.from === "none" ? "not diagnosed (no marker; logs not readable)" : "no rule recognised why";
  return "";
}

function blockedLine(cause: CauseSummary): string {
  const until = cause.ongoing ? "still failing" : `until ${runName(cause.clearedBy as RunPointer)}`;
  return `blocked deploys ${span(cause.blockedSeconds)} (${until})`;
}

export function renderHistoryPretty(report: HistoryReport): string {
  const out: string[] = [`${printable(heading(report))}: ${report.runs.length} run${report.runs.length === 1 ? "" : "s"}`, ""];
  if (report.runs.length === 0) return `${out.join("\n")}No runs.\n`;
  const rows = [["RUN", "STARTED (UTC)", "SHA", "OUTCOME", "ROOT CAUSE"], ...report.runs.map((run) => [runName(run), when(run.createdAt), run.sha.slice(0, 7), run.outcome, causeLine(run)])];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  for (const row of rows) out.push(printable(`  ${row.map((cell, i) => (i < 4 ? cell.padEnd(widths[i] ?? 0) : cell)).join("  ")}`.trimEnd()));
  out.push("");
  if (report.causes.length === 0) out.push("No diagnosed failures.");
  else {
    out.push("Causes:");
    for (const cause of report.causes) {
      out.push(printable(`  ${cause.count}× ${cause.title} [${cause.fingerprint}]`));
      out.push(`     first ${runName(cause.firstSeen)} ${day(cause.firstSeen.createdAt)}, last ${runName(cause.lastSeen)} ${day(cause.lastSeen.createdAt)}; ${blockedLine(cause)}`);
    }
  }
  if (report.undiagnosed > 0) out.push(`${report.undiagnosed} failed run${report.undiagnosed === 1 ? "" : "s"} not diagnosed (no marker, logs expired or unreadable).`);
  return `${out.join("\n")}\n`;
}

export function renderHistoryJson(report: HistoryReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const OUTCOME_ICON: Record<RunOutcome, string> = { succeeded: "✅", failed: "❌", cancelled: "⏹️", running: "⏳", other: "➖" };
/** A cell of a markdown table: escaped as the report's markdown is, and no pipe. */
const cell = (value: string) => mdText(value).replace(/\|/g, "\\|");

export function renderHistoryMarkdown(report: HistoryReport): string {
  const out: string[] = [`### Deploy history: ${cell(heading(report))}`, ""];
  if (report.runs.length === 0) return `${out.join("\n")}No runs.\n`;
  out.push("| Run | Started (UTC) | Commit | Outcome | Root cause |", "| --- | --- | --- | --- | --- |");
  for (const run of report.runs) {
    const cause = run.rootCause ? `${cell(run.rootCause.title)} \`${run.fingerprint ?? run.rootCause.ruleId}\`` : cell(causeLine(run));
    out.push(`| [${runName(run)}](${run.url}) | ${when(run.createdAt)} | \`${run.sha.slice(0, 7)}\` | ${OUTCOME_ICON[run.outcome]} ${run.outcome} | ${cause} |`);
  }
  out.push("", ...mermaidChart(report), "");
  if (report.causes.length > 0) {
    out.push("| Cause | Runs | First seen | Last seen | Blocked deploys |", "| --- | --- | --- | --- | --- |");
    for (const cause of report.causes) {
      const until = cause.ongoing ? "still failing" : `until [${runName(cause.clearedBy as RunPointer)}](${(cause.clearedBy as RunPointer).url})`;
      out.push(
        `| ${cell(cause.title)} \`${cause.fingerprint}\` | ${cause.count} | [${runName(cause.firstSeen)}](${cause.firstSeen.url}) ${day(cause.firstSeen.createdAt)} | [${runName(cause.lastSeen)}](${cause.lastSeen.url}) ${day(cause.lastSeen.createdAt)} | ${span(cause.blockedSeconds)} (${until}) |`,
      );
    }
  }
  if (report.undiagnosed > 0) out.push("", `${report.undiagnosed} failed run${report.undiagnosed === 1 ? "" : "s"} not diagnosed (no marker, logs expired or unreadable).`);
  return `${out.join("\n")}\n`;
}

/**
 * Outcomes per day, oldest first: bars of all runs, a line of the failed ones (mermaid
 * `xychart-beta`, which GitHub renders in markdown).
 */
function mermaidChart(report: HistoryReport): string[] {
  const days = new Map<string, { all: number; failed: number }>();
  for (const run of [...report.runs].reverse()) {
    const entry = days.get(day(run.createdAt)) ?? { all: 0, failed: 0 };
    entry.all++;
    if (run.outcome === "failed") entry.failed++;
    days.set(day(run.createdAt), entry);
  }
  const labels = [...days.keys()].map((d) => `"${d.slice(5)}"`);
  const counts = [...days.values()];
  const most = Math.max(1, ...counts.map((c) => c.all));
  return [
    "```mermaid",
    "xychart-beta",
    '  title "Runs per day (bars) and failed runs (line)"',
    `  x-axis [${labels.join(", ")}]`,
    `  y-axis "runs" 0 --> ${most}`,
    `  bar [${counts.map((c) => c.all).join(", ")}]`,
    `  line [${counts.map((c) => c.failed).join(", ")}]`,
    "```",
  ];
}
