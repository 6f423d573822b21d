// Test helpers: analyse a string or a fixture file with the built-in rules (loaded once).
import { Readable } from "node:stream";
import { readFileSync } from "node:fs";
import { analyzeText, diagnose } from "../../src/core/index.js";
import type { Report } from "../../src/core/report.js";
import { compileRules, type CompiledRule } from "../../src/rules/compile.js";
import { loadRuleDir } from "../../src/rules/load.js";
import { RULES_DIR } from "../../src/rules/builtin.js";

let rules: CompiledRule[] | null = null;

export async function builtinCompiled(): Promise<CompiledRule[]> {
  rules ??= compileRules(await loadRuleDir(RULES_DIR));
  return rules;
}

export async function analyze(text: string, name = "deploy.log", extra: { exitCode?: number | null } = {}): Promise<Report> {
  return analyzeText(name, text, { rules: await builtinCompiled(), toolVersion: "0.0.0-test", ...extra });
}

/** Several logs, each a deploy of its own (as `kamal-doctor a.log b.log`). */
export async function analyzeMany(logs: ReadonlyArray<{ name: string; text: string; attachTo?: "previous" }>): Promise<Report> {
  const sources = logs.map(({ text, ...meta }) => ({
    ...meta,
    text: Readable.from([text]),
  }));
  return diagnose(sources, { rules: await builtinCompiled(), toolVersion: "0.0.0-test" });
}

export async function analyzeFile(file: string): Promise<Report> {
  return analyze(readFileSync(file, "utf8"), file.split("/").pop());
}

/** Wraps a plain log the way a GitHub Actions job log carries it: BOM, timestamps, a step group. */
export function wrapForGitHub(text: string, { command = "kamal deploy", exitCode = 1 }: { command?: string; exitCode?: number } = {}): string {
  const base = Date.parse("2026-03-02T10:14:00.0000000Z");
  const stamp = (i: number) => `${new Date(base + i * 137).toISOString().replace(/\.(\d{3})Z$/, ".$10000Z")} `;
  const out: string[] = [];
  let i = 0;
  out.push(`\uFEFF${stamp(i++)}##[group]Run ${command}`);
  out.push(`${stamp(i++)}\x1b[36;1m${command}\x1b[0m`);
  out.push(`${stamp(i++)}shell: /usr/bin/bash -e {0}`);
  out.push(`${stamp(i++)}env:`);
  out.push(`${stamp(i++)}  KAMAL_REGISTRY_PASSWORD: ***`);
  out.push(`${stamp(i++)}##[endgroup]`);
  for (const line of text.replace(/\n$/, "").split("\n")) out.push(`${stamp(i++)}${line}`);
  if (exitCode !== 0) out.push(`${stamp(i)}##[error]Process completed with exit code ${exitCode}.`);
  return `${out.join("\r\n")}\r\n`;
}
