// One pass over a line finds every rule that could match it. All patterns' required literals go
// into one Aho–Corasick automaton (ASCII, case-folded); a line is scanned once, character by
// character, and only the patterns whose literal turned up (plus the few that have none) run
// their regex. On a verbose log most lines contain no literal at all and touch no regex.

import type { CompiledPattern, CompiledRule } from "./compile.js";

/** Characters from here up never occur in a literal: they send the automaton back to its root. */
const ASCII = 128;

/** Literal ids of a pattern; null when it has no required literal and must always run. */
type Gate = Int32Array | null;

export interface RuleGates {
  near: Gate;
  patterns: Gate[];
}

/**
 * A gate needs only part of a required literal: the regex decides. Shorter literals keep the
 * automaton small, so it is built in a millisecond or two at start-up.
 */
export const MAX_GATE_LENGTH = 16;

/** `cleanScan`: the text holds a literal once its colour codes are removed. */
export const HIT = -1;
/** `cleanScan`: it cannot say (an escape other than a colour code, a C1 CSI, a line separator). */
export const UNDECIDED = -2;

/**
 * Aho–Corasick over the literals, ASCII and case-folded. The transition table is dense but
 * narrow: characters are mapped to classes (the ~50 characters that occur in some literal, plus
 * one for all others), which makes it a third of a 128-column table and quicker to build.
 * A state is stored premultiplied by the table's width, and negated when some literal ends
 * there, so the scan loop tests one sign per character.
 */
export class LiteralAutomaton {
  /** (state + class) → next state, premultiplied by `width`; negative: literals end there. */
  private readonly next: Int32Array;
  /** ASCII character → class; 0 for a character in no literal. Upper case maps like lower. */
  private readonly classOf: Uint8Array;
  private readonly width: number;
  /** For each state, the literal ids that end there (own and via failure links). */
  private readonly outputs: Array<Int32Array | null>;

