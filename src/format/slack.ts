// `--format slack`: the report as a Slack Block Kit message, JSON ready to POST to an incoming
// webhook (the tool never posts it). Root cause first — its title and where, the key lines, why,
// the fix, a button to the log line — then the other findings in one list. Log text is escaped
// for mrkdwn (`&`, `<`, `>`: no link, mention or `<!channel>` can come from a log) and every
// block stays within Slack's limits, so the webhook never rejects the message for its size.
import { deployReports, type Finding, type LockSummary, type Report } from "../core/index.js";
import { formatOneline } from "./oneline.js";

/** Slack's limits: text of a section, a header's plain text, blocks per message, a context's elements, a button's URL. */
export const SLACK_LIMITS = { sectionText: 3000, headerText: 150, blocks: 50, contextElements: 10, url: 3000, fallbackText: 4000 } as const;

const EVIDENCE_LINES = 8;
const LINE_TEXT = 300;
const OTHER_FINDINGS = 10;

type Text = { type: "mrkdwn" | "plain_text"; text: string; emoji?: boolean };
export type SlackBlock =
  | { type: "header"; text: Text }
  | { type: "section"; text: Text }
  | { type: "context"; elements: Text[] }
  | { type: "divider" }
  | { type: "actions"; elements: Array<{ type: "button"; text: Text; url: string }> };

export interface SlackMessage {
  /** The notification's and the fallback's text: the `oneline` format. */
  text: string;
  blocks: SlackBlock[];
}

export function formatSlack(report: Report): string {
  return `${JSON.stringify(slackMessage(report), null, 2)}\n`;
}

export function slackMessage(report: Report): SlackMessage {
  const blocks: SlackBlock[] = [{ type: "header", text: { type: "plain_text", text: fit(headerText(report), SLACK_LIMITS.headerText), emoji: true } }];
  const facts = factsOf(report);
  if (facts.length > 0) blocks.push(context(facts));
  const root = report.findings.find((finding) => finding.rootCause) ?? report.findings[0];
  // The deploy lock goes on the root cause; without one it leads on its own.
  const lock = report.lock ?? null;
  if (!root) blocks.push(section(noFindingText(report)));
  if (lock && !root?.rootCause) blocks.push(lockBlock(lock));
  if (root) blocks.push(...findingBlocks(root, root.rootCause ? lock : null));
  if (!root && report.unmatched.length > 0) {
    blocks.push(section(codeBlock(report.unmatched.slice(0, EVIDENCE_LINES).map((line) => `${line.source}:${line.line}  ${line.text}`), "*Key lines*\n")));
  }
  const others = report.findings.filter((finding) => finding !== root);
  if (others.length > 0) {
    blocks.push({ type: "divider" });
    blocks.push(section(othersText(others, root?.rootCause === true)));
  }
  blocks.push(context([`kamal-doctor ${escape(report.tool.version)}`]));
  return { text: fit(formatOneline(report).trimEnd(), SLACK_LIMITS.fallbackText), blocks: blocks.slice(0, SLACK_LIMITS.blocks) };
}

function headerText(report: Report): string {
  const parts = deployReports(report);
  const command = report.deploy.command ? `kamal ${report.deploy.command}` : "kamal";
  if (parts.length > 1) {
    const failed = report.deploys.filter((deploy) => deploy.outcome === "failed").length;
    return `${report.outcome === "failed" ? "❌" : "✅"} kamal-doctor: ${parts.length} deploys, ${failed} failed`;
  }
  if (report.outcome === "failed") return `❌ kamal-doctor: ${command} failed${report.deploy.failedPhase ? ` in ${report.deploy.failedPhase}` : ""}`;
  if (report.outcome === "succeeded") return `✅ kamal-doctor: ${command} succeeded`;
  return "❔ kamal-doctor: outcome unknown";
}

function factsOf(report: Report): string[] {
  const d = report.deploy;
  const facts: string[] = [];
  if (d.kamalVersion) facts.push(`Kamal ${escape(d.kamalVersion)}`);
  if (d.hosts.length > 0) facts.push(d.hosts.length === 1 ? `host ${inline(d.hosts[0] as string)}` : `${d.hosts.length} hosts`);
  if (d.seconds !== null) facts.push(`${d.seconds}s`);
  const sources = report.sources.map((source) => source.job?.name ?? source.name);
  if (sources.length > 0) facts.push(sources.length <= 3 ? sources.map((name) => inline(fitRaw(name, 100))).join(", ") : `${sources.length} logs`);
  return facts.slice(0, SLACK_LIMITS.contextElements - 1);
}

/** *Deploy lock:* the state, then what to do. */
function lockBlock(lock: LockSummary): SlackBlock {
  return section(listText(`*Deploy lock:* ${escape(fitRaw(lock.summary, 500))}`, lock.advice.map((step) => `• ${escape(step)}`)));
}

