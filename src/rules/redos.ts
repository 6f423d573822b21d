// Catastrophic-backtracking check for rule patterns. JavaScript's regex engine backtracks: a
// repeated part that can match the same text in more than one way makes a failing match take
// time exponential in the line length. Such a pattern is refused (at build time for the
// catalogue, at load for --rules). The check is static and conservative, over the pattern's
// syntax tree:
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

/** A set of characters: ASCII as a bitmap, anything beyond as one flag. */
class CharSet {
  readonly bits = new Uint32Array(4);
  nonAscii = false;

  static of(codes: Iterable<number>): CharSet {
    const set = new CharSet();
    for (const c of codes) set.add(c);
    return set;
  }

  static any(): CharSet {
    const set = new CharSet();
    set.bits.fill(0xffffffff);
    set.nonAscii = true;
    return set;
  }

  add(c: number): void {
    if (c < 128) (this.bits as Uint32Array)[c >> 5] = ((this.bits[c >> 5] as number) | (1 << (c & 31))) >>> 0;
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

  intersects(other: CharSet): boolean {
    for (let i = 0; i < 4; i++) if (((this.bits[i] as number) & (other.bits[i] as number)) !== 0) return true;
    return this.nonAscii && other.nonAscii;
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

type Node =
  | { type: "chars"; set: CharSet }
  | { type: "empty" }
  /** A lookaround: matches no characters, but its body is checked too. */
  | { type: "look"; body: Node }
  | { type: "seq"; items: Node[] }
  | { type: "alt"; branches: Node[] }
  | { type: "repeat"; min: number; max: number; body: Node };

const DIGIT = CharSet.of([]);
DIGIT.addRange(48, 57);
const WORD = DIGIT.union(CharSet.of([95]));
WORD.addRange(65, 90);
WORD.addRange(97, 122);
const SPACE = CharSet.of([9, 10, 11, 12, 13, 32]);
SPACE.nonAscii = true;
const DOT = CharSet.any().union(new CharSet());
DOT.bits[0] = ((DOT.bits[0] as number) & ~((1 << 10) | (1 << 13))) >>> 0;

/** Repetitions up to this count cannot blow up badly (2^10 paths at most). */
const SMALL_REPEAT = 10;

export interface BacktrackingRisk {
  /** The part of the pattern that repeats. */
  fragment: string;
  reason: string;
}

/** Null when the pattern is safe from exponential backtracking; else what makes it unsafe. */
export function backtrackingRisk(source: string, ignoreCase = false): BacktrackingRisk | null {
  let tree: { node: Node; spans: Map<Node, [number, number]> };
  try {
    tree = parse(source, ignoreCase);
  } catch {
    return null; // Not ours to judge: the regex compiler reports syntax errors.
  }
  return findRisk(tree.node, source, tree.spans);
}

function findRisk(node: Node, source: string, spans: Map<Node, [number, number]>): BacktrackingRisk | null {
  const fragment = (n: Node) => {
    const span = spans.get(n);
    return span ? source.slice(span[0], span[1]) : source;
  };
  if (node.type === "repeat") {
    if (node.max > SMALL_REPEAT) {
      const body = node.body;
      if (containsRepeat(body) && first(body).intersects(last(body))) {
        return { fragment: fragment(node), reason: "a repeated group holds another repetition and one iteration can end where the next begins" };
      }
      const overlap = overlappingAlternation(body);
      if (overlap) return { fragment: fragment(node), reason: "a repeated group holds alternatives that can match the same text" };
    }
    return findRisk(node.body, source, spans);
  }
  if (node.type === "seq") {
    for (const item of node.items) {
      const risk = findRisk(item, source, spans);
      if (risk) return risk;
    }
  }
  if (node.type === "alt") {
    for (const branch of node.branches) {
      const risk = findRisk(branch, source, spans);
      if (risk) return risk;
    }
  }
  if (node.type === "look") return findRisk(node.body, source, spans);
  return null;
}

function containsRepeat(node: Node): boolean {
  switch (node.type) {
    case "repeat":
      return node.max > 1 || containsRepeat(node.body);
    case "seq":
      return node.items.some(containsRepeat);
    case "alt":
      return node.branches.some(containsRepeat);
    default:
      return false;
  }
}

function overlappingAlternation(node: Node): boolean {
  switch (node.type) {
    case "alt": {
      const { branches } = node;
      for (let i = 0; i < branches.length; i++) {
        for (let j = i + 1; j < branches.length; j++) {
          const a = branches[i] as Node;
          const b = branches[j] as Node;
          if (first(a).intersects(first(b)) && last(a).intersects(last(b))) return true;
        }
      }
      return branches.some(overlappingAlternation);
    }
    case "seq":
      return node.items.some(overlappingAlternation);
    case "repeat":
      return overlappingAlternation(node.body);
    default:
      return false;
  }
}

function nullable(node: Node): boolean {
  switch (node.type) {
    case "chars":
      return false;
    case "empty":
    case "look":
      return true;
    case "seq":
      return node.items.every(nullable);
    case "alt":
      return node.branches.some(nullable);
    case "repeat":
      return node.min === 0 || nullable(node.body);
  }
}

function first(node: Node): CharSet {
  switch (node.type) {
    case "chars":
      return node.set;
    case "empty":
    case "look":
      return new CharSet();
    case "seq": {
      let set = new CharSet();
      for (const item of node.items) {
        set = set.union(first(item));
        if (!nullable(item)) break;
      }
      return set;
    }
    case "alt":
      return node.branches.reduce((set, branch) => set.union(first(branch)), new CharSet());
    case "repeat":
      return first(node.body);
  }
}

function last(node: Node): CharSet {
  if (node.type === "seq") {
    let set = new CharSet();
    for (let i = node.items.length - 1; i >= 0; i--) {
      const item = node.items[i] as Node;
      set = set.union(last(item));
      if (!nullable(item)) break;
    }
    return set;
  }
  if (node.type === "alt") return node.branches.reduce((set, branch) => set.union(last(branch)), new CharSet());
  if (node.type === "repeat") return last(node.body);
  return first(node);
}

/** A recursive-descent parser for the subset of regex syntax that matters here. */
function parse(source: string, ignoreCase: boolean): { node: Node; spans: Map<Node, [number, number]> } {
  let i = 0;
  const spans = new Map<Node, [number, number]>();
  const chars = (set: CharSet): Node => ({ type: "chars", set: ignoreCase ? set.foldCase() : set });

  const disjunction = (): Node => {
    const branches = [sequence()];
    while (source[i] === "|") {
      i++;
      branches.push(sequence());
    }
    return branches.length === 1 ? (branches[0] as Node) : { type: "alt", branches };
  };

  const sequence = (): Node => {
    const items: Node[] = [];
    while (i < source.length && source[i] !== "|" && source[i] !== ")") {
      const start = i;
      let atom = term();
      const quantifier = readQuantifier();
      if (quantifier) {
        atom = { type: "repeat", min: quantifier[0], max: quantifier[1], body: atom };
        spans.set(atom, [start, i]);
      }
      items.push(atom);
    }
    return { type: "seq", items };
  };

  const readQuantifier = (): [number, number] | null => {
    const ch = source[i];
    let result: [number, number] | null = null;
    if (ch === "*") result = [0, Infinity];
    else if (ch === "+") result = [1, Infinity];
    else if (ch === "?") result = [0, 1];
    else if (ch === "{") {
      const match = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (!match) return null;
      const min = Number(match[1]);
      const max = match[2] === undefined ? min : match[3] === "" || match[3] === undefined ? Infinity : Number(match[3]);
      i += match[0].length - 1;
      result = [min, max];
    }
    if (result === null) return null;
    i++;
    if (source[i] === "?") i++;
    return result;
  };

  const term = (): Node => {
    const ch = source[i] as string;
    if (ch === "(") {
      i++;
      let lookaround = false;
      if (source[i] === "?") {
        if (source[i + 1] === ":") i += 2;
        else if (source[i + 1] === "=" || source[i + 1] === "!") {
          lookaround = true;
          i += 2;
        } else if (source[i + 1] === "<" && (source[i + 2] === "=" || source[i + 2] === "!")) {
          lookaround = true;
          i += 3;
        } else if (source[i + 1] === "<") {
          i = source.indexOf(">", i) + 1;
        }
      }
      const body = disjunction();
      if (source[i] !== ")") throw new Error("unbalanced");
      i++;
      return lookaround ? { type: "look", body } : body;
    }
    if (ch === "[") return chars(characterClass());
    if (ch === ".") {
      i++;
      return chars(DOT);
    }
    if (ch === "^" || ch === "$") {
      i++;
      return { type: "empty" };
    }
    if (ch === "\\") {
      const escaped = escape(false);
      return escaped === null ? { type: "empty" } : chars(escaped);
    }
    i++;
    return chars(CharSet.of([ch.codePointAt(0) as number]));
  };

  /** After a backslash: a set, or null for an assertion (\b, \B) or a back-reference (treated as empty). */
  const escape = (inClass: boolean): CharSet | null => {
    i++;
    const e = source[i] as string;
    i++;
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
      case "b":
        return inClass ? CharSet.of([8]) : null;
      case "B":
        return null;
      case "n":
        return CharSet.of([10]);
      case "r":
        return CharSet.of([13]);
      case "t":
        return CharSet.of([9]);
      case "f":
        return CharSet.of([12]);
      case "v":
        return CharSet.of([11]);
      case "0":
        return CharSet.of([0]);
      case "x": {
        const code = parseInt(source.slice(i, i + 2), 16);
        i += 2;
        return CharSet.of([code]);
      }
      case "u": {
        let code: number;
        if (source[i] === "{") {
          const close = source.indexOf("}", i);
          code = parseInt(source.slice(i + 1, close), 16);
          i = close + 1;
        } else {
          code = parseInt(source.slice(i, i + 4), 16);
          i += 4;
        }
        return CharSet.of([code]);
      }
      case "p":
      case "P":
        i = source.indexOf("}", i) + 1;
        return CharSet.any();
      case "k":
        i = source.indexOf(">", i) + 1;
        return CharSet.any();
      case "c":
        i++;
        return CharSet.any();
      default:
        if (/[1-9]/.test(e)) {
          while (/\d/.test(source[i] ?? "")) i++;
          return CharSet.any();
        }
        return CharSet.of([e.codePointAt(0) as number]);
    }
  };

  const characterClass = (): CharSet => {
    i++;
    const negate = source[i] === "^";
    if (negate) i++;
    let set = new CharSet();
    let firstItem = true;
    while (i < source.length && (source[i] !== "]" || firstItem)) {
      firstItem = false;
      let low: number | null;
      if (source[i] === "\\") {
        const escaped = escape(true) as CharSet;
        // A single character may start a range; a class escape (\d) may not.
        const single = [...Array(128).keys()].filter((c) => escaped.has(c));
        if (single.length !== 1 || escaped.nonAscii) {
          set = set.union(escaped);
          continue;
        }
        low = single[0] as number;
      } else {
        low = (source.codePointAt(i) as number) ?? 0;
        i += low > 0xffff ? 2 : 1;
      }
      if (source[i] === "-" && source[i + 1] !== "]" && i + 1 < source.length) {
        i++;
        let high: number;
        if (source[i] === "\\") {
          const escaped = escape(true) as CharSet;
          high = [...Array(128).keys()].reverse().find((c) => escaped.has(c)) ?? 0x10ffff;
        } else {
          high = source.codePointAt(i) as number;
          i += high > 0xffff ? 2 : 1;
        }
        set.addRange(low, high);
      } else {
        set.add(low);
      }
    }
    i++;
    return negate ? set.complement() : set;
  };

  const node = disjunction();
  if (i < source.length) throw new Error("unbalanced");
  return { node, spans };
}
