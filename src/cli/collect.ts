// `exec --collect`: after the wrapped Kamal command failed, run the read-only follow-ups the
// failure calls for (src/collect/plan.ts) and add what they printed to the analysis as sources of
// their own, named for the command (`kamal app logs`), so the diagnosis can rest on what the app
// itself said. Only `app logs`, `proxy logs` / `traefik logs`, `lock status` and `audit` are ever run.

import { Option, type Command } from "commander";
import type { Analysis, Report } from "../core/index.js";
import { auditNote } from "../collect/audit.js";
import { planCollection, type ContainerFacts } from "../collect/plan.js";
import { collect } from "../collect/run.js";
import { CliError, EXIT, type CliIO } from "./io.js";

export const DEFAULT_COLLECT_SECONDS = 60;

export interface CollectOptions {
  collect?: boolean;
  collectTimeout?: number;
}

export function addCollectOptions(command: Command): Command {
  return command
    .addOption(new Option("--collect", "when the command fails, run read-only Kamal follow-ups (app logs, proxy logs, lock status, audit) and diagnose their output too"))
    .addOption(
      new Option("--collect-timeout <seconds>", `total time for the follow-ups (each gets at most half)`)
        .default(DEFAULT_COLLECT_SECONDS)
        .argParser(parseSeconds),
    );
}

function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!/^\d+(?:\.\d+)?$/.test(value) || !(seconds > 0)) throw new CliError(`--collect-timeout: expected a number of seconds, got ${JSON.stringify(value)}`, EXIT.USAGE);
  return seconds;
}

/**
 * Decides from the first report what to collect, runs it, feeds the output to the analysis and
 * returns the final report (the first one when there was nothing to collect).
 */
export async function collectAndFinish(
  analysis: Analysis,
  first: Report,
  argv: readonly string[],
  facts: ContainerFacts,
  options: CollectOptions,
  io: CliIO,
  exitCode: number,
): Promise<Report> {
  const say = (line: string) => io.stderr.write(`kamal-doctor: ${line}\n`);
  // Ctrl-C, a cancelled CI job: whoever stopped the deploy does not want more commands run.
  if (exitCode === 128 + 2 || exitCode === 128 + 15 || exitCode === 128 + 1) {
    say("collect: skipped, the command was interrupted");
    return first;
  }
  const plan = planCollection(first, argv, facts);
  if (plan.length === 0) {
    if (first.outcome === "failed") say("collect: nothing to collect (not a Kamal command, or no follow-up fits this failure)");
    return first;
  }
  const totalMs = (options.collectTimeout ?? DEFAULT_COLLECT_SECONDS) * 1000;
  const collected = await collect(plan, { totalMs, perCommandMs: totalMs / 2 }, { env: io.env, cwd: io.cwd, say });
  if (collected.length === 0) return first;
  for (const { command, lines } of collected) {
    const note = command.name === "kamal audit" ? auditNote(lines, facts.version) : null;
    if (note) say(`collect: ${note}`);
    analysis.beginSource({ name: command.name, collected: { phase: command.phase, containerOutput: command.containerOutput } });
    for (const line of lines) analysis.line(line);
  }
  return analysis.finish();
}
