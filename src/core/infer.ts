// An inferred diagnosis: when no rule explains a failure, the command that failed still says
// which step broke. The words for each kind of command are data (rules/inferred.json), said in
// the log's Kamal version like a rule's (rules/wording.ts).

import table from "../../rules/inferred.json" with { type: "json" };
import type { KamalVersion, RemediationStep, Rule } from "../rules/schema.js";
import { ruleWords, type RuleWords } from "../rules/wording.js";
import type { Category, CommandKind } from "../vocabulary.js";

export interface InferredEntry {
  command: CommandKind;
  /** The step as the `stopped` title names it ("building the image"). */
  doing: string;
  category: Category;
  title: string;
  explanation: string;
  remediation: RemediationStep[];
  docs?: string[];
}

interface StoppedWords {
  title: string;
  explanation: string;
  remediation: RemediationStep[];
}

const data = table as { entries: InferredEntry[]; stopped: StoppedWords };
export const INFERRED: readonly InferredEntry[] = data.entries;

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

/**
 * The words for a log that stops while a command of this kind is still running: the step it
 * was at, then what to do about that step if it is where the deploy failed.
 */
export function stoppedWords(entry: InferredEntry, version: KamalVersion | null): RuleWords {
  const stopped = data.stopped;
  const doing = (text: string) => text.split("{doing}").join(entry.doing);
  return ruleWords(
    {
      ...inferredRule(entry),
      id: `stopped-${entry.command}`,
      severity: "warning",
      title: doing(stopped.title),
      explanation: doing(stopped.explanation),
      remediation: [...stopped.remediation, ...entry.remediation],
    },
    version,
  );
}
