// `run` and `annotate` on a deploy that failed on the deploy lock: the report's `lock` section
// gets the destination and the GitHub run that holds the lock (still running, or over: stale).
// A GitHub error here is one line on stderr; the diagnosis stands without the run.

import { lockDestination, withLock, type Report } from "../core/index.js";
import { LogFactsCollector } from "../config/log-facts.js";
import type { CompiledRule } from "../rules/compile.js";
import type { GitHubClient } from "../github/client.js";
import type { WorkflowRun } from "../github/runs.js";
import type { RunTarget } from "../github/target.js";
import { tapSources } from "../sources/tap.js";
import type { CliIO } from "./io.js";

/** The report's lock for this destination, with the run that took it when GitHub says. */
export async function doctorRunLock(client: GitHubClient, target: RunTarget, run: WorkflowRun, report: Report, destination: string | null, io: CliIO): Promise<Report> {
  const located = report.lock ? withLock(report, { destination }) : report;
  if (!located.lock) return located;
  const { doctorLock, GitHubError } = await import("../github/index.js");
  try {
    return await doctorLock(client, target, run, located);
  } catch (error) {
    if (!(error instanceof GitHubError)) throw error;
    io.stderr.write(`kamal-doctor: deploy lock: could not look for the run that holds it: ${error.message}\n`);
    return located;
  }
}

/**
 * `annotate` on a cancelled run: the report of its finished jobs with a `left-held` lock when a
 * cancelled job's deploy took the lock and never released it (see github/lock.ts), else null.
 */
export async function cancelledLockReport(client: GitHubClient, target: RunTarget, rules: readonly CompiledRule[], toolVersion: string, given: string | null): Promise<{ report: Report; jobs: string[] } | null> {
  const { cancelledLock, diagnoseRun } = await import("../github/index.js");
  const facts = new LogFactsCollector();
  const { report, logs } = await diagnoseRun(client, target, { rules, toolVersion, allJobs: true, tap: (sources) => tapSources(sources, facts) });
  if (report === null) return null;
  const cancelled = logs.selected.filter((job) => job.conclusion === "cancelled");
  const left = cancelledLock(report, logs.run, new Set(cancelled.map((job) => job.id)), lockDestination(given, report, facts.facts().kamalCommand));
  return left && { report: left, jobs: cancelled.map((job) => job.name) };
}
