// An in-memory CliIO for calling `run(argv, io)` in-process.
import { Readable } from "node:stream";
import type { CliIO } from "../../src/cli/io.js";

export interface MemoryIO extends CliIO {
  out(): string;
  err(): string;
}

export function memoryIO(options: { stdin?: string | Buffer; stdinIsTTY?: boolean; env?: Record<string, string | undefined>; cwd?: string; stdoutIsTTY?: boolean } = {}): MemoryIO {
  let out = "";
  let err = "";
  const stdin = Readable.from(options.stdin === undefined ? [] : [typeof options.stdin === "string" ? Buffer.from(options.stdin) : options.stdin]) as Readable & { isTTY?: boolean };
  stdin.isTTY = options.stdinIsTTY ?? false;
  return {
    stdin,
    stdout: { write: (chunk: string) => (out += chunk), isTTY: options.stdoutIsTTY ?? false, columns: 100 },
    stderr: { write: (chunk: string) => (err += chunk), isTTY: false },
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    out: () => out,
    err: () => err,
  };
}
