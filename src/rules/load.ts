// Loads rule files from disk: built-in rules come precompiled in dist/rules.json (validated at
// build time); YAML rule directories (`rules/`, `--rules DIR`) are parsed and validated here.

import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { RuleFileError } from "./errors.js";
import { formatIssues, ruleSchema, type Rule } from "./schema.js";

export { RuleFileError };

/** Every `*.yml` / `*.yaml` file under `dir`, sorted, recursively. */
export async function ruleFiles(dir: string): Promise<string[]> {
  const info = await stat(dir).catch(() => null);
  if (!info) throw new RuleFileError([`${dir}: no such directory`]);
  if (!info.isDirectory()) return [dir];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** Parses and validates one rule file; throws RuleFileError with one `path: field: problem; …` line. */
export function parseRule(file: string, text: string): Rule {
  let data: unknown;
  try {
    data = parseYaml(text, { prettyErrors: false });
  } catch (error) {
    const message = (error as Error).message.split("\n")[0] ?? "invalid YAML";
    throw new RuleFileError([`${file}: (yaml): ${message}`]);
  }
  const result = ruleSchema.safeParse(data);
  if (!result.success) throw new RuleFileError(formatIssues(file, result.error, data));
  return result.data;
}

/** Loads every rule under `dir`. All problems of all files are collected before throwing. */
export async function loadRuleDir(dir: string): Promise<Rule[]> {
  const files = await ruleFiles(dir);
  const rules: Rule[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    try {
      const rule = parseRule(file, await readFile(file, "utf8"));
      const earlier = seen.get(rule.id);
      if (earlier) problems.push(`${file}: id: duplicate id '${rule.id}' (also in ${earlier})`);
      seen.set(rule.id, file);
      rules.push(rule);
    } catch (error) {
      if (error instanceof RuleFileError) problems.push(...error.problems);
      else problems.push(`${file}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new RuleFileError(problems);
  return rules;
}

/** User rules on top of built-ins: a user rule with a built-in's id replaces it. */
export function mergeRules(builtIn: readonly Rule[], user: readonly Rule[]): Rule[] {
  const byId = new Map(builtIn.map((rule) => [rule.id, rule] as const));
  for (const rule of user) byId.set(rule.id, rule);
  return [...byId.values()];
}
