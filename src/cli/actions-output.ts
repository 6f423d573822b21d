// What every command does differently when its output goes to GitHub (inside Actions, or to a
// GitHub surface): redact the report first, append the markdown report to the job summary,
// and keep re-printed log lines from being executed by the runner as workflow commands. What
// each format needs is declared in its registry entry (format/index.ts), not decided here.

import type { Report } from "../core/index.js";
import { FORMATS, type FormatName, type RunnerGuard } from "../format/index.js";
import { formatMarkdown } from "../format/markdown.js";
import { defangJson, guardForRunner, wrapInStopCommands } from "../format/workflow-commands.js";
import { redactReport } from "../report/redact.js";
import { appendStepSummary, MIN_ROOM, stepSummaryRoom } from "../report/step-summary.js";
import type { CliIO } from "./io.js";

export interface GitHubOutputOptions {
  format?: FormatName;
  /** `--no-redact` sets false. */
  redact?: boolean;
  /** `--no-summary` sets false. */
  summary?: boolean;
  verbose?: boolean;
}

type Env = Record<string, string | undefined>;

export function inActions(env: Env): boolean {
  return env["GITHUB_ACTIONS"] === "true";
}

export interface ReportsForOutput {
  /** The report as it may be printed: redacted inside Actions and for the formats that say so, unless `--no-redact`. */
  printed: Report;
  /** The report as it may reach GitHub (the job summary, a check run, a comment): always redacted unless `--no-redact`. */
  posted: () => Report;
}

/** Redacts the report once (only when some output needs it), for both what is printed and what is posted. */
export function reportsForOutput(report: Report, options: GitHubOutputOptions, env: Env): ReportsForOutput {
  let redacted: Report | null = null;
  const posted = () => (options.redact === false ? report : (redacted ??= redactReport(report)));
  const redactPrinted = inActions(env) || (options.format !== undefined && FORMATS[options.format].redactOutsideActions);
  return { printed: redactPrinted ? posted() : report, posted };
}

/**
 * Stdout text made safe for the runner, as the format's `runnerGuard` says. Annotations
 * (`github`) are commands on purpose. The pretty report, which re-prints log lines, is always
 * wrapped in stop-commands with a fresh token (the runner does not show the markers). JSON is
 * defanged losslessly instead — it stays valid and parses to the same value, so `| jq` and
 * `> report.json` keep working — and markdown, usually redirected into a summary or comment
 * file, is wrapped only when a line would run.
 */
export function guardForActions(text: string, format: FormatName, env: Env): string {
  if (!inActions(env) || text === "") return text;
  const guard: RunnerGuard = FORMATS[format].runnerGuard;
  if (guard === "none") return text;
  if (guard === "defang-json") return defangJson(text);
  if (guard === "stop-commands") return wrapInStopCommands(text);
  return guardForRunner(text);
}

/**
 * Appends the markdown report to `$GITHUB_STEP_SUMMARY` when it is set (and `--no-summary` was
 * not given), fitted into the room the step has left under 1 MiB. `posted` gives the report as
 * it may reach GitHub (redacted unless `--no-redact`, see reportsForOutput). A summary that
 * cannot fit is skipped with one line on stderr.
 */
export function writeStepSummary(posted: () => Report, options: GitHubOutputOptions, io: CliIO): void {
  const path = io.env["GITHUB_STEP_SUMMARY"];
  if (!path || options.summary === false) return;
  const shown = posted();
  const room = stepSummaryRoom(path) - 1;
  const markdown = room >= MIN_ROOM ? formatMarkdown(shown, { verbose: options.verbose === true, maxLength: room, measure: "bytes" }) : null;
  let written: boolean;
  try {
    written = markdown !== null && appendStepSummary(path, markdown);
  } catch (error) {
    io.stderr.write(`kamal-doctor: could not write the job summary (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})\n`);
    return;
  }
  if (!written) io.stderr.write("kamal-doctor: the job summary of this step is full (1 MiB); the report was not added to it\n");
}
