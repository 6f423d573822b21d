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
// only one way to split. Polynomial (e.g. quadratic) backtracking is not refused; it is bounded
// by the engine matching at most MAX_MATCH_LENGTH characters of a line (see engine.ts).

import { CharSet, parseRegex, type RegexNode } from "./regex.js";

/** Repetitions up to this count cannot blow up badly (2^10 paths at most). */
const SMALL_REPEAT = 10;

export interface BacktrackingRisk {
  /** The part of the pattern that repeats. */
  fragment: string;
  reason: string;
}

/** Null when the pattern is safe from exponential backtracking; else what makes it unsafe. */
export function backtrackingRisk(source: string, ignoreCase = false): BacktrackingRisk | null {
  let tree: RegexNode;
  try {
    tree = parseRegex(source);
  } catch {
    return null; // Not ours to judge: the regex compiler reports syntax errors.
  }
  return new Walk(source, ignoreCase).findRisk(tree);
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
