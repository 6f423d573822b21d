// The zod schema of the report of the JSON contract (`--format json`, the library's result): the
// source of schema/report.schema.json (written by the build with z.toJSONSchema). The compiler
// holds it to the report's TypeScript types (src/core/report.ts) both ways, so neither can change
// alone; a test validates every fixture's JSON report against the generated JSON Schema.
// Loaded only at build time and by tests: a diagnosis never loads zod.
//
// To add a field: add it to the interface in src/core/report.ts and here, then `npm run build`.

import { z } from "zod";
import type { JsonReport } from "../format/json.js";
import { CATEGORIES, COMMAND_KINDS, LINE_KINDS, ORIGINS, PHASES, SEVERITIES } from "../vocabulary.js";

const int = () => z.number().int();
const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();

export const jobRefSchema = z.object({ id: int(), name: z.string(), url: z.string(), runId: int(), attempt: nullable(int()), repo: z.string() }).strict();
export const stepRefSchema = z.object({ number: int(), name: z.string() }).strict();

export const sourceSummarySchema = z
  .object({ name: z.string(), job: nullable(jobRefSchema), step: nullable(stepRefSchema).describe("The step the root cause (or else the first failure) of this source is in."), lines: int(), attachedTo: nullable(z.string()).describe("The deploy (its first source) this source is evidence for, or null: a deploy of its own.") })
  .strict();

export const phaseSummarySchema = z
  .object({
    name: z.enum(PHASES),
    status: z.enum(["ok", "failed", "unknown"]),
    startLine: int(),
    seconds: nullable(z.number()).describe("From timestamps when present, else the sum of command runtimes."),
  })
  .strict();

export const failedCommandSchema = z
  .object({
    id: nullable(z.string()),
    host: nullable(z.string()),
    command: z.string(),
    line: int(),
    source: z.string(),
    exitStatus: nullable(int()).describe("As printed (SSHKit prints local statuses ×256)."),
    exitCode: nullable(int()).describe("As the shell meant it."),
    kind: z.enum(COMMAND_KINDS).optional().describe("What the command is (image build, registry login, pull, …)."),
  })
  .strict();

export const deploySummarySchema = z
  .object({
    kamalVersion: nullable(z.string()),
    command: nullable(z.string()),
    hosts: z.array(z.string()),
    phases: z.array(phaseSummarySchema),
    failedPhase: nullable(z.enum(PHASES)),
    seconds: nullable(z.number()),
    failedCommand: nullable(failedCommandSchema),
  })
  .strict();

export const deployEntrySchema = deploySummarySchema
  .extend({
    source: z.string().describe("The source this deploy was read from."),
    attached: z.array(z.string()).describe("Sources read as evidence for this deploy (e.g. `kamal app logs` collected after it failed)."),
    outcome: z.enum(["failed", "succeeded", "unknown"]),
  })
  .strict();

export const findingSchema = z
  .object({
    ruleId: z.string(),
    basis: z.enum(["rule", "inferred"]).describe("A rule's finding, or one inferred from the failing command when no rule matched."),
    title: z.string(),
    category: z.enum(CATEGORIES),
    severity: z.enum(SEVERITIES),
    rootCause: z.boolean(),
    source: z.string(),
    line: int(),
    endLine: int(),
    host: nullable(z.string()),
    hosts: z.array(z.string()),
    phase: nullable(z.enum(PHASES)),
    origin: nullable(
      z
        .object({
          command: nullable(z.enum(COMMAND_KINDS)).describe("The kind of the command the line belongs to."),
          text: z.enum(ORIGINS).describe("What kind of text the line is."),
        })
        .strict(),
    ).describe("Where the key line (the first evidence line) came from; null when the finding is not about a log line."),
    evidence: z.array(z.string()).describe("The exact lines (ANSI and runner timestamps removed) that prove the finding."),
    captures: z.record(z.string(), z.string()),
    explanation: z.string(),
    remediation: z.array(z.string()),
    docs: z.array(z.string()),
    occurrences: int(),
    url: nullable(z.string()).describe("GitHub deep link to the first evidence line, when the source came from GitHub."),
    step: nullable(stepRefSchema),
    configRef: z.object({ file: z.string(), line: int(), key: z.string(), text: z.string() }).strict().optional().describe("The line of the Kamal config the finding points at."),
    fingerprint: z.string().optional().describe("What stays the same when the same failure happens again: `<rule id>:<12 hex digits>` (docs/memory.md)."),
    retryable: z.literal(true).optional().describe("The rule marks this failure as often transient: a re-run may pass."),
  })
  .strict();

