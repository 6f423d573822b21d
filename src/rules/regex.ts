// The syntax tree of a rule pattern: one parser for every analysis of rule regexes (the
// backtracking check in redos.ts, the prefilter literals in literals.ts). Rule patterns are
// compiled with the `u` flag and validated by `new RegExp` before they get here, so the parser
// reads the strict Unicode-mode grammar only: no Annex B leniency (`]`, `{` alone, `\:`) to guess
// about, and anything it cannot read is a syntax error it reports by throwing.

/** A set of characters: ASCII as a bitmap, anything beyond as one flag. */
export class CharSet {
  readonly bits = new Uint32Array(4);
  nonAscii = false;

  static of(codes: Iterable<number>): CharSet {
    const set = new CharSet();
    for (const c of codes) set.add(c);
    return set;
  }

  static range(from: number, to: number): CharSet {
    const set = new CharSet();
    set.addRange(from, to);
    return set;
  }

  static any(): CharSet {
    const set = new CharSet();
    set.bits.fill(0xffffffff);
    set.nonAscii = true;
    return set;
  }

  add(c: number): void {
    if (c < 128) this.bits[c >> 5] = ((this.bits[c >> 5] as number) | (1 << (c & 31))) >>> 0;
    else this.nonAscii = true;
  }

  addRange(from: number, to: number): void {
    for (let c = from; c <= Math.min(to, 127); c++) this.add(c);
    if (to >= 128) this.nonAscii = true;
  }

  union(other: CharSet): CharSet {
    const out = new CharSet();
    for (let i = 0; i < 4; i++) out.bits[i] = ((this.bits[i] as number) | (other.bits[i] as number)) >>> 0;
    out.nonAscii = this.nonAscii || other.nonAscii;
    return out;
  }

  intersect(other: CharSet): CharSet {
    const out = new CharSet();
    for (let i = 0; i < 4; i++) out.bits[i] = ((this.bits[i] as number) & (other.bits[i] as number)) >>> 0;
    out.nonAscii = this.nonAscii && other.nonAscii;
    return out;
  }

  intersects(other: CharSet): boolean {
    for (let i = 0; i < 4; i++) if (((this.bits[i] as number) & (other.bits[i] as number)) !== 0) return true;
    return this.nonAscii && other.nonAscii;
  }

  /** Every character of `other` is in this set (beyond ASCII: both have some). */
  covers(other: CharSet): boolean {
    for (let i = 0; i < 4; i++) if ((((other.bits[i] as number) & ~(this.bits[i] as number)) >>> 0) !== 0) return false;
    return this.nonAscii || !other.nonAscii;
  }

  isEmpty(): boolean {
    return !this.nonAscii && this.bits.every((word) => word === 0);
  }

  complement(): CharSet {
    const out = new CharSet();
    for (let i = 0; i < 4; i++) out.bits[i] = ~(this.bits[i] as number) >>> 0;
    // Beyond ASCII, a negated class almost always still matches something.
    out.nonAscii = true;
    return out;
  }

  foldCase(): CharSet {
    const out = this.union(new CharSet());
    for (let c = 65; c <= 90; c++) {
      if (this.has(c) || this.has(c + 32)) {
        out.add(c);
        out.add(c + 32);
      }
    }
    return out;
  }

  has(c: number): boolean {
    return (((this.bits[c >> 5] as number) >>> (c & 31)) & 1) === 1;
  }
}

export const DIGIT = CharSet.range(48, 57);
export const WORD = DIGIT.union(CharSet.of([95])).union(CharSet.range(65, 90)).union(CharSet.range(97, 122));
export const SPACE = CharSet.of([9, 10, 11, 12, 13, 32]);
SPACE.nonAscii = true;
/** `.`: anything but a line terminator. */
export const DOT = CharSet.any().intersect(CharSet.of([10, 13]).complement());

interface Span {
  /** Offsets of the node's text in the pattern source. */
  start: number;
  end: number;
}

export type RegexNode = Span &
  (
    | {
        type: "char";
        set: CharSet;
        /** The character when it stands for itself in the source (ASCII, plain or `\.`-escaped). */
        literal: string | null;
      }
    /** `^`, `$`, `\b`, `\B`: match no characters. */
    | { type: "assert"; kind: "^" | "$" | "b" | "B" }
    /** `\1`, `\k<name>`: whatever the group matched. */
    | { type: "backref" }
    | { type: "group"; capturing: boolean; body: RegexNode }
    | { type: "look"; ahead: boolean; negate: boolean; body: RegexNode }
    | { type: "seq"; items: RegexNode[] }
    | { type: "alt"; branches: RegexNode[] }
    | { type: "repeat"; min: number; max: number; lazy: boolean; body: RegexNode }
  );

