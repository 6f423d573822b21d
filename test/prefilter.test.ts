// The prefilter may only skip work, never a match: the required literals of a pattern appear in
// every line it matches, and the one-pass literal scan finds exactly the literals a line holds.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { compileRules, literalTable } from "../src/rules/compile.js";
import { loadRuleDir } from "../src/rules/load.js";
import { RULES_DIR } from "../src/rules/builtin.js";
import { requiredLiterals } from "../src/rules/literals.js";
import { LiteralAutomaton, RulePrefilter, offerAutomaton } from "../src/rules/prefilter.js";
import { ERROR_WORDS } from "../src/core/keyline.js";
import { ruleSchema } from "../src/rules/schema.js";
import { builtinCompiled } from "./support/analyze.js";

describe("requiredLiterals", () => {
  it.each([
    ["target failed to become healthy", ["target failed to become healthy"]],
    ["manifest for (?<ref>\\S+) not found", ["manifest for "]],
    ["Net::SSH::Disconnect|connection closed by remote host", ["Net::SSH::Disconnect", "connection closed by remote host"]],
    ["(?<exception>bin/rails aborted!)", ["bin/rails aborted!"]],
    // Small classes, alternatives and optional characters are spelled out, ripgrep's way.
    ["[Nn]o space left on device", ["No space left on device", "no space left on device"]],
    ["Deploy lock\\. Run 'kamal", ["Deploy lock. Run 'kamal"]],
    ["colou?r is (?:red|blue)", ["color is red", "color is blue", "colour is red", "colour is blue"]],
    ["(?:Kamal|Mrsk)::Cli::LockError", ["Kamal::Cli::LockError", "Mrsk::Cli::LockError"]],
    ["(?<kind>colour|color) chart", ["colour chart", "color chart"]],
    // A part that is not spelled out in full still gives the text it starts with.
    ["Completed (?<status>5\\d\\d) in", ["Completed 5"]],
    ['Started (?:GET|HEAD) "/(?:up|health)\\b', ['Started GET "/up', 'Started GET "/health', 'Started HEAD "/up', 'Started HEAD "/health']],
    // Too many to spell out: the parts on either side are the candidates.
    ["exit [0-9a-f] (?:a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q) status code", [" status code"]],
  ])("%s → %j", (source, expected) => {
    expect(requiredLiterals(source)).toEqual(expected);
  });

  it.each(["(?:abc)?def?", "a|bc", "\\d+ \\w+", "(?=abcdef)x", "ab"])("%s has no literal to require", (source) => {
    expect(requiredLiterals(source)).toBeNull();
  });

  it("only ever requires text that every match contains", () => {
    const atoms = ["a", "b", "ab", "x", "\\.", "[ab]", "[Ab]", "\\d", "(?:ab|ba)", "(?:abc)?", "a+", "b*", "(bab)", "c{2}", "c{1,3}", "(?:x|)", "(?:abc|bca)+", "(?:a[bc]|x\\d)", "(?:b\\d+c)", "[abcx. ]{2}", "\\b", "(?=a)"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...atoms), { minLength: 1, maxLength: 8 }), fc.string({ unit: fc.constantFrom("a", "b", "A", "c", "x", ".", "1", " "), maxLength: 30 }), (parts, text) => {
        const source = parts.join("");
        const match = new RegExp(source, "u").exec(text);
        const literals = requiredLiterals(source);
        if (match && literals) expect(literals.some((literal) => match[0].includes(literal))).toBe(true);
      }),
    );
  });
});

