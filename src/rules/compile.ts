// Compiles validated rules once: regexes built, and for every pattern the literals one of which
// any matching line must contain, so most lines are rejected before a regex runs (see
// prefilter.ts for the one-pass scan the engine uses).

import type { CommandKind, LineKind, Origin } from "../vocabulary.js";
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
  /** `context.commands` / `context.origins`: the provenance a matching line must have (null: any). */
  commands: ReadonlySet<CommandKind> | null;
  origins: ReadonlySet<Origin> | null;
  near: CompiledPattern | null;
  within: number;
}

export class RuleCompileError extends Error {}

/**
 * Pattern source → its required literals, as `requiredLiterals` gives them. The build writes the
 * built-in catalogue's table to dist/literals.json: reading it is quicker at start-up than taking
 * 240 regexes apart (a few milliseconds in code that has not been optimised yet).
 */
export type LiteralTable = ReadonlyMap<string, string[] | null>;

/** The literal table of a rule set, for every pattern and `near` condition. */
export function literalTable(rules: readonly Rule[]): Map<string, string[] | null> {
  const table = new Map<string, string[] | null>();
  for (const rule of rules) {
    for (const source of [...rule.match.any, ...(rule.context?.near ? [rule.context.near] : [])]) {
      if (!table.has(source)) table.set(source, requiredLiterals(source));
    }
  }
  return table;
}

export function compilePattern(source: string, ignoreCase: boolean, known?: LiteralTable): CompiledPattern {
  const regex = new RegExp(source, ignoreCase ? "iu" : "u");
  const literals = known?.has(source) ? (known.get(source) as string[] | null) : requiredLiterals(source);
  return { regex, literals: literals && ignoreCase ? literals.map((literal) => literal.toLowerCase()) : literals };
}

/** Compiles rules; `known` supplies precomputed literals (patterns missing from it are analysed). */
export function compileRules(rules: readonly Rule[], known?: LiteralTable): CompiledRule[] {
  const seen = new Set<string>();
  return rules.map((rule) => {
    if (seen.has(rule.id)) throw new RuleCompileError(`duplicate rule id: ${rule.id}`);
    seen.add(rule.id);
    const ignoreCase = rule.match.ignoreCase === true;
    return {
      rule,
      patterns: rule.match.any.map((source) => compilePattern(source, ignoreCase, known)),
      ignoreCase,
      kinds: rule.context?.kinds ? new Set(rule.context.kinds) : null,
      commands: rule.context?.commands ? new Set(rule.context.commands) : null,
      origins: rule.context?.origins ? new Set(rule.context.origins) : null,
      near: rule.context?.near ? compilePattern(rule.context.near, ignoreCase, known) : null,
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