export const configSummarySchema = z
  .object({
    file: z.string(),
    destination: nullable(z.string()),
    files: z.array(z.string()),
    secretsFiles: z.array(z.string()),
    pinnedKamal: nullable(z.string()),
    checkedFor: z.object({ version: nullable(z.string()), from: nullable(z.enum(["log", "Gemfile.lock"])) }).strict(),
    exposedPorts: z.array(int()),
  })
  .strict();

export const lockSummarySchema = z
  .object({
    state: z
      .enum(["held", "stale", "left-held", "unknown"])
      .describe("held: the run that took it is still running; stale: that run is over; left-held: this deploy took it and did not release it; unknown: held, and whether its deploy still runs is not known."),
    source: z.string().describe("The deploy it is about (the source it was read from)."),
    holder: nullable(
      z
        .object({
          name: nullable(z.string()),
          lockedAt: nullable(z.string()).describe("ISO 8601, as Kamal printed it."),
          version: nullable(z.string()).describe("The version (commit) being deployed when the lock was taken."),
          message: nullable(z.string()).describe("\"Automatic deploy lock\" for a lock a deploy took; else the message of `kamal lock acquire -m`."),
        })
        .strict(),
    ).describe("What Kamal printed of the holder (`Locked by:`, `Version:`, `Message:`); null when it printed none of it."),
    waited: z.boolean().describe("The deploy waited for the lock (Kamal 2.12 `--lock-wait`)."),
    destination: nullable(z.string()).describe("The destination the commands are for (`-d`), when known."),
    run: nullable(
      z
        .object({
          id: int(),
          url: z.string(),
          status: nullable(z.string()),
          conclusion: nullable(z.string()),
          headSha: z.string(),
          startedAt: nullable(z.string()),
          endedAt: nullable(z.string()).describe("About when it ended (a finished run's last change); null while it runs."),
          matchedBy: z.enum(["version", "time", "log"]).describe("version: its commit is the holder's version; time: only the time fits; log: the run whose log this is."),
        })
        .strict(),
    )
      .optional()
      .describe("The GitHub Actions run that took the lock, when GitHub was asked (run, annotate, diagnoseRun); null when no run fits."),
    summary: z.string().describe("One line for a person."),
    commands: z.object({ status: z.string(), release: z.string() }).strict().describe("The read-only check and the release, for this Kamal (`mrsk` on 0.x) and destination."),
    advice: z.array(z.string()).describe("What to do, one line each, true for the log's Kamal version."),
  })
  .strict();

export const unmatchedLineSchema = z.object({ source: z.string(), line: int(), text: z.string(), kind: z.enum(LINE_KINDS) }).strict();

export const countsSchema = z.object({ error: int(), warn: int(), info: int(), debug: int() }).strict();

/** The report's fields, for a schema that extends it (`reportSchema.extend({ … })`). */
export const reportShape = {
  schemaVersion: z.literal(1),
  tool: z.object({ name: z.literal("kamal-doctor"), version: z.string() }).strict(),
  outcome: z.enum(["failed", "succeeded", "unknown"]),
  sources: z.array(sourceSummarySchema),
  deploy: deploySummarySchema.describe("One deploy: the only one, or with several the first failed one (else the first)."),
  deploys: z.array(deployEntrySchema).describe("Every source read on its own is a deploy of its own, in read order."),
  findings: z.array(findingSchema).describe("Root cause first."),
  unmatched: z.array(unmatchedLineSchema).describe("Error lines no rule explains (at most 20, de-duplicated)."),
  counts: countsSchema,
  config: configSummarySchema.optional().describe("What was read of the Kamal config, when it was (never a secret's value)."),
  memory: z
    .object({
      fingerprint: z.string(),
      kind: z.enum(["new", "recurring", "transient", "stale-lock"]),
      summary: z.string().describe("One line for a person."),
      runs: z.array(z.object({ id: int(), number: int(), url: z.string(), sha: z.string(), createdAt: z.string() }).strict()).describe("The earlier runs that are the evidence."),
      looked: int().describe("How many earlier runs were looked at."),
    })
    .strict()
    .optional()
    .describe("The root cause judged against earlier runs of the same workflow (docs/memory.md), when they were looked at."),
  lock: lockSummarySchema.optional().describe("The deploy lock, when the deploy failed on it or left it held (docs/github.md, \"The deploy lock\")."),
};

export const reportSchema = z.object(reportShape).strict().meta({ title: "kamal-doctor report", description: "The output of `kamal-doctor --format json` (schemaVersion 1) and of the library's diagnose() and diagnoseRun()." });

// Compile-time: the schema and the TypeScript report types describe the same object, both ways.
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesTypes: Mutual<z.infer<typeof reportSchema>, JsonReport> = true;
void schemaMatchesTypes;

/** The JSON Schema (draft 2020-12) of the report, as schema/report.schema.json has it. */
export function reportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(reportSchema, { target: "draft-2020-12" });
}
