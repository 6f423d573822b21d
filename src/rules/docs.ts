// Renders docs/rules.md from the catalogue: an index table, then one section per rule with its
// patterns, examples and fix. Pure (rules in, Markdown out) so the staleness test and the
// `docs:rules` script produce byte-identical output.

import { CATEGORIES } from "../vocabulary.js";
import type { RemediationStep, Rule } from "./schema.js";

const HEADER = `# Rule catalogue

<!-- Generated from rules/ by \`npm run docs:rules\`. Do not edit by hand: the test suite fails when this file is stale. -->

Every failure kamal-doctor recognises is one YAML file under \`rules/<category>/<id>.yml\`
(format: [rules-format.md](rules-format.md)). Placeholders such as \`{host}\` are filled from the
log; \`{name|text}\` shows \`text\` when the log did not provide \`name\`.
`;

export function renderRulesDoc(rules: readonly Rule[]): string {
  const sorted = [...rules].sort((a, b) => CATEGORIES.indexOf(a.category) - CATEGORIES.indexOf(b.category) || a.id.localeCompare(b.id));
  const out: string[] = [HEADER];
  out.push(`${sorted.length} rules in ${new Set(sorted.map((r) => r.category)).size} categories.\n`);
  out.push("| id | category | severity | title |", "| --- | --- | --- | --- |");
  for (const rule of sorted) out.push(`| [${rule.id}](#${rule.id}) | ${rule.category} | ${rule.severity} | ${cell(rule.title)} |`);
  out.push("");
  let category: string | null = null;
  for (const rule of sorted) {
    if (rule.category !== category) {
      category = rule.category;
      out.push(`## ${category}`, "");
    }
    out.push(...section(rule));
  }
  return `${out.join("\n").trimEnd()}\n`;
}

function section(rule: Rule): string[] {
  const lines = [`### ${rule.id}`, "", `**${rule.title}**`, ""];
  const facts = [`severity: ${rule.severity}`];
  if (rule.phase) facts.push(`phase: ${rule.phase}`);
  if (rule.explains?.length) facts.push(`explains: ${rule.explains.map((e) => `\`${e}\``).join(", ")}`);
  if (rule.failsDeploy) facts.push("fails the deploy even without an ERROR line");
  if (rule.retryable) facts.push("retryable: often transient, a re-run may pass");
  if (rule.fallback) facts.push("a catch-all: shown only when no more specific error or warning is");
  const { before = 0, after = 0 } = rule.evidence ?? {};
  if (before > 0 || after > 0) facts.push(`evidence: ${[before > 0 ? `${before} line${before === 1 ? "" : "s"} before` : "", after > 0 ? `${after} line${after === 1 ? "" : "s"} after` : ""].filter(Boolean).join(" and ")}`);
  lines.push(facts.join(" · "), "", rule.explanation.trim().replace(/\s+/g, " "), "", "Matches any of:", "");
  for (const pattern of rule.match.any) lines.push(`- ${code(pattern)}`);
  if (rule.context?.near) lines.push(`- …only with a line matching ${code(rule.context.near)} within ${rule.context.within ?? 30} lines`);
  if (rule.context?.kinds) lines.push(`- …only on lines of kind ${rule.context.kinds.join(", ")}`);
  if (rule.context?.commands) lines.push(`- …only on lines of commands of kind ${rule.context.commands.join(", ")}`);
  if (rule.context?.origins) lines.push(`- …only on lines of origin ${rule.context.origins.join(", ")}`);
  for (const entry of rule.recategorize ?? []) {
    lines.push(`- …category \`${entry.category}\` when the command is ${entry.when.commands.join(" or ")}${entry.title ? ` (“${entry.title}”)` : ""}${entry.remediation ? ", with its own fix:" : ""}`);
    for (const step of entry.remediation ?? []) lines.push(`  - ${remediation(step)}`);
  }
  lines.push("", "Fix:", "");
  for (const step of rule.remediation) lines.push(`- ${remediation(step)}`);
  lines.push("", "Example lines it matches:", "", "```text", ...exampleLines(rule.examples.match), "```", "", "And does not match:", "", "```text", ...exampleLines(rule.examples.noMatch), "```");
  if (rule.docs?.length) lines.push("", `Docs: ${rule.docs.map((url) => `<${url}>`).join(", ")}`);
  lines.push("");
  return lines;
}

/**
 * A rule's examples as lines: one a line, or, when an example is several lines (the failure with
 * its context line), a blank line between examples so each reads as the log it is.
 */
export function exampleLines(examples: readonly string[], indent = ""): string[] {
  const multi = examples.some((example) => example.includes("\n"));
  return examples.flatMap((example, index) => [...(multi && index > 0 ? [""] : []), ...example.split("\n").map((line) => `${indent}${line}`)]);
}

function remediation(step: RemediationStep): string {
  return typeof step === "string" ? step : `(Kamal ${step.kamal.join(", ")}) ${step.text}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

/** An inline code span; a pattern that contains backticks gets a longer fence (CommonMark). */
function code(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}
