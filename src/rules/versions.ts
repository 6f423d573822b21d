// The Kamal major versions a rule speaks for, apart from the rule schema: what the analysis asks
// of every report (which rules fire on this log's version) needs no zod at run time.

import type { Rule } from "./schema.js";

export const KAMAL_VERSIONS = ["0.x", "1.x", "2.x"] as const;
export type KamalVersion = (typeof KAMAL_VERSIONS)[number];

/** The versions a rule can fire on. */
export function ruleVersions(rule: Pick<Rule, "kamal">): readonly KamalVersion[] {
  return rule.kamal ?? KAMAL_VERSIONS;
}
