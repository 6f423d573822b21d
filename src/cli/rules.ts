// `kamal-doctor rules list|show|test`: browse the catalogue (built-ins plus --rules DIR) and try
// one rule file: its examples through the analysis (as the catalogue test runs them) and, against
// a log, which lines match, with their captures, and whether the rule fires.

import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { CATEGORIES, checkExamples, diagnose, LineParser, LineSplitter, Normalizer, ruleFinding } from "../core/index.js";
import { compileRules, execPattern, type CompiledRule } from "../rules/compile.js";
import { exampleLines } from "../rules/docs.js";
import type { Rule } from "../rules/schema.js";
import { readTemplate } from "../rules/template.js";
import { openPath } from "../sources/input.js";
import { VERSION } from "../version.js";
import { CliError, EXIT, type CliIO } from "./io.js";
import { loadRules, rulesOption } from "./report-options.js";


export function registerRules(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const rules = program.command("rules").description("list, show and test failure rules");

  rules
    .command("list")
    .description("list the rules (built-ins plus --rules directories)")
    .option("--category <category>", `only this category (${CATEGORIES.join(", ")})`)
    .addOption(rulesOption())
    .action(async (options: { category?: string; rules: string[] }) => {
      if (options.category !== undefined && !(CATEGORIES as readonly string[]).includes(options.category)) {
        throw new CliError(`unknown category '${options.category}' (one of: ${CATEGORIES.join(", ")})`, EXIT.USAGE);
      }
      const selected = (await loadRules(options.rules))
        .map((compiled) => compiled.rule)
        .filter((rule) => options.category === undefined || rule.category === options.category)
        .sort((a, b) => CATEGORIES.indexOf(a.category) - CATEGORIES.indexOf(b.category) || a.id.localeCompare(b.id));
      const width = Math.max(2, ...selected.map((rule) => rule.id.length));
      for (const rule of selected) io.stdout.write(`${rule.id.padEnd(width)}  ${rule.category.padEnd(18)}  ${rule.severity.padEnd(7)}  ${readTemplate(rule.title)}\n`);
      io.stdout.write(`${selected.length} rule${selected.length === 1 ? "" : "s"}\n`);
      setExit(EXIT.OK);
    });

  rules
    .command("show")
    .description("show one rule: patterns, explanation, fix, examples")
    .argument("<id>", "rule id")
    .addOption(rulesOption())
    .action(async (id: string, options: { rules: string[] }) => {
      const rule = (await loadRules(options.rules)).find((compiled) => compiled.rule.id === id)?.rule;
      if (!rule) throw new CliError(`no rule with id '${id}' (see: kamal-doctor rules list)`, EXIT.USAGE);
      io.stdout.write(describeRule(rule));
      setExit(EXIT.OK);
    });

  rules
    .command("test")
    .description("check a rule file: its examples through the analysis, and with a log, which lines match and whether it fires (exit 0 when its examples hold and it fires)")
    .argument("<rule>", "a rule YAML file")
    .argument("[log]", "a log file (.log, .txt, .gz or a run-logs .zip)")
    .action(async (ruleFile: string, logFile: string | undefined) => {
      const rule = await readRuleFile(resolve(io.cwd, ruleFile), ruleFile);
      const [compiled] = compileRules([rule]) as [CompiledRule];
      // The same check as the built-in catalogue's: each example read as a log, this rule alone.
      const checks = checkExamples(compiled, VERSION);
      io.stdout.write("examples, through the analysis:\n");
      for (const check of checks) {
        const [first = "", ...more] = check.example.split("\n");
        const what = check.expect === "match" ? (check.ok ? "fires on" : "does not fire on") : check.ok ? "does not fire on" : "fires on";
        io.stdout.write(`  ${check.ok ? "ok  " : "FAIL"} ${what}: ${first.trim()}${more.length > 0 ? ` (+${more.length} line${more.length === 1 ? "" : "s"})` : ""}\n`);
      }
      const failed = checks.filter((check) => !check.ok).length;
      const examplesHold = failed === 0;
      if (!examplesHold) io.stdout.write(`${failed} example${failed === 1 ? " does" : "s do"} not hold: a match example must produce the rule's finding, a noMatch example must not (a rule scoped to a command or near another line needs that line in the example)\n`);
      if (logFile === undefined) {
        setExit(examplesHold ? EXIT.OK : EXIT.FAILURE);
        return;
      }
      io.stdout.write("\n");
      const fires = await testOnLog(compiled, logFile);
      setExit(examplesHold && fires ? EXIT.OK : EXIT.FAILURE);
    });

  /** The rule against a log: the lines its patterns match, then whether the whole analysis produces its finding. */
  async function testOnLog(compiled: CompiledRule, logFile: string): Promise<boolean> {
    const rule = compiled.rule;
    const sources = await openPath(resolve(io.cwd, logFile), logFile);
    let matched = 0;
    for (const source of sources) {
      const normalizer = new Normalizer();
      const parser = new LineParser(source.name);
      const splitter = new LineSplitter((raw) => {
        const parsed = parser.parse(normalizer.normalize(raw));
        if (compiled.kinds !== null && !compiled.kinds.has(parsed.kind)) return;
        const lowered = compiled.ignoreCase ? parsed.text.toLowerCase() : null;
        for (const pattern of compiled.patterns) {
          const match = execPattern(pattern, parsed.text, lowered);
          if (match === null) continue;
          matched++;
          io.stdout.write(`${displayName(source.name, io.cwd)}:${parsed.line} [${parsed.kind}] ${parsed.text}\n`);
          const captures = Object.entries(match.groups ?? {}).filter(([, value]) => value !== undefined);
          if (captures.length > 0) io.stdout.write(`    captures: ${captures.map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(" ")}\n`);
          break;
        }
      });
      for await (const chunk of source.text) splitter.push(chunk);
      splitter.end();
    }
    // The whole engine decides whether the rule fires (context.near, kinds, same command/host).
    const reopened = await openPath(resolve(io.cwd, logFile), logFile);
    const report = await diagnose(
      reopened.map((source) => ({ name: source.name, text: source.text })),
      { rules: [compiled], toolVersion: VERSION },
    );
    const finding = ruleFinding(report, rule.id);
    if (finding) {
      io.stdout.write(`\n${rule.id} fires: ${finding.title}\n  at ${displayName(finding.source, io.cwd)}:${finding.line}${finding.occurrences > 1 ? ` (${finding.occurrences} times)` : ""}\n`);
    } else {
      io.stdout.write(`\n${rule.id} does not fire${matched > 0 ? " (lines match, but its context conditions do not hold)" : ": no line matches"}\n`);
    }
    return finding !== null;
  }
}

