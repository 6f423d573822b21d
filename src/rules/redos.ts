// Catastrophic-backtracking check for rule patterns. JavaScript's regex engine backtracks: a
// repeated part that can match the same text in more than one way makes a failing match take
// time exponential in the line length. Such a pattern is refused (at build time for the
// catalogue, at load for --rules). The check is static and conservative, over the pattern's
// syntax tree (regex.ts):
//
// - a repetition (more than 10 times, or unbounded) whose body contains another repetition and
//   can both start and end with the same character — `(\w+\s?)*`, `(a+)+`, `(.*,)*` — can split
//   one text into iterations in exponentially many ways;
// - a repetition whose body holds an alternation with two branches that can start and end with
//   the same characters — `(a|ab?)*`, `(\d+|\d+\.)*` — can match one text by either branch.
//
// `(?:[A-Z]\w*::)*` passes: each iteration starts with a capital and ends with `::`, so there is
// only one way to split. Repetitions in a row that can share a text (`\d+\d+\d+x`) are refused
// too: they backtrack polynomially, which on a 4,096-character line (rules see no more of a line,
// see engine.ts) is already seconds to minutes (see ChainWalk). A single repetition tried from
// every start position is quadratic at worst and is left to that window.

import { CharSet, DOT, parseRegex, type RegexNode } from "./regex.js";

/** Repetitions up to this count cannot blow up badly (2^10 paths at most). */
const SMALL_REPEAT = 10;

export interface BacktrackingRisk {
  /** The part of the pattern that repeats. */
  fragment: string;
  reason: string;
}

/** Null when the pattern is safe from catastrophic backtracking; else what makes it unsafe. */
export function backtrackingRisk(source: string, ignoreCase = false): BacktrackingRisk | null {
  let tree: RegexNode;
  try {
    tree = parseRegex(source);
  } catch {
    return null; // Not ours to judge: the regex compiler reports syntax errors.
  }
  const walk = new Walk(source, ignoreCase);
  return walk.findRisk(tree) ?? new ChainWalk(walk).risk(tree);
}

/** Which characters a node can match first, last, or at all; whether it can match nothing. */
class Walk {
  constructor(
    private readonly source: string,
    private readonly ignoreCase: boolean,
  ) {}

  fragment(node: RegexNode): string {
    return this.source.slice(node.start, node.end);
  }

  findRisk(node: RegexNode): BacktrackingRisk | null {
    switch (node.type) {
      case "repeat":
        if (node.max > SMALL_REPEAT) {
          const body = node.body;
          if (containsRepeat(body) && this.first(body).intersects(this.last(body))) {
            return { fragment: this.fragment(node), reason: "a repeated group holds another repetition and one iteration can end where the next begins" };
          }
          if (this.overlappingAlternation(body)) return { fragment: this.fragment(node), reason: "a repeated group holds alternatives that can match the same text" };
        }
        return this.findRisk(node.body);
      case "seq":
        return firstOf(node.items, (item) => this.findRisk(item));
      case "alt":
        return firstOf(node.branches, (branch) => this.findRisk(branch));
      case "group":
      case "look":
        return this.findRisk(node.body);
      default:
        return null;
    }
  }

  overlappingAlternation(node: RegexNode): boolean {
    switch (node.type) {
      case "alt": {
        const { branches } = node;
        for (let i = 0; i < branches.length; i++) {
          for (let j = i + 1; j < branches.length; j++) {
            const a = branches[i] as RegexNode;
            const b = branches[j] as RegexNode;
            if (this.first(a).intersects(this.first(b)) && this.last(a).intersects(this.last(b))) return true;
          }
        }
        return branches.some((branch) => this.overlappingAlternation(branch));
      }
      case "seq":
        return node.items.some((item) => this.overlappingAlternation(item));
      case "repeat":
      case "group":
        return this.overlappingAlternation(node.body);
      default:
        return false;
    }
  }

