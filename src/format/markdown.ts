// `--format markdown`: the GitHub-flavoured report used for the job summary, check runs and PR
// comments. Root cause first — title, where (linked to the log line when the source came from
// GitHub), evidence in a code fence no log line can close, why, fix, docs — then the other
// findings and the unexplained error lines folded in <details>, and a mermaid gantt of the deploy
// phases with the failed one marked. Text from the log never reaches the page as HTML or as a
// mention; a size budget (GitHub's limits differ per surface) drops whole sections, never half a
// fence.

import { deployReports, type Finding, type LockSummary, type PhaseSummary, type Report } from "../core/index.js";

export interface MarkdownOptions {
  verbose?: boolean;
  /** The most the report may take, in `measure` units; sections that do not fit are left out. */
  maxLength?: number;
  /** Count UTF-16 characters (API bodies) or UTF-8 bytes (files such as the step summary). */
  measure?: "chars" | "bytes";
}

const EVIDENCE_LINES = 12;
const LINE_TEXT = 500;
const TEXT = 4000;
const TITLE = 300;
const UNMATCHED_LINES = 20;

/**
 * Several deploys (one per source): a line of totals, then one section per failed deploy (each
 * with its own header, root cause and phases, sharing the size budget), and a line per other one.
 */
export function formatMarkdown(report: Report, options: MarkdownOptions = {}): string {
  const parts = deployReports(report);
  if (parts.length === 1) return formatDeploy(report, options, true);
  const size = options.measure === "bytes" ? (text: string) => Buffer.byteLength(text, "utf8") : (text: string) => text.length;
  const failed = parts.filter((part) => part.outcome === "failed");
  const detailed = failed.length > 0 ? failed : parts;
  const others = parts.filter((part) => !detailed.includes(part)).map((part) => `- ${code(part.sources[0]?.job?.name ?? part.sources[0]?.name ?? "")}: ${outcomeWords(part)}`);
  const by = (outcome: string) => report.deploys.filter((d) => d.outcome === outcome).length;
  const said = [
    [by("failed"), "failed"],
    [by("succeeded"), "succeeded"],
    [by("unknown"), "outcome unknown"],
  ].filter(([n]) => (n as number) > 0).map(([n, what]) => `${n} ${what}`);
  const icon = report.outcome === "failed" ? "❌" : report.outcome === "succeeded" ? "✅" : "❔";
  const top = `## ${icon} kamal-doctor: ${parts.length} deploys — ${said.join(", ")}\n`;
  const rest = others.length > 0 ? `${others.join("\n")}\n` : "";
  const footer = `<sub>kamal-doctor ${report.tool.version}</sub>\n`;
  const budget = options.maxLength ?? Number.POSITIVE_INFINITY;
  const share = (budget - size(top) - size(rest) - size(footer) - 50) / detailed.length;
  const sections = detailed.map((part) => formatDeploy(part, { ...options, maxLength: share }, false).replace(/^## /, "### "));
  return [top, ...sections, ...(rest ? [rest] : []), footer].join("\n");
}

function outcomeWords(report: Report): string {
  const command = report.deploy.command ? `kamal ${report.deploy.command}` : "kamal";
  return report.outcome === "failed" ? `\`${command}\` failed` : report.outcome === "succeeded" ? `\`${command}\` succeeded` : "outcome unknown";
}

function formatDeploy(report: Report, options: MarkdownOptions, withFooter: boolean): string {
  const size = options.measure === "bytes" ? (text: string) => Buffer.byteLength(text, "utf8") : (text: string) => text.length;
  const budget = options.maxLength ?? Number.POSITIVE_INFINITY;
  const verbose = options.verbose === true;
  const [first, ...rest] = report.findings;

  const head: string[] = [header(report)];
  // The deploy lock goes on the root cause; without one (a cancelled run, a log that stops while
  // it waits for the lock) it leads on its own.
  const lock = lockOf(report);
  if (!first) head.push(noFinding(report));
  if (lock && !first?.rootCause) head.push(`${lockBlock(lock)}\n`);
  if (first) head.push(findingBlock(first, 4, verbose, report.memory, first.rootCause ? lock : null));
  const footer = withFooter ? `<sub>kamal-doctor ${report.tool.version}</sub>\n` : "";

  // Sections are whole or absent: the unexplained lines and the gantt first (small and telling),
  // then as many of the other findings as the budget leaves room for.
  let room = budget - size(head.join("\n")) - size(footer) - 200;
  const dropped: string[] = [];
  const fit = (section: string | null, label: string): string | null => {
    if (section === null) return null;
    if (size(section) + 1 > room) {
      dropped.push(label);
      return null;
    }
    room -= size(section) + 1;
    return section;
  };
  const unmatched = report.unmatched.length > 0 ? fit(unmatchedBlock(report, first !== undefined), "unexplained error lines") : null;
  const gantt = fit(ganttBlock(report.deploy.phases), "deploy phases");

  let others: string | null = null;
  if (rest.length > 0) {
    const open = `<details><summary>${first?.rootCause ? "Also found" : "Other findings"} (${rest.length})</summary>\n\n`;
    const close = "</details>\n";
    room -= size(open) + size(close) + 120;
    let body = "";
    let shown = 0;
    for (const f of rest) {
      const block = findingBlock(f, 4, verbose);
      if (size(block) + 1 > room) break;
      body += `${block}\n`;
      room -= size(block) + 1;
      shown++;
    }
    const hidden = rest.length - shown;
    if (hidden > 0) body += `_${hidden} more finding${hidden === 1 ? "" : "s"} not shown here: see the job log or \`kamal-doctor --format json\`._\n\n`;
    others = `${open}${body}${close}`;
  }

  const parts = [...head];
  for (const section of [others, unmatched, gantt]) if (section) parts.push(section);
  if (dropped.length > 0) parts.push(`_Left out to stay within GitHub's size limit: ${dropped.join(", ")}._\n`);
  if (footer) parts.push(footer);
  return parts.join("\n");
}

function header(report: Report): string {
  const d = report.deploy;
  const command = d.command ? `kamal ${d.command}` : "kamal";
  let title: string;
  if (report.outcome === "failed") title = `❌ kamal-doctor: \`${command}\` failed${d.failedPhase ? ` in ${d.failedPhase}` : ""}`;
  else if (report.outcome === "succeeded") title = `✅ kamal-doctor: \`${command}\` succeeded`;
  else title = `❔ kamal-doctor: outcome unknown`;
  const facts: string[] = [];
  if (d.kamalVersion) facts.push(`Kamal ${d.kamalVersion}`);
  if (d.hosts.length > 0) facts.push(d.hosts.length === 1 ? `host ${code(d.hosts[0] as string)}` : `${d.hosts.length} hosts (${d.hosts.slice(0, 6).map(code).join(", ")}${d.hosts.length > 6 ? ", …" : ""})`);
  if (d.seconds !== null) facts.push(`${d.seconds}s`);
  if (d.failedCommand) facts.push(`failed command ${code(clip(d.failedCommand.command, 200))}${d.failedCommand.exitCode !== null ? ` (exit ${d.failedCommand.exitCode})` : ""}`);
  const sources = report.sources.map((source) => code(source.job ? `${source.job.name}` : source.name));
  if (sources.length > 0) facts.push(sources.length <= 3 ? sources.join(", ") : `${sources.length} logs`);
  return `## ${title}\n\n${facts.join(" · ")}\n`;
}

function noFinding(report: Report): string {
  if (report.outcome === "failed" && report.sources.every((source) => source.lines === 0)) return "**It failed without printing anything:** nothing to diagnose.\n";
  if (report.outcome === "failed") return `**No rule recognised this failure.** ${report.unmatched.length > 0 ? "The lines that matter are below." : "No line of the output looks like an error."}\n`;
  if (report.outcome === "succeeded") return "No failure found: the deploy finished.\n";
  if (report.sources.every((source) => source.lines === 0)) return "The input was empty: nothing to diagnose.\n";
  return "No failure found.\n";
}

/** The report's lock, when it is about this deploy (with several, each part carries the report's). */
function lockOf(report: Report): LockSummary | null {
  const lock = report.lock;
  return lock && report.sources.some((source) => source.name === lock.source) ? lock : null;
}

/** **Deploy lock:** the state, then what to do. */
function lockBlock(lock: LockSummary): string {
  const steps = lock.advice.map((step) => `- ${text(clip(step, TEXT))}`);
  return [`**Deploy lock:** ${text(clip(lock.summary, TEXT))}`, "", ...steps].join("\n");
}

function findingBlock(f: Finding, level: number, verbose: boolean, memory?: Report["memory"], lock?: LockSummary | null): string {
  const out: string[] = [];
  const icon = f.severity === "error" ? "🔴" : f.severity === "warning" ? "🟡" : "🔵";
  const label = f.rootCause ? "Root cause: " : "";
  out.push(`${"#".repeat(level)} ${icon} ${label}${text(clip(f.title, TITLE))}`);
  out.push("");
  const at: string[] = [`${code(f.category)} · ${f.basis === "inferred" ? "inferred (no rule matched)" : code(f.ruleId)}`];
  const where = f.endLine > f.line ? `${f.source}:${f.line}-${f.endLine}` : `${f.source}:${f.line}`;
  at.push(f.url && /^https?:\/\//.test(f.url) ? `[${text(where)}](${f.url.replace(/[()\s]/g, encodeURIComponent)})` : code(where));
  if (f.hosts.length > 1) at.push(`hosts ${f.hosts.map(code).join(", ")}`);
  else if (f.host) at.push(`host ${code(f.host)}`);
  if (f.phase) at.push(`phase ${code(f.phase)}`);
  if (f.step) at.push(`step ${f.step.number} ${text(`“${clip(f.step.name, 100)}”`)}`);
  if (f.occurrences > 1) at.push(`${f.occurrences} matches`);
  out.push(at.join(" · "));
  out.push("");
  // Where it matters most: "not your change: failing since Nov 2", with the runs that show it.
  if (memory && f.rootCause && memory.fingerprint === f.fingerprint) {
    const runs = memory.runs.slice(0, 5).filter((r) => /^https?:\/\//.test(r.url)).map((r) => `[#${r.number}](${r.url.replace(/[()\s]/g, encodeURIComponent)})`);
    out.push(`**History:** ${text(memory.summary)}${runs.length > 0 ? ` (${runs.join(", ")})` : ""}`);
    out.push("");
  }
  const lines = verbose ? f.evidenceLines : f.evidenceLines.slice(0, EVIDENCE_LINES);
  if (lines.length > 0) {
    const pad = Math.max(...lines.map((e) => String(e.line).length));
    const body = lines.map((e) => `${String(e.line).padStart(pad)} │ ${clip(printable(e.text), LINE_TEXT)}`);
    if (lines.length < f.evidenceLines.length) body.push(`… ${f.evidenceLines.length - lines.length} more`);
    out.push(fence(body.join("\n"), "text"));
    out.push("");
  }
  // The config line a log finding points at (a config finding's own evidence already is it).
  if (f.configRef && f.configRef.file !== f.source) {
    out.push(`**Config:** ${code(`${f.configRef.file}:${f.configRef.line}`)} ${code(clip(printable(f.configRef.text), LINE_TEXT))}`);
    out.push("");
  }
  // The deploy lock: who holds it and whether that deploy is over; its advice is the fix (the
  // rule's own steps made true for this holder, run, Kamal and destination).
  if (lock) {
    out.push(`**Deploy lock:** ${text(clip(lock.summary, TEXT))}`);
    out.push("");
  }
  if (f.explanation) {
    out.push(`**Why:** ${text(clip(f.explanation, TEXT))}`);
    out.push("");
  }
  const remediation = lock && lock.advice.length > 0 ? lock.advice : f.remediation;
  if (remediation.length > 0) {
    out.push("**Fix:**");
    out.push("");
    remediation.forEach((step, i) => out.push(`${i + 1}. ${text(clip(step, TEXT)).replace(/\n/g, "\n   ")}`));
    out.push("");
  }
  const docs = f.docs.filter((url) => /^https?:\/\/\S+$/.test(url));
  if (docs.length > 0) {
    out.push(`**Docs:** ${docs.map((url) => `<${url.replace(/[<>]/g, "")}>`).join(" · ")}`);
    out.push("");
  }
  return `${out.join("\n")}\n`;
}

function unmatchedBlock(report: Report, hasFindings: boolean): string {
  const lines = report.unmatched.slice(0, UNMATCHED_LINES).map((u) => `${u.source}:${u.line}  ${clip(printable(u.text), LINE_TEXT)}`);
  const body = fence(lines.join("\n"), "text");
  if (!hasFindings) return `#### Key lines\n\n${body}\n`;
  return `<details><summary>Error lines no rule explains (${report.unmatched.length})</summary>\n\n${body}\n\n</details>\n`;
}

/** A mermaid gantt of the phases in order, durations in whole seconds, the failed phase `crit`. */
function ganttBlock(phases: readonly PhaseSummary[]): string | null {
  if (phases.length === 0) return null;
  const out = ["gantt", "  title Deploy phases", "  dateFormat HH:mm:ss", "  axisFormat %M:%S", "  section deploy"];
  phases.slice(-40).forEach((phase, i) => {
    const seconds = Math.max(1, Math.round(phase.seconds ?? 0));
    const tag = phase.status === "failed" ? "crit, " : phase.status === "ok" ? "done, " : "";
    const name = `${phase.name}${phase.seconds !== null ? ` ${phase.seconds}s` : ""}${phase.status === "failed" ? " ✖ failed" : ""}`;
    const start = i === 0 ? "00:00:00" : `after p${i - 1}`;
    out.push(`  ${name.replace(/[:;#]/g, " ")} :${tag}p${i}, ${start}, ${seconds}s`);
  });
  return `#### Deploy phases\n\n${fence(out.join("\n"), "mermaid")}\n`;
}

/** A fenced block whose fence is longer than any backtick run inside, so no line can close it. */
export function fence(body: string, info = ""): string {
  const longest = Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(Math.max(3, longest + 1));
  return `${ticks}${info}\n${body}\n${ticks}`;
}

/** An inline code span that holds any text: delimiters longer than any backtick run inside. */
export function code(value: string): string {
  const flat = value.replace(/[\r\n]+/g, " ");
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(longest + 1);
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : "";
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

/**
 * Prose that may carry values from the log (rule text is filled with captures): markdown stays,
 * HTML does not (outside code spans `<`, `>`, `&` become entities, so no `</details>` or `<img>`
 * gets through; inside them HTML is shown as it is anyway), and `@name` cannot mention anyone.
 */
export function text(value: string): string {
  const source = printable(value);
  let out = "";
  let last = 0;
  for (const span of source.matchAll(/(?<!`)(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g)) {
    out += escapeProse(source.slice(last, span.index)) + span[0];
    last = span.index + span[0].length;
  }
  return out + escapeProse(source.slice(last));
}

function escapeProse(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/@(?=[A-Za-z0-9])/g, "@&#8203;");
}

/** Control characters out (they would be invisible or break the page); tabs as spaces. */
function printable(value: string): string {
  return value.replace(/\t/g, "  ").replace(/[\x00-\x08\x0b-\x1f\x7f\x9b]/g, "�");
}

function clip(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
