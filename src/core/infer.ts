// An inferred diagnosis: when no rule explains a failure, the command that failed still says
// which step broke. The words for each kind of command are data (rules/inferred.json), said in
// the log's Kamal version like a rule's (rules/wording.ts).

import table from "../../rules/inferred.json" with { type: "json" };
import type { KamalVersion, RemediationStep, Rule } from "../rules/schema.js";
import { ruleWords, type RuleWords } from "../rules/wording.js";
import type { Category, CommandKind } from "../vocabulary.js";

export interface InferredEntry {
  command: CommandKind;
  category: Category;
  title: string;
  explanation: string;
  remediation: RemediationStep[];
  docs?: string[];
}

export const INFERRED: readonly InferredEntry[] = (table as { entries: InferredEntry[] }).entries;

/** The inferred entry for a failing command kind (none for "other"). */
export function inferredFor(kind: CommandKind | null): InferredEntry | null {
  if (kind === null) return null;
  return INFERRED.find((entry) => entry.command === kind) ?? null;
}

/** The entry as a rule, so it is worded and versioned exactly as rules are. */
export function inferredRule(entry: InferredEntry): Rule {
  return {
    id: `inferred-${entry.command}`,
    title: entry.title,
    category: entry.category,
    severity: "error",
    match: { any: ["(?!)"] },
    explanation: entry.explanation,
    remediation: entry.remediation,
    ...(entry.docs ? { docs: entry.docs } : {}),
    examples: { match: [""], noMatch: [""] },
  };
}

export function inferredWords(entry: InferredEntry, version: KamalVersion | null): RuleWords {
  return ruleWords(inferredRule(entry), version);
}
