// Catastrophic backtracking: dangerous patterns are refused by name, safe ones (including every
// built-in) pass, and a pattern that is only polynomially slow is kept cheap by the match window.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeText } from "../src/core/index.js";
import { run } from "../src/cli/main.js";
import { MAX_MATCH_LENGTH } from "../src/core/engine.js";
import { compileRules } from "../src/rules/compile.js";
import { backtrackingRisk } from "../src/rules/redos.js";
import { ruleSchema } from "../src/rules/schema.js";
import { builtinCompiled } from "./support/analyze.js";
import { memoryIO } from "./support/io.js";

const ruleFile = (id: string, pattern: string) => `id: ${id}
title: A user rule
category: other
severity: error
match:
  any:
    - '${pattern}'
explanation: why
remediation:
  - fix it
examples:
  match:
    - 'deploy a b failed'
  noMatch:
    - 'nothing'
`;

describe("backtrackingRisk", () => {
  it.each(["(a+)+$", "^(\\w+\\s?)*$", "(?<x>.*)+y", "(\\d+|\\d+)+x", "(a|a)*b", "(.*,)*", "(?:\\w+\\s?){1,100}!", "(?=(a+)+)b", "(\\w|\\d)+x", "(?:A+B?)*", "(?:[a-z]+)*"])("refuses %s", (source) => {
    expect(backtrackingRisk(source)).not.toBeNull();
  });

  it("refuses by case-folded overlap when the rule ignores case", () => {
    expect(backtrackingRisk("(?:a+A)+c", false)).toBeNull();
    expect(backtrackingRisk("(?:a+A)+c", true)).not.toBeNull();
  });

  it.each(["(?:[A-Z]\\w*::)*[A-Z]\\w*Error", "(x\\d+)*", "(\\s+\\w+)*", "(?:\\S+ )*end", "(a|ab)*c", "(?:a+){2}", "Permission denied \\(publickey(?:,[\\w-]+)*\\)", "[\\w.-]+:\\d+"])("accepts %s", (source) => {
    expect(backtrackingRisk(source)).toBeNull();
  });

  it.each(["\\d+\\d+\\d+x", ".*.*.*=.*;", ".*(?:a.*){10}!!", "ERROR.*:.*:.*failed$", "\\w+\\s*\\w+x", ".*:.*x", "\\d+\\d+x"])("refuses %s: repetitions in a row that can share the same text backtrack polynomially", (source) => {
    const risk = backtrackingRisk(source);
    expect(risk?.reason).toMatch(/repetitions in a row can match the same characters/);
  });

  it("refuses, rather than walks for long, bounded repetitions nested very deeply", () => {
    const source = `${"(?:".repeat(30)}a${"){2}".repeat(30)}`;
    expect(backtrackingRisk(source)?.reason).toMatch(/nested too deeply/);
  });

  it("names the repetitions that can share the text", () => {
    expect(backtrackingRisk("ERROR.*:.*:.*failed$")?.fragment).toBe(".*:.*:.*f");
    expect(backtrackingRisk("ERROR.*:.*:.*failed$")?.reason).toMatch(/^3 repetitions in a row/);
  });

  it.each([
    // Two in a row, but a match can only start at fixed text, `^` or after a space none of them takes.
    "ERROR.*:.*failed$",
    "^\\d+\\d+x",
    "(?:^|\\s)\\w+\\w+x",
    // A character between them that one cannot match ends the chain.
    "ERROR[^:]*:[^:]*:.*failed$",
    "\\d+\\.\\d+\\.\\d+x",
    "(?<cmd>\\S+) exit status: (?<status>\\d+)$",
    // Nothing after them can fail, or `$` after `.*`.
    "Error: .*timeout.*",
    "failed: .*: .*$",
    // Whole iterations of `(?:[A-Z]\\w*::)` hold `::`, which `\\w*` cannot take.
    "(?:[A-Z]\\w*::)*[A-Z]\\w*Error: ",
  ])("accepts %s", (source) => {
    expect(backtrackingRisk(source)).toBeNull();
  });

  it("accepts every built-in pattern", async () => {
    const risky = (await builtinCompiled()).flatMap(({ rule }) =>
      [...rule.match.any, ...(rule.context?.near ? [rule.context.near] : [])].filter((source) => backtrackingRisk(source, rule.match.ignoreCase === true) !== null).map((source) => `${rule.id}: ${source}`),
    );
    expect(risky).toEqual([]);
  });
});

