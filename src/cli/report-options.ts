// Options shared by every command that prints a report, and the code that turns them into
// rules and a rendered report.

import { Option, type Command } from "commander";
import type { Report } from "../core/index.js";
import { FORMATS, FORMAT_NAMES, type FormatName } from "../format/index.js";
import { makeStyle, wantsColour } from "../format/style.js";
import { loadRules } from "../rules/builtin.js";
import { guardForActions, reportsForOutput, writeStepSummary } from "./actions-output.js";
import { EXIT, type CliIO } from "./io.js";

/** The rules a command analyses with (rules/builtin.ts). */
export { loadRules };

export interface ReportOptions {
  format: FormatName;
  rules?: string[];
  color?: boolean;
  verbose?: boolean;
  /** `--no-redact`: false. */
  redact?: boolean;
  /** `--no-summary`: false. */
  summary?: boolean;
}

export function addReportOptions(command: Command): Command {
  return command
    .addOption(new Option("-f, --format <format>", "output format").choices(FORMAT_NAMES).default("pretty"))
    .addOption(rulesOption())
    .option("--no-color", "no colour (also NO_COLOR=1)")
    .option("--verbose", "show all evidence lines and every finding in full")
    .option("--no-redact", "keep secrets in the output (redacted by default inside GitHub Actions and for github/markdown output)")
    .option("--no-summary", "do not append the report to $GITHUB_STEP_SUMMARY");
}

export interface CacheOptions {
  /** `--no-cache`: false. */
  cache?: boolean;
}

/** `--no-cache`: the memory of earlier runs is neither read nor written (see docs/memory.md). */
export function addCacheOption(command: Command): Command {
  return command.option("--no-cache", "do not read or write the memory cache (~/.cache/kamal-doctor, or $XDG_CACHE_HOME, or $KAMAL_DOCTOR_CACHE_DIR)");
}

/** `--rules DIR`, repeatable; every command that loads rules takes it. */
export function rulesOption(): Option {
  return new Option("--rules <dir>", "extra rule files (repeatable; a user rule with a built-in's id replaces it)").argParser(
    (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
  );
}

/** Built-in rules plus `--rules` directories, compiled. Rule problems throw (exit 2, in main). */

/**
 * Prints a report the way a command does: redacted once (inside Actions and for the formats that
 * say so), appended to the job summary, then rendered to `io.stdout`.
 */
export function printReport(report: Report, options: ReportOptions, io: CliIO): void {
  const { printed, posted } = reportsForOutput(report, options, io.env);
  writeStepSummary(posted, options, io);
  io.stdout.write(render(printed, options, io));
}

/** The report (already redacted as it should be) as the text of its format, safe from the runner inside Actions. */
export function render(report: Report, options: ReportOptions, io: CliIO): string {
  const format = FORMATS[options.format];
  const colour = format.colour && wantsColour(options, io.env, io.stdout.isTTY === true);
  const text = format.render(report, { style: makeStyle(colour), verbose: options.verbose === true, width: io.stdout.columns ?? 100 });
  return guardForActions(text, options.format, io.env);
}

/** 1 when a failure was diagnosed, else 0. */
export function exitCodeFor(report: Report): number {
  return report.outcome === "failed" ? EXIT.FAILURE : EXIT.OK;
}