  /** Builds the automaton of `literals`; `table`: the one built before for the same list (`fromBytes`). */
  constructor(literals: readonly string[], table?: AutomatonTable) {
    if (table) {
      this.next = table.next;
      this.classOf = table.classOf;
      this.width = table.width;
      this.outputs = table.outputs;
      return;
    }
    const classOf = new Uint8Array(ASCII);
    let width = 1;
    for (const literal of literals) {
      for (let i = 0; i < literal.length; i++) {
        const c = fold(literal.charCodeAt(i));
        if (c < ASCII && classOf[c] === 0) classOf[c] = width++;
      }
    }
    for (let c = 65; c <= 90; c++) classOf[c] = classOf[c + 32] as number;
    // The trie: children of state s are kept in a flat map keyed by s * width + class.
    const child = new Map<number, number>();
    const own: number[][] = [[]];
    literals.forEach((literal, id) => {
      let state = 0;
      for (let i = 0; i < literal.length; i++) {
        const c = fold(literal.charCodeAt(i));
        if (c >= ASCII) throw new Error(`prefilter literals are ASCII (rules/literals.ts): ${JSON.stringify(literal)}`);
        const key = state * width + (classOf[c] as number);
        let target = child.get(key);
        if (target === undefined) {
          target = own.length;
          own.push([]);
          child.set(key, target);
        }
        state = target;
      }
      (own[state] as number[]).push(id);
    });
    const states = own.length;
    const next = new Int32Array(states * width);
    const fail = new Int32Array(states);
    const ends = new Uint8Array(states);
    const childrenOf: number[][] = Array.from({ length: states }, () => []);
    for (const key of child.keys()) (childrenOf[Math.floor(key / width)] as number[]).push(key % width);
    // Breadth-first: a state's row starts as its failure state's row, then its own children.
    // A failure state is shallower, so its row, outputs and `ends` are complete by then.
    const queue: number[] = [0];
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      const base = state * width;
      const failure = fail[state] as number;
      if (state !== 0) {
        next.copyWithin(base, failure * width, failure * width + width);
        (own[state] as number[]).push(...(own[failure] as number[]));
      }
      for (const c of childrenOf[state] as number[]) {
        const target = child.get(base + c) as number;
        const targetFailure = state === 0 ? 0 : Math.abs(next[base + c] as number) / width;
        fail[target] = targetFailure;
        ends[target] = (own[target] as number[]).length > 0 || ends[targetFailure] === 1 ? 1 : 0;
        next[base + c] = ends[target] === 1 ? -target * width : target * width;
        queue.push(target);
      }
      next[base] = 0; // a character in no literal
    }
    this.next = next;
    this.classOf = classOf;
    this.width = width;
    this.outputs = own.map((ids) => (ids.length > 0 ? Int32Array.from(new Set(ids)) : null));
  }

  /**
   * The automaton as bytes, its literals first (what `fromBytes` checks it against): a u32 length,
   * a JSON header (literals, width, the states where literals end and their ids), then the class
   * map and the transition table, little-endian. The build writes the built-in catalogue's.
   */
  toBytes(literals: readonly string[]): Uint8Array {
    const ends: number[][] = [];
    this.outputs.forEach((ids, state) => {
      if (ids) ends.push([state, ...ids]);
    });
    const header = Buffer.from(JSON.stringify({ v: TABLE_VERSION, literals, width: this.width, states: this.next.length / this.width, ends }), "utf8");
    const at = align(4 + header.length);
    const bytes = new Uint8Array(at + ASCII + this.next.length * 4);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, header.length, true);
    bytes.set(header, 4);
    bytes.set(this.classOf, at);
    this.next.forEach((value, i) => view.setInt32(at + ASCII + i * 4, value, true));
    return bytes;
  }

  /** The table `toBytes` wrote, when it was written for exactly these literals; else null (build it). */
  static fromBytes(bytes: Uint8Array, literals: readonly string[]): LiteralAutomaton | null {
    try {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const length = view.getUint32(0, true);
      const header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 4, length).toString("utf8")) as { v: number; literals: string[]; width: number; states: number; ends: number[][] };
      if (header.v !== TABLE_VERSION || header.literals.length !== literals.length || header.literals.some((literal, i) => literal !== literals[i])) return null;
      const at = align(4 + length);
      const cells = header.states * header.width;
      if (bytes.byteLength !== at + ASCII + cells * 4) return null;
      const classOf = bytes.slice(at, at + ASCII);
      // Where the machine is little-endian the bytes are the table (a view, or an aligned copy); else read value by value.
      const start = bytes.byteOffset + at + ASCII;
      const next = !LITTLE_ENDIAN
        ? Int32Array.from({ length: cells }, (_, i) => view.getInt32(at + ASCII + i * 4, true))
        : start % 4 === 0
          ? new Int32Array(bytes.buffer, start, cells)
          : new Int32Array(bytes.slice(at + ASCII).buffer);
      const outputs: Array<Int32Array | null> = new Array<Int32Array | null>(header.states).fill(null);
      for (const [state, ...ids] of header.ends) outputs[state as number] = Int32Array.from(ids);
      return new LiteralAutomaton(literals, { width: header.width, classOf, next, outputs });
    } catch {
      return null;
    }
  }

  /** Appends to `found` the id of every literal occurrence in `text` (repeats included). */
  scan(text: string, found: number[]): void {
    const next = this.next;
    const classOf = this.classOf;
    const outputs = this.outputs;
    const width = this.width;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      state = c < ASCII ? (next[state + (classOf[c] as number)] as number) : 0;
      if (state < 0) {
        state = -state;
        const out = outputs[state / width] as Int32Array;
        for (let k = 0; k < out.length; k++) found.push(out[k] as number);
      }
    }
  }

  /**
   * Scans `text` from `from` to `to`, read as the normalizer will leave it (colour codes,
   * `ESC [ digits ; m`, removed), starting in `state` (0: a line's start), and stops at the first
   * literal: HIT then, else the state it ends in (≥ 0), which a scan of what follows can start
   * from. UNDECIDED where the normalizer would do more than remove colour codes (another escape,
   * a C1 CSI: strip-ansi) or where U+2028/U+2029 would end a regex's `.`.
   */
  cleanScan(text: string, from: number, to: number, state: number): number {
    const next = this.next;
    const classOf = this.classOf;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c < ASCII) {
        if (c === 27) {
          // A colour code is skipped whole, the state kept: the normalizer joins what is around it.
          let j = i + 1;
          if (text.charCodeAt(j) !== 91) return UNDECIDED;
          let d = text.charCodeAt(++j);
          while ((d >= 48 && d <= 57) || d === 59) d = text.charCodeAt(++j);
          if (d !== 109) return UNDECIDED;
          i = j;
          continue;
        }
        state = next[state + (classOf[c] as number)] as number;
        if (state < 0) return HIT;
      } else {
        if (c === 0x9b || c === 0x2028 || c === 0x2029) return UNDECIDED;
        state = 0;
      }
    }
    return state;
  }

  /**
   * `cleanScan` over bytes: the same scan of a one-byte string (no character above U+00FF)
   * written to `bytes` as Latin-1, one byte per character, so `bytes[i]` is `text.charCodeAt(i)`.
   * Reading at or past `to` (an escape's tail) must find the line's own bytes or its line end,
   * which no escape can take, as `charCodeAt` past a line's end finds nothing.
   */
  cleanScanBytes(bytes: Uint8Array, from: number, to: number, state: number): number {
    const next = this.next;
    const classOf = this.classOf;
    for (let i = from; i < to; i++) {
      const c = bytes[i] as number;
      if (c < ASCII) {
        if (c === 27) {
          let j = i + 1;
          if (bytes[j] !== 91) return UNDECIDED;
          let d = bytes[++j] as number;
          while ((d >= 48 && d <= 57) || d === 59) d = bytes[++j] as number;
          if (d !== 109) return UNDECIDED;
          i = j;
          continue;
        }
        state = next[state + (classOf[c] as number)] as number;
        if (state < 0) return HIT;
      } else {
        if (c === 0x9b) return UNDECIDED;
        state = 0;
      }
    }
    return state;
  }
}

