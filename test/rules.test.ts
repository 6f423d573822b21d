// The catalogue proves itself: every rule's own examples run through the analysis here (the
// rule's finding must be produced, or not), and the invariants every rule
// file must keep (path, unique id, known category, compilable patterns, resolvable placeholders,
// documented in docs/rules.md) are checked for the whole of rules/.

import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CATEGORIES } from "../src/vocabulary.js";
import { RULES_DIR } from "../src/rules/builtin.js";
import { checkExamples } from "../src/core/index.js";
import { compilePattern, compileRules } from "../src/rules/compile.js";
import { renderRulesDoc } from "../src/rules/docs.js";
import { parseRule, ruleFiles } from "../src/rules/load.js";
import { parseRetired, retiredIds } from "../src/rules/retired.js";
import type { Rule } from "../src/rules/schema.js";

const BUILT_IN_VARS = new Set(["host", "hosts", "phase", "command", "exitCode"]);

const files = await ruleFiles(RULES_DIR);
const catalogue: Array<{ file: string; rule: Rule }> = files.map((file) => ({ file, rule: parseRule(file, readFileSync(file, "utf8")) }));

function namedGroups(source: string): Set<string> {
  return new Set([...source.matchAll(/\(\?<([A-Za-z_]\w*)>/g)].map((m) => m[1] as string));
}

function templates(rule: Rule): string[] {
  return [rule.title, rule.explanation, ...rule.remediation.map((step) => (typeof step === "string" ? step : step.text))];
}

describe("rule examples fire through the analysis", () => {
  it.each(compileRules(catalogue.map(({ rule }) => rule)).map((compiled) => [compiled.rule.id, compiled] as const))("%s", (_id, compiled) => {
    const failed = checkExamples(compiled, "0.0.0-test")
      .filter((check) => !check.ok)
      .map((check) => `${check.expect === "match" ? "does not fire on" : "fires on"}: ${check.example}`);
    expect(failed).toEqual([]);
  });
});

describe("catalogue invariants", () => {
  it("has at least 60 rules and covers every category", () => {
    expect(catalogue.length).toBeGreaterThanOrEqual(60);
    const used = new Set(catalogue.map(({ rule }) => rule.category));
    expect(CATEGORIES.filter((category) => !used.has(category))).toEqual([]);
  });

  it("has unique ids", () => {
    const ids = catalogue.map(({ rule }) => rule.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  it("never reuses a retired id (rules/retired.txt)", () => {
    const retired = retiredIds();
    expect(catalogue.filter(({ rule }) => retired.has(rule.id)).map(({ rule }) => `${rule.id} is retired: ${retired.get(rule.id)}`)).toEqual([]);
  });

  it("reads the retired list strictly: an id and its reason a line, each id once", () => {
    expect([...parseRetired("# a comment\n\nold-rule  renamed to new-rule\nother-old\tmerged into x\n")]).toEqual([
      ["old-rule", "renamed to new-rule"],
      ["other-old", "merged into x"],
    ]);
    expect(() => parseRetired("old-rule\n")).toThrow(/rules\/retired\.txt:1: expected a kebab-case id and its reason/);
    expect(() => parseRetired("Old_Rule gone\n")).toThrow(/:1: expected a kebab-case id/);
    expect(() => parseRetired("a-b gone\na-b again\n")).toThrow(/:2: a-b is listed twice/);
  });

  it("holds no unfinished skeleton (npm run new-rule writes TODOs)", () => {
    const unfinished = catalogue.filter(({ file }) => readFileSync(file, "utf8").includes("TODO")).map(({ rule }) => rule.id);
    expect(unfinished).toEqual([]);
  });

  it("keeps each rule at rules/<category>/<id>.yml", () => {
    const misplaced = catalogue
      .filter(({ file, rule }) => path.relative(RULES_DIR, file) !== path.join(rule.category, `${rule.id}.yml`))
      .map(({ file }) => path.relative(RULES_DIR, file));
    expect(misplaced).toEqual([]);
  });

  it("uses only known categories and compilable patterns", () => {
    for (const { rule } of catalogue) {
      expect(CATEGORIES).toContain(rule.category);
      for (const source of [...rule.match.any, ...(rule.context?.near ? [rule.context.near] : [])]) {
        expect(() => compilePattern(source, rule.match.ignoreCase === true), `${rule.id}: ${source}`).not.toThrow();
      }
    }
  });

  it("has a match and a noMatch example in every rule", () => {
    for (const { rule } of catalogue) {
      expect(rule.examples.match.length, rule.id).toBeGreaterThan(0);
      expect(rule.examples.noMatch.length, rule.id).toBeGreaterThan(0);
    }
  });

  it("can fill every placeholder: a capture of every pattern, or a fallback", () => {
    const problems: string[] = [];
    for (const { rule } of catalogue) {
      const groupsPerPattern = rule.match.any.map(namedGroups);
      for (const text of templates(rule)) {
        for (const m of text.matchAll(/\{([A-Za-z_]\w*)(\|[^{}]*)?\}/g)) {
          const [whole, name, fallback] = m as unknown as [string, string, string | undefined];
          if (fallback !== undefined) continue;
          if (BUILT_IN_VARS.has(name)) problems.push(`${rule.id}: built-in ${whole} needs a fallback`);
          else if (!groupsPerPattern.every((groups) => groups.has(name))) problems.push(`${rule.id}: ${whole} is not captured by every pattern`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it("names only existing rules or categories in explains", () => {
    const ids = new Set(catalogue.map(({ rule }) => rule.id));
    const unknown = catalogue.flatMap(({ rule }) =>
      (rule.explains ?? []).filter((target) => (target.startsWith("category:") ? !(CATEGORIES as readonly string[]).includes(target.slice(9)) : !ids.has(target))).map((target) => `${rule.id} → ${target}`),
    );
    expect(unknown).toEqual([]);
  });

  it("documents every rule in docs/rules.md, and the file is fresh (npm run docs:rules)", () => {
    const doc = readFileSync(new URL("../docs/rules.md", import.meta.url), "utf8");
    for (const { rule } of catalogue) expect(doc, rule.id).toContain(`### ${rule.id}\n`);
    expect(doc).toBe(renderRulesDoc(catalogue.map(({ rule }) => rule)));
  });

  it("documents a recategorized context's own fix under it", () => {
    const withSteps = catalogue.map(({ rule }) => rule).filter((rule) => rule.recategorize?.some((entry) => entry.remediation));
    expect(withSteps.length).toBeGreaterThan(0);
    const doc = renderRulesDoc(withSteps);
    for (const rule of withSteps) {
      for (const entry of rule.recategorize ?? []) {
        for (const step of entry.remediation ?? []) expect(doc).toContain(`\n  - ${typeof step === "string" ? step : step.text}`);
      }
    }
  });
});
