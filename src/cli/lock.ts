// `run` and `annotate` on a deploy that failed on the deploy lock: look up the run that holds it
// and print what that means on stderr. A GitHub error here is one line; the diagnosis stands.

import type { Report } from "../core/index.js";
import type { CompiledRule } from "../rules/compile.js";
import type { GitHubClient } from "../github/client.js";
import type { WorkflowRun } from "../github/runs.js";
import type { RunTarget } from "../github/target.js";
import type { CliIO } from "./io.js";

export async function printLockDoctor(client: GitHubClient, target: RunTarget, run: WorkflowRun, report: Report, io: CliIO): Promise<void> {
  const { doctorLock, GitHubError } = await import("../github/index.js");
  try {
    for (const line of await doctorLock(client, target, run, report)) io.stderr.write(`kamal-doctor: ${line}\n`);
  } catch (error) {
    if (!(error instanceof GitHubError)) throw error;
    io.stderr.write(`kamal-doctor: deploy lock: could not look for the run that holds it: ${error.message}\n`);
  }
}

/**
 * `annotate` on a cancelled run: Kamal releases its lock on the way out, but a job cancelled
 * between "Acquiring the deploy lock..." and "Releasing the deploy lock..." may not have got
 * there. Decided from the deploy's phases, not from wording. Returns the line to say, or null.
 */
export async function cancelledLockNote(client: GitHubClient, target: RunTarget, rules: readonly CompiledRule[], toolVersion: string): Promise<string | null> {
  const { diagnoseRun } = await import("../github/index.js");
  const { report, logs } = await diagnoseRun(client, target, { rules, toolVersion, allJobs: true });
  if (report === null) return null;
  const phases = new Set(report.deploy.phases.map((phase) => phase.name));
  if (!phases.has("lock") || phases.has("release-lock")) return null;
  const jobs = logs.selected.filter((job) => job.conclusion === "cancelled").map((job) => `"${job.name}"`);
  return (
    `the deploy lock was probably left held: ${jobs.length > 0 ? `job ${jobs.join(", ")}` : "the run"} was cancelled after "Acquiring the deploy lock..." and before "Releasing the deploy lock...". ` +
    "Check with `kamal lock status -d DESTINATION` and, once no deploy is running, release it with `kamal lock release -d DESTINATION`; " +
    "a `concurrency:` group per destination with `cancel-in-progress: false` keeps this from happening again."
  );
}
