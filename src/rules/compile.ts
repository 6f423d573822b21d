// Compiles validated rules once: regexes built, and for every pattern a literal that any
// matching line must contain, so most lines are rejected by `includes` before a regex runs.

import type { LineKind } from "../core/vocabulary.js";
import type { Rule } from "./schema.js";

export interface CompiledPattern {
  regex: RegExp;
  /** A substring every match contains (lower-cased when the rule ignores case), or null. */
  literal: string | null;
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
  const literal = requiredLiteral(source);
  return { regex, literal: literal && ignoreCase ? literal.toLowerCase() : literal };
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

/** Tests one pattern against a line, using its literal as a cheap prefilter. */
export function execPattern(pattern: CompiledPattern, text: string, lowered: string | null): RegExpExecArray | null {
  if (pattern.literal !== null && !(lowered ?? text).includes(pattern.literal)) return null;
  return pattern.regex.exec(text);
}

/**
 * The longest run of literal characters that every match of `source` must contain. Conservative:
 * it only reads top-level text (outside groups, classes and alternations); a pattern with a
 * top-level `|` has no required literal.
 */
export function requiredLiteral(source: string): string | null {
  let best = "";
  let current = "";
  let depth = 0;
  const flush = () => {
    if (current.length > best.length) best = current;
    current = "";
  };
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] as string;
    if (ch === "\\") {
      const next = source[i + 1];
      i++;
      if (next === undefined) break;
      if (depth === 0 && /[\\.^$|?*+()[\]{}/\-:'"`@#%&=<>!,;~ ]/.test(next)) {
        current += next;
        // A quantifier after this escaped char would make it optional.
        if (/[?*{]/.test(source[i + 1] ?? "")) current = current.slice(0, -1);
      } else {
        flush();
      }
      continue;
    }
    if (ch === "(") {
      flush();
      depth++;
      continue;
    }
    if (ch === ")") {
      depth = Math.max(0, depth - 1);
      // A quantifier on a group does not touch the literal outside it.
      continue;
    }
    if (ch === "[") {
      flush();
      // Skip the class.
      i++;
      if (source[i] === "^") i++;
      if (source[i] === "]") i++;
      while (i < source.length && source[i] !== "]") {
        if (source[i] === "\\") i++;
        i++;
      }
      if (depth === 0 && /[?*{]/.test(source[i + 1] ?? "")) flush();
      continue;
    }
    if (depth > 0) continue;
    if (ch === "|") return null;
    if (ch === "?" || ch === "*" || ch === "{") {
      // The previous char is optional.
      current = current.slice(0, -1);
      flush();
      if (ch === "{") while (i < source.length && source[i] !== "}") i++;
      continue;
    }
    if (ch === "+") {
      flush();
      continue;
    }
    if (ch === "." || ch === "^" || ch === "$") {
      flush();
      continue;
    }
    current += ch;
  }
  flush();
  return best.length >= 3 ? best : null;
}
