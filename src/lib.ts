// The library: `import { diagnose, diagnoseRun } from "kamal-doctor"`. The same pipeline as the
// CLI (sources → core → report), with results returned and failures thrown as typed errors —
// never printed, never a process exit. docs/api.md documents it; its examples run in a test.

import path from "node:path";
import type { Readable } from "node:stream";
import { withConfig } from "./cli/config.js";
import { tapSources } from "./sources/tap.js";
import { LogFactsCollector } from "./config/log-facts.js";
import { diagnose as diagnoseSources, lockDestination, withLock, type Report, type TextSource } from "./core/index.js";
import { FORMATS, FORMAT_NAMES, type FormatName } from "./format/index.js";
import { toJsonReport, type JsonReport } from "./format/json.js";
import { makeStyle } from "./format/style.js";
import { GitHubError, TargetError } from "./github/errors.js";
import type { GitHubClient, RunTarget, WorkflowRun } from "./github/index.js";
import { redactReport } from "./report/redact.js";
import { loadRules } from "./rules/builtin.js";
import { RuleCompileError } from "./rules/compile.js";
import { RuleFileError } from "./rules/errors.js";
import { InputError } from "./sources/errors.js";
import type { DecodedSource } from "./sources/decode.js";
import { openPath, openStream, readOrNote } from "./sources/input.js";
import { VERSION } from "./version.js";

export type * from "./core/report.js";
export { CATEGORIES, SEVERITIES, PHASES } from "./vocabulary.js";
export type { Category, Severity, Phase, LineKind } from "./vocabulary.js";
export type { JsonFinding, JsonReport } from "./format/json.js";
export type { FormatName } from "./format/index.js";
export type { GitHubErrorKind } from "./github/errors.js";
export { GitHubError, InputError, RuleCompileError, RuleFileError, TargetError, VERSION };

/** The formats `formatReport` renders: the CLI's `--format` values. */
export const FORMATS_AVAILABLE: readonly FormatName[] = FORMAT_NAMES;

/** What `diagnose` reads: the log's text, `{ path }` (one file or several), or a stream of bytes or text. */
export type DiagnoseInput = string | { text: string; name?: string } | { path: string | readonly string[] } | Readable | AsyncIterable<string | Uint8Array>;

export interface DiagnoseOptions {
  /** Directories of extra rule files (like `--rules`, in order; a rule with a built-in's id replaces it). */
  rules?: readonly string[];
  /** Redact secrets in every string of the report (default false, as `--format json` outside Actions). */
  redact?: boolean;
  /** Relative paths are resolved against this (default: the process's working directory). */
  cwd?: string;
  /**
   * The application's directory (the one holding config/deploy.yml): the report is checked
   * against its Kamal config as the CLI does (`report.config`, findings pointing at the line of
   * deploy.yml to change). Default: no config is read.
   */
  configDir?: string;
  /** The config file, relative to `configDir` (default: the log's own `-c`, else config/deploy.yml), as `-c`. */
  config?: string;
  /** The destination (default: the log's own `-d`), as `-d`. */
  destination?: string;
  /**
   * Called with one line for what could not be read in full (unreadable bytes, a gzip that breaks
   * off, one of several paths missing): the report covers the rest. Default: ignored.
   */
  onNote?: (message: string) => void;
}

/**
 * Diagnoses a deploy's output and returns the report of the JSON contract (`--format json`,
 * schema/report.schema.json). Throws InputError when nothing could be read, RuleFileError or
 * RuleCompileError for a bad rules directory.
 */
