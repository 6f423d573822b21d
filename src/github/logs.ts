// Fetches the logs of the jobs to diagnose. Each job's log comes from the per-job endpoint
// (302 to a signed URL on another host, fetched without the token; available as soon as that job
// finishes), streamed and decoded as it is analysed; several jobs are opened ahead, bounded.
// When a finished job has no log there (404), its log is taken from the run (or attempt) logs
// zip instead (run-zip.ts).

import { createWriteStream } from "node:fs";
import path from "node:path";
import type { JobRef } from "../core/index.js";
import { decodeBytes, LogDecoder, noProblems, type DecodedSource } from "../sources/decode.js";
import type { StepStart } from "./attribution.js";
import { GitHubError, type GitHubClient } from "./client.js";
import { fsReason, prepareSaveDir, SaveError } from "./save.js";
import { cancelResponse, webBytes } from "./download.js";
import { RunZip } from "./run-zip.js";
import { getJob, getRun, jobRef, listJobs, selectJobs, type JobSelection, type WorkflowJob, type WorkflowRun } from "./runs.js";
import type { RunTarget } from "./target.js";

export interface FetchRunLogsOptions extends JobSelection {
  /** Jobs whose logs are opened ahead of the one being read. Default 4. */
  concurrency?: number;
  /** Keep every downloaded log here as `run-RUN-attempt-N-job-ID-NAME.log`. */
  saveDir?: string | null;
  onProgress?: (event: ProgressEvent) => void;
}

export type ProgressEvent =
  | { type: "jobs"; run: WorkflowRun; attempt: number; selected: WorkflowJob[]; all: WorkflowJob[] }
  | { type: "zip"; run: WorkflowRun; attempt: number }
  | { type: "job-done"; job: WorkflowJob; bytes: number };

/** A job's log: the decoded text (as a file's, with what could not be read), and the job it is of. */
export interface JobLogSource extends DecodedSource {
  /** Unique within the run: the job name (with the job id when two jobs share a name). */
  name: string;
  job: JobRef;
  /** The job as the API lists it: status, times, steps. */
  workflowJob: WorkflowJob;
  /**
   * Settles once `text` has been read to its end: where each step starts when the log was
   * assembled from the run zip's per-step files, else null. Rejects when reading `text` fails.
   */
  stepStarts: Promise<StepStart[] | null>;
}

export interface RunLogs {
  /** The target with its run id and attempt filled in. */
  target: RunTarget & { runId: number; attempt: number };
  run: WorkflowRun;
  attempt: number;
  /** Every job of the attempt. */
  jobs: WorkflowJob[];
  /** The jobs chosen (failed ones by default); finished ones have a source. */
  selected: WorkflowJob[];
  sources: JobLogSource[];
  /** Selected jobs skipped because they have not finished. */
  unfinished: WorkflowJob[];
  /** Removes temporary files (the run zip); call when done reading. */
  dispose(): Promise<void>;
}

/** Resolves the run and attempt, lists and selects jobs, and prepares a log source per job. */
export async function fetchRunLogs(client: GitHubClient, target: RunTarget, options: FetchRunLogsOptions = {}): Promise<RunLogs> {
  // Before any download: a directory that cannot hold the logs fails now, not after them.
  if (options.saveDir) await prepareSaveDir(options.saveDir);
  let runId = target.runId;
  let attempt = target.attempt;
  if (runId === null) {
    if (target.jobId === null) throw new GitHubError("no run or job to fetch", "invalid");
    const job = await getJob(client, target, target.jobId);
    runId = job.run_id;
    attempt ??= job.run_attempt ?? null;
  }
  const run = await getRun(client, target, runId, attempt);
  const resolvedAttempt = attempt ?? run.run_attempt ?? 1;
  const full = { ...target, runId, attempt: resolvedAttempt };
  const jobs = await listJobs(client, full, runId, resolvedAttempt);
  const selected = selectJobs(jobs, full, options);
  const explicit = target.jobId !== null || Boolean(options.job);
  const finished = selected.filter((job) => job.status === "completed");
  const unfinished = selected.filter((job) => job.status !== "completed");
  if (unfinished.length > 0 && (explicit || finished.length === 0)) {
    const job = unfinished[0] as WorkflowJob;
    throw new GitHubError(
      `job "${job.name}" (${job.id}) of run ${runId} is still ${job.status.replace("_", " ")}: its log is available once it finishes`,
      "in-progress",
    );
  }
  options.onProgress?.({ type: "jobs", run, attempt: resolvedAttempt, selected: finished, all: jobs });

  const zip = new RunZip(client, full, run, options);
  const names = uniqueNames(finished);
  const opener = new Prefetcher(
    finished.map((job) => () => openJobLog(client, full, job, zip)),
    Math.max(1, options.concurrency ?? 4),
  );
  const sources = finished.map((job, index): JobLogSource => {
    const problems = noProblems();
    let ended: { resolve(starts: StepStart[] | null): void; reject(error: unknown): void } = { resolve: () => {}, reject: () => {} };
    const stepStarts = new Promise<StepStart[] | null>((resolve, reject) => (ended = { resolve, reject }));
    // Handled by whoever awaits it after reading; not an unhandled rejection meanwhile.
    stepStarts.catch(() => {});
    async function* read(): AsyncGenerator<string> {
      try {
        const opened = await opener.get(index);
        const save = options.saveDir ? path.join(options.saveDir, saveName(full, job)) : null;
        let bytes = 0;
        const counted = async function* () {
          for await (const chunk of opened.bytes) {
            bytes += chunk.length;
            yield chunk;
          }
        };
        // Decoded as a file is: binary data refused, unreadable bytes counted in `problems`.
        yield* decodeBytes(save ? tee(counted(), save) : counted(), new LogDecoder({ name: logName(job) }, problems));
        options.onProgress?.({ type: "job-done", job, bytes });
        ended.resolve(await opened.stepStarts);
      } catch (error) {
        ended.reject(error);
        throw error;
      }
    }
    return {
      name: names[index] as string,
      job: jobRef(job, full, resolvedAttempt),
      workflowJob: job,
      text: { [Symbol.asyncIterator]: () => read() },
      problems,
      stepStarts,
    };
  });
  const dispose = async () => {
    await opener.cancelAll((opened) => opened.cancel());
    await zip.dispose();
  };
  return { target: full, run, attempt: resolvedAttempt, jobs, selected, sources, unfinished, dispose };
}