describe("requiredLiterals on generated matches", () => {
  // Texts made to match each pattern (fast-check's stringMatching), not found by chance.
  it("every match of a built-in pattern, or of a random one, holds one of its literals", () => {
    const atoms = ["ab", "[ab]", "[Ab]", "\\d", "(?:ab|ba)", "(?:abc)?", "a+", "c{1,3}", "(?:x|)", "(?:a[bc]|x\\d)", "(?:b\\d+c)", "[abcx. ]{2}", "(?:GET|HEAD) ", "u?"];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...atoms), { minLength: 1, maxLength: 8 }).chain((parts) => {
          const source = parts.join("");
          return fc.tuple(fc.constant(source), fc.stringMatching(new RegExp(`^(?:${source})$`)));
        }),
        ([source, text]) => {
          const literals = requiredLiterals(source);
          if (literals) expect(literals.some((literal) => text.includes(literal))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("LiteralAutomaton", () => {
  it("finds exactly the literals a text contains, ignoring ASCII case", () => {
    // "z" is in some literals only, "d" and "é" in none: characters outside every literal reset the scan.
    const word = fc.string({ unit: fc.constantFrom("a", "b", "A", "c", ":", " ", "z"), minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(fc.uniqueArray(word, { minLength: 1, maxLength: 12 }), fc.string({ unit: fc.constantFrom("a", "b", "B", "c", ":", " ", "é", "d", "Z"), maxLength: 60 }), (literals, text) => {
        const found: number[] = [];
        new LiteralAutomaton(literals).scan(text, found);
        const expected = literals.flatMap((literal, id) => (text.toLowerCase().includes(literal.toLowerCase()) ? [id] : []));
        expect([...new Set(found)].sort((a, b) => a - b)).toEqual(expected);
      }),
    );
  });

  it("reports every occurrence, overlapping ones included", () => {
    const found: number[] = [];
    new LiteralAutomaton(["ana", "nan", "a"]).scan("Banana", found);
    expect(found.filter((id) => id === 0)).toHaveLength(2);
    expect(found.filter((id) => id === 1)).toHaveLength(1);
    expect(found.filter((id) => id === 2)).toHaveLength(3);
  });

  it("scans a one-byte line's Latin-1 bytes as it scans the string, colour codes and stops included", () => {
    const unit = fc.constantFrom("a", "b", "B", "c", ":", " ", "é", "\x9b", "\x1b", "[", "0", ";", "m", "2K", "Z");
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ unit: fc.constantFrom("a", "b", "c", ":", " ", "m"), minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        fc.string({ unit, maxLength: 40 }),
        fc.nat(40),
        fc.constantFrom("\n", "\r"),
        (literals, text, cut, end) => {
          const automaton = new LiteralAutomaton(literals);
          const from = Math.min(cut, text.length);
          const bytes = Buffer.from(`::${text}${end}abc`, "latin1");
          expect(automaton.cleanScanBytes(bytes, 2, 2 + from, 0)).toBe(automaton.cleanScan(text, 0, from, 0));
          const state = automaton.cleanScan(text, 0, from, 0);
          if (state >= 0) expect(automaton.cleanScanBytes(bytes, 2 + from, 2 + text.length, state)).toBe(automaton.cleanScan(text, from, text.length, state));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("refuses a literal beyond ASCII, which the scan could never find", () => {
    expect(() => new LiteralAutomaton(["café"])).toThrow(/ASCII/);
  });
});

describe("RulePrefilter", () => {
  it("selects every built-in rule on each of its own example lines, whatever surrounds them", async () => {
    const rules = await builtinCompiled();
    const prefilter = new RulePrefilter(rules);
    const examples = rules.flatMap((compiled, index) => compiled.rule.examples.match.map((line) => [index, line] as const));
    fc.assert(
      fc.property(fc.constantFrom(...examples), fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), ([index, line], before, after) => {
        const text = `${before}${line}${after}`;
        const compiled = rules[index];
        if (!compiled) return;
        const selected = prefilter.select(text);
        compiled.patterns.forEach((pattern, k) => {
          if (pattern.regex.exec(text) === null) return;
          expect(selected).toContain(index);
          expect(prefilter.mayMatch(prefilter.gates[index]?.patterns[k] ?? null)).toBe(true);
        });
      }),
      { numRuns: 500 },
    );
  });

  it("returns the candidate rules in catalogue order", () => {
    const rule = (id: string, pattern: string) =>
      ruleSchema.parse({ id, title: "t", category: "other", severity: "error", match: { any: [pattern] }, explanation: "e", remediation: ["r"], examples: { match: ["x"], noMatch: ["y"] } });
    const rules = compileRules([rule("zeta", "second thing"), rule("alpha", "first thing")]);
    const prefilter = new RulePrefilter(rules);
    expect(prefilter.select("first thing then second thing")).toEqual([0, 1]);
    expect(prefilter.select("nothing at all")).toEqual([]);
  });
});

describe("precomputed literal table", () => {
  it("compiles to exactly the literals that analysing each pattern gives, and analyses what it lacks", async () => {
    const rules = await loadRuleDir(RULES_DIR);
    const table = literalTable(rules);
    const literalsOf = (compiled: ReturnType<typeof compileRules>) => compiled.map((rule) => [rule.near?.literals ?? null, rule.patterns.map((pattern) => pattern.literals)]);
    expect(literalsOf(compileRules(rules, table))).toEqual(literalsOf(compileRules(rules)));
    const partial = new Map([...table].slice(0, 10));
    expect(literalsOf(compileRules(rules, partial))).toEqual(literalsOf(compileRules(rules)));
    // A stale entry is used as given: the table is keyed by the pattern's exact source.
    const source = rules[0]?.match.any[0] as string;
    const stale = compileRules([rules[0] as (typeof rules)[number]], new Map([[source, ["stale"]]]));
    expect(stale[0]?.patterns[0]?.literals).toEqual(["stale"]);
  });

  it("is what the build wrote to dist/literals.json (npm test builds first)", async () => {
    const built = JSON.parse(readFileSync(new URL("../dist/literals.json", import.meta.url), "utf8")) as Record<string, string[] | null>;
    expect(built).toEqual(Object.fromEntries(literalTable(await loadRuleDir(RULES_DIR))));
  });
});

describe("the automaton written at build time", () => {
  const scanAll = (automaton: LiteralAutomaton, texts: string[]) =>
    texts.map((text) => {
      const found: number[] = [];
      automaton.scan(text, found);
      return [found, automaton.cleanScan(text, 0, text.length, 0)];
    });

  it("reads back as the automaton it was written from: the same matches on any text", () => {
    const word = fc.string({ unit: fc.constantFrom("a", "b", "A", "c", ":", " ", "z", "é"), minLength: 1, maxLength: 5 }).filter((w) => !w.includes("é"));
    fc.assert(
      fc.property(fc.uniqueArray(word, { minLength: 1, maxLength: 12 }), fc.array(fc.string({ unit: fc.constantFrom("a", "b", "B", "c", ":", " ", "é", "d", "Z", "\u001b[1m"), maxLength: 60 }), { maxLength: 8 }), (literals, texts) => {
        const built = new LiteralAutomaton(literals);
        const read = LiteralAutomaton.fromBytes(built.toBytes(literals), literals);
        expect(read).not.toBeNull();
        expect(scanAll(read as LiteralAutomaton, texts)).toEqual(scanAll(built, texts));
      }),
    );
  });

  it("is refused for other literals, and when cut short or not a table at all", () => {
    const bytes = new LiteralAutomaton(["deploy", "lock"]).toBytes(["deploy", "lock"]);
    expect(LiteralAutomaton.fromBytes(bytes, ["deploy", "lock"])).not.toBeNull();
    // Bytes that do not start on a 4-byte boundary (a view into a larger buffer) read the same.
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    const found: number[] = [];
    LiteralAutomaton.fromBytes(shifted.subarray(1), ["deploy", "lock"])?.scan("Deploy lock", found);
    expect(found).toEqual([0, 1]);
    expect(LiteralAutomaton.fromBytes(bytes, ["deploy", "locks"])).toBeNull();
    expect(LiteralAutomaton.fromBytes(bytes, ["deploy"])).toBeNull();
    expect(LiteralAutomaton.fromBytes(bytes.slice(0, bytes.length - 4), ["deploy", "lock"])).toBeNull();
    expect(LiteralAutomaton.fromBytes(new Uint8Array([1, 2, 3]), ["deploy", "lock"])).toBeNull();
    expect(LiteralAutomaton.fromBytes(new TextEncoder().encode("\u0005\u0000\u0000\u0000{oops"), ["deploy", "lock"])).toBeNull();
  });

  it("dist/prefilter.bin is the built-in catalogue's (npm test builds first), and a prefilter offered it selects the same rules", async () => {
    const rules = await builtinCompiled();
    const fresh = new RulePrefilter(rules, ERROR_WORDS);
    const bytes = readFileSync(new URL("../dist/prefilter.bin", import.meta.url));
    expect(Buffer.compare(Buffer.from(fresh.automatonBytes()), bytes)).toBe(0);
    offerAutomaton(new Uint8Array(bytes));
    const offered = new RulePrefilter(rules, ERROR_WORDS);
    // Every rule's own example lines, and lines with none of its literals.
    const lines = rules.flatMap((compiled) => [...compiled.rule.examples.match, ...(compiled.rule.examples.noMatch ?? [])]).concat(["  INFO [1a2b3c4d] Running docker ps on 10.0.0.1", "plain text", "ERROR: failed to solve"]);
    expect(lines.length).toBeGreaterThan(100);
    for (const line of lines) {
      expect([...offered.select(line)]).toEqual([...fresh.select(line)]);
      expect(offered.cleanScan(line, 0, line.length, 0)).toBe(fresh.cleanScan(line, 0, line.length, 0));
    }
  });
});
