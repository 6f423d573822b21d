// `run` and `annotate`: the root cause of a run judged against the same workflow's runs before
// it (and the same destination's, when the log shows one). The earlier runs come from GitHub
// (their markers first, logs only when needed, cached); a deploy-lock failure is judged with the
// run that holds the lock (the report's `lock`, looked up before). A GitHub error here is one
// line; the diagnosis stands without a class.

import type { Report } from "../core/index.js";
import { GitHubError, type GitHubClient } from "../github/client.js";
import type { WorkflowRun } from "../github/runs.js";
import type { RunTarget } from "../github/target.js";
import type { AnalysisOptions } from "../core/index.js";
import type { MemoryCache } from "./cache.js";
import { classify } from "./classify.js";
import { collectHistory } from "./collect.js";

export interface JudgeOptions {
  /** How many earlier runs to look at; 0 looks at none. */
  limit: number;
  analysis: Pick<AnalysisOptions, "rules" | "toolVersion">;
  cache?: MemoryCache | null;
  /** The destination (`-d`) the run deployed to, when known: only its runs are this one's history. */
  destination?: string | null;
  note: (line: string) => void;
}

/** The report with `memory` set when earlier runs were looked at and its root cause has a fingerprint. */
export async function judgeRun(client: GitHubClient, target: RunTarget, run: WorkflowRun, report: Report, options: JudgeOptions): Promise<Report> {
  const root = report.findings.find((f) => f.rootCause);
  if (options.limit <= 0 || !root?.fingerprint) return report;
  const listed = run as WorkflowRun & { workflow_id?: number; path?: string };
  const workflow = listed.workflow_id ?? listed.path?.replace(/@.*$/, "").split("/").pop();
  if (workflow === undefined) return report;
  const destination = options.destination ?? null;
  try {
    const history = await collectHistory(client, {
      owner: target.owner,
      repo: target.repo,
      workflow,
      destination,
      limit: options.limit,
      excludeRunId: run.id,
      analysis: options.analysis,
      cache: options.cache ?? null,
    });
    // The run that holds the lock was looked up before (cli/lock.ts): the report's lock says.
    const held = report.lock?.state === "stale" || report.lock?.state === "held" ? (report.lock.run ?? null) : null;
    const memory = classify(
      {
        fingerprint: root.fingerprint,
        retryable: root.retryable === true,
        category: root.category,
        sha: run.head_sha,
        destination,
        lockHolder: held && {
          id: held.id,
          url: held.url,
          conclusion: held.conclusion,
          endedAt: held.endedAt,
          over: held.status === "completed" && held.conclusion !== "success",
        },
      },
      history,
      new Date(),
    );
    return memory ? { ...report, memory: { fingerprint: root.fingerprint, ...memory } } : report;
  } catch (error) {
    if (!(error instanceof GitHubError)) throw error;
    options.note(`history: could not look at earlier runs: ${error.message}`);
    return report;
  }
}
