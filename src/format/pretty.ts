// `--format pretty`: for a person at a terminal. Root cause first — title, where, evidence,
// why, fix, docs — then the other findings, the unmatched error lines and the phase timeline.
// Readable without colour; colour comes from the Style passed in.

import { deployReports, type Finding, type LockSummary, type Report } from "../core/index.js";
import { plain, type Style } from "./style.js";

export interface PrettyOptions {
  style?: Style;
  /** Show every evidence line and every finding in full. */
  verbose?: boolean;
  width?: number;
}

const EVIDENCE_LINES = 6;
const LINE_TEXT = 220;

/** Several deploys (one per source): a line of totals, then one block per deploy with its own header. */
export function formatPretty(report: Report, options: PrettyOptions = {}): string {
  const parts = deployReports(report);
  if (parts.length === 1) return formatDeploy(report, options);
  const s = options.style ?? plain;
  const blocks = parts.map((part, i) => `${s.dim(`── deploy ${i + 1} of ${parts.length} ──`)}\n${formatDeploy(part, options)}`);
  return `${totals(report, s)}\n\n${blocks.join("\n")}`;
}

function totals(report: Report, s: Style): string {
  const by = (outcome: string) => report.deploys.filter((d) => d.outcome === outcome).length;
  const counts = [
    [by("failed"), "failed"],
    [by("succeeded"), "succeeded"],
    [by("unknown"), "outcome unknown"],
  ] as const;
  const said = counts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  const outcome = report.outcome === "failed" ? s.red(s.bold(said.join(", "))) : report.outcome === "succeeded" ? s.green(s.bold(said.join(", "))) : s.bold(said.join(", "));
  return `${s.bold("kamal-doctor")} · ${report.deploys.length} deploys: ${outcome}`;
}

function formatDeploy(report: Report, options: PrettyOptions): string {
  const s = options.style ?? plain;
  const width = Math.max(60, Math.min(options.width ?? 100, 140));
  const out: string[] = [];
  out.push(header(report, s));
  const failed = report.deploy.failedCommand;
  if (failed) {
    const exit = failed.exitCode !== null ? ` (exit ${failed.exitCode}${failed.exitStatus !== failed.exitCode ? `, printed as ${failed.exitStatus}` : ""})` : "";
    out.push(`${s.dim("failed command")}  ${clip(failed.command)}${failed.host ? ` on ${failed.host}` : ""}${exit} ${s.dim(`${failed.source}:${failed.line}`)}`);
  }
  out.push("");

  // Without a failure, informational findings (a recreated builder) do not lead the report.
  const quiet = report.outcome !== "failed" && options.verbose !== true;
  const leading = quiet ? report.findings.filter((f) => f.severity !== "info") : report.findings;
  const [first, ...rest] = leading.length > 0 ? report.findings : [];
  const hiddenInfo = leading.length > 0 ? 0 : report.findings.length;
  if (first === undefined) {
    if (report.outcome === "failed" && report.sources.every((source) => source.lines === 0)) {
      out.push(`${s.red(s.bold("✖ Failed without printing anything"))}: nothing to diagnose.`);
    } else if (report.outcome === "failed") {
      out.push(`${s.red(s.bold("✖ Failure not recognised"))} — no rule matched. ${report.unmatched.length > 0 ? "These are the lines that matter:" : "No line of the output looks like an error."}`);
    } else if (report.outcome === "succeeded") {
      out.push(s.green("✔ No failure found: the deploy finished."));
    } else if (report.sources.every((source) => source.lines === 0)) {
      out.push("The input was empty: nothing to diagnose.");
    } else {
      out.push("No failure found.");
    }
  }
  // The deploy lock goes on the root cause; without one (a cancelled run, a log that stops while
  // it waits for the lock) it leads on its own.
  const lock = lockOf(report);
  if (lock && !first?.rootCause) out.push(...(first === undefined ? [""] : []), ...lockBlock(lock, s, width), ...(first ? [""] : []));
  if (first) out.push(...finding(first, s, width, true, options.verbose === true, report.memory, first.rootCause ? lock : null));

  // Informational findings (benign lines, generic "a command failed") only with --verbose.
  const shown = options.verbose ? rest : rest.filter((f) => f.severity !== "info");
  const folded = rest.length - shown.length + hiddenInfo;
  if (shown.length > 0) {
    out.push("");
    out.push(s.bold(first?.rootCause ? "Also found" : "Other findings"));
    for (const f of shown) {
      if (options.verbose) {
        out.push(...finding(f, s, width, false, true));
        out.push("");
      } else {
        out.push(`  ${mark(f, s)} ${f.title} ${s.dim(`(${where(f)} · ${f.basis === "inferred" ? "inferred" : f.ruleId})`)}`);
      }
    }
  }
  if (folded > 0) out.push(s.dim(`  + ${folded} informational finding${folded === 1 ? "" : "s"} (--verbose shows ${folded === 1 ? "it" : "them"})`));

  if (report.unmatched.length > 0) {
    out.push("");
    out.push(s.bold(report.findings.length > 0 ? "Error lines no rule explains" : "Key lines"));
    for (const u of report.unmatched) out.push(`  ${s.dim(`${u.source}:${u.line}`)}  ${clip(u.text)}`);
  }

  const timeline = phases(report, s);
  if (timeline) {
    out.push("");
    out.push(timeline);
  }
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n")}\n`;
}

