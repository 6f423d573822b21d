// The built-in catalogue: dist/rules.json in the built CLI (validated when it was built), the
// YAML files under rules/ when running from source (tests, scripts). dist/literals.json holds
// the prefilter literals of its patterns, and dist/prefilter.bin their automaton, worked out at
// build time too.

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compileRules, type CompiledRule, type LiteralTable } from "./compile.js";
import { offerAutomaton } from "./prefilter.js";
import type { Rule } from "./schema.js";

/** Where the rule YAML lives in a source checkout. */
export const RULES_DIR = fileURLToPath(new URL("../../rules/", import.meta.url));

export async function builtinRules(): Promise<Rule[]> {
  const compiled = new URL("./rules.json", import.meta.url);
  if (existsSync(compiled)) return JSON.parse(readFileSync(compiled, "utf8")) as Rule[];
  // From source only: the YAML parser and schema load on demand.
  const { loadRuleDir } = await import("./load.js");
  return loadRuleDir(RULES_DIR);
}

/** The built catalogue's precomputed literal table; empty from source (compiling works them out). */
export function builtinLiterals(): LiteralTable {
  const file = new URL("./literals.json", import.meta.url);
  if (!existsSync(file)) return new Map();
  return new Map(Object.entries(JSON.parse(readFileSync(file, "utf8")) as Record<string, string[] | null>));
}

/**
 * Offers the built catalogue's prefilter automaton (dist/prefilter.bin, written by the build) to
 * the prefilter, which uses it when its literals are exactly the table's, and builds its own
 * otherwise (`--rules`, a source checkout).
 */
export function offerBuiltinAutomaton(): void {
  const file = new URL("./prefilter.bin", import.meta.url);
  if (!existsSync(file)) return;
  try {
    offerAutomaton(readFileSync(file));
  } catch {
    // Unreadable: the prefilter builds the automaton, as from source.
  }
}

/** The built-in catalogue, then each `--rules` folder merged over it, compiled: what every command analyses with. */
export async function loadRules(dirs: readonly string[] = []): Promise<CompiledRule[]> {
  let rules = await builtinRules();
  if (dirs.length > 0) {
    // YAML and the schema load only for --rules: the built-in catalogue comes precompiled.
    const { loadRuleDir, mergeRules } = await import("./load.js");
    for (const dir of dirs) rules = mergeRules(rules, await loadRuleDir(dir));
  }
  offerBuiltinAutomaton();
  return compileRules(rules, builtinLiterals());
}