function findingBlocks(f: Finding, lock: LockSummary | null = null): SlackBlock[] {
  const blocks: SlackBlock[] = [];
  const where = f.endLine > f.line ? `${f.source}:${f.line}-${f.endLine}` : `${f.source}:${f.line}`;
  const at = [inline(f.category), f.basis === "inferred" ? "inferred (no rule matched)" : inline(f.ruleId), link(f.url, where)];
  if (f.hosts.length > 1) at.push(`${f.hosts.length} hosts`);
  else if (f.host) at.push(`host ${inline(f.host)}`);
  if (f.step) at.push(`step ${f.step.number} “${escape(fitRaw(f.step.name, 100))}”`);
  const label = f.rootCause ? "Root cause: " : "";
  blocks.push(section(`*${label}${escape(fitRaw(f.title, 300))}*\n${at.join(" · ")}`));
  if (f.evidence.length > 0) {
    const lines = f.evidence.slice(0, EVIDENCE_LINES);
    if (f.evidence.length > lines.length) lines.push(`… ${f.evidence.length - lines.length} more`);
    blocks.push(section(codeBlock(lines)));
  }
  if (lock) blocks.push(lockBlock(lock));
  if (f.explanation) blocks.push(section(`*Why:* ${escape(fitRaw(f.explanation, 2000))}`));
  if (f.remediation.length > 0) blocks.push(section(listText("*Fix:*", f.remediation.map((step, i) => `${i + 1}. ${escape(step)}`))));
  if (f.url && /^https?:\/\//.test(f.url) && f.url.length <= SLACK_LIMITS.url) {
    blocks.push({ type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Open the log line" }, url: f.url }] });
  }
  return blocks;
}

function noFindingText(report: Report): string {
  if (report.outcome === "failed") return report.unmatched.length > 0 ? "*No rule recognised this failure.* The lines that matter are below." : "*No rule recognised this failure.*";
  if (report.outcome === "succeeded") return "No failure found: the deploy finished.";
  return report.sources.every((source) => source.lines === 0) ? "The input was empty: nothing to diagnose." : "No failure found.";
}

function othersText(others: readonly Finding[], afterRootCause: boolean): string {
  const shown = others.slice(0, OTHER_FINDINGS).map((f) => `• ${escape(fitRaw(f.title, 200))} (${inline(f.category)}, ${link(f.url, `${f.source}:${f.line}`)})`);
  const hidden = others.length - Math.min(others.length, OTHER_FINDINGS);
  if (hidden > 0) shown.push(`_${hidden} more not shown_`);
  return listText(`*${afterRootCause ? "Also found" : "Other findings"} (${others.length})*`, shown);
}

/** A title then as many whole lines as fit one section; a line too long for what is left is cut. */
function listText(title: string, lines: readonly string[]): string {
  let text = title;
  for (const line of lines) {
    const room = SLACK_LIMITS.sectionText - text.length - 1;
    if (room < 20) break;
    text += `\n${line.length <= room ? line : cutEscaped(line, room)}`;
  }
  return text;
}

/** Lines of log text in a code block: escaped, backticks made harmless so none closes it, whole lines while they fit. */
function codeBlock(lines: readonly string[], before = ""): string {
  const open = `${before}\`\`\`\n`;
  const close = "\n```";
  const body: string[] = [];
  let size = open.length + close.length;
  for (const raw of lines) {
    const line = escape(fitRaw(printable(raw), LINE_TEXT).replace(/`/g, "ˋ"));
    if (size + line.length + 1 > SLACK_LIMITS.sectionText) break;
    body.push(line);
    size += line.length + 1;
  }
  return `${open}${body.join("\n")}${close}`;
}

function section(text: string): SlackBlock {
  return { type: "section", text: { type: "mrkdwn", text: text.length <= SLACK_LIMITS.sectionText ? text : cutEscaped(text, SLACK_LIMITS.sectionText) } };
}

function context(texts: readonly string[]): SlackBlock {
  return { type: "context", elements: texts.map((text) => ({ type: "mrkdwn", text })) };
}

/** A link to the log line when there is one (`<url|label>`), else the label as code. */
function link(url: string | null, label: string): string {
  if (!url || !/^https?:\/\/[^\s<>|]+$/.test(url)) return inline(label);
  return `<${url}|${escape(fitRaw(label, 200)).replace(/\|/g, "¦")}>`;
}

/** An inline code span: mrkdwn has no escape for a backtick inside one. */
function inline(value: string): string {
  return `\`${escape(printable(value).replace(/`/g, "ˋ"))}\``;
}

/** mrkdwn's three control characters, as Slack documents them. */
function escape(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function printable(value: string): string {
  return value.replace(/[\r\n]+/g, " ").replace(/\t/g, "  ").replace(/[\x00-\x08\x0b-\x1f\x7f\x9b]/g, "�");
}

function fitRaw(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

function fit(value: string, max: number): string {
  const flat = value.replace(/\s+/g, " ").trim();
  return fitRaw(flat, max);
}

/** Cut escaped text to `max` characters without splitting an entity (`&amp;`). */
function cutEscaped(value: string, max: number): string {
  let cut = value.slice(0, max - 1);
  const amp = cut.lastIndexOf("&");
  if (amp !== -1 && !cut.slice(amp).includes(";")) cut = cut.slice(0, amp);
  return `${cut}…`;
}
