// Required literals of a regex: a set of plain ASCII strings, one of which every match must
// contain. The engine's prefilter looks for all of them in one pass over a line, so a line that
// holds none of a pattern's literals never reaches that pattern's regex. Conservative: when in
// doubt (optional parts, wide classes, lookarounds, a branch without a literal) it requires less.
// Small finite parts are spelled out, as ripgrep's literal extraction does: `Completed 5\d\d`
// requires `Completed 5`, `(?:GET|HEAD) "/` requires `GET "/` or `HEAD "/`, which a line
// holds far less often than `Completed ` or ` "/`. A walk over the pattern's syntax tree (regex.ts).

import { parseRegex, type CharSet, type RegexNode } from "./regex.js";

/** Literals shorter than this are too common to be worth a gate. */
const MIN_LITERAL = 3;
/** A spelled-out part has at most this many strings (a class at most MAX_CLASS characters). */
const MAX_STRINGS = 16;
const MAX_CLASS = 4;

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
 * The best required set among a sequence's parts: each run of parts spelled out (`prefixes`:
 * literal characters, small classes and groups of them; a part that is not spelled out in full
 * ends its run after the text it starts with) and each group that must match.
 */
function sequence(items: readonly RegexNode[]): RequiredSet {
  const candidates: string[][] = [];
  let run: string[] = [""];
  const flush = () => {
    candidates.push(run);
    run = [""];
  };
  for (const item of items) {
    const part = prefixes(item);
    const next = product(run, part.strings);
    if (next === null) {
      // Too many to spell out together: what is spelled so far is a candidate, the part starts anew.
      flush();
      run = part.strings;
    } else {
      run = next;
    }
    if (part.exact) continue;
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

/** Strings every match of a part starts with; `exact`: every match is one of them. */
interface Prefixes {
  strings: string[];
  exact: boolean;
}

const NOTHING_KNOWN: Prefixes = { strings: [""], exact: false };

/**
 * What every match of `node` starts with, spelled out while that is a few (MAX_STRINGS) ASCII
 * strings: a literal character, a class of at most MAX_CLASS ASCII characters, an assertion (the
 * empty string), and groups, alternatives, sequences and bounded repetitions of those.
 */
function prefixes(node: RegexNode): Prefixes {
  switch (node.type) {
    case "char": {
      const chars = node.literal !== null ? [node.literal] : classChars(node.set);
      return chars === null ? NOTHING_KNOWN : { strings: chars, exact: true };
    }
    case "assert":
    case "look":
      return { strings: [""], exact: true };
    case "group":
      return prefixes(node.body);
    case "alt": {
      const all = new Set<string>();
      let exact = true;
      for (const branch of node.branches) {
        const part = prefixes(branch);
        exact &&= part.exact;
        for (const s of part.strings) all.add(s);
        if (all.size > MAX_STRINGS) return NOTHING_KNOWN;
      }
      return { strings: [...all], exact };
    }
    case "seq": {
      let out: string[] = [""];
      for (const item of node.items) {
        const part = prefixes(item);
        const next = product(out, part.strings);
        // Every match still starts with what is spelled so far.
        if (next === null) return { strings: out, exact: false };
        out = next;
        if (!part.exact) return { strings: out, exact: false };
      }
      return { strings: out, exact: true };
    }
    case "repeat": {
      const body = prefixes(node.body);
      // The required copies, then maybe more: spelled out in full only when few and bounded.
      const all = new Set<string>();
      let copies: string[] = [""];
      for (let k = 0; ; k++) {
        if (k >= node.min) {
          if (!body.exact || node.max > 4) return node.min === 0 ? NOTHING_KNOWN : { strings: copies, exact: false };
          for (const s of copies) all.add(s);
          if (all.size > MAX_STRINGS) return NOTHING_KNOWN;
        }
        if (k === node.max) return { strings: [...all], exact: true };
        const next = product(copies, body.strings);
        if (next === null) return k < node.min ? { strings: copies, exact: false } : NOTHING_KNOWN;
        copies = next;
        if (!body.exact) return { strings: copies, exact: false };
      }
    }
    default:
      return NOTHING_KNOWN;
  }
}

/** The characters of a class of at most MAX_CLASS printable ASCII characters; null otherwise. */
function classChars(set: CharSet): string[] | null {
  if (set.nonAscii) return null;
  const chars: string[] = [];
  for (let c = 32; c < 127; c++) {
    if (!set.has(c)) continue;
    if (chars.length === MAX_CLASS) return null;
    chars.push(String.fromCharCode(c));
  }
  for (let c = 0; c < 32; c++) if (set.has(c)) return null;
  return set.has(127) || chars.length === 0 ? null : chars;
}

/** Each of `left` followed by each of `right`; null past MAX_STRINGS strings. */
function product(left: readonly string[], right: readonly string[]): string[] | null {
  if (left.length * right.length > MAX_STRINGS) return null;
  const out = new Set<string>();
  for (const a of left) for (const b of right) out.add(a + b);
  return [...out];
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
