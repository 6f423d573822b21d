// `kamal-doctor last [--list]`: Kamal 2.12 writes one log per command under `output.file.path`
// (`output: file:` in config/deploy.yml). `last` diagnoses the newest; `last --list` shows the
// recent ones with the outcome their trailer records. The trailer is trusted: `# FAILED:` is the
// command's failure and final error, `# Completed in` its success.

import path from "node:path";
import type { Command } from "commander";
import { Analysis, LineSplitter } from "../core/index.js";
import { LastError, outputFilePath } from "../last/config.js";
import { listLogs, readTrailer, TrailerRewriter, type KamalLogFile } from "../last/files.js";
import { openCache } from "../memory/cache.js";
import { ContentKey, recordLocal } from "../memory/local.js";
import { InputError } from "../sources/errors.js";
import { openPath } from "../sources/input.js";
import { VERSION } from "../version.js";
import { CliError, EXIT, type CliIO } from "./io.js";
import { addCacheOption, addReportOptions, exitCodeFor, loadRules, printReport, type CacheOptions, type ReportOptions } from "./report-options.js";

interface LastOptions extends ReportOptions, CacheOptions {
  dir?: string;
  configFile: string;
  destination?: string;
  list?: boolean;
  limit: number;
}

const LAST_HELP = `
The directory: --dir, else output.file.path of config/deploy.yml (-c), or of
config/deploy.DEST.yml with -d DEST. Files are <YYYY-MM-DDTHH-MM-SS>[_<dest>]_<command>.log;
the newest (with -d: the newest for that destination) is diagnosed. A file without its
"# FAILED:" or "# Completed in" trailer was cut short (interrupted, or still running).

Examples:
  kamal-doctor last
  kamal-doctor last --list
  kamal-doctor last --dir /var/log/kamal --format json`;

export function registerLast(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const command = program
    .command("last")
    .description("diagnose the newest log Kamal 2.12 wrote with `output: file:` (or --list the recent ones)")
    .option("--dir <dir>", "the directory of Kamal's logs (default: output.file.path in config/deploy.yml)")
    .option("-c, --config-file <file>", "Kamal's config file", "config/deploy.yml")
    .option("-d, --destination <dest>", "only this destination's logs (and its config/deploy.DEST.yml)")
    .option("--list", "list the recent logs with their outcome instead of diagnosing the newest")
    .option("-n, --limit <n>", "how many logs --list shows", (value) => positive(value), 10)
    .addHelpText("after", LAST_HELP);
  addCacheOption(addReportOptions(command)).action(async (options: LastOptions) => {
    const dir = await logDirectory(options, io);
    let logs: KamalLogFile[];
    try {
      logs = await listLogs(dir);
    } catch (error) {
      throw new CliError(`cannot read ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, EXIT.USAGE);
    }
    if (options.destination) logs = logs.filter((log) => log.destination === options.destination);
    if (logs.length === 0) throw new CliError(`no Kamal logs (<timestamp>[_<dest>]_<command>.log) in ${dir}${options.destination ? ` for destination ${options.destination}` : ""}`, EXIT.USAGE);
    if (options.list) {
      io.stdout.write(await listing(logs.slice(0, options.limit)));
      setExit(EXIT.OK);
      return;
    }
    const newest = logs[0] as KamalLogFile;
    const rules = await loadRules(options.rules);
    const trailer = await readTrailer(newest.path);
    // The trailer decides the outcome; without one the log alone does.
    const exitCode = trailer.outcome === "failed" ? 1 : trailer.outcome === "succeeded" ? 0 : null;
    const analysis = new Analysis({ rules, toolVersion: VERSION, exitCode, command: newest.command.split(" ")[0] ?? null, destination: newest.destination });
    analysis.beginSource({ name: newest.file });
    const rewriter = new TrailerRewriter((line) => analysis.line(line));
    const splitter = new LineSplitter((line) => rewriter.line(line));
    let inputs;
    try {
      inputs = await openPath(newest.path, newest.file);
    } catch (error) {
      if (error instanceof InputError) throw new CliError(error.message, EXIT.USAGE);
      throw error;
    }
    const key = new ContentKey();
    key.beginSource(newest.file);
    for (const input of inputs) {
      for await (const chunk of input.text) {
        key.push(chunk);
        splitter.push(chunk);
      }
    }
    splitter.end();
    rewriter.end();
    const report = analysis.finish();
    if (trailer.outcome === "unknown") io.stderr.write(`kamal-doctor: ${newest.file} has no "# FAILED:" or "# Completed in" trailer: the command was interrupted or is still running\n`);
    printReport(report, options, io);
    await recordLocal(openCache(io.env, options.cache !== false), report, key.finish(), newest.destination);
    setExit(exitCodeFor(report));
  });
}

async function logDirectory(options: LastOptions, io: CliIO): Promise<string> {
  if (options.dir) return path.resolve(io.cwd, options.dir);
  try {
    return await outputFilePath(options.configFile, options.destination ?? null, io.cwd, io.env["HOME"]);
  } catch (error) {
    if (error instanceof LastError) throw new CliError(error.message, EXIT.USAGE);
    throw error;
  }
}

async function listing(logs: readonly KamalLogFile[]): Promise<string> {
  const rows: string[][] = [];
  for (const log of logs) {
    const trailer = await readTrailer(log.path).catch(() => null);
    const outcome =
      trailer === null
        ? "unreadable"
        : trailer.outcome === "failed"
          ? `FAILED ${trailer.errorClass ?? ""}: ${trailer.message ?? ""}`.trimEnd()
          : trailer.outcome === "succeeded"
            ? "completed"
            : "no trailer (interrupted or running)";
    const seconds = trailer?.seconds !== null && trailer?.seconds !== undefined ? `${trailer.seconds}s` : "";
    rows.push([log.startedAt.replace("T", " "), log.destination ?? "-", log.command, seconds, outcome.length > 120 ? `${outcome.slice(0, 119)}…` : outcome]);
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) => row.map((cell, i) => (i < 4 ? cell.padEnd(widths[i] ?? 0) : cell)).join("  ").trimEnd()).join("\n") + "\n";
}

function positive(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new CliError(`--limit: expected a positive whole number, got ${JSON.stringify(value)}`, EXIT.USAGE);
  return n;
}
