// The rule-file schema: the single source of truth for `rules/<category>/<id>.yml` and for the
// Rule type. Strict objects, so a typo in a key is an error, not a silently ignored field.
import { z } from "zod";
import { CATEGORIES, LINE_KINDS, PHASES, SEVERITIES } from "../core/vocabulary.js";
import { backtrackingRisk } from "./redos.js";

const pattern = z
  .string()
  .min(1)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source, "u");
    } catch (error) {
      ctx.addIssue({ code: "custom", message: `invalid regular expression: ${(error as Error).message}` });
    }
  });

export const KAMAL_VERSIONS = ["0.x", "1.x", "2.x"] as const;
export type KamalVersion = (typeof KAMAL_VERSIONS)[number];
const kamalVersions = z.enum(KAMAL_VERSIONS).array().min(1);

/** A remediation step: plain text, or text that only applies to some Kamal major versions. */
const remediationStep = z.union([
  z.string().min(1),
  z.strictObject({
    kamal: kamalVersions,
    text: z.string().min(1),
  }),
]);

/** The rule's words on some Kamal major versions, in place of its own title, explanation or docs. */
const variant = z.strictObject({
  kamal: kamalVersions,
  title: z.string().min(1).optional(),
  explanation: z.string().min(1).optional(),
  docs: z.array(z.url()).optional(),
});

export const ruleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "expected a kebab-case id"),
  title: z.string().min(1),
  category: z.enum(CATEGORIES),
  severity: z.enum(SEVERITIES),
  phase: z.enum(PHASES).optional(),
  /** The Kamal major versions the rule can fire on (default: all); a log of another version never fires it. */
  kamal: kamalVersions.optional(),
  match: z.strictObject({
    /** A line matching any of these patterns fires the rule. Named groups become captures. */
    any: z.array(pattern).min(1),
    ignoreCase: z.boolean().optional(),
  }),
  context: z
    .strictObject({
      /** Only lines of these kinds can match (see LINE_KINDS). */
      kinds: z.array(z.enum(LINE_KINDS)).min(1).optional(),
      /** Another line matching this pattern must be within `within` lines (before or after). */
      near: pattern.optional(),
      within: z.number().int().positive().max(1000).optional(),
      /** The `near` line must belong to the same SSHKit command id / the same host. */
      sameCommand: z.boolean().optional(),
      sameHost: z.boolean().optional(),
    })
    .optional(),
  /** Rule ids (or `category:NAME`) this rule is the root cause of when both fire. */
  explains: z.array(z.string().min(1)).optional(),
  /** The matched line proves the command failed even if Kamal exited 0 without an ERROR line. */
  failsDeploy: z.boolean().optional(),
  /** A catch-all: reported only when no other error or warning finding is. */
  fallback: z.boolean().optional(),
  /** Tie-breaker when ranking findings that do not explain each other (default 50). */
  priority: z.number().int().min(0).max(100).optional(),
  /** Surrounding lines to keep as evidence. */
  evidence: z
    .strictObject({ before: z.number().int().min(0).max(20).optional(), after: z.number().int().min(0).max(20).optional() })
    .optional(),
  explanation: z.string().min(1),
  remediation: z.array(remediationStep).min(1),
  docs: z.array(z.url()).optional(),
  /** Title, explanation or docs for some versions; the rule's own text holds for the others. */
  variants: z.array(variant).min(1).optional(),
  examples: z.strictObject({
    match: z.array(z.string()).min(1),
    noMatch: z.array(z.string()).min(1),
  }),
}).superRefine((rule, ctx) => {
  // A variant for a version the rule never fires on would be dead text.
  for (const [index, v] of (rule.variants ?? []).entries()) {
    const outside = v.kamal.filter((version) => rule.kamal !== undefined && !rule.kamal.includes(version));
    if (outside.length > 0) ctx.addIssue({ code: "custom", path: ["variants", index, "kamal"], message: `rule ${rule.id}: the rule does not fire on Kamal ${outside.join(", ")} (see \`kamal\`)` });
  }
  // Patterns that could backtrack catastrophically are refused, naming the rule (see redos.ts).
  const patterns: Array<[string, Array<string | number>]> = rule.match.any.map((source, index) => [source, ["match", "any", index]]);
  if (rule.context?.near) patterns.push([rule.context.near, ["context", "near"]]);
  for (const [source, path] of patterns) {
    const risk = backtrackingRisk(source, rule.match.ignoreCase === true);
    if (risk) ctx.addIssue({ code: "custom", path, message: `rule ${rule.id}: pattern refused, it could backtrack catastrophically at \`${risk.fragment}\` (${risk.reason})` });
  }
});

export type Rule = z.infer<typeof ruleSchema>;
export type RemediationStep = Rule["remediation"][number];

/** The versions a rule can fire on. */
export function ruleVersions(rule: Rule): readonly KamalVersion[] {
  return rule.kamal ?? KAMAL_VERSIONS;
}

/** One line per problem: `path: field.path: message`. */
export function formatIssues(file: string, error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return `${file}: ${where}: ${issue.message}`;
  });
}