  /** Every character the node can match anywhere. */
  all(node: RegexNode): CharSet {
    switch (node.type) {
      case "seq":
        return node.items.reduce((set, item) => set.union(this.all(item)), new CharSet());
      case "alt":
        return node.branches.reduce((set, branch) => set.union(this.all(branch)), new CharSet());
      case "repeat":
      case "group":
        return this.all(node.body);
      default:
        return this.first(node);
    }
  }

  chars(set: CharSet): CharSet {
    return this.ignoreCase ? set.foldCase() : set;
  }

  first(node: RegexNode): CharSet {
    switch (node.type) {
      case "char":
        return this.chars(node.set);
      case "backref":
        return CharSet.any();
      case "assert":
      case "look":
        return new CharSet();
      case "seq": {
        let set = new CharSet();
        for (const item of node.items) {
          set = set.union(this.first(item));
          if (!nullable(item)) break;
        }
        return set;
      }
      case "alt":
        return node.branches.reduce((set, branch) => set.union(this.first(branch)), new CharSet());
      case "repeat":
      case "group":
        return this.first(node.body);
    }
  }

  last(node: RegexNode): CharSet {
    switch (node.type) {
      case "seq": {
        let set = new CharSet();
        for (let i = node.items.length - 1; i >= 0; i--) {
          const item = node.items[i] as RegexNode;
          set = set.union(this.last(item));
          if (!nullable(item)) break;
        }
        return set;
      }
      case "alt":
        return node.branches.reduce((set, branch) => set.union(this.last(branch)), new CharSet());
      case "repeat":
      case "group":
        return this.last(node.body);
      default:
        return this.first(node);
    }
  }
}

function firstOf<T, R>(items: readonly T[], find: (item: T) => R | null): R | null {
  for (const item of items) {
    const found = find(item);
    if (found) return found;
  }
  return null;
}

function containsRepeat(node: RegexNode): boolean {
  switch (node.type) {
    case "repeat":
      return node.max > 1 || containsRepeat(node.body);
    case "seq":
      return node.items.some(containsRepeat);
    case "alt":
      return node.branches.some(containsRepeat);
    case "group":
      return containsRepeat(node.body);
    default:
      return false;
  }
}

function nullable(node: RegexNode): boolean {
  switch (node.type) {
    case "char":
    case "backref":
      return false;
    case "assert":
    case "look":
      return true;
    case "seq":
      return node.items.every(nullable);
    case "alt":
      return node.branches.some(nullable);
    case "repeat":
      return node.min === 0 || nullable(node.body);
    case "group":
      return nullable(node.body);
  }
}

/**
 * A repetition already passed on the way through the pattern that could still take more of the
 * text: everything matched since (the gap) could have been its characters too.
 */
interface OpenLoop {
  /** The characters the repetition matches. */
  set: CharSet;
  /** Characters every iteration holds (one set each): text passed on to the next repetition has them. */
  needs: CharSet[];
  /** How many such repetitions in a row, each able to take the text the next one takes. */
  chain: number;
  /** The sets of what was matched since, each of which overlaps `set`. */
  gap: CharSet[];
  /** Where the first repetition of the chain starts in the source. */
  origin: number;
  /** Something fixes where a match of the chain can start, so the search does not multiply it. */
  anchored: boolean;
  /** Nothing was matched since and the repetition takes any character: `$` cannot fail after it. */
  takesAll: boolean;
}

interface WalkState {
  open: OpenLoop[];
  /** A match can only start at `^` or at fixed text. */
  anchored: boolean;
  /**
   * Characters that end the region a match can cover: the fixed-length start of the pattern
   * holds one of them and nothing matched since can be one, so matches from different start
   * positions cover different parts of the line (`(?:^|\s)\w+…` stops at the next space).
   */
  fence: CharSet | null;
  /** Nothing of variable length has been matched yet. */
  fixed: boolean;
  /** Literal characters in a row just before this point. */
  run: number;
}

