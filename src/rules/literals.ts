// Required literals of a regex: a set of plain ASCII strings, one of which every match must
// contain. The engine's prefilter looks for all of them in one pass over a line, so a line that
// holds none of a pattern's literals never reaches that pattern's regex. Conservative: when in
// doubt (optional parts, classes, lookarounds, a branch without a literal) it requires less.
// A walk over the pattern's syntax tree (regex.ts).

import { parseRegex, type RegexNode } from "./regex.js";

/** Literals shorter than this are too common to be worth a gate. */
const MIN_LITERAL = 3;

/** Any one of these strings appears in every match; null: nothing is known to be required. */
export type RequiredSet = string[] | null;

/**
 * The required literals of a JS regex source (as compiled with the `u` flag). Every returned
 * literal is ASCII and at least three characters long.
 */
export function requiredLiterals(source: string): RequiredSet {
  let tree: RegexNode;
  try {
    tree = parseRegex(source);
  } catch {
    return null;
  }
  return required(tree);
}

/** The required set of a node that matches as a whole (a pattern, a group's body, a branch). */
function required(node: RegexNode): RequiredSet {
  if (node.type === "alt") {
    const branches = node.branches.map(required);
    if (branches.some((b) => b === null)) return null;
    return [...new Set(branches.flatMap((b) => b as string[]))];
  }
  return sequence(node.type === "seq" ? node.items : [node]);
}

/**
 * The best required set among a sequence's parts: each run of literal characters (a character
 * repeated at least once ends its run, one that may be absent ends it before itself) and each
 * group that must match.
 */
function sequence(items: readonly RegexNode[]): RequiredSet {
  const candidates: string[][] = [];
  let run = "";
  const flush = () => {
    if (run.length >= MIN_LITERAL) candidates.push([run]);
    run = "";
  };
  for (const item of items) {
    if (item.type === "char" && item.literal !== null) {
      run += item.literal;
      continue;
    }
    if (item.type === "repeat" && item.body.type === "char" && item.body.literal !== null) {
      if (item.min === 0) {
        flush();
      } else if (item.min === 1 && item.max === 1) {
        run += item.body.literal;
      } else {
        run += item.body.literal;
        flush();
      }
      continue;
    }
    flush();
    const group = item.type === "repeat" ? (item.min === 0 ? null : item.body) : item;
    if (group?.type === "group") {
      const inner = required(group.body);
      if (inner !== null) candidates.push(inner);
    }
  }
  flush();
  return best(candidates);
}

/** The most selective set: the one whose shortest literal is longest, then the smallest. */
function best(candidates: string[][]): RequiredSet {
  let chosen: string[] | null = null;
  let chosenScore = -1;
  for (const set of candidates) {
    const shortest = Math.min(...set.map((s) => s.length));
    if (shortest < MIN_LITERAL) continue;
    const score = shortest * 64 - set.length;
    if (score > chosenScore) {
      chosen = set;
      chosenScore = score;
    }
  }
  return chosen;
}
