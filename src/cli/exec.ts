// `kamal-doctor exec -- kamal deploy …`: runs the deploy, passes its stdout and stderr through
// live and byte for byte (partial lines and `\r` progress included), analyses the output as it
// arrives, and at the end prints the diagnosis on stderr — inside GitHub Actions also as
// annotations and a job summary. Exits with the command's own exit code.

import { spawn } from "node:child_process";
import { constants } from "node:os";
import { basename } from "node:path";
import type { Readable } from "node:stream";
import type { Command } from "commander";
import { Analysis, LineSplitter, type AnalysisOptions, type Report } from "../core/index.js";
import { formatGithub } from "../format/github.js";
import { LogDecoder } from "../sources/decode.js";
import { VERSION } from "../version.js";
import { kamalPrefix, sharedOptions } from "../collect/plan.js";
import { ContainerWatch } from "../collect/watch.js";
import { inActions, reportsForOutput, writeStepSummary } from "./actions-output.js";
import { addCollectOptions, collectAndFinish, type CollectOptions } from "./collect.js";
import { CliError, EXIT, type CliIO, type OutputStream } from "./io.js";
import { addReportOptions, loadRules, render, type ReportOptions } from "./report-options.js";

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

export function registerExec(program: Command, io: CliIO, setExit: (code: number) => void): void {
  const command = program
    .command("exec")
    .description("run a deploy command (after --), stream its output live, diagnose it at the end; exits with the command's code")
    .argument("<command...>", "the command and its arguments, after -- (kamal-doctor exec -- kamal deploy -d staging)");
  // Without `--`, the command's own options (`sh -c`, `kamal deploy -d staging`) are taken for
  // exec's: when a command came before the unknown option, say where it belongs.
  command.configureOutput({
    outputError: (text, write) => {
      const [first] = command.args;
      const hint = /unknown option/.test(text) && first !== undefined && !first.startsWith("-");
      write(hint ? `${text.trimEnd()} — the command and its options go after --: kamal-doctor exec [options] -- ${first} …\n` : text);
    },
  });
  addCollectOptions(addReportOptions(command)).action(async (argv: string[], options: ReportOptions & CollectOptions) => {
    const rules = await loadRules(options.rules);
    const kamalCommand = kamalCommandOf(argv);
    const analysisOptions: AnalysisOptions = { rules, toolVersion: VERSION, command: kamalCommand, destination: kamalDestinationOf(argv) };
    const analysis = new Analysis(analysisOptions);
    // Findings point at `kamal deploy:97`: the line of the command's output.
    analysis.beginSource({ name: kamalCommand ? `kamal ${kamalCommand}` : basename(argv[0] ?? "output") });
    const watch = new ContainerWatch();
    const exitCode = await runCommand(argv, io, (line) => {
      analysis.line(line);
      if (options.collect) watch.line(line);
    });
    // The exit code is known only now; Analysis reads it from its options when it finishes.
    analysisOptions.exitCode = exitCode;
    let report = analysis.finish();
    if (options.collect && exitCode !== 0) report = await collectAndFinish(analysis, report, argv, watch, options, io, exitCode);
    printDiagnosis(report, options, io);
    setExit(exitCode);
  });
}

/** `deploy` for `kamal deploy -d staging`, `bin/kamal deploy`, `bundle exec kamal deploy`; else null. */
export function kamalCommandOf(argv: readonly string[]): string | null {
  const at = argv.findIndex((arg) => /(?:^|\/)kamal$/.test(arg));
  if (at === -1) return null;
  return argv.slice(at + 1).find((arg) => !arg.startsWith("-")) ?? null;
}

/** `staging` for `kamal deploy -d staging` (or `--destination=staging`); else null. */
export function kamalDestinationOf(argv: readonly string[]): string | null {
  const prefix = kamalPrefix(argv);
  const shared = prefix ? sharedOptions(argv.slice(prefix.length)) : [];
  const at = shared.indexOf("-d");
  return at === -1 ? null : (shared[at + 1] ?? null);
}

/**
 * Spawns the command without a shell and streams it; resolves with its exit code (128 + the
 * signal number when a signal ended it). A command that cannot start is a usage error.
 */
export function runCommand(argv: readonly string[], io: CliIO, onLine: (line: string) => void): Promise<number> {
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new CliError("exec: give the command to run after --", EXIT.USAGE));
  return new Promise<number>((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["inherit", "pipe", "pipe"], env: io.env, cwd: io.cwd });
    let settled = false;
    const forward = (signal: NodeJS.Signals) => () => {
      // Ctrl-C in a terminal already reached the whole foreground process group, the command
      // included; sending it again would interrupt its clean-up (Kamal releases its lock there).
      if (signal === "SIGINT" && io.stdin.isTTY) return;
      child.kill(signal);
    };
    const handlers = FORWARDED.map((signal) => [signal, forward(signal)] as const);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    const done = (settle: () => void) => {
      if (settled) return;
      settled = true;
      for (const [signal, handler] of handlers) process.off(signal, handler);
      settle();
    };

    const out = pipeThrough(child.stdout, io.stdout, onLine);
    const err = pipeThrough(child.stderr, io.stderr, onLine);
    child.on("error", (error: NodeJS.ErrnoException) => {
      done(() => reject(new CliError(`cannot start ${file}: ${startError(error)}`, EXIT.USAGE)));
    });
    child.on("close", (code, signal) => {
      out.end();
      err.end();
      const status = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : EXIT.FAILURE);
      done(() => resolve(status));
    });
  });
}

/** Writes each chunk through unchanged (respecting back-pressure) and splits it into lines for the analysis. */
function pipeThrough(from: Readable, to: OutputStream, onLine: (line: string) => void): { end(): void } {
  // Live: each chunk is analysed as it arrives, and what the command printed is its output, never "binary".
  const decoder = new LogDecoder({ name: "output", binary: "read", utf16: false });
  const splitter = new LineSplitter(onLine);
  type Listen = (event: "drain" | "close", listener: () => void) => unknown;
  const sink = to as OutputStream & { write(chunk: Uint8Array): unknown; on?: Listen; off?: Listen };
  let waiting = false;
  const resume = () => {
    waiting = false;
    sink.off?.("drain", resume);
    sink.off?.("close", resume);
    from.resume();
  };
  from.on("data", (chunk: Buffer) => {
    // Back-pressure only while someone reads: an output whose reader went away (EPIPE) closes
    // instead of draining, and must not stall the command.
    if (sink.write(chunk) === false && sink.destroyed !== true && !waiting && typeof sink.on === "function") {
      waiting = true;
      from.pause();
      sink.on("drain", resume);
      sink.on("close", resume);
    }
    splitter.push(decoder.write(chunk));
  });
  return {
    end() {
      splitter.push(decoder.end());
      splitter.end();
    },
  };
}

function startError(error: NodeJS.ErrnoException): string {
  if (error.code === "ENOENT") return "command not found";
  if (error.code === "EACCES") return "permission denied (not executable?)";
  return error.code ?? error.message;
}

/** The diagnosis goes to stderr (stdout carried the command's own output); in Actions also as annotations. */
function printDiagnosis(report: Report, options: ReportOptions, io: CliIO): void {
  const toStderr: CliIO = { ...io, stdout: io.stderr };
  io.stderr.write("\n");
  const { printed, posted } = reportsForOutput(report, options, io.env);
  if (inActions(io.env) && options.format !== "github") io.stderr.write(formatGithub(printed));
  writeStepSummary(posted, options, io);
  io.stderr.write(render(printed, options, toStderr));
}