/** An anchor of fixed text this long bounds how often the engine starts a match within a line. */
const ANCHOR_LITERAL = 3;
/** Open loops tracked at once (alternations multiply them); the longest chains are kept. */
const MAX_OPEN = 32;
/** Iterations of a bounded repetition walked: enough to lengthen a chain past the limit. */
const UNROLL = 3;
/** Nested bounded repetitions multiply the walk; past this many steps the pattern is refused. */
const MAX_STEPS = 100_000;

class TooComplex extends Error {}

/**
 * Polynomial backtracking. Repetitions in a row that can match the same characters — `\d+\d+x`,
 * `.*:.*:.*x` — can share a text between them in many ways, and when what follows fails, the
 * engine tries every way: k of them cost about n^k steps from each start position (n: the text
 * length, up to 4,096 characters), and an unanchored search tries about n start positions.
 * Three in a row are refused; two are refused unless the match can only start at a fixed place
 * (after `^` or fixed text), since the search would otherwise cost n^3. A repetition whose
 * characters cannot occur in the gap to the next (`\d+ \w+`, `[^:]*:.*`) ends the chain.
 */
class ChainWalk {
  private worst: { chain: number; origin: number; end: number } | null = null;
  private steps = 0;

  constructor(private readonly walk: Walk) {}

  risk(tree: RegexNode): BacktrackingRisk | null {
    try {
      this.visit(tree, { open: [], anchored: false, fence: null, fixed: true, run: 0 });
    } catch (error) {
      if (!(error instanceof TooComplex)) throw error;
      return { fragment: this.walk.fragment(tree), reason: "its repetitions are nested too deeply to be checked; unnest them" };
    }
    const worst = this.worst;
    if (worst === null) return null;
    const fragment = this.walk.fragment({ type: "assert", kind: "^", start: worst.origin, end: worst.end });
    if (worst.chain >= 3) {
      return { fragment, reason: `${worst.chain} repetitions in a row can match the same characters, so a line that almost matches is tried in about n^${worst.chain} ways; bound one by what it must not match, e.g. [^:]* for .*` };
    }
    return {
      fragment,
      reason: "two repetitions in a row can match the same characters and nothing fixes where a match starts, so a line that almost matches costs cubic time; bound one by what it must not match, e.g. [^:]* for .*, or start with ^ or fixed text",
    };
  }

  /** Something that can fail here: every open chain before it would be retried. */
  private failPoint(state: WalkState, end: number, dollar = false): void {
    for (const loop of state.open) {
      if (dollar && loop.takesAll) continue;
      const refused = loop.chain >= 3 || (loop.chain === 2 && !loop.anchored);
      if (refused && (this.worst === null || loop.chain > this.worst.chain)) this.worst = { chain: loop.chain, origin: loop.origin, end };
    }
  }

  /** A required character from `set`: open loops whose characters it cannot be are closed. */
  private pass(state: WalkState, set: CharSet, literal: boolean): WalkState {
    const open = state.open.filter((loop) => loop.set.intersects(set)).map((loop) => ({ ...loop, gap: [...loop.gap, set], takesAll: false }));
    const run = literal ? state.run + 1 : 0;
    const fence = state.fixed ? set : state.fence !== null && !state.fence.intersects(set) ? state.fence : null;
    return { open, anchored: state.anchored || run >= ANCHOR_LITERAL, fence, fixed: state.fixed, run };
  }

  /** Is a match of what starts here bounded in where it starts or how far it reaches? */
  private anchoredAt(state: WalkState, set: CharSet): boolean {
    return state.anchored || (state.fence !== null && !state.fence.intersects(set));
  }

