// Most lines of a verbose deploy are output of a command SSHKit runs (`DEBUG [id] …`) that no
// rule looks for and that does not read like an error. For such a line the analysis needs only a
// few counters and where the line is, not its text: `readOutputLine` recognises one from the raw
// line, as the normalizer and the parser would read it, without building a string. Anything it
// is not sure of goes the full way (normalize → parse → model → rules); it only ever declines.

import { NO_HIT, type RulePrefilter } from "../rules/prefilter.js";
import { Normalizer } from "./normalize.js";
import { LineParser, type ParsedLine } from "./parse.js";

/** What `readOutputLine` found out about a line it accepted. */
export interface OutputLine {
  /** The runner timestamp's length (0: none), as the normalizer's RUNNER_TIMESTAMP takes it. */
  stampLength: number;
  /** Where SSHKit's 8-hex command id starts in the raw line. */
  idAt: number;
  /** The message (after `] `) holds more than white space: the parser's `message` is not empty. */
  printed: boolean;
}

/**
 * The length of the runner timestamp the line starts with, exactly as
 * `^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z)` matches it, or -1.
 */
export function stampLength(raw: string): number {
  if (raw.length < 20) return -1;
  for (let i = 0; i < 19; i++) {
    const c = raw.charCodeAt(i);
    const want = STAMP_SHAPE.charCodeAt(i);
    if (want === 100 /* d */ ? c < 48 || c > 57 : c !== want) return -1;
  }
  let i = 19;
  if (raw.charCodeAt(i) === 46 /* . */) {
    let j = i + 1;
    while (j - i <= 9 && isDigit(raw.charCodeAt(j))) j++;
    // None or ten digits: neither `\.\d{1,9}Z` nor a `Z` right after the seconds.
    if (j === i + 1 || raw.charCodeAt(j) !== 90) return -1;
    i = j;
  }
  return raw.charCodeAt(i) === 90 /* Z */ ? i + 1 : -1;
}

const STAMP_SHAPE = "dddd-dd-ddTdd:dd:dd";

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Skips colour codes (`ESC [ digits ; m`) at `i`; -1 at any other escape. */
function skipColours(raw: string, i: number): number {
  while (raw.charCodeAt(i) === 27) {
    let j = i + 1;
    if (raw.charCodeAt(j) !== 91) return -1;
    let c = raw.charCodeAt(++j);
    while (isDigit(c) || c === 59) c = raw.charCodeAt(++j);
    if (c !== 109) return -1;
    i = j + 1;
  }
  return i;
}

/** Reads `word` at `i` in the text as it is without colour codes; the index after it, or -1. */
function readWord(raw: string, i: number, word: string): number {
  for (let k = 0; k < word.length; k++) {
    i = skipColours(raw, i);
    if (i === -1 || raw.charCodeAt(i) !== word.charCodeAt(k)) return -1;
    i++;
  }
  return i;
}

/**
 * Is the raw line SSHKit output of a command (`DEBUG [8 hex] message`, not `Running`, `Finished
 * in` or `Command:`) with no literal of any rule and no word that reads like an error, as the
 * normalizer and the parser would see it? Fills `out` and returns true only then. `wrapped`: the
 * source carries runner timestamps (decided by its first line); a wrapped line without one, a
 * BOM, an escape other than a colour code, a C1 CSI or U+2028/U+2029 all decline.
 */
export function readOutputLine(raw: string, wrapped: boolean, prefilter: RulePrefilter, out: OutputLine): boolean {
  let from = 0;
  let stamp = 0;
  if (wrapped) {
    stamp = stampLength(raw);
    if (stamp === -1) return false;
    from = raw.charCodeAt(stamp) === 32 ? stamp + 1 : stamp;
  }
  // `^\s*` as spaces and tabs only (any other white space declines), then the level and id.
  let i = skipColours(raw, from);
  for (;;) {
    if (i === -1) return false;
    const c = raw.charCodeAt(i);
    if (c !== 32 && c !== 9) break;
    i = skipColours(raw, i + 1);
  }
  i = readWord(raw, i, "DEBUG [");
  if (i === -1) return false;
  i = skipColours(raw, i);
  if (i === -1) return false;
  const idAt = i;
  for (let k = 0; k < 8; k++) {
    const c = raw.charCodeAt(idAt + k);
    if (!(isDigit(c) || (c >= 97 && c <= 102))) return false;
  }
  i = readWord(raw, idAt + 8, "]");
  if (i === -1) return false;
  // `(?: (.*))?$`: the end, or a space and the message.
  let at = skipColours(raw, i);
  if (at === -1) return false;
  let printed = false;
  if (at < raw.length) {
    if (raw.charCodeAt(at) !== 32) return false;
    const message = at + 1;
    if (readWord(raw, message, "Running ") !== -1 || readWord(raw, message, "Finished in ") !== -1 || readWord(raw, message, "Command: ") !== -1) return false;
    // The message after `trimStart()`: empty when only spaces and tabs follow; anything but
    // printable ASCII first declines (JavaScript's white space is wider than ASCII's).
    at = message;
    for (;;) {
      at = skipColours(raw, at);
      if (at === -1) return false;
      if (at >= raw.length) break;
      const c = raw.charCodeAt(at);
      if (c === 32 || c === 9) {
        at++;
        continue;
      }
      if (c <= 32 || c >= 127) return false;
      printed = true;
      break;
    }
  }
  // The whole text the rules would see, from its first character.
  if (prefilter.cleanHit(raw, from) !== NO_HIT) return false;
  out.stampLength = stamp;
  out.idAt = idAt;
  out.printed = printed;
  return true;
}

/**
 * A source's lines kept raw (`readOutputLine` took them): read the full way only when some part
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
