// The rule-file schema: the single source of truth for `rules/<category>/<id>.yml` and for the
// Rule type. Strict objects, so a typo in a key is an error, not a silently ignored field.
import { z } from "zod";
import { CATEGORIES, COMMAND_KINDS, LINE_KINDS, ORIGINS, PHASES, SEVERITIES } from "../vocabulary.js";
import { backtrackingRisk } from "./redos.js";
import { KAMAL_VERSIONS } from "./versions.js";

export { KAMAL_VERSIONS, ruleVersions, type KamalVersion } from "./versions.js";

const pattern = z
  .string()
  .min(1)
  .superRefine((source, ctx) => {
    try {
      new RegExp(source, "u");
    } catch (error) {
      // V8 says "Invalid regular expression: /SOURCE/u: Unterminated group": the source is in the field already.
      const reason = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, "");
      ctx.addIssue({ code: "custom", message: `not a valid regular expression: ${reason.charAt(0).toLowerCase()}${reason.slice(1)}` });
    }
  });

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
  id: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "expected a kebab-case id, such as proxy-target-unhealthy"),
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
      /** Only lines of commands of these kinds can match (see COMMAND_KINDS in docs/rules-format.md). */
      commands: z.array(z.enum(COMMAND_KINDS)).min(1).optional(),
      /** Only lines of these origins can match (kamal, build, container, proxy-log, backtrace, shell, text). */
      origins: z.array(z.enum(ORIGINS)).min(1).optional(),
    })
    .optional(),
  /** Another category (and title) when the matched lines, or the command that failed, are of a command kind. */
  recategorize: z
    .array(
      z.strictObject({
        when: z.strictObject({ commands: z.array(z.enum(COMMAND_KINDS)).min(1) }),
        category: z.enum(CATEGORIES),
        title: z.string().min(1).optional(),
        /** The steps in that context, in place of the rule's own. */
        remediation: z.array(remediationStep).min(1).optional(),
      }),
    )
    .min(1)
    .optional(),
  /** Rule ids (or `category:NAME`) this rule is the root cause of when both fire. */
  explains: z.array(z.string().min(1)).optional(),
  /** The matched line proves the command failed even if Kamal exited 0 without an ERROR line. */
  failsDeploy: z.boolean().optional(),
  /** The failure is often transient (a registry 5xx, DNS, an SSH timeout, a rate limit): a re-run may pass. */
  retryable: z.boolean().optional(),
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

/** What a missing key is for, said where it is missing. */
const REQUIRED_HINTS: Record<string, string> = {
  id: "a stable kebab-case id, never reused",
  title: "one line saying what went wrong",
  category: `one of: ${CATEGORIES.join(", ")}`,
  severity: `one of: ${SEVERITIES.join(", ")}`,
  match: "a rule needs match.any, the patterns that fire it",
  "match.any": "the patterns that fire the rule",
  explanation: "why it happens, in prose",
  remediation: "a list of steps that fix it",
  examples: "a rule needs examples.match and examples.noMatch, lines it must and must not match",
  "examples.match": "lines the rule must match",
  "examples.noMatch": "lines the rule must not match",
};

/**
 * One line for a rule file, in the words of the rule format: `path: field.path: problem`, the
 * file's problems joined by `; ` (`data` is what the file held, to name what was found).
 */
export function formatIssues(file: string, error: z.ZodError, data: unknown): string[] {
  const problems = error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return `${where}: ${describeIssue(issue, valueAt(data, issue.path))}`;
  });
  return [`${file}: ${problems.join("; ")}`];
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) value = value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

/** A YAML value's kind as a rule author would name it. */
function kindOf(value: unknown): string {
  if (value === null) return "nothing (null)";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "number") return `a number (${value})`;
  if (typeof value === "boolean") return `${value}`;
  return `a ${typeof value}`;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  array: "a list",
  object: "a mapping of keys",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
};

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  const key = issue.path.filter((part) => typeof part === "string").join(".");
  switch (issue.code) {
    case "invalid_type":
    case "invalid_value":
      if (value === undefined) {
        const hint = REQUIRED_HINTS[key];
        return hint ? `required (${hint})` : "required";
      }
      break;
  }
  switch (issue.code) {
    case "invalid_type": {
      if (issue.path.length === 0) return value === null ? "the file is empty: a rule is a mapping of id, title, category, match, …" : `expected a rule (a mapping of id, title, category, match, …), found ${kindOf(value)}`;
      const expected = EXPECTED[issue.expected] ?? issue.expected;
      const quote = issue.expected === "string" && (typeof value === "number" || typeof value === "boolean") ? "; quote it" : "";
      return `expected ${expected}, found ${kindOf(value)}${quote}`;
    }
    case "invalid_value":
      return `${JSON.stringify(value)} is not one of: ${issue.values.map(String).join(", ")}`;
    case "too_small":
      if (issue.origin === "string") return "must not be empty";
      if (issue.origin === "array") return `needs at least ${issue.minimum} ${Number(issue.minimum) === 1 ? "entry" : "entries"}`;
      return `must be ${issue.inclusive ? "at least" : "more than"} ${issue.minimum}`;
    case "too_big":
      return `must be at most ${issue.maximum}`;
    case "unrecognized_keys": {
      const allowed = keysAt(issue.path);
      const names = issue.keys.map((name) => {
        const near = allowed.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
        return near ? `${name} (did you mean ${near}?)` : name;
      });
      return `unknown key${names.length > 1 ? "s" : ""} ${names.join(", ")}${allowed.length > 0 ? `; ${issue.path.length > 0 ? issue.path.join(".") : "a rule"} takes ${allowed.join(", ")}` : ""}`;
    }
    case "invalid_format":
      return issue.format === "url" ? "expected a URL (https://…)" : issue.message;
    case "invalid_union":
      return "expected a string, or a mapping with kamal (a list of 0.x, 1.x, 2.x) and text";
    default:
      return issue.message;
  }
}

/** The keys the rule format allows at a path of nested mappings. */
function keysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType = ruleSchema;
  for (const part of path) {
    while (schema instanceof z.ZodOptional) schema = schema.unwrap();
    if (!(schema instanceof z.ZodObject) || typeof part !== "string") return [];
    const next = (schema.shape as Record<string, z.core.$ZodType | undefined>)[part];
    if (next === undefined) return [];
    schema = next;
  }
  while (schema instanceof z.ZodOptional) schema = schema.unwrap();
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}
