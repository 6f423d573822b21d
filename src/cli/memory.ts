// `--history N` on `run` and `annotate`: how many of the workflow's earlier runs the root cause
// is judged against (new, recurring, transient, stale lock). Loaded on demand like the rest of
// the GitHub side.

import { Option } from "commander";
import type { AnalysisOptions, Report } from "../core/index.js";
import type { GitHubClient } from "../github/client.js";
import type { WorkflowRun } from "../github/runs.js";
import type { RunTarget } from "../github/target.js";
import { CliError, EXIT, type CliIO } from "./io.js";

export const DEFAULT_HISTORY = 20;

export function historyOption(): Option {
  return new Option("--history <n>", "judge the root cause against the workflow's last N runs (0: none)")
    .default(DEFAULT_HISTORY)
    .argParser((value) => {
      if (!/^\d+$/.test(value) || Number(value) > 100) throw new CliError(`--history: expected a number from 0 to 100, got "${value}"`, EXIT.USAGE);
      return Number(value);
    });
}

export async function judge(
  client: GitHubClient,
  target: RunTarget,
  run: WorkflowRun,
  report: Report,
  options: { history: number; cache?: boolean },
  io: CliIO,
  analysis: Pick<AnalysisOptions, "rules" | "toolVersion">,
  destination: string | null = null,
): Promise<Report> {
  if (options.history <= 0) return report;
  const [{ judgeRun }, { openCache }] = await Promise.all([import("../memory/judge.js"), import("../memory/cache.js")]);
  return judgeRun(client, target, run, report, {
    limit: options.history,
    analysis,
    cache: openCache(io.env, options.cache !== false),
    destination,
    note: (line) => io.stderr.write(`kamal-doctor: ${line}\n`),
  });
}
