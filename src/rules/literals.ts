// Required literals of a regex: a set of plain ASCII strings, one of which every match must
// contain. The engine's prefilter looks for all of them in one pass over a line, so a line that
// holds none of a pattern's literals never reaches that pattern's regex. Conservative: when in
// doubt (optional parts, classes, lookarounds, a branch without a literal) it requires less.

/** Literals shorter than this are too common to be worth a gate. */
const MIN_LITERAL = 3;

/** Any one of these strings appears in every match; null: nothing is known to be required. */
export type RequiredSet = string[] | null;

/** Regex syntax characters that stand for themselves when escaped (`\.` is a dot). */
const ESCAPED_LITERAL = /[\\^$.|?*+()[\]{}/\-:'"`@#%&=<>!,;~ ]/;

class Reader {
  i = 0;
  constructor(readonly source: string) {}
  peek(offset = 0): string | undefined {
    return this.source[this.i + offset];
  }
  done(): boolean {
    return this.i >= this.source.length;
  }
}

/**
 * The required literals of a JS regex source (as compiled with the `u` flag). Every returned
 * literal is ASCII and at least three characters long.
 */
export function requiredLiterals(source: string): RequiredSet {
  try {
    const reader = new Reader(source);
    const set = disjunction(reader);
    return set;
  } catch {
    return null;
  }
}

function disjunction(r: Reader): RequiredSet {
  const branches: RequiredSet[] = [sequence(r)];
  while (r.peek() === "|") {
    r.i++;
    branches.push(sequence(r));
  }
  if (branches.some((b) => b === null)) return null;
  return [...new Set(branches.flatMap((b) => b as string[]))];
}

/** Reads terms up to `|`, `)` or the end; returns the best required set among them. */
function sequence(r: Reader): RequiredSet {
  const candidates: string[][] = [];
  let run = "";
  const flush = () => {
    if (run.length >= MIN_LITERAL) candidates.push([run]);
    run = "";
  };
  while (!r.done()) {
    const ch = r.peek() as string;
    if (ch === "|" || ch === ")") break;
    if (ch === "(") {
      flush();
      const inner = group(r);
      if (optionalQuantifier(r)) continue;
      if (inner !== null) candidates.push(inner);
      continue;
    }
    if (ch === "[") {
      flush();
      skipClass(r);
      optionalQuantifier(r);
      continue;
    }
    let literal: string | null = null;
    if (ch === "\\") {
      const next = r.peek(1);
      r.i += 2;
      if (next === undefined) break;
      if (ESCAPED_LITERAL.test(next)) literal = next;
      else skipEscapeTail(r, next);
    } else {
      r.i++;
      if (ch !== "." && ch !== "^" && ch !== "$" && ch.charCodeAt(0) < 128) literal = ch;
    }
    if (literal === null) {
      flush();
      optionalQuantifier(r);
      continue;
    }
    const quantifier = readQuantifier(r);
    if (quantifier === "none") {
      run += literal;
    } else if (quantifier === "one-or-more") {
      run += literal;
      flush();
    } else {
      flush();
    }
  }
  flush();
  return best(candidates);
}

/** A group from its `(`: the required set of its body, or null for lookarounds. */
function group(r: Reader): RequiredSet {
  r.i++;
  let lookaround = false;
  if (r.peek() === "?") {
    const kind = r.peek(1);
    if (kind === ":") r.i += 2;
    else if (kind === "=" || kind === "!") {
      lookaround = true;
      r.i += 2;
    } else if (kind === "<" && (r.peek(2) === "=" || r.peek(2) === "!")) {
      lookaround = true;
      r.i += 3;
    } else if (kind === "<") {
      const close = r.source.indexOf(">", r.i);
      if (close === -1) throw new Error("unterminated group name");
      r.i = close + 1;
    } else {
      throw new Error("unknown group");
    }
  }
  const inner = disjunction(r);
  if (r.peek() !== ")") throw new Error("unterminated group");
  r.i++;
  return lookaround ? null : inner;
}

function skipClass(r: Reader): void {
  r.i++;
  while (!r.done() && r.peek() !== "]") {
    if (r.peek() === "\\") r.i++;
    r.i++;
  }
  r.i++;
}

/** Skips the rest of `\xHH`, `\uHHHH`, `\u{…}`, `\cX`, `\p{…}`, `\k<name>`. */
function skipEscapeTail(r: Reader, letter: string): void {
  if (letter === "x") r.i += 2;
  else if (letter === "u") {
    if (r.peek() === "{") r.i = r.source.indexOf("}", r.i) + 1;
    else r.i += 4;
  } else if (letter === "c") r.i += 1;
  else if ((letter === "p" || letter === "P") && r.peek() === "{") r.i = r.source.indexOf("}", r.i) + 1;
  else if (letter === "k" && r.peek() === "<") r.i = r.source.indexOf(">", r.i) + 1;
}

type Quantifier = "none" | "optional" | "one-or-more";

function readQuantifier(r: Reader): Quantifier {
  const ch = r.peek();
  let kind: Quantifier = "none";
  if (ch === "?" || ch === "*") {
    r.i++;
    kind = "optional";
  } else if (ch === "+") {
    r.i++;
    kind = "one-or-more";
  } else if (ch === "{") {
    const close = r.source.indexOf("}", r.i);
    const body = r.source.slice(r.i + 1, close);
    if (close === -1 || !/^\d+(?:,\d*)?$/.test(body)) return "none";
    r.i = close + 1;
    const min = Number(body.split(",")[0]);
    const exact = !body.includes(",") && min === 1;
    kind = min === 0 ? "optional" : exact ? "none" : "one-or-more";
  }
  if (kind !== "none" && r.peek() === "?") r.i++;
  return kind;
}

/** Consumes a quantifier; true when it makes the preceding term optional. */
function optionalQuantifier(r: Reader): boolean {
  return readQuantifier(r) === "optional";
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