export async function diagnose(input: DiagnoseInput, options: DiagnoseOptions = {}): Promise<JsonReport> {
  const rules = await loadRules(options.rules ?? []);
  const note = options.onNote ?? (() => {});
  const inputs = await openInputs(input, options.cwd ?? process.cwd(), note);
  const unread = new Map<string, string>();
  const sources: TextSource[] = inputs.map((source) => ({ name: source.name, lineHosts: source.lineHosts ?? null, text: readOrNote(source, (name, message) => unread.set(name, message)) }));
  const facts = new LogFactsCollector();
  const report = await diagnoseSources(tapSources(sources, facts), { rules, toolVersion: VERSION });
  if (inputs.length > 0 && unread.size === inputs.length) throw new InputError([...unread.values()].join("; "));
  for (const message of unread.values()) note(message);
  for (const source of inputs) for (const line of source.problems.notes) note(line);
  const read = unread.size === 0 ? report : { ...report, sources: report.sources.filter((source) => !unread.has(source.name)) };
  const configured = options.configDir === undefined ? read : await withConfig(read, facts.facts(), configOptions(options), configIO(options, note));
  const checked = configured.lock ? withLock(configured, { destination: lockDestination(options.destination, configured, facts.facts().kamalCommand) }) : configured;
  return toJsonReport(options.redact === true ? redactReport(checked) : checked);
}

export interface DiagnoseRunOptions {
  /** A token with `actions: read` (a fine-grained or classic token, or the workflow's GITHUB_TOKEN). */
  token?: string | null;
  /** OWNER/NAME when the target is a bare run id (else GITHUB_REPOSITORY, else the `origin` remote of `cwd`). */
  repo?: string;
  attempt?: number;
  /** API base (GitHub Enterprise Server: https://HOST/api/v3); default from the URL, GITHUB_API_URL, or api.github.com. */
  apiUrl?: string;
  /** Only this job (id or name). */
  job?: string;
  /** Every finished job, not only the failed ones. */
  allJobs?: boolean;
  rules?: readonly string[];
  redact?: boolean;
  /** Where a bare run id's repository and API base are looked up (default: process.env). The token is never read from it. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** The destination the deploy lock's commands are for (default: the `-d` of the kamal command the log shows). */
  destination?: string;
  /** One line for a job log left out of the report, a job still running, a retry, a lock lookup GitHub refused. */
  onNote?: (message: string) => void;
}

/**
 * Fetches a GitHub Actions run's (or one job's) logs and diagnoses them: the failed jobs of the
 * latest attempt unless `job`, `allJobs` or `attempt` say otherwise. Returns the report of the
 * JSON contract, with job, step and deep links; a run with no job to diagnose gives a report
 * with no sources (outcome "unknown"). Throws TargetError (a target that cannot be worked out),
 * GitHubError (GitHub or the network; `kind` says which) and the rule errors of `diagnose`.
 */
export async function diagnoseRun(target: string | number, options: DiagnoseRunOptions = {}): Promise<JsonReport> {
  const rules = await loadRules(options.rules ?? []);
  const note = options.onNote ?? (() => {});
  const gh = await import("./github/index.js");
  const resolved = await gh.resolveTarget(String(target), {
    repo: options.repo ?? null,
    attempt: options.attempt ?? null,
    apiUrl: options.apiUrl ?? null,
    env: options.env ?? process.env,
    cwd: options.cwd ?? process.cwd(),
  });
  const token = options.token?.trim();
  const client = gh.createGitHubClient({
    token: token ? { token, source: "the `token` option" } : null,
    baseUrl: resolved.apiUrl,
    webUrl: resolved.webUrl,
    userAgent: `kamal-doctor/${VERSION}`,
    onRetry: note,
  });
  const facts = new LogFactsCollector();
  const tap = (sources: TextSource[]) => tapSources(sources, facts);
  const { report, logs, unreadable } = await gh.diagnoseRun(client, resolved, { rules, toolVersion: VERSION, job: options.job ?? null, allJobs: options.allJobs === true, tap });
  for (const log of unreadable) note(gh.describeUnreadable(log).replace(/^kamal-doctor: /, ""));
  for (const job of logs.unfinished) note(`skipped job "${job.name}" (${job.id}): still ${job.status.replace("_", " ")}`);
  const result = (report && (await runLock(gh, client, resolved, logs.run, report, lockDestination(options.destination, report, facts.facts().kamalCommand), note))) ?? (await diagnoseSources([], { rules, toolVersion: VERSION }));
  return toJsonReport(options.redact === true ? redactReport(result) : result);
}

