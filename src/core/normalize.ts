// GitHub Actions and terminal hygiene: turns one raw line into the text Kamal printed.
// Removes a BOM, the runner's timestamp prefix (kept as a timestamp), ANSI escapes, and
// recognises the runner's `##[…]` markers and its echo of a `run:` script, which is not output.

import stripAnsi from "strip-ansi";

/** The runner's prefix: ISO-8601 UTC with 1–9 fraction digits, a literal Z, one space. */
const RUNNER_TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z) ?/;
/** Select Graphic Rendition: `ESC [ … m`, the colour codes Kamal, SSHKit and Docker print. */
const SGR = /\x1b\[[0-9;]*m/g;
const MARKER = /^##\[(group|endgroup|error|warning|notice|debug|command|section)\](.*)$/;
/** `Error: Process completed with exit code 1.` is how the web UI shows the runner's error. */
const EXIT_LINE = /^(?:##\[error\]|Error: )Process completed with exit code (\d+)\.$/;

/**
 * The text without its colour codes (`ESC [ digits ; m`, as SGR matches them), or null when
 * another escape sequence or a CSI byte is left for strip-ansi. One indexOf per code instead of a
 * global replace and two more searches of the result: nearly every line of a coloured log has codes.
 */
function withoutColours(text: string): string | null {
  const length = text.length;
  let out = "";
  let from = 0;
  for (let at = text.indexOf("\x1b"); at !== -1; at = text.indexOf("\x1b", at + 1)) {
    let i = at + 1;
    if (text.charCodeAt(i) !== 91 /* [ */) return null;
    let c = text.charCodeAt(++i);
    while ((c >= 48 && c <= 57) || c === 59) c = text.charCodeAt(++i);
    if (c !== 109 /* m */ || i >= length) return null;
    out += text.slice(from, at);
    from = i + 1;
    at = i;
  }
  out = from === 0 ? text : out + text.slice(from);
  return out.includes("\x9b") ? null : out;
}

export type RunnerMarker = "group" | "endgroup" | "error" | "warning" | "notice" | "debug" | "command" | "section";

export interface NormalizedLine {
  /** 1-based line number in the source (after splitting on CR, LF and CRLF). */
  line: number;
  text: string;
  timestamp: string | null;
  marker: RunnerMarker | null;
  /** The line is the runner's echo of a step's script (`##[group]Run …` … `##[endgroup]`). */
  echo: boolean;
  /** Set on a `##[group]Run <title>` line: a new step starts. */
  stepTitle: string | null;
  /** Set on the runner's "Process completed with exit code N." line. */
  exitCode: number | null;
}

export class Normalizer {
  private lineNumber = 0;
  /** Decided by the first non-empty line: does this source carry runner timestamps? */
  private wrapped: boolean | null = null;
  private lastTimestamp: string | null = null;
  private inEcho = false;

  /** `wrapped`: decided already (a copy of another source's normalizer, see core/triage.ts). */
  constructor(wrapped: boolean | null = null) {
    this.wrapped = wrapped;
  }

  /**
   * Whether the source carries runner timestamps, once decided, while no runner echo is open:
   * then a line of command output changes nothing here but the line number and the last
   * timestamp (`skipped`). Null otherwise.
   */
  get skippable(): boolean | null {
    return this.inEcho ? null : this.wrapped;
  }

  /** Whether the source carries runner timestamps: null until its first non-empty line. */
  get decided(): boolean | null {
    return this.wrapped;
  }

  /** Counts a line `triage.ts` took as command output; its timestamp, when it has one. */
  skipped(timestamp: string | null): number {
    if (timestamp !== null) this.lastTimestamp = timestamp;
    return ++this.lineNumber;
  }

  get lines(): number {
    return this.lineNumber;
  }

  get isWrapped(): boolean {
    return this.wrapped === true;
  }

  normalize(raw: string): NormalizedLine {
    this.lineNumber++;
    let text = raw;
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);

    let timestamp: string | null = null;
    if (this.wrapped === null && text.trim().length > 0) this.wrapped = RUNNER_TIMESTAMP.test(text);
    if (this.wrapped) {
      const match = RUNNER_TIMESTAMP.exec(text);
      if (match) {
        timestamp = match[1] ?? null;
        this.lastTimestamp = timestamp;
        text = text.slice(match[0].length);
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      } else {
        timestamp = this.lastTimestamp;
      }
    }
    if (text.includes("\x1b") || text.includes("\x9b")) {
      // Colour codes are nearly all there is: remove them cheaply, and leave anything else to strip-ansi.
      const plain = withoutColours(text);
      text = plain ?? stripAnsi(text.replace(SGR, ""));
    }

    let marker: RunnerMarker | null = null;
    let stepTitle: string | null = null;
    let exitCode: number | null = null;
    let echo = false;
    if (text.startsWith("##[")) {
      const match = MARKER.exec(text);
      if (match) {
        marker = match[1] as RunnerMarker;
        const rest = match[2] ?? "";
        if (marker === "group") {
          if (rest.startsWith("Run ")) {
            stepTitle = rest.slice(4).trim();
            this.inEcho = true;
          } else {
            this.inEcho = false;
          }
        } else if (marker === "endgroup") {
          this.inEcho = false;
        }
      }
    } else if (this.inEcho) {
      echo = true;
    }
    if (marker === "error" || text.startsWith("Error: Process")) {
      const exit = EXIT_LINE.exec(text);
      if (exit) exitCode = Number(exit[1]);
    }
    if (marker !== null && marker !== "group" && marker !== "endgroup") text = text.slice(marker.length + 4);
    return { line: this.lineNumber, text, timestamp, marker, echo, stepTitle, exitCode };
  }
}