export class RegexSyntaxError extends Error {}

/** Parses a pattern as `new RegExp(source, "u")` reads it; throws RegexSyntaxError if it cannot. */
export function parseRegex(source: string): RegexNode {
  return new Parser(source).parse();
}

const SYNTAX = "^$\\.*+?()[]{}|/";

class Parser {
  private i = 0;
  constructor(private readonly source: string) {}

  parse(): RegexNode {
    const node = this.disjunction();
    if (this.i < this.source.length) this.fail("unbalanced )");
    return node;
  }

  private fail(message: string): never {
    throw new RegexSyntaxError(`${message} at ${this.i}`);
  }

  private peek(offset = 0): string | undefined {
    return this.source[this.i + offset];
  }

  private disjunction(): RegexNode {
    const start = this.i;
    const branches = [this.sequence()];
    while (this.peek() === "|") {
      this.i++;
      branches.push(this.sequence());
    }
    return branches.length === 1 ? (branches[0] as RegexNode) : { type: "alt", branches, start, end: this.i };
  }

  private sequence(): RegexNode {
    const start = this.i;
    const items: RegexNode[] = [];
    while (this.i < this.source.length && this.peek() !== "|" && this.peek() !== ")") {
      const atomStart = this.i;
      const atom = this.term();
      const quantifier = this.quantifier();
      if (quantifier) {
        if (atom.type === "assert" || (atom.type === "look" && !atom.ahead)) this.fail("nothing to repeat");
        items.push({ type: "repeat", min: quantifier.min, max: quantifier.max, lazy: quantifier.lazy, body: atom, start: atomStart, end: this.i });
      } else {
        items.push(atom);
      }
    }
    return { type: "seq", items, start, end: this.i };
  }

  private quantifier(): { min: number; max: number; lazy: boolean } | null {
    const ch = this.peek();
    let min: number;
    let max: number;
    if (ch === "*") [min, max] = [0, Infinity];
    else if (ch === "+") [min, max] = [1, Infinity];
    else if (ch === "?") [min, max] = [0, 1];
    else if (ch === "{") {
      const match = /^\{(\d+)(?:(,)(\d*))?\}/.exec(this.source.slice(this.i));
      if (!match) this.fail("incomplete quantifier");
      min = Number(match[1]);
      max = match[2] === undefined ? min : match[3] === "" ? Infinity : Number(match[3]);
      this.i += match[0].length - 1;
    } else return null;
    this.i++;
    const lazy = this.peek() === "?";
    if (lazy) this.i++;
    return { min, max, lazy };
  }

  private term(): RegexNode {
    const start = this.i;
    const ch = this.peek() as string;
    if (ch === "(") return this.group();
    if (ch === "[") return { type: "char", set: this.characterClass(), literal: null, start, end: this.i };
    if (ch === ".") {
      this.i++;
      return { type: "char", set: DOT, literal: null, start, end: this.i };
    }
    if (ch === "^" || ch === "$") {
      this.i++;
      return { type: "assert", kind: ch, start, end: this.i };
    }
    if (ch === "\\") return this.atomEscape();
    if ("*+?{}]".includes(ch)) this.fail(`unexpected ${ch}`);
    const code = this.source.codePointAt(this.i) as number;
    this.i += code > 0xffff ? 2 : 1;
    return { type: "char", set: CharSet.of([code]), literal: code < 128 ? ch : null, start, end: this.i };
  }

