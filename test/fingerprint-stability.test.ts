// Fingerprints are stable across what changes from one run of the same failure to the next:
// every log is read again with its SHAs, container ids, timestamps and image tags rewritten,
// and each finding must keep its fingerprint — on the fixtures, and on the shared corpus when
// ../shared is there. (That a host or another subject changes it: test/memory-marker.test.ts.)
import { readFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { analyzeText } from "../src/core/index.js";
import { builtinRules } from "../src/rules/builtin.js";
import { logsUnder } from "./support/logs.js";
import { compileRules, type CompiledRule } from "../src/rules/compile.js";

const root = path.resolve(import.meta.dirname, "..");
const fixtures = logsUnder(path.join(root, "fixtures"));
const corpusDir = path.resolve(root, "../shared/corpus");
const corpus = [...logsUnder(path.join(corpusDir, "real-dev")), ...logsUnder(path.join(corpusDir, "generated"))];

let rules: CompiledRule[];
beforeAll(async () => {
  rules = compileRules(await builtinRules());
});

/** The same log as another run of it would print: other hex ids (same length), later times. */
function anotherRun(text: string): string {
  return text
    .replace(/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,64}\b/g, (hex) => [...hex].map((c) => "0123456789abcdef"[("0123456789abcdef".indexOf(c) + 7) % 16]).join(""))
    .replace(/\b(20\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d)/g, (_m, y: string, mo: string, d: string, h: string, mi: string) => `${y}-${mo}-${d}T${h}:${String((Number(mi) + 7) % 60).padStart(2, "0")}`);
}

const prints = (file: string, text: string) => analyzeText(file, text, { rules, toolVersion: "test" }).findings.map((f) => `${f.ruleId} ${f.fingerprint ?? "none"}`);

function unstable(files: string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const a = prints(file, text);
    const b = prints(file, anotherRun(text));
    // The rewrite may move a finding (an id that was a capture); compare those found in both.
    const ids = new Set(b.map((p) => p.split(" ")[0]));
    for (const p of a) if (ids.has(p.split(" ")[0]) && !b.includes(p)) out.push(`${path.basename(file)}: ${p}`);
  }
  return out;
}

describe("fingerprints", () => {
  it("every finding has one", () => {
    for (const file of fixtures) for (const p of prints(file, readFileSync(file, "utf8"))) expect(p).not.toMatch(/ none$/);
  });

  it("survive another run of the same failure in every fixture (ids, SHAs, times)", () => {
    expect(unstable(fixtures)).toEqual([]);
  });

  it.skipIf(corpus.length === 0)("survive another run of the same failure in every shared corpus log", () => {
    expect(unstable(corpus)).toEqual([]);
  });
});