function header(report: Report, s: Style): string {
  const d = report.deploy;
  const outcome =
    report.outcome === "failed"
      ? s.red(s.bold(`${d.command ?? "kamal"} failed`))
      : report.outcome === "succeeded"
        ? s.green(s.bold(`${d.command ?? "kamal"} succeeded`))
        : s.bold("outcome unknown");
  const parts = [s.bold("kamal-doctor"), outcome];
  if (d.kamalVersion) parts.push(`Kamal ${d.kamalVersion}`);
  if (d.hosts.length > 0) parts.push(d.hosts.length === 1 ? `host ${d.hosts[0]}` : `${d.hosts.length} hosts (${d.hosts.slice(0, 4).join(", ")}${d.hosts.length > 4 ? ", …" : ""})`);
  if (d.failedPhase) parts.push(`failed in ${s.bold(d.failedPhase)}`);
  if (d.seconds !== null) parts.push(`${d.seconds}s`);
  const sources = report.sources.length === 1 ? report.sources[0]?.name : `${report.sources.length} sources`;
  if (sources) parts.push(s.dim(sources));
  return parts.join(" · ");
}

/** The report's lock, when it is about this deploy (with several, each part carries the report's). */
export function lockOf(report: Report): LockSummary | null {
  const lock = report.lock;
  return lock && report.sources.some((source) => source.name === lock.source) ? lock : null;
}

/** `lock` and the state, then what to do, numbered. */
function lockBlock(lock: LockSummary, s: Style, width: number): string[] {
  const advice = lock.advice.flatMap((step, i) => wrap(step, width - 15).map((line, j) => (j === 0 ? `${i + 1}. ${line}` : `   ${line}`)));
  return block("lock", [...wrap(lock.summary, width - 12).map((line) => s.bold(clip(line))), ...advice.map(clip)], s);
}

