// `kamal-doctor [analyze] [FILE...]`: diagnose local logs — files, '-' or piped stdin.

import path from "node:path";
import type { Command } from "commander";
import { statSync } from "node:fs";
import type { WorkerJob } from "../core/analysis-worker.js";
import { HEAP_BOUNDS, inWorker, workerScript } from "../core/parallel.js";
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
    const here = () => readLogs(files, { cwd: io.cwd, stdin: io.stdin, rules, toolVersion: VERSION });
    const { report: analysed, unread, inputs, facts, key } = worker ? await inParallel(worker, files, options, io, here) : await here();
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
 * One worker analyses the files while a second reads them again for the config facts, the content
 * key and the triage's verdicts, each with a bounded heap; this thread waits (docs/performance.md).
 * A worker that fails (out of memory past its bound, say) costs only time: what it was to read is
 * read again here, with a note on stderr.
 */
export async function inParallel(worker: URL, files: string[], options: ReportOptions, io: CliIO, here: () => Promise<ReadLogs>): Promise<ReadLogs> {
  const verdicts = verdictRing();
  const job: Omit<WorkerJob, "task"> = { files, cwd: io.cwd, ruleDirs: options.rules ?? [], toolVersion: VERSION, verdicts };
  const old = heapBound(io.env);
  const bounds = (task: WorkerJob["task"]) => ({ ...HEAP_BOUNDS[task], ...(old === null ? {} : { old }) });
  // Whichever stops first, however it stops, the other does not wait for it.
  const [read, side] = await Promise.allSettled([
    inWorker<ReadLogs>(worker, { ...job, task: "analyse" }, bounds("analyse")).finally(() => closeReader(verdicts)),
    inWorker<SideFacts>(worker, { ...job, task: "side" }, bounds("side")).finally(() => closeWriter(verdicts)),
  ]);
  if (read.status === "rejected") {
    io.stderr.write(`kamal-doctor: ${workerFailure("analysis", read.reason, bounds("analyse").old)}; the logs were read again on the main thread\n`);
    return here();
  }
  if (side.status === "rejected") {
    io.stderr.write(`kamal-doctor: ${workerFailure("side", side.reason, bounds("side").old)}; the config facts were read again on the main thread\n`);
    return { ...read.value, ...(await readSide(files, { cwd: io.cwd })) };
  }
  return { ...read.value, ...side.value };
}

/** KAMAL_DOCTOR_WORKER_HEAP_MB: the workers' old generation in MiB, when it is a whole number above 0. */
function heapBound(env: CliIO["env"]): number | null {
  const value = env["KAMAL_DOCTOR_WORKER_HEAP_MB"]?.trim() ?? "";
  return /^[1-9]\d{0,5}$/.test(value) ? Number(value) : null;
}

/** What stopped a worker, in one clause. */
function workerFailure(which: string, reason: unknown, old: number): string {
  if ((reason as { code?: unknown } | null)?.code === "ERR_WORKER_OUT_OF_MEMORY") {
    return `the ${which} worker ran out of memory (its bound is ${old} MiB: KAMAL_DOCTOR_WORKER_HEAP_MB sets it)`;
  }
  return `the ${which} worker failed (${reason instanceof Error ? reason.message : String(reason)})`;
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
