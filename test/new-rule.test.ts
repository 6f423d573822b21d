// `npm run new-rule -- CATEGORY/ID` writes a valid rule skeleton whose examples hold, and refuses
// an unknown category, an id already taken and a retired id (run on a scratch rules directory).
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { compilePattern, execPattern } from "../src/rules/compile.js";
import { parseRule } from "../src/rules/load.js";

const SCRIPT = path.resolve("scripts/new-rule.mjs");

async function newRule(dir: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [SCRIPT, "--dir", dir, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

function rulesDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-new-rule-"));
  mkdirSync(path.join(dir, "other"));
  writeFileSync(path.join(dir, "other", "command-failed.yml"), "id: command-failed\n");
  writeFileSync(path.join(dir, "retired.txt"), "# retired\nproxy-boot-failed  renamed to proxy-not-running\n");
  return dir;
}

describe("npm run new-rule", () => {
  it("writes rules/CATEGORY/ID.yml: a valid rule whose examples match and do not match as they say", async () => {
    const dir = rulesDir();
    const result = await newRule(dir, "registry-auth/registry-token-expired");
    expect(result.code).toBe(0);
    const file = path.join(dir, "registry-auth", "registry-token-expired.yml");
    expect(result.stdout).toContain("registry-token-expired.yml");
    const rule = parseRule(file, readFileSync(file, "utf8"));
    expect(rule).toMatchObject({ id: "registry-token-expired", category: "registry-auth" });
    const fires = (line: string) => rule.match.any.some((source) => execPattern(compilePattern(source, false), line, null) !== null);
    expect(rule.examples.match.every(fires)).toBe(true);
    expect(rule.examples.noMatch.some(fires)).toBe(false);
  });

  it.each([
    ["nope/some-id", /^new-rule: unknown category 'nope' \(one of: ssh-auth, .*other\)\n$/],
    ["build/command-failed", /^new-rule: 'command-failed' is taken: .*other\/command-failed\.yml\n$/],
    ["proxy/proxy-boot-failed", /^new-rule: 'proxy-boot-failed' is a retired rule id \(renamed to proxy-not-running\): ids are never reused, pick another\n$/],
    ["proxy/Not_Kebab", /^new-rule: 'Not_Kebab' is not a kebab-case id/],
    ["just-an-id", /^new-rule: usage: npm run new-rule -- CATEGORY\/ID/],
  ])("refuses %s with exit 2 and one line", async (target, message) => {
    const result = await newRule(rulesDir(), target);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
  });
});
