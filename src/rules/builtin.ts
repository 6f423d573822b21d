// The built-in catalogue: dist/rules.json in the built CLI (validated when it was built), the
// YAML files under rules/ when running from source (tests, scripts).

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
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
