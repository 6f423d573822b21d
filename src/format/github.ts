// `--format github`: the findings as workflow-command annotations (`::error title=…::…`), root
// cause first, within GitHub's caps — 10 errors, 10 warnings and 10 notices per step, 50 per
// job; past them the runner silently drops annotations, so what does not fit is folded into one
// notice that names it and points at the job summary. The same annotation list feeds check runs.

import { deployReports, type Finding, type LockSummary, type Report } from "../core/index.js";
import { annotationCommand } from "./workflow-commands.js";

export type AnnotationLevel = "error" | "warning" | "notice";

export interface Annotation {
  level: AnnotationLevel;
  title: string;
  message: string;
  /** The finding it reports; null for the "failure not recognised", deploy lock and folded notices. */
  finding: Finding | null;
}

export interface AnnotationCaps {
  error: number;
  warning: number;
  notice: number;
  /** All levels together (GitHub: 50 per job). */
  total: number;
}

/** GitHub's documented limits for one step (the whole job allows 50). */
export const STEP_CAPS: AnnotationCaps = { error: 10, warning: 10, notice: 10, total: 50 };

/** The runner keeps the first 4096 characters of a message; stay under it with our own ellipsis. */
export const MAX_MESSAGE = 4000;
const MAX_TITLE = 255;
const EVIDENCE_LINES = 8;

export interface GithubOptions {
  caps?: AnnotationCaps;
}

