// The key line: the one line that explains a failure — the first real error of the failing
// command's output or of the final error block, not boilerplate. Lines are looked at only when a
// few cheap substring checks say they could read like an error.

import type { ParsedLine } from "./parse.js";
import type { EvidenceLine, FindingOrigin } from "./report.js";
import type { LineProvenance } from "./provenance.js";
import { detach } from "./strings.js";
import type { RawLines } from "./triage.js";
import type { CommandKind } from "../vocabulary.js";

export const ERRORISH = /\b(?:error|fatal|failed|failure|exception|denied|refused|cannot|can't|unable|not found|no such|invalid|missing|timed? ?out|unauthorized|forbidden|panic|aborted|killed|conflict|already in use|permission)\b/i;
/**
 * One of these (any case) is in every line ERRORISH matches, and in every line the analysis's
 * "reads like an error" test (INTERESTING, a subset of ERRORISH's words) matches: a line of
 * command output with none of them, and no rule's literal, needs no look (core/triage.ts).
 */
export const ERROR_WORDS: readonly string[] = [
  "error", "fatal", "failed", "failure", "exception", "denied", "refused", "cannot", "can't", "unable", "not found", "no such",
  "invalid", "missing", "timed out", "timedout", "time out", "timeout", "unauthorized", "forbidden", "panic", "aborted", "killed",
  "conflict", "already in use", "permission",
];
/** Lines that read like errors but explain nothing. */
const BOILERPLATE = /Nothing written|See '[^']*--help'|Run '[^']*--help' for more|^\s*(?:\S+ (?:stdout|stderr): )?Usage: |^\s*(?:\S+ (?:stdout|stderr): )?[0-9a-f]{12,64}$|Finished in .* \(failed\)|WARNING! Using --password|^\s*$|Tasks: TOP =>|\(See full trace by running task with --trace\)/;
const BUILD_SOLVE = /^(?:\S+ (?:stdout|stderr): )?ERROR: failed to (?:solve|build)/;
/** A payload line that only wraps the error: `Exception while executing on host X: docker exit status: 1`. */
const WRAPPER = /^\s*(?:Exception while executing (?:on host \S+|as \S+): \S+ exit status: \d+|\S+ exit status: \d+)$/;

/**
 * The cheap test before ERRORISH: any of these fragments, case as written. One regex pass over
 * the line, not one `includes` per fragment (this runs on nearly every line: twice as fast).
 */
const MAY_BE_ERROR = /rror|ERROR|denied|ailed|not |Conflict|aborted|refused|xception|No such|invalid|missing|imed out|annot|nauthorized|in use|atal|E: /;

function mayBeError(text: string): boolean {
  return MAY_BE_ERROR.test(text);
}

/** A line that reads like an error but explains nothing (`Nothing written`, usage banners). */
export function isBoilerplate(text: string): boolean {
  return BOILERPLATE.test(text);
}

/** The line without SSHKit's `COMMAND stderr: ` prefix. */
export function withoutStreamPrefix(text: string): string {
  const trimmed = text.trim();
  for (const marker of [" stderr: ", " stdout: "]) {
    const at = trimmed.indexOf(marker);
    if (at !== -1 && at < 600) return trimmed.slice(at + marker.length);
  }
  return trimmed;
}

export interface KeyLine extends EvidenceLine {
  source: string;
  /** The line without SSHKit's level and command id (what a title quotes). */
  message: string;
  origin: FindingOrigin;
}

/** Watches every line and, at the end, names the key line of the failure. */
export class KeyLineTracker {
  private buildSolve: KeyLine | null = null;
  private firstBuildError: KeyLine | null = null;
  private readonly byCommand = new Map<string, KeyLine>();
  private errorLine: KeyLine | null = null;
  private firstPayloadError: KeyLine | null = null;
  private firstOtherError: KeyLine | null = null;
  /** The first error-looking line after the final error that the parser did not take as its payload. */
  private afterError: KeyLine | null = null;
  private inBlock = false;
  /**
   * The last line a command printed (its SSHKit output, or what a pasted shell command printed),
   * kept as it came: when nothing reads like an error, what the failing command printed last is
   * what explains it (`{"TOKEN":""}` from a secrets fetch, a command that stopped mid-output).
   */
  private lastOutput: ParsedLine | null = null;
  /** Or that line kept raw (`outputSkipped`), read only if it is needed. */
  private lastOutputRaw: string | null = null;
  private lastOutputLine = 0;
  private lastOutputLines: RawLines | null = null;
  private lastOutputText = "";
  private lastOutputCommand: CommandKind | null = null;
  private lastOutputOrigin: FindingOrigin["text"] = "text";

  observe(p: ParsedLine, provenance: LineProvenance): void {
    const kind = p.kind;
    if (kind === "error") {
      this.errorLine = { source: p.source, line: p.line, text: detach(p.text), message: detach(p.text.trim()), origin: { command: provenance.command, text: provenance.origin } };
      this.firstPayloadError = null;
      this.afterError = null;
      this.inBlock = true;
      return;
    }
    if (kind === "step" || kind === "command-start" || kind === "command-finish" || kind === "backtrace" || kind === "runner" || kind === "command-text") {
      if (kind !== "backtrace") this.inBlock = kind === "runner" ? this.inBlock : false;
      return;
    }
    const text = kind === "command-output" || kind === "log" ? p.message : p.text;
    if ((kind === "command-output" || provenance.origin === "shell") && provenance.command !== null && text.length > 0) {
      // Fields, not an object: this runs on every output line.
      this.lastOutput = p;
      this.lastOutputRaw = null;
      this.lastOutputText = text;
      this.lastOutputCommand = provenance.command;
      this.lastOutputOrigin = provenance.origin;
    }
    if (!mayBeError(text) || BOILERPLATE.test(text)) return;
    const key = (): KeyLine => ({ source: p.source, line: p.line, text: detach(p.text.slice(0, 2000)), message: detach(text.slice(0, 2000)), origin: { command: provenance.command, text: provenance.origin } });
    if (provenance.origin === "build" || provenance.command === "build") {
      if (this.buildSolve === null && BUILD_SOLVE.test(text)) this.buildSolve = key();
      else if (this.firstBuildError === null && ERRORISH.test(text)) this.firstBuildError = key();
    }
    if (kind === "payload") {
      if (this.inBlock && this.firstPayloadError === null && !WRAPPER.test(text) && ERRORISH.test(text)) this.firstPayloadError = key();
      return;
    }
    if (p.id !== null && kind === "command-output") {
      if (!this.byCommand.has(p.id) && this.byCommand.size < 4096 && ERRORISH.test(text)) this.byCommand.set(p.id, key());
      return;
    }
    if (this.errorLine !== null && this.afterError === null && p.source === this.errorLine.source && ERRORISH.test(text)) this.afterError = key();
    if (this.firstOtherError === null && ERRORISH.test(text)) this.firstOtherError = key();
  }

  /**
   * A line of command output that core/triage.ts took (no word in it reads like an error, so
   * nothing but the last output changes), kept raw: `printed`, its message is not empty.
   */
  outputSkipped(raw: string, line: number, lines: RawLines, printed: boolean, command: CommandKind | null): void {
    if (!printed || command === null) return;
    this.lastOutput = null;
    this.lastOutputRaw = raw;
    this.lastOutputLine = line;
    this.lastOutputLines = lines;
    this.lastOutputCommand = command;
    this.lastOutputOrigin = command === "build" ? "build" : "kamal";
  }

  /** The key line, given the failing command (its id and kind) when known. */
  pick(failedId: string | null, failing: CommandKind | null): KeyLine | null {
    if (failing === "build" || (failing === null && (this.buildSolve ?? this.firstBuildError))) {
      const build = this.buildSolve ?? this.firstBuildError;
      if (build) return build;
    }
    if (this.firstPayloadError) return this.firstPayloadError;
    if (failedId !== null) {
      const own = this.byCommand.get(failedId);
      if (own) return own;
    }
    if (this.afterError) return this.afterError;
    if (this.errorLine) return this.errorLine;
    return this.firstOtherError ?? this.failingOutput(failedId, failing);
  }

  /**
   * The key line of a command still running where the log stops: its first error-looking output
   * (the build's for a build), else the last line it printed; null when it printed nothing.
   */
  pickRunning(id: string | null, kind: CommandKind): KeyLine | null {
    if (kind === "build" && (this.buildSolve ?? this.firstBuildError)) return this.buildSolve ?? this.firstBuildError;
    return (id !== null ? this.byCommand.get(id) : undefined) ?? this.failingOutput(id, kind);
  }

  /** What the failing command printed last, when it printed no line that reads like an error. */
  private failingOutput(failedId: string | null, failing: CommandKind | null): KeyLine | null {
    let p = this.lastOutput;
    let text = this.lastOutputText;
    if (p === null && this.lastOutputRaw !== null && this.lastOutputLines !== null) {
      p = this.lastOutputLines.parsed(this.lastOutputRaw, this.lastOutputLine);
      text = p.message;
    }
    if (p === null || BOILERPLATE.test(text)) return null;
    const own = failedId !== null ? p.id === failedId : failing !== null && this.lastOutputCommand === failing;
    if (!own) return null;
    return {
      source: p.source,
      line: p.line,
      text: detach(p.text.slice(0, 2000)),
      message: detach(text.slice(0, 2000)),
      origin: { command: this.lastOutputCommand, text: this.lastOutputOrigin },
    };
  }
}
