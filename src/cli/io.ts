// What a command may touch: injected streams and environment, so `run(argv, io)` can be called
// in-process by tests. Exit codes are named here and listed in `--help`.

import type { Readable } from "node:stream";
import type { SharedRuns } from "../action/shared-runs.js";

export const EXIT = {
  /** No failure found. */
  OK: 0,
  /** A failure was diagnosed (known or not). */
  FAILURE: 1,
  /** Usage, input or rule-file error. */
  USAGE: 2,
  /** GitHub or network error. */
  GITHUB: 3,
} as const;

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
  /** A stream whose reader went away (EPIPE) is destroyed: writes go nowhere and never drain. */
  destroyed?: boolean;
}

export interface CliIO {
  stdin: Readable & { isTTY?: boolean };
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Runs diagnosed earlier in this process, reused instead of downloaded again (the Action sets it). */
  runs?: SharedRuns;
}

/** An error the user can act on: printed as one line, with its exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.USAGE,
  ) {
    super(message);
  }
}

export function processIO(): CliIO {
  return {
    // Touching process.stdin sets up a stream (and loads what it needs): only when it is read.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  };
}
