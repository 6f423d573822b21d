// `kamal-doctor [analyze] [FILE...]`: diagnose local logs — files, '-' or piped stdin.

import path from "node:path";
import type { Command } from "commander";
import { diagnose, type AnalyzableSource } from "../core/index.js";
import { openPath, openStream, type SourceInput } from "../sources/input.js";
import { VERSION } from "../version.js";
import { CliError, EXIT, type CliIO } from "./io.js";
import { addReportOptions, exitCodeFor, loadRules, printReport, type ReportOptions } from "./report-options.js";

export function registerAnalyze(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const command = program
    .command("analyze", { isDefault: true })
    .description("diagnose Kamal deploy logs: files (.log, .txt, .gz, a run-logs .zip), '-' or piped stdin")
    .argument("[files...]", "log files; '-' reads stdin");
  addReportOptions(command).action(async (files: string[], options: ReportOptions) => {
    const rules = await loadRules(options.rules);
    if (files.length === 0) {
      if (io.stdin.isTTY) throw new CliError("no input: give a log file, or pipe a deploy into it (kamal deploy 2>&1 | kamal-doctor)", EXIT.USAGE);
      files = ["-"];
    }
    if (files.filter((file) => file === "-").length > 1) throw new CliError("'-' (stdin) can be given only once", EXIT.USAGE);
    const report = await diagnose(sourcesOf(files, io), { rules, toolVersion: VERSION });
    printReport(report, options, io);
    setExit(exitCodeFor(report));
  });
}

/** Opens the inputs one after the other, so a bad file fails before any output is written. */
async function* sourcesOf(files: string[], io: CliIO): AsyncGenerator<AnalyzableSource> {
  const opened: SourceInput[][] = [];
  for (const file of files) {
    opened.push(file === "-" ? [openStream("stdin", io.stdin)] : await openPath(path.resolve(io.cwd, file), file));
  }
  for (const sources of opened) yield* sources;
}
