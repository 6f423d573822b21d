// `kamal-doctor [analyze] [FILE...]`: diagnose local logs — files, '-' or piped stdin.

import path from "node:path";
import type { Command } from "commander";
import { diagnose, type TextSource } from "../core/index.js";
import type { DecodedSource } from "../sources/decode.js";
import { InputError } from "../sources/errors.js";
import { openPath, openStream, readOrNote } from "../sources/input.js";
import { tapSources } from "../sources/tap.js";
import { configArgs, lockDestination, withLock } from "../core/index.js";
import { LogFactsCollector } from "../config/log-facts.js";
import { openCache } from "../memory/cache.js";
import { ContentKey, recordLocal } from "../memory/local.js";
import { VERSION } from "../version.js";
import { addConfigOptions, withConfig, type AnalyzeConfigOptions } from "./config.js";
import { CliError, EXIT, type CliIO } from "./io.js";
import { addCacheOption, addReportOptions, exitCodeFor, loadRules, printReport, type CacheOptions, type ReportOptions } from "./report-options.js";

export function registerAnalyze(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const command = program
    .command("analyze", { isDefault: true })
    .description("diagnose Kamal deploy logs: files (.log, .txt, .gz, a run-logs .zip), '-' or piped stdin")
    .argument("[files...]", "log files; '-' reads stdin");
  addCacheOption(addConfigOptions(addReportOptions(command))).action(async (files: string[], options: ReportOptions & AnalyzeConfigOptions & CacheOptions) => {
    const rules = await loadRules(options.rules);
    if (files.length === 0) {
      if (io.stdin.isTTY) throw new CliError("no input: give a log file, or pipe a deploy into it (kamal deploy 2>&1 | kamal-doctor)", EXIT.USAGE);
      files = ["-"];
    }
    if (files.filter((file) => file === "-").length > 1) throw new CliError("'-' (stdin) can be given only once", EXIT.USAGE);
    // One input that cannot be read (missing, binary) does not cost the others: it is named on
    // stderr and left out of the report. Only when nothing at all can be read is it an error.
    const unread: Array<{ name: string | null; message: string }> = [];
    const inputs = await openInputs(files, io, unread);
    const sources: TextSource[] = inputs.map((input) => ({ name: input.name, lineHosts: input.lineHosts ?? null, text: readOrNote(input, (name, message) => unread.push({ name, message })) }));
    const facts = new LogFactsCollector();
    const key = new ContentKey();
    const analysed = await diagnose(tapSources(tapSources(sources, facts), key), { rules, toolVersion: VERSION });
    if (unread.length > 0 && inputs.every((input) => unread.some((u) => u.name === input.name))) {
      for (const { message } of unread.slice(0, -1)) io.stderr.write(`kamal-doctor: ${message}\n`);
      throw new CliError((unread[unread.length - 1] as { message: string }).message, EXIT.USAGE);
    }
    const left = new Set(unread.map((u) => u.name));
    const read = left.size === 0 ? analysed : { ...analysed, sources: analysed.sources.filter((source) => !left.has(source.name)) };
    const checked = await withConfig(read, facts.facts(), options, io);
    // The lock's commands for the destination: -d, the config's, else the log's kamal command's.
    const shown = checked.lock ? withLock(checked, { destination: lockDestination(options.destination, checked, facts.facts().kamalCommand) }) : checked;
    for (const { message } of unread) io.stderr.write(`kamal-doctor: ${message}\n`);
    for (const input of inputs) for (const note of input.problems.notes) io.stderr.write(`kamal-doctor: ${note}\n`);
    printReport(shown, options, io);
    const kamalCommand = facts.facts().kamalCommand;
    await recordLocal(openCache(io.env, options.cache !== false), shown, key, options.destination ?? (kamalCommand ? configArgs(kamalCommand).destination : null));
    // What could not be read may hold the failure: "no failure found" would not be true.
    const code = exitCodeFor(shown);
    const incomplete = unread.length > 0 || inputs.some((input) => input.problems.partial);
    setExit(incomplete && code === EXIT.OK ? EXIT.USAGE : code);
  });
}

/** Opens the inputs one after the other; one that cannot be opened is noted (name null: no source). */
async function openInputs(files: string[], io: CliIO, unread: Array<{ name: string | null; message: string }>): Promise<DecodedSource[]> {
  const opened: DecodedSource[] = [];
  for (const file of files) {
    try {
      opened.push(...(file === "-" ? [openStream("stdin", io.stdin)] : await openPath(path.resolve(io.cwd, file), file)));
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      unread.push({ name: null, message: error.message });
    }
  }
  return opened;
}