function describeRule(rule: Rule): string {
  // As a reader sees the rule before any log: fallbacks in place of captures (see template.ts).
  const lines = [`${rule.id} — ${readTemplate(rule.title)}`];
  if (readTemplate(rule.title) !== rule.title) lines.push(`title template: ${rule.title}`);
  lines.push(`category: ${rule.category} · severity: ${rule.severity}${rule.phase ? ` · phase: ${rule.phase}` : ""}`);
  if (rule.explains?.length) lines.push(`explains: ${rule.explains.join(", ")}`);
  lines.push("", readTemplate(rule.explanation.trim().replace(/\s+/g, " ")), "", "matches any of:");
  for (const pattern of rule.match.any) lines.push(`  ${pattern}`);
  if (rule.context?.near) lines.push(`  …with a line matching ${rule.context.near} within ${rule.context.within ?? 30} lines`);
  if (rule.context?.kinds) lines.push(`  …on lines of kind ${rule.context.kinds.join(", ")}`);
  lines.push("", "fix:");
  for (const step of rule.remediation) lines.push(`  - ${readTemplate(typeof step === "string" ? step : `(Kamal ${step.kamal.join(", ")}) ${step.text}`)}`);
  lines.push("", "examples that match:", ...exampleLines(rule.examples.match, "  "), "examples that do not:", ...exampleLines(rule.examples.noMatch, "  "));
  if (rule.docs?.length) lines.push("", `docs: ${rule.docs.join(" ")}`);
  return `${lines.join("\n")}\n`;
}

async function readRuleFile(absolute: string, shown: string): Promise<Rule> {
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch {
    throw new CliError(`${shown}: cannot read the rule file`, EXIT.USAGE);
  }
  const { parseRule } = await import("../rules/load.js");
  return parseRule(shown, text);
}

function resolve(cwd: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(cwd, file);
}

function displayName(name: string, cwd: string): string {
  return name.startsWith(`${cwd}/`) ? name.slice(cwd.length + 1) : name;
}