  private merge(a: WalkState, b: WalkState): WalkState {
    const open = [...a.open, ...b.open].sort((x, y) => y.chain - x.chain || Number(x.anchored) - Number(y.anchored)).slice(0, MAX_OPEN);
    // A branch anchored by `^` leaves the other branch's fence in charge.
    const fence = a.anchored ? b.fence : b.anchored ? a.fence : a.fence !== null && b.fence !== null ? a.fence.union(b.fence) : null;
    return { open, anchored: a.anchored && b.anchored, fence, fixed: a.fixed && b.fixed, run: Math.min(a.run, b.run) };
  }

  private visit(node: RegexNode, state: WalkState): WalkState {
    if (++this.steps > MAX_STEPS) throw new TooComplex();
    switch (node.type) {
      case "char":
        this.failPoint(state, node.end);
        return this.pass(state, this.walk.chars(node.set), node.literal !== null);
      case "backref":
        this.failPoint(state, node.end);
        return this.pass(state, CharSet.any(), false);
      case "assert":
        if (node.kind === "^") return { ...state, anchored: true, run: 0 };
        // Matches nothing: the fence and the fixed start hold.
        this.failPoint(state, node.end, node.kind === "$");
        return { ...state, run: 0 };
      case "look":
        this.visit(node.body, { ...state, open: [], run: 0 });
        this.failPoint(state, node.end);
        return { ...state, run: 0 };
      case "group":
        return this.visit(node.body, state);
      case "seq":
        return node.items.reduce((s, item) => this.visit(item, s), state);
      case "alt":
        return node.branches.map((branch) => this.visit(branch, state)).reduce((a, b) => this.merge(a, b));
      case "repeat":
        return node.max <= SMALL_REPEAT ? this.unroll(node, state) : this.loop(node, state);
    }
  }

  private unroll(node: RegexNode & { type: "repeat" }, state: WalkState): WalkState {
    let s = state;
    for (let i = 0; i < Math.min(node.max, UNROLL); i++) s = i < node.min ? this.visit(node.body, s) : this.merge(s, this.visit(node.body, s));
    return s;
  }

  private loop(node: RegexNode & { type: "repeat" }, state: WalkState): WalkState {
    // What one iteration holds is checked on its own; the repetition then counts as one loop.
    this.visit(node.body, state);
    const set = this.walk.all(node.body);
    const needs = this.needs(node.body);
    if (node.min > 0) this.failPoint(state, node.end);
    let chain = 1;
    let origin = node.start;
    let anchored = this.anchoredAt(state, set);
    for (const loop of state.open) {
      // Text can move from one repetition to the next only if both can match it, and what lies between.
      const shared = loop.set.intersect(set);
      if (shared.isEmpty() || !loop.gap.every((g) => g.intersects(shared))) continue;
      if (!loop.needs.every((need) => need.intersects(set)) || !needs.every((need) => need.intersects(loop.set))) continue;
      const extended = loop.anchored && this.anchoredAt(state, set);
      if (loop.chain + 1 > chain || (loop.chain + 1 === chain && !extended)) {
        chain = loop.chain + 1;
        origin = loop.origin;
        anchored = extended;
      }
    }
    const before = node.min > 0 ? this.pass(state, set, false).open : state.open;
    const open = [...before, { set, needs, chain, gap: [], origin, anchored, takesAll: set.covers(DOT) }].sort((x, y) => y.chain - x.chain).slice(0, MAX_OPEN);
    const fence = state.fence !== null && !state.fence.intersects(set) ? state.fence : null;
    return { open, anchored: state.anchored, fence, fixed: false, run: 0 };
  }

  /** Character sets that every match of `node` holds a character of (some, not necessarily all). */
  private needs(node: RegexNode): CharSet[] {
    switch (node.type) {
      case "char":
        return [this.walk.chars(node.set)];
      case "group":
        return this.needs(node.body);
      case "seq":
        return node.items.flatMap((item) => this.needs(item));
      case "repeat":
        return node.min > 0 ? this.needs(node.body) : [];
      default:
        return [];
    }
  }
}