function finding(f: Finding, s: Style, width: number, lead: boolean, verbose: boolean, memory?: Report["memory"], lock?: LockSummary | null): string[] {
  const out: string[] = [];
  const label = f.rootCause ? s.red(s.bold("✖ ROOT CAUSE")) : lead ? `${mark(f, s)} ${s.bold(f.severity.toUpperCase())}` : mark(f, s);
  // An inferred finding says so: no rule matched, the failing command named the category.
  out.push(`${label}  ${s.bold(f.title)}  ${s.dim(`[${f.category} · ${f.basis === "inferred" ? "inferred: no rule matched" : f.ruleId}]`)}`);
  const at = [where(f)];
  if (f.hosts.length > 1) at.push(`hosts ${f.hosts.join(", ")}`);
  else if (f.host) at.push(`host ${f.host}`);
  if (f.phase) at.push(`phase ${f.phase}`);
  if (f.step) at.push(`step ${f.step.number} "${f.step.name}"`);
  if (f.occurrences > 1) at.push(`${f.occurrences} matches`);
  out.push(`  ${s.dim("where")}     ${at.join(" · ")}`);
  // Is it new, or the same thing as last week: one line, from the runs before this one.
  if (memory && f.rootCause && memory.fingerprint === f.fingerprint) out.push(`  ${s.dim("history")}   ${s.bold(memory.summary)}`);
  if (f.url) out.push(`  ${s.dim("log")}       ${f.url}`);
  const lines = verbose ? f.evidenceLines : f.evidenceLines.slice(0, EVIDENCE_LINES);
  if (lines.length > 0) {
    out.push(`  ${s.dim("evidence")}`);
    // The key line leads, so the last line is not always the longest number.
    const pad = Math.max(...lines.map((e) => String(e.line).length));
    for (const e of lines) out.push(`    ${s.dim(`${String(e.line).padStart(pad)} │`)} ${s.yellow(clip(e.text))}`);
    if (lines.length < f.evidenceLines.length) out.push(`    ${s.dim(`… ${f.evidenceLines.length - lines.length} more (--verbose)`)}`);
  }
  // The config line a log finding points at (a config finding's own evidence already is it).
  if (f.configRef && f.configRef.file !== f.source) out.push(`  ${s.dim("config")}    ${s.dim(`${f.configRef.file}:${f.configRef.line} │`)} ${s.yellow(clip(f.configRef.text))}`);
  // The deploy lock: who holds it and whether that deploy is over; its advice is the fix, the
  // rule's own steps made true for this holder, run, Kamal and destination.
  if (lock) out.push(...block("lock", wrap(lock.summary, width - 12).map((line) => s.bold(clip(line))), s));
  out.push(...block("why", wrap(f.explanation, width - 12), s));
  const remediation = lock && lock.advice.length > 0 ? lock.advice : f.remediation;
  if (remediation.length > 0) {
    const steps = remediation.flatMap((step, i) => wrap(step, width - 15).map((line, j) => (j === 0 ? `${i + 1}. ${line}` : `   ${line}`)));
    out.push(...block("fix", steps, s));
  }
  if (f.docs.length > 0) out.push(...block("docs", f.docs, s));
  return out;
}

function block(label: string, lines: string[], s: Style): string[] {
  return lines.map((line, i) => `  ${i === 0 ? s.dim(label.padEnd(9)) : " ".repeat(9)} ${line}`);
}

function mark(f: Finding, s: Style): string {
  if (f.severity === "error") return s.red("✖");
  if (f.severity === "warning") return s.yellow("⚠");
  return s.cyan("ℹ");
}

function where(f: Finding): string {
  return f.endLine > f.line ? `${f.source}:${f.line}-${f.endLine}` : `${f.source}:${f.line}`;
}

function phases(report: Report, s: Style): string | null {
  const list = report.deploy.phases;
  if (list.length === 0) return null;
  const items = list.slice(-16).map((p) => {
    const time = p.seconds !== null ? ` ${p.seconds}s` : "";
    return p.status === "failed" ? s.red(s.bold(`${p.name}${time} ✖`)) : `${p.name}${s.dim(time)}`;
  });
  return `${s.dim("phases")}  ${items.join(s.dim(" → "))}`;
}

/** Text from a log (or read back from GitHub) with its control characters made visible: they must not drive the user's terminal. */
export function printable(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f\x9b]/g, "�").replace(/\t/g, "  ");
}

function clip(text: string): string {
  const safe = printable(text);
  return safe.length > LINE_TEXT ? `${safe.slice(0, LINE_TEXT - 1)}…` : safe;
}

/** Greedy word wrap; keeps words longer than the width whole. */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let current = "";
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (current.length === 0) current = word;
      else if (current.length + 1 + word.length > width) {
        lines.push(current);
        current = word;
      } else current += ` ${word}`;
    }
    lines.push(current);
  }
  while (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}
