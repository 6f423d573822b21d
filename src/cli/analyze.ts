// `kamal-doctor [analyze] [FILE...]`: diagnose local logs — files, '-' or piped stdin.

import path from "node:path";
import type { Command } from "commander";
import { analyzeSources, type AnalyzableSource } from "../analyze.js";
import { InputError, openPath, openStream, type SourceInput } from "../sources/input.js";
import { LogFactsCollector } from "../config/log-facts.js";
import { VERSION } from "../version.js";
import { addConfigOptions, tapSources, withConfig, type AnalyzeConfigOptions } from "./config.js";
import { CliError, EXIT, type CliIO } from "./io.js";
import { addReportOptions, exitCodeFor, loadRules, render, type ReportOptions } from "./report-options.js";

export function registerAnalyze(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const command = program
    .command("analyze", { isDefault: true })
    .description("diagnose Kamal deploy logs: files (.log, .txt, .gz, a run-logs .zip), '-' or piped stdin")
    .argument("[files...]", "log files; '-' reads stdin");
  addConfigOptions(addReportOptions(command)).action(async (files: string[], options: ReportOptions & AnalyzeConfigOptions) => {
    const rules = await loadRules(options.rules);
    if (files.length === 0) {
      if (io.stdin.isTTY) throw new CliError("no input: give a log file, or pipe a deploy into it (kamal deploy 2>&1 | kamal-doctor)", EXIT.USAGE);
      files = ["-"];
    }
    if (files.filter((file) => file === "-").length > 1) throw new CliError("'-' (stdin) can be given only once", EXIT.USAGE);
    const facts = new LogFactsCollector();
    const analysed = await analyzeSources(tapSources(sourcesOf(files, io), facts), { rules, toolVersion: VERSION });
    const report = await withConfig(analysed, facts.facts(), options, io);
    io.stdout.write(render(report, options, io));
    setExit(exitCodeFor(report));
  });
}

/** Opens the inputs one after the other, so a bad file fails before any output is written. */
async function* sourcesOf(files: string[], io: CliIO): AsyncGenerator<AnalyzableSource> {
  const opened: SourceInput[][] = [];
  for (const file of files) {
    try {
      opened.push(file === "-" ? [openStream("stdin", io.stdin)] : await openPath(path.resolve(io.cwd, file), file));
    } catch (error) {
      if (error instanceof InputError) throw new CliError(error.message, EXIT.USAGE);
      throw error;
    }
  }
  for (const sources of opened) yield* sources;
}
