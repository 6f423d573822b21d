// A rule proves itself through the analysis: each of its examples is read as a log (one line, or
// several when the rule needs a context line: the command it is scoped to, a `near` line) with
// only that rule loaded, and passes when the rule's finding is produced (match) or not (noMatch).
// The catalogue test and `kamal-doctor rules test` both ask here.

import type { CompiledRule } from "../rules/compile.js";
import { analyzeText } from "./analysis.js";
import type { Finding, Report } from "./report.js";

export interface ExampleCheck {
  /** The example as written (lines joined by newlines). */
  example: string;
  /** "match": the rule must fire on it; "noMatch": it must not. */
  expect: "match" | "noMatch";
  /** The rule's finding on the example, if it fired. */
  finding: Finding | null;
  ok: boolean;
}

/** The finding a rule produced in a report (not the first finding: an inferred one may lead). */
export function ruleFinding(report: Report, ruleId: string): Finding | null {
  return report.findings.find((finding) => finding.ruleId === ruleId) ?? null;
}

/** Runs every example of the rule through the analysis, alone (`toolVersion` as in a report). */
export function checkExamples(compiled: CompiledRule, toolVersion: string): ExampleCheck[] {
  const run = (example: string): Finding | null => ruleFinding(analyzeText("example", example, { rules: [compiled], toolVersion }), compiled.rule.id);
  const { match, noMatch } = compiled.rule.examples;
  return [
    ...match.map((example) => {
      const finding = run(example);
      return { example, expect: "match" as const, finding, ok: finding !== null };
    }),
    ...noMatch.map((example) => {
      const finding = run(example);
      return { example, expect: "noMatch" as const, finding, ok: finding === null };
    }),
  ];
}