/** A deploy-lock failure: the lock's commands for the destination, and the run that holds it (a GitHub error there is a note). */
async function runLock(
  gh: typeof import("./github/index.js"),
  client: GitHubClient,
  target: RunTarget,
  run: WorkflowRun,
  report: Report,
  destination: string | null,
  note: (message: string) => void,
): Promise<Report> {
  if (!report.lock) return report;
  const located = withLock(report, { destination });
  try {
    return await gh.doctorLock(client, target, run, located);
  } catch (error) {
    if (!(error instanceof gh.GitHubError)) throw error;
    note(`deploy lock: could not look for the run that holds it: ${error.message}`);
    return located;
  }
}

export interface FormatReportOptions {
  /** Redact secrets first (default: as the CLI outside Actions — github and markdown are redacted, the others not). */
  redact?: boolean;
  /** Every evidence line and every finding in full (`--verbose`). */
  verbose?: boolean;
  /** Line width for `pretty` (default 100). */
  width?: number;
}

/** A report (from `diagnose` or `diagnoseRun`) as the text of one of the CLI's formats, without colour. */
export function formatReport(report: JsonReport, format: FormatName, options: FormatReportOptions = {}): string {
  const entry = FORMATS[format] as (typeof FORMATS)[FormatName] | undefined;
  if (!entry) throw new InputError(`unknown format "${String(format)}" (one of ${FORMAT_NAMES.join(", ")})`);
  // The formats read `evidenceLines`; the JSON contract leaves them out, the evidence has the text.
  const full = {
    ...report,
    findings: report.findings.map((finding) => ({ ...finding, evidenceLines: finding.evidence.map((text, i) => ({ line: finding.line + i, text })) })),
  };
  const redact = options.redact ?? entry.redactOutsideActions;
  return entry.render(redact ? redactReport(full) : full, { style: makeStyle(false), verbose: options.verbose === true, width: options.width ?? 100 });
}

function configOptions(options: DiagnoseOptions): { config?: string; destination?: string } {
  return { ...(options.config !== undefined ? { config: options.config } : {}), ...(options.destination !== undefined ? { destination: options.destination } : {}) };
}

/** The config is read under `configDir`; a config that cannot be read is a note, the log is still diagnosed. */
function configIO(options: DiagnoseOptions, note: (message: string) => void): { cwd: string; stderr: { write(text: string): void } } {
  const cwd = path.resolve(options.cwd ?? process.cwd(), options.configDir as string);
  return { cwd, stderr: { write: (text) => note(text.replace(/^kamal-doctor: /, "").trimEnd()) } };
}

function isPathInput(input: DiagnoseInput): input is { path: string | readonly string[] } {
  return typeof input === "object" && input !== null && "path" in input;
}

function isTextInput(input: DiagnoseInput): input is { text: string; name?: string } {
  return typeof input === "object" && input !== null && "text" in input && typeof (input as { text: unknown }).text === "string";
}

async function openInputs(input: DiagnoseInput, cwd: string, note: (message: string) => void): Promise<DecodedSource[]> {
  if (typeof input === "string") return [textSource("text", input)];
  if (isTextInput(input)) return [textSource(input.name ?? "text", input.text)];
  if (isPathInput(input)) {
    const files = typeof input.path === "string" ? [input.path] : [...input.path];
    if (files.length === 0) throw new InputError("no input: the path list is empty");
    const opened: DecodedSource[] = [];
    const failed: string[] = [];
    for (const file of files) {
      try {
        opened.push(...(await openPath(path.resolve(cwd, file), file)));
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        failed.push(error.message);
      }
    }
    if (opened.length === 0) throw new InputError(failed.join("; "));
    for (const message of failed) note(message);
    return opened;
  }
  if (typeof input === "object" && input !== null && Symbol.asyncIterator in input) return [openStream("stream", input as Readable)];
  throw new InputError("diagnose: expected the log's text, { path }, or a stream");
}

function textSource(name: string, text: string): DecodedSource {
  return {
    name,
    // eslint-disable-next-line @typescript-eslint/require-await -- the whole text is already here: an async iterable of one chunk
    text: (async function* () {
      yield text;
    })(),
    problems: { notes: [], partial: false },
  };
}