  private group(): RegexNode {
    const start = this.i;
    this.i++;
    let kind: "capture" | "plain" | "look" = "capture";
    let ahead = true;
    let negate = false;
    if (this.peek() === "?") {
      const next = this.peek(1);
      if (next === ":") {
        kind = "plain";
        this.i += 2;
      } else if (next === "=" || next === "!") {
        kind = "look";
        negate = next === "!";
        this.i += 2;
      } else if (next === "<" && (this.peek(2) === "=" || this.peek(2) === "!")) {
        kind = "look";
        ahead = false;
        negate = this.peek(2) === "!";
        this.i += 3;
      } else if (next === "<") {
        const name = /^\?<[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*>/u.exec(this.source.slice(this.i));
        if (!name) this.fail("invalid group name");
        this.i += name[0].length;
      } else {
        this.fail("invalid group");
      }
    }
    const body = this.disjunction();
    if (this.peek() !== ")") this.fail("unterminated group");
    this.i++;
    const end = this.i;
    return kind === "look" ? { type: "look", ahead, negate, body, start, end } : { type: "group", capturing: kind === "capture", body, start, end };
  }

  private atomEscape(): RegexNode {
    const start = this.i;
    const e = this.peek(1);
    if (e === undefined) this.fail("\\ at end of pattern");
    if (e === "b" || e === "B") {
      this.i += 2;
      return { type: "assert", kind: e, start, end: this.i };
    }
    if (/[1-9]/.test(e)) {
      this.i++;
      while (/\d/.test(this.peek() ?? "")) this.i++;
      return { type: "backref", start, end: this.i };
    }
    if (e === "k") {
      const close = this.source.indexOf(">", this.i);
      if (this.peek(2) !== "<" || close === -1) this.fail("invalid named reference");
      this.i = close + 1;
      return { type: "backref", start, end: this.i };
    }
    if (SYNTAX.includes(e)) {
      this.i += 2;
      return { type: "char", set: CharSet.of([e.charCodeAt(0)]), literal: e, start, end: this.i };
    }
    const escaped = this.characterEscape(false);
    return { type: "char", set: typeof escaped === "number" ? CharSet.of([escaped]) : escaped, literal: null, start, end: this.i };
  }

  /** From a backslash: a class escape (`\d`, `\p{…}`) or one character (`\n`, `\x41`, `\u{…}`). */
  private characterEscape(inClass: boolean): number | CharSet {
    this.i++;
    const e = this.peek() as string;
    this.i++;
    const hex = (digits: string) => {
      if (!/^[0-9a-fA-F]+$/.test(digits)) this.fail("invalid escape");
      return parseInt(digits, 16);
    };
    switch (e) {
      case "d":
        return DIGIT;
      case "D":
        return DIGIT.complement();
      case "w":
        return WORD;
      case "W":
        return WORD.complement();
      case "s":
        return SPACE;
      case "S":
        return SPACE.complement();
      case "n":
        return 10;
      case "r":
        return 13;
      case "t":
        return 9;
      case "f":
        return 12;
      case "v":
        return 11;
      case "0":
        return 0;
      case "b":
        if (inClass) return 8;
        break;
      case "-":
        if (inClass) return 45;
        break;
      case "c": {
        const letter = this.peek() ?? "";
        if (!/[A-Za-z]/.test(letter)) this.fail("invalid control escape");
        this.i++;
        return letter.charCodeAt(0) % 32;
      }
      case "x": {
        const code = hex(this.source.slice(this.i, this.i + 2));
        this.i += 2;
        return code;
      }
      case "u": {
        if (this.peek() === "{") {
          const close = this.source.indexOf("}", this.i);
          if (close === -1) this.fail("invalid unicode escape");
          const code = hex(this.source.slice(this.i + 1, close));
          this.i = close + 1;
          return code;
        }
        const code = hex(this.source.slice(this.i, this.i + 4));
        this.i += 4;
        return code;
      }
      case "p":
      case "P": {
        const close = this.source.indexOf("}", this.i);
        if (this.peek() !== "{" || close === -1) this.fail("invalid property escape");
        this.i = close + 1;
        // Which characters a property holds is not worked out: assume any (conservative for overlap).
        return CharSet.any();
      }
      default:
        if (SYNTAX.includes(e)) return e.charCodeAt(0);
    }
    this.i -= 2;
    return this.fail(`invalid escape \\${e}`);
  }

  private characterClass(): CharSet {
    this.i++;
    const negate = this.peek() === "^";
    if (negate) this.i++;
    let set = new CharSet();
    // One class atom: a single character code, or a set (a class escape), which cannot bound a range.
    const atom = (): number | CharSet => {
      if (this.peek() === "\\") return this.characterEscape(true);
      const code = this.source.codePointAt(this.i) as number;
      this.i += code > 0xffff ? 2 : 1;
      return code;
    };
    while (this.peek() !== "]") {
      if (this.i >= this.source.length) this.fail("unterminated character class");
      const low = atom();
      if (this.peek() === "-" && this.peek(1) !== "]" && this.i + 1 < this.source.length) {
        this.i++;
        const high = atom();
        if (typeof low !== "number" || typeof high !== "number") this.fail("invalid class range");
        set.addRange(low, high);
      } else if (typeof low === "number") {
        set.add(low);
      } else {
        set = set.union(low);
      }
    }
    this.i++;
    return negate ? set.complement() : set;
  }
}
