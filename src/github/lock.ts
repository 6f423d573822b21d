// The deploy lock, doctored with GitHub: from the holder Kamal printed (the report's `lock`
// section, from rule deploy-lock-holder: who, when, which version), find the GitHub Actions run
// that took the lock — same repository and workflow, the holder's version as its commit, started
// before the lock was taken; an earlier attempt of this very run too (a cancelled deploy re-run)
// — and put it in the report: still running (held) or over (stale). And for a cancelled run whose
// deploy took the lock and never released it: the lock was probably left held.

import { withLock, type LockHolder, type LockRun, type Report } from "../core/index.js";
import type { GitHubClient } from "./client.js";
import { getRun, type WorkflowRun } from "./runs.js";
import type { RunTarget } from "./target.js";

interface ListedRun extends WorkflowRun {
  created_at?: string;
  updated_at?: string;
  run_started_at?: string;
  workflow_id?: number;
}

const HEX = /^[0-9a-f]{7,40}$/i;
/** The lock is taken a little after the run starts; allow for the runner's clock being off. */
const CLOCK_SLACK_MS = 5 * 60 * 1000;
/** How many earlier attempts of the current run are looked at, newest first. */
const EARLIER_ATTEMPTS = 5;

const startedAt = (run: ListedRun) => run.run_started_at ?? run.created_at ?? null;

/** The run of `current`'s workflow that took the lock, or null when none fits. */
export async function findHolderRun(client: GitHubClient, target: RunTarget, current: WorkflowRun, holder: LockHolder): Promise<LockRun | null> {
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
  const ofVersion = (run: ListedRun) => version === null || run.head_sha.toLowerCase().startsWith(version);
  runs.push(...(ofVersion(current) ? await earlierAttempts(client, target, current, lockedAt) : []));
  const started = (run: ListedRun) => Date.parse(startedAt(run) ?? "");
  const fitsTime = (run: ListedRun) => Number.isNaN(lockedAt) || started(run) <= lockedAt + CLOCK_SLACK_MS;
  const candidates = runs.filter((run) => fitsTime(run) && ofVersion(run));
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
    startedAt: startedAt(run),
    endedAt: run.status === "completed" ? (run.updated_at ?? null) : null,
    matchedBy: version !== null ? "version" : "time",
  };
}

/**
 * A cancelled deploy re-run ("Re-run jobs") is attempt 2 of the same run, and attempt 1 may hold
 * the lock: the earlier attempts that started before the lock was taken, newest first. An earlier
 * attempt is always over (the next one starts only then).
 */
async function earlierAttempts(client: GitHubClient, target: RunTarget, current: WorkflowRun, lockedAt: number): Promise<ListedRun[]> {
  const attempt = current.run_attempt ?? 1;
  const found: ListedRun[] = [];
  for (let n = attempt - 1; n >= Math.max(1, attempt - EARLIER_ATTEMPTS); n--) {
    const run = (await getRun(client, target, current.id, n)) as ListedRun;
    found.push({ ...run, html_url: `${run.html_url.replace(/\/attempts\/\d+$/, "")}/attempts/${n}` });
    const started = Date.parse(startedAt(run) ?? "");
    if (Number.isNaN(lockedAt) || started <= lockedAt + CLOCK_SLACK_MS) break;
  }
  return found;
}

/** For `run`/`annotate`/`diagnoseRun`: the report with the run that holds the lock, when the deploy failed on it. */
export async function doctorLock(client: GitHubClient, target: RunTarget, current: WorkflowRun, report: Report): Promise<Report> {
  const lock = report.lock;
  if (!lock || lock.state === "left-held" || lock.holder === null) return report;
  return withLock(report, { run: await findHolderRun(client, target, current, lock.holder) });
}

/**
 * A cancelled run: Kamal releases its lock on the way out, but a job cancelled between
 * "Acquiring the deploy lock..." and "Releasing the deploy lock..." may not have got there.
 * Decided from the deploy's phases (not from wording) and the job's conclusion: the report (of
 * every finished job) with a `left-held` lock whose run is this one, or null.
 */
export function cancelledLock(report: Report, run: WorkflowRun, cancelledJobs: ReadonlySet<number>, destination: string | null): Report | null {
  const jobOf = (source: string) => report.sources.find((s) => s.name === source)?.job ?? null;
  const deploy = report.deploys.find((d) => {
    const names = new Set(d.phases.map((phase) => phase.name));
    const job = jobOf(d.source);
    return names.has("lock") && !names.has("release-lock") && (job === null ? run.conclusion === "cancelled" : cancelledJobs.has(job.id));
  });
  if (!deploy) return null;
  const self: LockRun = {
    id: run.id,
    url: run.html_url,
    status: run.status,
    conclusion: "cancelled",
    headSha: run.head_sha,
    startedAt: (run as ListedRun).run_started_at ?? (run as ListedRun).created_at ?? null,
    endedAt: (run as ListedRun).updated_at ?? null,
    matchedBy: "log",
  };
  const locked = withLock(report, { run: self, destination });
  return locked.lock?.state === "left-held" ? locked : null;
}
