// Runs the planned follow-up commands one after another, each without a shell, stdin closed,
// in its own process group so a timeout ends it with its ssh children. One total time limit and
// a per-command limit; a command that cannot start, fails or times out is one line on stderr and
// the rest goes on (a missing executable ends the collection: every command would use it).

import { spawn } from "node:child_process";
import { LineSplitter } from "../core/index.js";
import { redactText } from "../report/redact.js";
import { Utf8Decoder } from "../sources/utf8.js";
import type { CollectCommand } from "./plan.js";

/** Output kept per command: `--lines 200` of app logs plus Kamal's own lines fit easily. */
export const MAX_COLLECTED_LINES = 2000;

export interface CollectLimits {
  totalMs: number;
  perCommandMs: number;
}

export interface Collected {
  command: CollectCommand;
  lines: string[];
}

interface Outcome {
  status: "ok" | "failed" | "timeout" | "missing" | "error";
  exitCode: number | null;
  lines: string[];
  detail: string;
}

export interface CollectIO {
  env: Record<string, string | undefined>;
  cwd: string;
  /** One line of progress or trouble, for stderr. */
  say(line: string): void;
  now?: () => number;
}

export async function collect(plan: readonly CollectCommand[], limits: CollectLimits, io: CollectIO): Promise<Collected[]> {
  const now = io.now ?? Date.now;
  const deadline = now() + limits.totalMs;
  const out: Collected[] = [];
  for (const command of plan) {
    const left = deadline - now();
    const shown = command.argv.join(" ");
    if (left <= 0) {
      io.say(`collect: ${shown}: skipped, the ${seconds(limits.totalMs)} collection time limit is used up`);
      continue;
    }
    io.say(`collect: ${shown}`);
    const timeout = Math.min(left, limits.perCommandMs);
    const result = await runOne(command.argv, timeout, io);
    if (result.status === "ok") {
      out.push({ command, lines: result.lines });
      continue;
    }
    if (result.status === "missing") {
      io.say(`collect: ${command.argv[0] ?? ""}: ${result.detail}; collecting nothing more`);
      break;
    }
    if (result.status === "timeout") io.say(`collect: ${command.name}: no answer within ${seconds(timeout)}, stopped it`);
    else if (result.status === "failed") io.say(`collect: ${command.name}: exit code ${result.exitCode ?? "?"}${result.detail ? `: ${result.detail}` : ""}`);
    else io.say(`collect: ${command.name}: ${result.detail}`);
  }
  return out;
}

function runOne(argv: readonly string[], timeoutMs: number, io: CollectIO): Promise<Outcome> {
  const [file, ...args] = argv;
  return new Promise<Outcome>((resolve) => {
    if (!file) {
      resolve({ status: "error", exitCode: null, lines: [], detail: "nothing to run" });
      return;
    }
    const lines: string[] = [];
    const keep = (line: string) => {
      if (lines.length < MAX_COLLECTED_LINES) lines.push(line);
    };
    const out = { decoder: new Utf8Decoder(), splitter: new LineSplitter(keep) };
    const err = { decoder: new Utf8Decoder(), splitter: new LineSplitter(keep) };
    let settled = false;
    let timedOut = false;
    const child = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"], env: io.env, cwd: io.cwd, detached: process.platform !== "win32" });
    const kill = () => {
      try {
        if (child.pid !== undefined && process.platform !== "win32") process.kill(-child.pid, "SIGKILL");
        else child.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, timeoutMs);
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    child.stdout.on("data", (chunk: Buffer) => out.splitter.push(out.decoder.write(chunk)));
    child.stderr.on("data", (chunk: Buffer) => err.splitter.push(err.decoder.write(chunk)));
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") finish({ status: "missing", exitCode: null, lines, detail: "not found" });
      else if (error.code === "EACCES") finish({ status: "missing", exitCode: null, lines, detail: "permission denied (not executable?)" });
      else finish({ status: "error", exitCode: null, lines, detail: error.code ?? error.message });
    });
    child.on("close", (code) => {
      for (const stream of [out, err]) {
        stream.splitter.push(stream.decoder.end());
        stream.splitter.end();
      }
      if (timedOut) finish({ status: "timeout", exitCode: null, lines, detail: "" });
      else if (code === 0) finish({ status: "ok", exitCode: 0, lines, detail: "" });
      else finish({ status: "failed", exitCode: code, lines, detail: lastError(lines) });
    });
  });
}

/** The line that says why a follow-up failed (Kamal's `ERROR (Class): …`, else its last line), redacted and short. */
function lastError(lines: readonly string[]): string {
  const clean = lines.map((line) => line.replace(/\x1b\[[0-9;]*m/g, "").trim()).filter((line) => line.length > 0);
  const error = [...clean].reverse().find((line) => /ERROR \(/.test(line)) ?? clean[clean.length - 1] ?? "";
  const text = redactText(error);
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}
