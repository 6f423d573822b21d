// Runs and jobs of GitHub Actions: read a run (or one attempt of it), list its jobs (all pages,
// following the Link header) and choose which jobs to diagnose.

import type { JobRef } from "../core/index.js";
import { GitHubError, type GitHubClient } from "./client.js";
import type { RunTarget } from "./target.js";

export interface WorkflowStep {
  number: number;
  name: string;
  status: string;
  conclusion: string | null;
  started_at?: string | null;
  completed_at?: string | null;
}

export interface WorkflowJob {
  id: number;
  run_id: number;
  run_attempt?: number;
  name: string;
  status: string;
  conclusion: string | null;
  html_url: string | null;
  started_at?: string | null;
  completed_at?: string | null;
  steps?: WorkflowStep[];
}

export interface WorkflowRun {
  id: number;
  name?: string | null;
  display_title?: string;
  run_attempt?: number;
  status: string | null;
  conclusion: string | null;
  html_url: string;
  head_sha: string;
  head_branch: string | null;
  event?: string;
  pull_requests?: Array<{ number: number }> | null;
}

/** Job conclusions that mean "this job failed" (`cancelled` and `skipped` do not). */
export const FAILED_CONCLUSIONS: readonly string[] = ["failure", "timed_out", "startup_failure"];

export const isFailed = (job: { conclusion: string | null }) => job.conclusion !== null && FAILED_CONCLUSIONS.includes(job.conclusion);

const repoName = (target: RunTarget) => `${target.owner}/${target.repo}`;

/** The run, or the given attempt of it (attempt null: the latest). */
export async function getRun(client: GitHubClient, target: RunTarget, runId: number, attempt: number | null): Promise<WorkflowRun> {
  const what = `run ${runId}${attempt !== null ? ` attempt ${attempt}` : ""} of ${repoName(target)}`;
  const response =
    attempt === null
      ? await client.call(what, (o) => o.rest.actions.getWorkflowRun({ owner: target.owner, repo: target.repo, run_id: runId }))
      : await client.call(what, (o) => o.rest.actions.getWorkflowRunAttempt({ owner: target.owner, repo: target.repo, run_id: runId, attempt_number: attempt }));
  return response.data;
}

export async function getJob(client: GitHubClient, target: RunTarget, jobId: number): Promise<WorkflowJob> {
  const response = await client.call(`job ${jobId} of ${repoName(target)}`, (o) => o.rest.actions.getJobForWorkflowRun({ owner: target.owner, repo: target.repo, job_id: jobId }));
  return response.data;
}

/** Every job of one attempt of a run, page by page (100 a page, following rel="next"). */
export async function listJobs(client: GitHubClient, target: RunTarget, runId: number, attempt: number): Promise<WorkflowJob[]> {
  const params = { owner: target.owner, repo: target.repo, run_id: runId, attempt_number: attempt, per_page: 100 };
  return client.call(`jobs of run ${runId} attempt ${attempt} of ${repoName(target)}`, (o) =>
    o.paginate(o.rest.actions.listJobsForWorkflowRunAttempt, params, (response) => response.data as unknown as WorkflowJob[]),
  );
}

export interface JobSelection {
  /** `--job ID|NAME`: a job id, or a job name (exact, else case-insensitive, else a prefix), matching one job only. */
  job?: string | null;
  /** `--all-jobs`: every finished job. */
  allJobs?: boolean;
}

/**
 * Which jobs to diagnose: a job the URL named, `--job`, every job with `--all-jobs`, or by
 * default the failed ones. Throws a GitHubError (kind "not-found") when a named job is absent,
 * and (kind "invalid") when `--job` fits several jobs.
 */
export function selectJobs(jobs: readonly WorkflowJob[], target: RunTarget, selection: JobSelection): WorkflowJob[] {
  if (target.jobId !== null) {
    const id = target.jobId;
    const found = jobs.find((job) => job.id === id || (target.legacyJobUrl && (job.html_url ?? "").replace(/[?#].*$/, "").endsWith(`/jobs/${id}`)));
    if (!found) throw new GitHubError(`job ${id} is not part of this run attempt (${jobs.length} jobs: ${names(jobs)})`, "not-found");
    return [found];
  }
  if (selection.job) {
    const wanted = selection.job.trim();
    const byId = /^\d+$/.test(wanted) ? jobs.filter((job) => job.id === Number(wanted)) : [];
    const exact = jobs.filter((job) => job.name === wanted);
    const folded = jobs.filter((job) => job.name.toLowerCase() === wanted.toLowerCase());
    const prefix = jobs.filter((job) => job.name.toLowerCase().startsWith(wanted.toLowerCase()));
    const found = [byId, exact, folded, prefix].find((list) => list.length > 0) ?? [];
    if (found.length === 0) throw new GitHubError(`no job "${wanted}" in this run (jobs: ${names(jobs)})`, "not-found");
    if (found.length > 1) {
      // Several jobs of the same name (a matrix without its values in the name) are as ambiguous as a prefix.
      const advice = found === prefix ? "give the full name or the job id" : "give the job id";
      throw new GitHubError(`--job "${wanted}" matches ${found.length} jobs (${names(found)}): ${advice}`, "invalid");
    }
    return found;
  }
  if (selection.allJobs) return jobs.filter((job) => job.conclusion !== "skipped");
  return jobs.filter(isFailed);
}

function names(jobs: readonly WorkflowJob[]): string {
  const shown = jobs.slice(0, 8).map((job) => `"${job.name}" (${job.id})`);
  return `${shown.join(", ")}${jobs.length > 8 ? `, … ${jobs.length - 8} more` : ""}`;
}

/** The JobRef a report source carries. */
export function jobRef(job: WorkflowJob, target: RunTarget, attempt: number): JobRef {
  return {
    id: job.id,
    name: job.name,
    url: jobUrl(job, target),
    runId: job.run_id,
    attempt: job.run_attempt ?? attempt,
    repo: repoName(target),
  };
}

/** The job's page: `…/actions/runs/RUN/job/JOB` (the API's html_url when it has that form). */
export function jobUrl(job: WorkflowJob, target: Pick<RunTarget, "owner" | "repo" | "webUrl">): string {
  const html = (job.html_url ?? "").replace(/[?#].*$/, "");
  if (/\/actions\/runs\/\d+\/job\/\d+$/.test(html)) return html;
  return `${target.webUrl}/${target.owner}/${target.repo}/actions/runs/${job.run_id}/job/${job.id}`;
}
