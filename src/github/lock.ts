// The deploy lock, doctored: from the holder Kamal printed (rule deploy-lock-holder: who, when,
// which version), find the GitHub Actions run that took the lock — same repository and workflow,
// the holder's version as its commit, started before the lock was taken — and say whether it is
// still running or is over (then the lock is stale), with the advice that follows from that.

import type { Finding, Report } from "../core/index.js";
import type { GitHubClient } from "./client.js";
import type { WorkflowRun } from "./runs.js";
import type { RunTarget } from "./target.js";

export interface LockHolder {
  holder: string | null;
  lockedAt: string | null;
  version: string | null;
  message: string | null;
}

export interface HolderRun {
  id: number;
  url: string;
  status: string | null;
  conclusion: string | null;
  headSha: string;
  createdAt: string | null;
  /** When it last changed: for a finished run, about when it ended. */
  updatedAt: string | null;
  /** The run's commit is the holder's version (not only the time fits). */
  byVersion: boolean;
}

interface ListedRun extends WorkflowRun {
  created_at?: string;
  updated_at?: string;
  run_started_at?: string;
  workflow_id?: number;
}

/** Lock errors are the deploy's root cause: the holder block is on the deploy-lock-holder finding. */
export function lockHolder(report: Report): LockHolder | null {
  const root = report.findings.find((finding) => finding.rootCause);
  if (!root || root.category !== "deploy-lock") return null;
  const block: Finding | undefined = report.findings.find((finding) => finding.ruleId === "deploy-lock-holder");
  if (!block) return null;
  const c = block.captures;
  return { holder: c["holder"] ?? null, lockedAt: c["lockedAt"] ?? null, version: c["lockVersion"] ?? null, message: c["lockMessage"] ?? null };
}

const HEX = /^[0-9a-f]{7,40}$/i;
/** The lock is taken a little after the run starts; allow for the runner's clock being off. */
const CLOCK_SLACK_MS = 5 * 60 * 1000;

/** The run of `current`'s workflow that took the lock, or null when none fits. */
export async function findHolderRun(client: GitHubClient, target: RunTarget, current: WorkflowRun, holder: LockHolder): Promise<HolderRun | null> {
  const workflowId = (current as ListedRun).workflow_id;
  if (workflowId === undefined || (holder.version === null && holder.lockedAt === null)) return null;
  const lockedAt = holder.lockedAt ? Date.parse(holder.lockedAt) : Number.NaN;
  const version = holder.version && HEX.test(holder.version) ? holder.version.toLowerCase() : null;
  const params: Record<string, string | number> = { per_page: 100 };
  if (version && version.length === 40) params["head_sha"] = version;
  else if (!Number.isNaN(lockedAt)) params["created"] = `<=${new Date(lockedAt + CLOCK_SLACK_MS).toISOString().replace(/\.\d+Z$/, "Z")}`;
  const response = await client.call(`runs of workflow ${workflowId} in ${target.owner}/${target.repo}`, (o) =>
    o.rest.actions.listWorkflowRuns({ owner: target.owner, repo: target.repo, workflow_id: workflowId, ...params }),
  );
  const runs = (response.data.workflow_runs as ListedRun[]).filter((run) => run.id !== current.id);
  const started = (run: ListedRun) => Date.parse(run.run_started_at ?? run.created_at ?? "");
  const fitsTime = (run: ListedRun) => Number.isNaN(lockedAt) || started(run) <= lockedAt + CLOCK_SLACK_MS;
  const candidates = runs.filter((run) => fitsTime(run) && (version === null || run.head_sha.toLowerCase().startsWith(version)));
  // Without a version to go by, only a time: the latest run that started before the lock.
  if (candidates.length === 0 || (version === null && Number.isNaN(lockedAt))) return null;
  candidates.sort((a, b) => started(b) - started(a));
  const run = candidates[0] as ListedRun;
  return {
    id: run.id,
    url: run.html_url,
    status: run.status,
    conclusion: run.conclusion,
    headSha: run.head_sha,
    createdAt: run.run_started_at ?? run.created_at ?? null,
    updatedAt: run.updated_at ?? null,
    byVersion: version !== null,
  };
}

/** What the lock's state means and what to do, one line each. */
export function lockAdvice(holder: LockHolder, run: HolderRun | null, kamalVersion: string | null, destination: string | null): string[] {
  const dest = destination ? `-d ${destination}` : "-d DESTINATION";
  const who = `${holder.holder ?? "someone"}${holder.lockedAt ? ` at ${holder.lockedAt}` : ""}${holder.version ? `, version ${holder.version}` : ""}`;
  const lines: string[] = [`deploy lock: taken by ${who}`];
  const over = run !== null && run.status === "completed";
  if (run === null) {
    lines.push("deploy lock: no run of this workflow matches the holder: it may come from a laptop or another workflow; ask before releasing it");
  } else if (!over) {
    lines.push(`deploy lock: held by run ${run.id} (${run.url}), still ${(run.status ?? "running").replace("_", " ")}: wait for it, do not release the lock`);
  } else {
    const how = run.conclusion === "cancelled" ? "was cancelled" : run.conclusion === "success" ? "succeeded (yet left the lock)" : `ended: ${run.conclusion ?? "unknown"}`;
    lines.push(`deploy lock: taken by run ${run.id} (${run.url}), which ${how}: the lock is stale`);
  }
  lines.push(
    over ? `deploy lock: release it: \`kamal lock release ${dest}\`` : `deploy lock: release it (\`kamal lock release ${dest}\`) only when the holder run is over`,
  );
  lines.push(
    `deploy lock: serialise deploys per destination in the workflow: \`concurrency: { group: deploy-${destination ?? "DESTINATION"}, cancel-in-progress: false }\` (a cancelled deploy is what leaves a lock held)`,
  );
  if (kamalVersion !== "1.x" && kamalVersion !== "0.x") lines.push("deploy lock: on Kamal >= 2.12, `kamal deploy --lock-wait` waits for a running deploy instead of failing");
  return lines;
}

/** For `run`/`annotate`: the lock lines to print, or none when the failure is not a lock. */
export async function doctorLock(client: GitHubClient, target: RunTarget, current: WorkflowRun, report: Report): Promise<string[]> {
  const holder = lockHolder(report);
  if (!holder) return [];
  const run = await findHolderRun(client, target, current, holder);
  return lockAdvice(holder, run, report.deploy.kamalVersion, null);
}