interface OpenedLog {
  bytes: AsyncIterable<Uint8Array>;
  /** Settles once `bytes` have been read: see JobLogSource.stepStarts. */
  stepStarts: Promise<StepStart[] | null>;
  /** Releases the connection when the log is not read after all. */
  cancel(): Promise<void>;
}

async function openJobLog(client: GitHubClient, target: RunTarget, job: WorkflowJob, zip: RunZip): Promise<OpenedLog> {
  const what = logName(job);
  try {
    const response = await client.download(what, "GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs", { owner: target.owner, repo: target.repo, job_id: job.id });
    return { bytes: webBytes(response, what), stepStarts: Promise.resolve(null), cancel: () => cancelResponse(response) };
  } catch (error) {
    if (!(error instanceof GitHubError) || error.kind !== "not-found") throw error;
    const fromZip = await zip.logFor(job);
    if (!fromZip) throw new GitHubError(`${what}: not found, neither from the job endpoint nor in the run's logs archive`, "not-found", 404);
    return { ...fromZip, cancel: async () => {} };
  }
}

/** How messages name a job's log: `log of job "deploy" (102)`. */
function logName(job: WorkflowJob): string {
  return `log of job "${job.name}" (${job.id})`;
}

/** Writes the bytes to `file` as they pass (awaiting the disk), so a saved log is exactly what was read. */
async function* tee(bytes: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  const out = createWriteStream(file);
  const failed = new Promise<never>((_, reject) => out.once("error", (error) => reject(new SaveError(`cannot save ${file}: ${fsReason(error)}`))));
  failed.catch(() => {});
  try {
    for await (const chunk of bytes) {
      if (!out.write(chunk)) await Promise.race([new Promise<void>((resolve) => out.once("drain", () => resolve())), failed]);
      yield chunk;
    }
  } finally {
    await Promise.race([new Promise<void>((resolve) => out.end(() => resolve())), failed]);
  }
}

/** `run-123-attempt-2-job-456-deploy-production.log`: sortable, unique, safe on every file system. */
export function saveName(target: { runId: number; attempt: number }, job: WorkflowJob): string {
  const slug = job.name.normalize("NFKD").replace(/[^\w.-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60) || "job";
  return `run-${target.runId}-attempt-${target.attempt}-job-${job.id}-${slug}.log`;
}

function uniqueNames(jobs: readonly WorkflowJob[]): string[] {
  const counts = new Map<string, number>();
  for (const job of jobs) counts.set(job.name, (counts.get(job.name) ?? 0) + 1);
  return jobs.map((job) => ((counts.get(job.name) ?? 0) > 1 ? `${job.name} #${job.id}` : job.name));
}

/** Starts up to `ahead` opens from the one being read on; failures surface when their turn comes. */
class Prefetcher<T> {
  private readonly started = new Map<number, Promise<T>>();

  constructor(
    private readonly opens: ReadonlyArray<() => Promise<T>>,
    private readonly ahead: number,
  ) {}

  get(index: number): Promise<T> {
    for (let i = index + 1; i < Math.min(this.opens.length, index + this.ahead); i++) void this.start(i);
    return this.start(index);
  }

  /** Gives back what was opened (e.g. to release connections of logs never read). */
  async cancelAll(cancel: (value: T) => Promise<void>): Promise<void> {
    for (const promise of this.started.values()) {
      const value = await promise.catch(() => null);
      if (value !== null) await cancel(value);
    }
  }

  private start(index: number): Promise<T> {
    let promise = this.started.get(index);
    if (!promise) {
      promise = (this.opens[index] as () => Promise<T>)();
      // Handled when its turn comes; not an unhandled rejection meanwhile.
      promise.catch(() => {});
      this.started.set(index, promise);
    }
    return promise;
  }
}