export function formatGithub(report: Report, options: GithubOptions = {}): string {
  const lines = capAnnotations(annotationsFor(report), options.caps ?? STEP_CAPS).map((a) => {
    // A config finding is annotated on the deploy.yml line itself.
    const ref = a.finding?.configRef;
    return annotationCommand(a.level, a.message, ref ? { title: a.title, file: ref.file, startLine: ref.line } : { title: a.title });
  });
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

/** One annotation per finding, root cause first; a failure no rule knows still gets one (per deploy). */
export function annotationsFor(report: Report): Annotation[] {
  const parts = deployReports(report);
  if (parts.length > 1) {
    // Failed deploys first, as in the report's findings.
    const ordered = [...parts.filter((part) => part.outcome === "failed"), ...parts.filter((part) => part.outcome !== "failed")];
    return ordered.flatMap((part) => deployAnnotations(part, part.sources[0]?.job?.name ?? part.sources[0]?.name ?? null));
  }
  return deployAnnotations(report);
}

function deployAnnotations(report: Report, name: string | null = null): Annotation[] {
  // A deploy that did not fail gets no notice for what is only informational.
  const findings = report.outcome === "failed" ? report.findings : report.findings.filter((f) => f.severity !== "info");
  const out: Annotation[] = findings.map((f) => ({
    level: f.severity === "error" ? "error" : f.severity === "warning" ? "warning" : "notice",
    title: clip(f.rootCause ? `kamal-doctor: root cause — ${f.title}` : `kamal-doctor: ${f.title}`, MAX_TITLE),
    message: clip(f.rootCause && report.memory && report.memory.fingerprint === f.fingerprint ? `${report.memory.summary}\n\n${findingMessage(f)}` : findingMessage(f), MAX_MESSAGE),
    finding: f,
  }));
  // The deploy lock (who holds it, whether that deploy is over, what to do): right after the root cause.
  const lock = report.lock && report.sources.some((source) => source.name === report.lock?.source) ? report.lock : null;
  if (lock) out.splice(out[0]?.finding?.rootCause ? 1 : 0, 0, lockAnnotation(lock));
  if (report.findings.length === 0 && report.outcome === "failed") {
    const lines = report.unmatched.slice(0, EVIDENCE_LINES).map((u) => `${u.source}:${u.line}  ${u.text}`);
    const where = report.deploy.failedPhase ? ` in ${report.deploy.failedPhase}` : "";
    const silent = report.sources.every((source) => source.lines === 0);
    const first = silent ? `The deploy failed${where} without printing anything: nothing to diagnose.` : `The deploy failed${where}, and no rule recognised why.`;
    const message = [first, ...(lines.length > 0 ? ["", "Key lines:", ...lines] : [])].join("\n");
    out.push({ level: "error", title: clip(`kamal-doctor: failure not recognised${name ? ` in ${name}` : ""}`, MAX_TITLE), message: clip(message, MAX_MESSAGE), finding: null });
  }
  return out;
}

/** A notice: the lock's state as the title, what to do as the message. */
export function lockAnnotation(lock: LockSummary): Annotation {
  const message = [lock.summary, "", ...lock.advice.map((step, i) => `${i + 1}. ${step}`)].join("\n");
  return { level: "notice", title: clip(`kamal-doctor: deploy lock ${lock.summary}`, MAX_TITLE), message: clip(message, MAX_MESSAGE), finding: null };
}

/**
 * Keeps annotations within the caps in order (root cause first). When some do not fit, one
 * notice takes their place — it needs a notice slot and a total slot, so the last kept notice
 * (or, at the total cap, the last kept annotation) gives its place up and is folded too.
 */
export function capAnnotations(annotations: readonly Annotation[], caps: AnnotationCaps = STEP_CAPS): Annotation[] {
  const kept: Annotation[] = [];
  const folded: Annotation[] = [];
  const count = { error: 0, warning: 0, notice: 0 };
  for (const a of annotations) {
    if (count[a.level] < caps[a.level] && kept.length < caps.total) {
      kept.push(a);
      count[a.level]++;
    } else folded.push(a);
  }
  if (folded.length === 0) return kept;
  if (count.notice >= caps.notice || kept.length >= caps.total) {
    let index = -1;
    if (count.notice >= caps.notice) index = kept.map((a) => a.level).lastIndexOf("notice");
    if (index === -1) index = kept.length - 1;
    const [giveUp] = kept.splice(index, 1);
    if (giveUp) folded.unshift(giveUp);
  }
  if (caps.notice === 0 || caps.total === 0) return kept;
  kept.push(foldNotice(folded));
  return kept;
}

function foldNotice(folded: readonly Annotation[]): Annotation {
  const n = folded.length;
  const head = `${n} more finding${n === 1 ? " is" : "s are"} not annotated here (GitHub shows at most 10 errors, 10 warnings and 10 notices per step, and 50 per job). The job summary has the full report.`;
  const list = folded.map((a) => `- ${a.level}: ${a.title.replace(/^kamal-doctor: /, "")}`);
  return { level: "notice", title: `kamal-doctor: ${n} more finding${n === 1 ? "" : "s"} in the job summary`, message: clip([head, "", ...list].join("\n"), MAX_MESSAGE), finding: null };
}

/** The annotation body: why, the evidence with line numbers, the fix, the docs. */
export function findingMessage(f: Finding): string {
  const parts: string[] = [];
  if (f.explanation) parts.push(f.explanation);
  const at = [f.endLine > f.line ? `${f.source}:${f.line}-${f.endLine}` : `${f.source}:${f.line}`];
  if (f.hosts.length > 1) at.push(`hosts ${f.hosts.join(", ")}`);
  else if (f.host) at.push(`host ${f.host}`);
  if (f.phase) at.push(`phase ${f.phase}`);
  if (f.step) at.push(`step ${f.step.number} "${f.step.name}"`);
  const evidence = f.evidenceLines.slice(0, EVIDENCE_LINES).map((e) => `  ${e.line} │ ${clip(e.text, 300)}`);
  if (f.evidenceLines.length > EVIDENCE_LINES) evidence.push(`  … ${f.evidenceLines.length - EVIDENCE_LINES} more`);
  parts.push([`Evidence (${at.join(", ")}):`, ...evidence].join("\n"));
  if (f.url) parts.push(`Log: ${f.url}`);
  if (f.remediation.length > 0) parts.push(["Fix:", ...f.remediation.map((step, i) => `${i + 1}. ${step}`)].join("\n"));
  if (f.docs.length > 0) parts.push(`Docs: ${f.docs.join(" ")}`);
  return clip(parts.join("\n\n"), MAX_MESSAGE);
}

function clip(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
