// The one regex parser both pattern analyses walk: it reads the `u`-mode grammar as V8 does, and
// the literal extraction and the backtracking check agree on what a pattern's parts are.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { requiredLiterals } from "../src/rules/literals.js";
import { backtrackingRisk } from "../src/rules/redos.js";
import { parseRegex, type RegexNode } from "../src/rules/regex.js";
import { builtinCompiled } from "./support/analyze.js";

const shape = (node: RegexNode): unknown => {
  switch (node.type) {
    case "seq":
      return node.items.map(shape);
    case "alt":
      return { alt: node.branches.map(shape) };
    case "group":
    case "look":
      return { [node.type]: shape(node.body) };
    case "repeat":
      return { repeat: shape(node.body), min: node.min, max: node.max };
    case "char":
      return node.literal ?? "class";
    default:
      return node.type;
  }
};

describe("parseRegex", () => {
  it("parses every built-in pattern", async () => {
    for (const { rule } of await builtinCompiled()) {
      for (const source of [...rule.match.any, ...(rule.context?.near ? [rule.context.near] : [])]) expect(() => parseRegex(source), source).not.toThrow();
    }
  });

  it.each([
    ["[]a", ["class", "a"]],
    ["[^]+", [{ repeat: "class", min: 1, max: Infinity }]],
    ["a{1,}b{2,3}c{4}", [{ repeat: "a", min: 1, max: Infinity }, { repeat: "b", min: 2, max: 3 }, { repeat: "c", min: 4, max: 4 }]],
    ["(?<név>x)\\k<név>", [{ group: ["x"] }, "backref"]],
    ["(?<=a)(?!b)\\b$", [{ look: ["a"] }, { look: ["b"] }, "assert", "assert"]],
    ["[\\u{1F600}-\\u{1F64F}]\\/\\.", ["class", "/", "."]],
    ["\\x41\\u0042\\cA", ["class", "class", "class"]],
  ])("%s", (source, expected) => {
    expect(shape(parseRegex(source))).toEqual(expected);
  });

  it("refuses what the u-mode compiler refuses", () => {
    for (const source of ["a{", "\\:", "(?i:a)", "[b-a", "(a", "a)", "+a", "\\k<x"]) {
      expect(() => new RegExp(source, "u"), source).toThrow();
      expect(() => parseRegex(source), source).toThrow();
    }
  });

  it("reads exactly what V8 reads: a pattern V8 accepts always parses", () => {
    const atoms = ["a", "\\.", "[a-c]", "[^]", "[]", "\\d", "\\p{L}", "(?:a|b)", "(?<n1>x)", "(?=a)", "(?<!b)", "\\b", "^", "$", "\\u{61}", "\\x20", "é", "😀", "\\/", "[\\-\\]]"];
    const quantifiers = ["", "*", "+", "?", "{2}", "{1,}", "{0,3}", "+?"];
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...atoms), fc.constantFrom(...quantifiers)), { minLength: 1, maxLength: 6 }), (parts) => {
        const source = parts.map(([atom, q]) => atom + q).join("");
        let valid = true;
        try {
          new RegExp(source, "u");
        } catch {
          valid = false;
        }
        // (What V8 refuses for meaning rather than syntax, such as a repeated group name, is not the parser's to catch.)
        if (valid) expect(() => parseRegex(source), source).not.toThrow();
      }),
    );
  });

  it("an astral character, a wide class or an escape ends a literal run; an escaped syntax character or a small class does not", () => {
    expect(requiredLiterals("abc😀def")).toEqual(["abc"]);
    expect(requiredLiterals("ab\\.cd[x-z0-9]efg")).toEqual(["ab.cd"]);
    expect(requiredLiterals("ab\\.cd[x]efg")).toEqual(["ab.cdxefg"]);
    expect(requiredLiterals("ab\\.c\\d[xy]efgh")).toEqual(["xefgh", "yefgh"]);
    expect(requiredLiterals("[]]abc")).toBeNull(); // `[]` matches nothing, the `]` after it is a syntax error
  });

  it("both analyses see the same parts: a group name's characters are not pattern text", () => {
    expect(requiredLiterals("(?<abcdef>x+)")).toBeNull();
    expect(backtrackingRisk("(?<aaaa>a)+")).toBeNull();
  });
});