/** A built automaton, as `fromBytes` reads it back. */
interface AutomatonTable {
  width: number;
  classOf: Uint8Array;
  next: Int32Array;
  outputs: Array<Int32Array | null>;
}

const TABLE_VERSION = 1;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function align(n: number): number {
  return (n + 3) & ~3;
}

/** Tables written before (the build's, for the built-in catalogue), tried before building one. */
const prebuilt: Uint8Array[] = [];

/** Offers a table `toBytes` wrote: a prefilter over exactly its literals uses it instead of building the automaton. */
export function offerAutomaton(bytes: Uint8Array): void {
  if (!prebuilt.includes(bytes)) prebuilt.push(bytes);
}

function automatonFor(literals: readonly string[]): LiteralAutomaton {
  for (const bytes of prebuilt) {
    const found = LiteralAutomaton.fromBytes(bytes, literals);
    if (found) return found;
  }
  return new LiteralAutomaton(literals);
}

function fold(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

/**
 * The rules a line may match, in catalogue order, and which of their patterns may. Built once
 * per rule set; `select` is called for every line.
 */
export class RulePrefilter {
  private readonly automaton: LiteralAutomaton;
  /** The literals of the automaton, by id (lower case, at most MAX_GATE_LENGTH characters). */
  readonly literals: readonly string[];
  /** Literal id → indices of the rules that use it. */
  private readonly rulesOf: Int32Array[];
  /** Rules with a pattern that has no literal: candidates on every line. */
  private readonly always: number[];
  readonly gates: RuleGates[];
  private readonly literalSeen: Int32Array;
  private readonly ruleSeen: Int32Array;
  private epoch = 0;
  private readonly selected: number[] = [];
  private readonly found: number[] = [];

  /**
   * `extra`: more literals (lower case) for `cleanScan` to find that select no rule — the words
   * that make a line read like an error (core/keyline.ts), so one scan tells whether a line can
   * matter at all.
   */
  constructor(rules: readonly CompiledRule[], extra: readonly string[] = []) {
    const ids = new Map<string, number>();
    const users: number[][] = [];
    const gateOf = (pattern: CompiledPattern, rule: number): Gate => {
      if (pattern.literals === null) return null;
      const gate = pattern.literals.map((literal) => {
        const key = literal.slice(0, MAX_GATE_LENGTH).toLowerCase();
        let id = ids.get(key);
        if (id === undefined) {
          id = ids.size;
          ids.set(key, id);
          users.push([]);
        }
        const list = users[id] as number[];
        if (list[list.length - 1] !== rule) list.push(rule);
        return id;
      });
      return Int32Array.from(gate);
    };
    this.always = [];
    this.gates = rules.map((compiled, index) => {
      const gates = { near: compiled.near ? gateOf(compiled.near, index) : null, patterns: compiled.patterns.map((p) => gateOf(p, index)) };
      if ((compiled.near !== null && gates.near === null) || gates.patterns.some((g) => g === null)) this.always.push(index);
      return gates;
    });
    for (const literal of extra) {
      const key = literal.slice(0, MAX_GATE_LENGTH).toLowerCase();
      if (!ids.has(key)) {
        ids.set(key, ids.size);
        users.push([]);
      }
    }
    this.literals = [...ids.keys()];
    this.automaton = automatonFor(this.literals);
    this.rulesOf = users.map((list) => Int32Array.from(list));
    this.literalSeen = new Int32Array(ids.size);
    this.ruleSeen = new Int32Array(rules.length);
  }

  /**
   * Does the line's text from `from` to `to`, colour codes removed, hold a literal of some rule or
   * an extra literal? HIT, UNDECIDED or the state to go on from (see LiteralAutomaton.cleanScan).
   */
  cleanScan(text: string, from: number, to: number, state: number): number {
    return this.automaton.cleanScan(text, from, to, state);
  }

  /** The automaton as bytes (`LiteralAutomaton.toBytes`): what the build writes to dist/prefilter.bin. */
  automatonBytes(): Uint8Array {
    return this.automaton.toBytes(this.literals);
  }

  /** `cleanScan` of a one-byte line written to `bytes` as Latin-1 (LiteralAutomaton.cleanScanBytes). */
  cleanScanBytes(bytes: Uint8Array, from: number, to: number, state: number): number {
    return this.automaton.cleanScanBytes(bytes, from, to, state);
  }

  /** Number of rules that run their regexes on every line (no literal to gate them). */
  get ungated(): number {
    return this.always.length;
  }

  /**
   * Scans `text` once; returns the indices of the rules that may match it, ascending. The array
   * is reused by the next call. Until then, `mayMatch` answers for each pattern gate.
   */
  select(text: string): readonly number[] {
    if (this.epoch === 0x7fffffff) {
      this.epoch = 0;
      this.literalSeen.fill(0);
      this.ruleSeen.fill(0);
    }
    const epoch = ++this.epoch;
    const selected = this.selected;
    // Truncating an array is a call into the runtime: skip it on the many lines that found nothing.
    if (selected.length > 0) selected.length = 0;
    for (const index of this.always) {
      this.ruleSeen[index] = epoch;
      selected.push(index);
    }
    const found = this.found;
    if (found.length > 0) found.length = 0;
    this.automaton.scan(text, found);
    let unsorted = false;
    for (const id of found) {
      if (this.literalSeen[id] === epoch) continue;
      this.literalSeen[id] = epoch;
      for (const index of this.rulesOf[id] as Int32Array) {
        if (this.ruleSeen[index] === epoch) continue;
        this.ruleSeen[index] = epoch;
        if (selected.length > 0 && (selected[selected.length - 1] as number) > index) unsorted = true;
        selected.push(index);
      }
    }
    if (unsorted) selected.sort((a, b) => a - b);
    return selected;
  }

  /** After `select`: may a pattern with this gate match the line? */
  mayMatch(gate: Gate): boolean {
    if (gate === null) return true;
    for (let k = 0; k < gate.length; k++) if (this.literalSeen[gate[k] as number] === this.epoch) return true;
    return false;
  }
}
