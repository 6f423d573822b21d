// Compiles validated rules once: regexes built, and for every pattern the literals one of which
// any matching line must contain, so most lines are rejected before a regex runs (see
// prefilter.ts for the one-pass scan the engine uses).

import type { LineKind } from "../core/vocabulary.js";
import { requiredLiterals } from "./literals.js";
import type { Rule } from "./schema.js";

export interface CompiledPattern {
  regex: RegExp;
  /** Every match contains one of these (lower-cased when the rule ignores case); null: unknown. */
  literals: string[] | null;
}

export interface CompiledRule {
  rule: Rule;
  patterns: CompiledPattern[];
  ignoreCase: boolean;
  kinds: ReadonlySet<LineKind> | null;
  near: CompiledPattern | null;
  within: number;
}

export class RuleCompileError extends Error {}

export function compilePattern(source: string, ignoreCase: boolean): CompiledPattern {
  const regex = new RegExp(source, ignoreCase ? "iu" : "u");
  const literals = requiredLiterals(source);
  return { regex, literals: literals && ignoreCase ? literals.map((literal) => literal.toLowerCase()) : literals };
}

export function compileRules(rules: readonly Rule[]): CompiledRule[] {
  const seen = new Set<string>();
  return rules.map((rule) => {
    if (seen.has(rule.id)) throw new RuleCompileError(`duplicate rule id: ${rule.id}`);
    seen.add(rule.id);
    const ignoreCase = rule.match.ignoreCase === true;
    return {
      rule,
      patterns: rule.match.any.map((source) => compilePattern(source, ignoreCase)),
      ignoreCase,
      kinds: rule.context?.kinds ? new Set(rule.context.kinds) : null,
      near: rule.context?.near ? compilePattern(rule.context.near, ignoreCase) : null,
      within: rule.context?.within ?? 30,
    };
  });
}

/** Tests one pattern against a line, using its literals as a cheap prefilter. */
export function execPattern(pattern: CompiledPattern, text: string, lowered: string | null): RegExpExecArray | null {
  const literals = pattern.literals;
  if (literals !== null) {
    const haystack = lowered ?? text;
    let found = false;
    for (const literal of literals) {
      if (haystack.includes(literal)) {
        found = true;
        break;
      }
    }
    if (!found) return null;
  }
  return pattern.regex.exec(text);
}