describe("refusing a dangerous rule", () => {
  it("fails schema validation with a message naming the rule and the fragment", () => {
    const result = ruleSchema.safeParse({
      id: "my-slow-rule",
      title: "t",
      category: "other",
      severity: "error",
      match: { any: ["fine literal", "deploy (\\w+\\s?)*failed"] },
      explanation: "e",
      remediation: ["r"],
      examples: { match: ["x"], noMatch: ["y"] },
    });
    expect(result.success).toBe(false);
    const issue = result.error?.issues[0];
    expect(issue?.path).toEqual(["match", "any", 1]);
    expect(issue?.message).toMatch(/^rule my-slow-rule: pattern refused, it could backtrack catastrophically at `\(\\w\+\\s\?\)\*`/);
  });

  it("--rules with such a pattern: exit 2, one line naming file, field and rule", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-redos-"));
    writeFileSync(path.join(dir, "slow.yml"), ruleFile("slow-user-rule", "deploy (\\w+\\s?)*failed"));
    writeFileSync(path.join(dir, "deploy.log"), "deploy a b failed\n");
    const io = memoryIO({ cwd: dir });
    expect(await run(["--rules", dir, "deploy.log"], io)).toBe(2);
    expect(io.err()).toMatch(/^kamal-doctor: .*slow\.yml: match\.any\.0: rule slow-user-rule: pattern refused/);
    expect(io.err().trim().split("\n")).toHaveLength(1);
  });
});

describe("refusing a polynomially backtracking user rule", () => {
  it.each(["\\d+\\d+\\d+x", ".*.*.*=.*;", ".*(?:a.*){10}!!", "ERROR.*:.*:.*failed$"])("--rules with %s: exit 2, one line naming file, field and rule, nothing run", async (pattern) => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-redos-"));
    writeFileSync(path.join(dir, "slow.yml"), ruleFile("slow-user-rule", pattern));
    writeFileSync(path.join(dir, "deploy.log"), `${"1".repeat(40)}\n${"ERROR:".repeat(20)}\n`);
    const io = memoryIO({ cwd: dir });
    expect(await run(["--rules", dir, "deploy.log"], io)).toBe(2);
    expect(io.err()).toMatch(/^kamal-doctor: .*slow\.yml: match\.any\.0: rule slow-user-rule: pattern refused, it could backtrack catastrophically at `.+` \(\d repetitions in a row/);
    expect(io.err().trim().split("\n")).toHaveLength(1);
    expect(io.out()).toBe("");
  });
});

describe("the match window", () => {
  it(`bounds a polynomially backtracking pattern: rules see ${MAX_MATCH_LENGTH} characters of a line`, () => {
    const rules = compileRules([
      ruleSchema.parse({
        id: "quadratic",
        title: "t",
        category: "other",
        severity: "error",
        match: { any: ["(?<cmd>[\\w./-]+) exit status: 32512$"] },
        explanation: "e",
        remediation: ["r"],
        examples: { match: ["x"], noMatch: ["y"] },
      }),
    ]);
    // Unbounded, each of these lines costs V8 seconds; the rule sees only the window, so a
    // match that lies beyond it is not found, while evidence keeps the whole line.
    const hostile = `a exit status: 32512 ${"s".repeat(60_000)}\n`.repeat(5);
    const beyond = `${"s ".repeat(MAX_MATCH_LENGTH)}docker exit status: 32512\n`;
    const report = analyzeText("hostile.log", `${hostile}${beyond}docker exit status: 32512 at the end ${"x".repeat(MAX_MATCH_LENGTH)}\ndocker exit status: 32512\n`, { rules, toolVersion: "test" });
    expect(report.findings.map((f) => [f.ruleId, f.line])).toEqual([["quadratic", 8]]);
  });
});
