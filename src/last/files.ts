// Kamal 2.12's `output: file:` logs: one file per command under `output.file.path`, named
// `<YYYY-MM-DDTHH-MM-SS>[_<destination>]_<command>[_<subcommand>].log`, ending in
// `# FAILED: <Class>: <message> (<s>s)` (the message may span lines) or `# Completed in <s>s`
// (lib/kamal/output/file_logger.rb). A file without either was cut short: the command was
// interrupted or is still running.

import { open, readdir, stat } from "node:fs/promises";
import path from "node:path";

const NAME = /^(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d)_(.+)\.log$/;
/** Kamal's top-level commands: what precedes the first of them in a file name is the destination. */
const COMMANDS = new Set(["deploy", "redeploy", "rollback", "setup", "remove", "app", "proxy", "accessory", "server", "build", "prune", "lock", "registry", "traefik", "upgrade", "secrets", "audit", "details"]);
/** The trailer is at the end; its message rarely runs past a few KiB. */
const TAIL_BYTES = 64 * 1024;
export const FAILED = /^# FAILED: ([A-Za-z_][\w:]*): ?(.*)$/;
export const COMPLETED = /^# Completed in (\d+(?:\.\d+)?)s$/;
export const RUNTIME_END = / \((\d+(?:\.\d+)?)s\)$/;

export interface KamalLogFile {
  path: string;
  file: string;
  /** `2026-06-18T09:12:44` (local time of the machine that ran Kamal). */
  startedAt: string;
  destination: string | null;
  /** `deploy`, `app boot`, … */
  command: string;
}

export interface Trailer {
  outcome: "failed" | "succeeded" | "unknown";
  errorClass: string | null;
  /** The first line of the error message. */
  message: string | null;
  seconds: number | null;
}

export function parseLogName(file: string): Omit<KamalLogFile, "path"> | null {
  const match = NAME.exec(file);
  if (!match) return null;
  const [, stamp = "", rest = ""] = match;
  const words = rest.split("_");
  const at = words.findIndex((word) => COMMANDS.has(word));
  if (at === -1) return null;
  const startedAt = `${stamp.slice(0, 10)}T${stamp.slice(11).replace(/-/g, ":")}`;
  return { file, startedAt, destination: at > 0 ? words.slice(0, at).join("_") : null, command: words.slice(at).join(" ") };
}

/** The Kamal logs in `dir`, newest first. */
export async function listLogs(dir: string): Promise<KamalLogFile[]> {
  const names = await readdir(dir);
  const logs: KamalLogFile[] = [];
  for (const name of names) {
    const parsed = parseLogName(name);
    if (parsed) logs.push({ ...parsed, path: path.join(dir, name) });
  }
  // The name's timestamp sorts as text; same second: the file name decides, stably.
  return logs.sort((a, b) => (a.file < b.file ? 1 : a.file > b.file ? -1 : 0));
}

/** Reads the trailer from the file's last 64 KiB. */
export async function readTrailer(file: string): Promise<Trailer> {
  const size = (await stat(file)).size;
  const handle = await open(file, "r");
  try {
    const length = Math.min(size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return trailerOf(buffer.toString("utf8").split(/\r?\n/));
  } finally {
    await handle.close();
  }
}

export function trailerOf(lines: readonly string[]): Trailer {
  let end = lines.length - 1;
  while (end >= 0 && (lines[end] ?? "").trim() === "") end--;
  const last = lines[end] ?? "";
  const completed = COMPLETED.exec(last);
  if (completed) return { outcome: "succeeded", errorClass: null, message: null, seconds: Number(completed[1]) };
  const runtime = RUNTIME_END.exec(last);
  if (runtime) {
    for (let i = end; i >= 0; i--) {
      const failed = FAILED.exec(lines[i] ?? "");
      if (failed) {
        const first = i === end ? (failed[2] ?? "").replace(RUNTIME_END, "") : (failed[2] ?? "");
        return { outcome: "failed", errorClass: failed[1] ?? null, message: first, seconds: Number(runtime[1]) };
      }
    }
  }
  return { outcome: "unknown", errorClass: null, message: null, seconds: null };
}

/**
 * The file's lines as Kamal's stdout would have shown them: the `# FAILED:` trailer becomes the
 * final `  ERROR (Class): message` line (its runtime dropped), which is what the rules know.
 * The trailer's lines are held until the end (at most MAX_TRAILER_LINES) to drop the runtime.
 */
export class TrailerRewriter {
  private held: string[] = [];
  private inFailure = false;

  constructor(private readonly emit: (line: string) => void) {}

  line(raw: string): void {
    const failed = raw.startsWith("# FAILED: ") ? FAILED.exec(raw) : null;
    if (failed) {
      this.flush();
      this.inFailure = true;
      this.held.push(`  ERROR (${failed[1] ?? ""}): ${failed[2] ?? ""}`);
      return;
    }
    if (this.inFailure) {
      if (this.held.length >= MAX_TRAILER_LINES) this.flush();
      this.held.push(raw);
      return;
    }
    if (COMPLETED.test(raw)) return;
    this.emit(raw);
  }

  end(): void {
    let last = this.held.length - 1;
    while (last > 0 && (this.held[last] ?? "").trim() === "") last--;
    if (last >= 0) this.held[last] = (this.held[last] ?? "").replace(RUNTIME_END, "");
    this.flush();
  }

  private flush(): void {
    for (const line of this.held) this.emit(line);
    this.held = [];
  }
}

const MAX_TRAILER_LINES = 2000;
