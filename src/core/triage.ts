// Most lines of a verbose deploy are output of a command SSHKit runs (`DEBUG [id] …`) that no
// rule looks for and that does not read like an error. For such a line the analysis needs only a
// few counters and where the line is, not its text: `OutputReader` recognises one from the raw
// line, as the normalizer and the parser would read it, without building a string. Anything it
// is not sure of goes the full way (normalize → parse → model → rules); it only ever declines.

import type { RulePrefilter } from "../rules/prefilter.js";
import { LineSplitter } from "./lines.js";
import { detach } from "./strings.js";
import { Normalizer } from "./normalize.js";
import { LineParser, type ParsedLine } from "./parse.js";
import { decodeVerdict, encodeVerdict, type VerdictWriter } from "./verdicts.js";

/** A character a Latin-1 byte cannot hold: such a chunk is triaged from its string. */
export const WIDE = /[^\x00-\xff]/;

/**
 * The length of the runner timestamp the line starts with, exactly as
 * `^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z)` matches it, or -1.
 */
export function stampLength(raw: string): number {
  if (raw.length < 20) return -1;
  // dddd-dd-ddTdd:dd:dd, unrolled: this runs on nearly every line of a runner's log.
  if (
    !digit(raw.charCodeAt(0)) ||
    !digit(raw.charCodeAt(1)) ||
    !digit(raw.charCodeAt(2)) ||
    !digit(raw.charCodeAt(3)) ||
    raw.charCodeAt(4) !== 45 ||
    !digit(raw.charCodeAt(5)) ||
    !digit(raw.charCodeAt(6)) ||
    raw.charCodeAt(7) !== 45 ||
    !digit(raw.charCodeAt(8)) ||
    !digit(raw.charCodeAt(9)) ||
    raw.charCodeAt(10) !== 84 ||
    !digit(raw.charCodeAt(11)) ||
    !digit(raw.charCodeAt(12)) ||
    raw.charCodeAt(13) !== 58 ||
    !digit(raw.charCodeAt(14)) ||
    !digit(raw.charCodeAt(15)) ||
    raw.charCodeAt(16) !== 58 ||
    !digit(raw.charCodeAt(17)) ||
    !digit(raw.charCodeAt(18))
  )
    return -1;
  let i = 19;
  if (raw.charCodeAt(i) === 46 /* . */) {
    let j = i + 1;
    while (j - i <= 9 && digit(raw.charCodeAt(j))) j++;
    // None or ten digits: neither `\.\d{1,9}Z` nor a `Z` right after the seconds.
    if (j === i + 1 || raw.charCodeAt(j) !== 90) return -1;
    i = j;
  }
  return raw.charCodeAt(i) === 90 /* Z */ ? i + 1 : -1;
}

/**
 * `stampLength` of a line written to `bytes` from `at` as Latin-1 (a one-byte string), `length`
 * characters long and followed by its line end (LF or CR), where `charCodeAt` would find nothing:
 * neither is a digit, `.` or `Z`, so each reading stops there as the string's does.
 */
export function stampLengthBytes(bytes: Uint8Array, at: number, length: number): number {
  if (length < 20) return -1;
  if (
    !digit(bytes[at] as number) ||
    !digit(bytes[at + 1] as number) ||
    !digit(bytes[at + 2] as number) ||
    !digit(bytes[at + 3] as number) ||
    bytes[at + 4] !== 45 ||
    !digit(bytes[at + 5] as number) ||
    !digit(bytes[at + 6] as number) ||
    bytes[at + 7] !== 45 ||
    !digit(bytes[at + 8] as number) ||
    !digit(bytes[at + 9] as number) ||
    bytes[at + 10] !== 84 ||
    !digit(bytes[at + 11] as number) ||
    !digit(bytes[at + 12] as number) ||
    bytes[at + 13] !== 58 ||
    !digit(bytes[at + 14] as number) ||
    !digit(bytes[at + 15] as number) ||
    bytes[at + 16] !== 58 ||
    !digit(bytes[at + 17] as number) ||
    !digit(bytes[at + 18] as number)
  )
    return -1;
  let i = at + 19;
  if (bytes[i] === 46 /* . */) {
    let j = i + 1;
    while (j - i <= 9 && digit(bytes[j] as number)) j++;
    if (j === i + 1 || bytes[j] !== 90) return -1;
    i = j;
  }
  return bytes[i] === 90 /* Z */ ? i + 1 - at : -1;
}

function digit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Skips colour codes (`ESC [ digits ; m`) at `i`; -1 at any other escape. */
function skipColours(raw: string, i: number): number {
  while (raw.charCodeAt(i) === 27) {
    let j = i + 1;
    if (raw.charCodeAt(j) !== 91) return -1;
    let c = raw.charCodeAt(++j);
    while (digit(c) || c === 59) c = raw.charCodeAt(++j);
    if (c !== 109) return -1;
    i = j + 1;
  }
  return i;
}

