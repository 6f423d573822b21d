// One pass over a line finds every rule that could match it. All patterns' required literals go
// into one Aho–Corasick automaton (ASCII, case-folded); a line is scanned once, character by
// character, and only the patterns whose literal turned up (plus the few that have none) run
// their regex. On a verbose log most lines contain no literal at all and touch no regex.

import type { CompiledPattern, CompiledRule } from "./compile.js";

const ALPHABET = 128;

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

export class LiteralAutomaton {
  /** (state * 128 + char) → next state * 128: case-folded, failure links resolved. */
  private readonly next: Int32Array;
  /** For each state, the literal ids that end there (own and via failure links). */
  private readonly outputs: Array<Int32Array | null>;

  constructor(literals: readonly string[]) {
    // The trie: children of state s are kept in a flat map keyed by s * 128 + char.
    const child = new Map<number, number>();
    const own: number[][] = [[]];
    literals.forEach((literal, id) => {
      let state = 0;
      for (let i = 0; i < literal.length; i++) {
        const key = state * ALPHABET + fold(literal.charCodeAt(i));
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
    const next = new Int32Array(states * ALPHABET);
    const fail = new Int32Array(states);
    const childrenOf: number[][] = Array.from({ length: states }, () => []);
    for (const key of child.keys()) (childrenOf[Math.floor(key / ALPHABET)] as number[]).push(key % ALPHABET);
    // Breadth-first: a state's row starts as its failure state's row, then its own children.
    const queue: number[] = [0];
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      const base = state * ALPHABET;
      if (state !== 0) {
        next.copyWithin(base, (fail[state] as number) * ALPHABET, (fail[state] as number) * ALPHABET + ALPHABET);
        (own[state] as number[]).push(...(own[fail[state] as number] as number[]));
      }
      for (const c of childrenOf[state] as number[]) {
        const target = child.get(base + c) as number;
        fail[target] = state === 0 ? 0 : (next[base + c] as number) / ALPHABET;
        next[base + c] = target * ALPHABET;
        queue.push(target);
      }
      // Upper-case letters move like their lower-case selves.
      next.copyWithin(base + 65, base + 97, base + 123);
    }
    this.next = next;
    this.outputs = own.map((ids) => (ids.length > 0 ? Int32Array.from(new Set(ids)) : null));
  }

  /** Appends to `found` the id of every literal occurrence in `text` (repeats included). */
  scan(text: string, found: number[]): void {
    const next = this.next;
    const outputs = this.outputs;
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      state = c < ALPHABET ? (next[state + c] as number) : 0;
      if (state !== 0) {
        const out = outputs[state >> 7];
        if (out !== null) for (let k = 0; k < (out as Int32Array).length; k++) found.push((out as Int32Array)[k] as number);
      }
    }
  }
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

  constructor(rules: readonly CompiledRule[]) {
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
    this.automaton = new LiteralAutomaton([...ids.keys()]);
    this.rulesOf = users.map((list) => Int32Array.from(list));
    this.literalSeen = new Int32Array(ids.size);
    this.ruleSeen = new Int32Array(rules.length);
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
    selected.length = 0;
    for (const index of this.always) {
      this.ruleSeen[index] = epoch;
      selected.push(index);
    }
    const found = this.found;
    found.length = 0;
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
