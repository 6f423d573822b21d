// `kamal-doctor [analyze] [FILE...]`: diagnose local logs — files, '-' or piped stdin.

import path from "node:path";
import type { Command } from "commander";
import { statSync } from "node:fs";
import type { WorkerJob } from "../core/analysis-worker.js";
import { inWorker, workerScript } from "../core/parallel.js";
import { closeReader, closeWriter, verdictRing } from "../core/verdicts.js";
import { configArgs, lockDestination, withLock } from "../core/index.js";
import { openCache } from "../memory/cache.js";
import { recordLocal } from "../memory/local.js";
import { VERSION } from "../version.js";
import { addConfigOptions, withConfig, type AnalyzeConfigOptions } from "./config.js";
import { CliError, EXIT, type CliIO } from "./io.js";
import { readLogs, readSide, type ReadLogs, type SideFacts } from "./read-logs.js";
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
    const worker = parallelScript(files, io);
    const { report: analysed, unread, inputs, facts, key } = worker ? await inParallel(worker, files, options, io) : await readLogs(files, { cwd: io.cwd, stdin: io.stdin, rules, toolVersion: VERSION });
    if (unread.length > 0 && inputs.every((input) => unread.some((u) => u.name === input.name))) {
      for (const { message } of unread.slice(0, -1)) io.stderr.write(`kamal-doctor: ${message}\n`);
      throw new CliError((unread[unread.length - 1] as { message: string }).message, EXIT.USAGE);
    }
    const left = new Set(unread.map((u) => u.name));
    const read = left.size === 0 ? analysed : { ...analysed, sources: analysed.sources.filter((source) => !left.has(source.name)) };
    const checked = await withConfig(read, facts, options, io);
    // The lock's commands for the destination: -d, the config's, else the log's kamal command's.
    const shown = checked.lock ? withLock(checked, { destination: lockDestination(options.destination, checked, facts.kamalCommand) }) : checked;
    for (const { message } of unread) io.stderr.write(`kamal-doctor: ${message}\n`);
    for (const input of inputs) for (const note of input.problems.notes) io.stderr.write(`kamal-doctor: ${note}\n`);
    printReport(shown, options, io);
    const kamalCommand = facts.kamalCommand;
    await recordLocal(openCache(io.env, options.cache !== false), shown, key, options.destination ?? (kamalCommand ? configArgs(kamalCommand).destination : null));
    // What could not be read may hold the failure: "no failure found" would not be true.
    const code = exitCodeFor(shown);
    const incomplete = unread.length > 0 || inputs.some((input) => input.problems.partial);
    setExit(incomplete && code === EXIT.OK ? EXIT.USAGE : code);
  });
}

/**
 * One worker analyses the files while a second reads them again for the config facts and the
 * content key (a sixth of the work on a long log), each with a bounded young generation; this
 * thread waits (docs/performance.md).
 */
async function inParallel(worker: URL, files: string[], options: ReportOptions, io: CliIO): Promise<ReadLogs> {
  const verdicts = verdictRing();
  const job: Omit<WorkerJob, "task"> = { files, cwd: io.cwd, ruleDirs: options.rules ?? [], toolVersion: VERSION, verdicts };
  // Whichever stops first, however it stops, the other does not wait for it.
  const [read, side] = await Promise.all([
    inWorker<ReadLogs>(worker, { ...job, task: "analyse" }).finally(() => closeReader(verdicts)),
    // A side worker that fails costs only time: this thread reads the facts and the key then.
    inWorker<SideFacts>(worker, { ...job, task: "side" })
      .finally(() => closeWriter(verdicts))
      .catch(() => readSide(files, { cwd: io.cwd })),
  ]);
  return { ...read, ...side };
}

/** Below this much input the worker's start (about 30 ms) is not worth it. */
const PARALLEL_MIN_BYTES = 32 * 1024 * 1024;

/**
 * The worker's script when the analysis should run in a worker thread (core/parallel.ts):
 * regular files of at least PARALLEL_MIN_BYTES in all, and a built CLI. KAMAL_DOCTOR_WORKER `on`
 * (whatever the size) or `off` decides instead; stdin is always read here.
 */
function parallelScript(files: readonly string[], io: CliIO): URL | null {
  const choice = io.env["KAMAL_DOCTOR_WORKER"]?.trim().toLowerCase();
  if (choice === "off" || files.includes("-")) return null;
  const script = workerScript();
  if (script === null || choice === "on") return script;
  let bytes = 0;
  for (const file of files) {
    try {
      const info = statSync(path.resolve(io.cwd, file));
      if (!info.isFile()) return null;
      bytes += info.size;
    } catch {
      // Unreadable: noted when it is opened; it adds nothing here.
    }
  }
  return bytes >= PARALLEL_MIN_BYTES ? script : null;
}