/** Reads `word` at `i` in the text as it is without colour codes; the index after it, or -1. */
function readWord(raw: string, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) {
    let c = raw.charCodeAt(i);
    if (c === 27) {
      i = skipColours(raw, i);
      if (i === -1) return -1;
      c = raw.charCodeAt(i);
    }
    if (c !== word.charCodeAt(k)) return -1;
    i++;
  }
  return i;
}

function hex8(raw: string, at: number): boolean {
  for (let k = 0; k < 8; k++) {
    const c = raw.charCodeAt(at + k);
    if (!(digit(c) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}

/**
 * Tells whether a raw line is SSHKit output of a command (`DEBUG [8 hex] message`, not
 * `Running`, `Finished in` or `Command:`) with no literal of any rule and no word that reads like
 * an error, as the normalizer and the parser would see it. A BOM, an escape other than a colour
 * code, a C1 CSI or U+2028/U+2029 all decline, and so does, in a source with runner timestamps
 * (`wrapped`), a line without one.
 */
export class OutputReader {
  /** Of the line last accepted: the runner timestamp's length (0: none), as RUNNER_TIMESTAMP takes it. */
  stampLength = 0;
  /** Where SSHKit's 8-hex command id starts in the raw line. */
  idAt = 0;
  /** The message (after `] `) holds more than white space: the parser's `message` is not empty. */
  printed = false;

  /**
   * The raw text before the id and from the id to the message of the last line read the long
   * way: output comes in runs whose lines share it byte for byte, so they share its reading. With
   * it, the literal scan's state after it for the id last seen (`id`).
   */
  private before = "";
  private after = "";
  private id = "";
  private state = 0;

  private bytes: Uint8Array | null = null;
  private base = 0;

  constructor(private readonly prefilter: RulePrefilter) {}

  /** Takes a verdict `read` gave on another thread (core/verdicts.ts): false for a decline. */
  accept(code: number): boolean {
    if (code < 0) return false;
    const { stampLength, idAt, printed } = decodeVerdict(code);
    this.stampLength = stampLength;
    this.idAt = idAt;
    this.printed = printed;
    return true;
  }

  /** `read`'s verdict as a code for core/verdicts.ts: null for a decline. */
  verdict(raw: string, wrapped: boolean, bytes: Uint8Array | null, at: number): number | null {
    return this.read(raw, wrapped, bytes, at) ? encodeVerdict(this.stampLength, this.idAt, this.printed) : null;
  }

  /** The literal scan of `raw` from `from` to `to` (`RulePrefilter.cleanScan`), over the bytes when there are. */
  private scan(raw: string, from: number, to: number, state: number): number {
    const bytes = this.bytes;
    return bytes === null ? this.prefilter.cleanScan(raw, from, to, state) : this.prefilter.cleanScanBytes(bytes, this.base + from, this.base + to, state);
  }

  /**
   * `bytes`: null, or the line written as Latin-1 at `at` (a one-byte string, followed by its
   * line end): the timestamp and the literal scans then read bytes, which is quicker than
   * `charCodeAt`, and decide the same.
   */
  read(raw: string, wrapped: boolean, bytes: Uint8Array | null = null, at = 0): boolean {
    this.bytes = bytes;
    this.base = at;
    let from = 0;
    let stamp = 0;
    if (wrapped) {
      stamp = bytes === null ? stampLength(raw) : stampLengthBytes(bytes, at, raw.length);
      if (stamp === -1) return false;
      from = raw.charCodeAt(stamp) === 32 ? stamp + 1 : stamp;
    }
    let idAt: number;
    let message: number;
    let state: number;
    const before = this.before;
    if (before !== "" && raw.startsWith(before, from) && hex8(raw, from + before.length) && raw.startsWith(this.after, from + before.length + 8)) {
      idAt = from + before.length;
      message = idAt + 8 + this.after.length;
      if (!raw.startsWith(this.id, idAt)) {
        const scanned = this.scan(raw, from, message, 0);
        if (scanned < 0) return false;
        this.id = detach(raw.slice(idAt, idAt + 8));
        this.state = scanned;
      }
      state = this.state;
    } else {
      idAt = prefix(raw, from);
      if (idAt === -1 || !hex8(raw, idAt)) return false;
      const i = readWord(raw, idAt + 8, "]");
      if (i === -1) return false;
      // `(?: (.*))?$`: the end, or a space and the message.
      const at = skipColours(raw, i);
      if (at === -1) return false;
      if (at === raw.length) {
        if (this.scan(raw, from, raw.length, 0) < 0) return false;
        this.stampLength = stamp;
        this.idAt = idAt;
        this.printed = false;
        return true;
      }
      if (raw.charCodeAt(at) !== 32) return false;
      message = at + 1;
      state = this.scan(raw, from, message, 0);
      if (state < 0) return false;
      this.before = detach(raw.slice(from, idAt));
      this.after = detach(raw.slice(idAt + 8, message));
      this.id = detach(raw.slice(idAt, idAt + 8));
      this.state = state;
    }
    // Not what the parser reads as a command's start, finish or text.
    const first = skipColours(raw, message);
    if (first === -1) return false;
    const c = raw.charCodeAt(first);
    if (c === 82 /* R */ ? readWord(raw, message, "Running ") !== -1 : c === 70 /* F */ ? readWord(raw, message, "Finished in ") !== -1 : c === 67 /* C */ && readWord(raw, message, "Command: ") !== -1) return false;
    // The message after `trimStart()`: empty when only spaces and tabs follow; anything but
    // printable ASCII first declines (JavaScript's white space is wider than ASCII's).
    let printed = false;
    for (let at = first; ; ) {
      at = skipColours(raw, at);
      if (at === -1) return false;
      if (at >= raw.length) break;
      const d = raw.charCodeAt(at);
      if (d === 32 || d === 9) {
        at++;
        continue;
      }
      if (d <= 32 || d >= 127) return false;
      printed = true;
      break;
    }
    // The rest of the text the rules would see.
    if (this.scan(raw, message, raw.length, state) < 0) return false;
    this.stampLength = stamp;
    this.idAt = idAt;
    this.printed = printed;
    return true;
  }
}

/** `^\s*` (spaces and tabs only: any other white space declines) and `DEBUG [`: where the id starts, or -1. */
function prefix(raw: string, from: number): number {
  let i = skipColours(raw, from);
  for (;;) {
    if (i === -1) return -1;
    const c = raw.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i = skipColours(raw, i + 1);
  }
  i = readWord(raw, i, "DEBUG [");
  return i === -1 ? -1 : skipColours(raw, i);
}

/**
 * A source's lines kept raw (`OutputReader` took them): read the full way only when some part
 * of the analysis needs one's text — evidence before a match, the line a log stops on. The same
 * normalizer and parser the line would have gone through, started in the state it would have met
 * (the source's runner timestamps decided, no echo open); for a line of command output what they
 * give does not depend on any other state.
 */
export class RawLines {
  constructor(
    readonly source: string,
    private readonly wrapped: boolean,
  ) {}

  parsed(raw: string, line: number): ParsedLine {
    const parsed = new LineParser(this.source).parse(new Normalizer(this.wrapped).normalize(raw));
    parsed.line = line;
    return parsed;
  }

  text(raw: string): string {
    return new Normalizer(this.wrapped).normalize(raw).text;
  }
}

/**
 * The triage of every line of the sources it is shown, as the analysis would run it (the same
 * lines, the same decision on runner timestamps, the same bytes), written for the analysis to
 * take on another thread (core/verdicts.ts). A line before its source's first non-empty one is
 * declined: the analysis reads those the full way.
 */
export class TriageVerdicts {
  private readonly output: OutputReader;
  private normalizer = new Normalizer();
  private splitter: LineSplitter | null = null;
  private bytes: Uint8Array | null = null;
  private scratch: Buffer = Buffer.allocUnsafe(0);

  constructor(
    prefilter: RulePrefilter,
    private readonly writer: VerdictWriter,
  ) {
    this.output = new OutputReader(prefilter);
  }

  beginSource(): void {
    this.normalizer = new Normalizer();
    this.splitter = new LineSplitter((line, at) => this.line(line, at));
  }

  push(chunk: string): void {
    if (this.writer.stopped || this.splitter === null) return;
    if (!WIDE.test(chunk)) {
      if (this.scratch.length < chunk.length) this.scratch = Buffer.allocUnsafe(chunk.length);
      this.scratch.write(chunk, 0, "latin1");
      this.bytes = this.scratch;
    }
    this.splitter.push(chunk);
    this.bytes = null;
    this.writer.flush();
  }

  endSource(): void {
    this.splitter?.end();
    this.splitter = null;
    this.writer.endSource();
    this.writer.flush();
  }

  private line(raw: string, at: number): void {
    const wrapped = this.normalizer.decided;
    if (wrapped === null) {
      this.normalizer.normalize(raw);
      this.writer.line(raw.length, null);
      return;
    }
    this.writer.line(raw.length, this.output.verdict(raw, wrapped, at === -1 ? null : this.bytes, at));
  }
}
