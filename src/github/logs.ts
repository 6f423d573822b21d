// Fetches the logs of the jobs to diagnose. Each job's log comes from the per-job endpoint
// (302 to a signed URL on another host, fetched without the token; available as soon as that job
// finishes), streamed and decoded as it is analysed; several jobs are opened ahead, bounded.
// When a finished job has no log there (404), the run (or attempt) logs zip is downloaded to a
// temporary file once and its entries are matched to jobs by sanitised name *and* by the job's
// time window, since ordinals and names in the archive are not reliable.

import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { JobRef } from "../core/index.js";
import { Utf8Decoder } from "../sources/utf8.js";
import { readZipEntries, type ZipEntryStream } from "../sources/zip.js";
import { GitHubError, type GitHubClient } from "./client.js";
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

export interface JobLogSource {
  /** Unique within the run: the job name (with the job id when two jobs share a name). */
  name: string;
  job: WorkflowJob;
  ref: JobRef;
  /** The decoded log, streamed. Iterate it once. */
  text: AsyncIterable<string>;
  /** Where the log came from, known once `text` has started. */
  origin(): "job-log" | "run-zip" | null;
  /** When the text is the concatenation of per-step files (zip), where each step starts. */
  stepStarts: Array<{ line: number; number: number }> | null;
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
    let origin: "job-log" | "run-zip" | null = null;
    const source: JobLogSource = {
      name: names[index] as string,
      job,
      ref: jobRef(job, full, resolvedAttempt),
      origin: () => origin,
      stepStarts: null,
      text: { [Symbol.asyncIterator]: () => read() },
    };
    async function* read(): AsyncGenerator<string> {
      const opened = await opener.get(index);
      origin = opened.origin;
      source.stepStarts = opened.stepStarts;
      const save = options.saveDir ? path.join(options.saveDir, saveName(full, job)) : null;
      let bytes = 0;
      const counted = async function* () {
        for await (const chunk of opened.bytes) {
          bytes += chunk.length;
          yield chunk;
        }
      };
      yield* decodeUtf8(save ? tee(counted(), save) : counted());
      options.onProgress?.({ type: "job-done", job, bytes });
    }
    return source;
  });
  const dispose = async () => {
    await opener.cancelAll((opened) => opened.cancel());
    await zip.dispose();
  };
  return { target: full, run, attempt: resolvedAttempt, jobs, selected, sources, unfinished, dispose };
}

interface OpenedLog {
  origin: "job-log" | "run-zip";
  bytes: AsyncIterable<Uint8Array>;
  stepStarts: Array<{ line: number; number: number }> | null;
  /** Releases the connection when the log is not read after all. */
  cancel(): Promise<void>;
}

async function openJobLog(client: GitHubClient, target: RunTarget, job: WorkflowJob, zip: RunZip): Promise<OpenedLog> {
  const what = `log of job "${job.name}" (${job.id})`;
  try {
    const response = await client.download(what, "GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs", { owner: target.owner, repo: target.repo, job_id: job.id });
    return { origin: "job-log", bytes: webBytes(response, what), stepStarts: null, cancel: () => cancelResponse(response) };
  } catch (error) {
    if (!(error instanceof GitHubError) || error.kind !== "not-found") throw error;
    const fromZip = await zip.logFor(job);
    if (!fromZip) throw new GitHubError(`${what}: not found, neither from the job endpoint nor in the run's logs archive`, "not-found", 404);
    return { origin: "run-zip", ...fromZip, cancel: async () => {} };
  }
}

async function cancelResponse(response: Response): Promise<void> {
  if (response.body && !response.bodyUsed && !response.body.locked) await response.body.cancel().catch(() => {});
}

async function* webBytes(response: Response, what: string): AsyncGenerator<Uint8Array> {
  if (!response.body) return;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) yield chunk;
  } catch (error) {
    throw new GitHubError(`${what}: the download broke off (${(error as Error).message})`, "network");
  }
}

async function* decodeUtf8(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new Utf8Decoder();
  for await (const chunk of bytes) {
    const text = decoder.write(chunk);
    if (text) yield text;
  }
  const rest = decoder.end();
  if (rest) yield rest;
}

/** Writes the bytes to `file` as they pass (awaiting the disk), so a saved log is exactly what was read. */
async function* tee(bytes: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<Uint8Array> {
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  const failed = new Promise<never>((_, reject) => out.once("error", (error) => reject(new GitHubError(`cannot save ${file}: ${error.message}`, "invalid"))));
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
    for (let i = index + 1; i < Math.min(this.opens.length, index + this.ahead); i++) this.start(i);
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

// ---------------------------------------------------------------------------------------------
// The run (or attempt) logs zip, the fallback.

interface ZipIndexEntry {
  name: string;
  firstTimestamp: number | null;
}

class RunZip {
  private file: Promise<string> | null = null;
  private index: Promise<ZipIndexEntry[]> | null = null;
  private dir: string | null = null;

  constructor(
    private readonly client: GitHubClient,
    private readonly target: RunTarget & { runId: number; attempt: number },
    private readonly run: WorkflowRun,
    private readonly options: FetchRunLogsOptions,
  ) {}

  private download(): Promise<string> {
    this.file ??= (async () => {
      const { owner, repo, runId, attempt } = this.target;
      if (this.run.status !== null && this.run.status !== "completed") {
        throw new GitHubError(`run ${runId} is still ${this.run.status.replace("_", " ")}: its logs archive exists only once the whole run finishes`, "in-progress");
      }
      this.options.onProgress?.({ type: "zip", run: this.run, attempt });
      const what = `logs archive of run ${runId} attempt ${attempt}`;
      const response = await this.client.download(what, "GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/logs", {
        owner,
        repo,
        run_id: runId,
        attempt_number: attempt,
      });
      this.dir = await mkdtemp(path.join(tmpdir(), "kamal-doctor-"));
      const file = path.join(this.dir, `run-${runId}-attempt-${attempt}.zip`);
      await pipeline(Readable.from(webBytes(response, what)), createWriteStream(file));
      return file;
    })();
    return this.file;
  }

  /** Entry names with the first runner timestamp of each top-level log. */
  private entries(): Promise<ZipIndexEntry[]> {
    this.index ??= (async () => {
      const file = await this.download();
      const entries = await readZipEntries(file);
      const index: ZipIndexEntry[] = [];
      for (const entry of entries) {
        const topLevel = !entry.name.includes("/");
        index.push({ name: entry.name, firstTimestamp: await peekTimestamp(entry, topLevel) });
      }
      return index;
    })();
    return this.index;
  }

  /** The job's log from the archive: its top-level file, else its step files in order. */
  async logFor(job: WorkflowJob): Promise<Omit<OpenedLog, "origin" | "cancel"> | null> {
    const index = await this.entries();
    const file = await this.download();
    const entry = matchJobEntry(job, index);
    if (entry) return { bytes: readEntries(file, [entry]), stepStarts: null };
    const steps = stepEntries(job, index);
    if (steps.length === 0) return null;
    const stepStarts: Array<{ line: number; number: number }> = [];
    return { bytes: readEntries(file, steps.map((s) => s.name), (i, line) => stepStarts.push({ line, number: (steps[i] as { number: number }).number })), stepStarts };
  }

  async dispose(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** Reads the first chunk of an entry (always, so the archive closes) and returns its first timestamp. */
async function peekTimestamp(entry: ZipEntryStream, wanted: boolean): Promise<number | null> {
  const iterator = entry.stream[Symbol.asyncIterator]();
  try {
    const first = await iterator.next();
    if (!wanted || first.done) return null;
    const text = first.value.subarray(0, 200).toString("utf8").replace(/^\uFEFF/, "");
    const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})/.exec(text);
    return match ? Date.parse(`${match[1]}Z`) : null;
  } finally {
    await iterator.return?.();
  }
}

/** Streams the named entries one after the other; `onStart(i, line)` says at which line entry i begins. */
async function* readEntries(file: string, names: string[], onStart?: (i: number, line: number) => void): AsyncGenerator<Uint8Array> {
  const entries = await readZipEntries(file);
  const byName = new Map(entries.map((entry) => [entry.name, entry]));
  const unused = entries.filter((entry) => !names.includes(entry.name));
  // Entries not read must still be opened and closed so the archive is released.
  for (const entry of unused) await peekTimestamp(entry, false);
  let line = 1;
  let lastByte = 10;
  for (const [i, name] of names.entries()) {
    const entry = byName.get(name);
    if (!entry) continue;
    if (lastByte !== 10) {
      yield Uint8Array.of(10);
      line++;
    }
    onStart?.(i, line);
    for await (const chunk of entry.stream) {
      if (chunk.length === 0) continue;
      for (const byte of chunk) if (byte === 10) line++;
      lastByte = chunk[chunk.length - 1] as number;
      yield chunk;
    }
  }
}

/**
 * The server's name for a job in the archive, as gh reverse-engineered it: `/` and `:` removed,
 * truncated to 90 UTF-16 code units, trimmed.
 */
export function sanitizeJobName(name: string): string {
  return name.replace(/[/:]/g, "").slice(0, 90).trim();
}

const TOP = /^(-?\d+)_(.*)\.txt$/;
const SLACK_MS = 2000;

/**
 * The top-level entry holding the job's log: candidates by name (`N_<name>.txt`, legacy
 * `-N_<name>.txt`, duplicates `N_<name> (k).txt`), confirmed by the job's time window when the
 * name alone is ambiguous; by the time window alone when no name matches (the scheme changed).
 */
export function matchJobEntry(job: WorkflowJob, index: readonly ZipIndexEntry[]): string | null {
  const wanted = sanitizeJobName(job.name);
  const top = index.flatMap((entry) => {
    const match = TOP.exec(entry.name);
    return match ? [{ ...entry, ordinal: Number(match[1]), base: match[2] as string }] : [];
  });
  const inWindow = (entry: ZipIndexEntry) => {
    const start = job.started_at ? Date.parse(job.started_at) : NaN;
    const end = job.completed_at ? Date.parse(job.completed_at) : NaN;
    if (entry.firstTimestamp === null || Number.isNaN(start)) return null;
    return entry.firstTimestamp >= start - SLACK_MS && (Number.isNaN(end) || entry.firstTimestamp <= end + SLACK_MS);
  };
  const exact = top.filter((entry) => entry.base === wanted);
  const dup = top.filter((entry) => entry.base === wanted || new RegExp(`^${escapeRegExp(wanted)} \\(\\d+\\)$`).test(entry.base));
  // Normal logs win over legacy negative-ordinal ones.
  const prefer = (list: typeof top) => [...list].sort((a, b) => Number(a.ordinal < 0) - Number(b.ordinal < 0));
  if (exact.length >= 1 && dup.length === exact.length) {
    const confirmed = prefer(exact).filter((entry) => inWindow(entry) !== false);
    if (confirmed.length >= 1) return (confirmed[0] as ZipIndexEntry).name;
  }
  const byTime = (list: typeof top) => prefer(list).filter((entry) => inWindow(entry) === true);
  const named = byTime(dup);
  if (named.length >= 1 && new Set(named.map((e) => e.base)).size === 1) return (named[0] as ZipIndexEntry).name;
  if (dup.length === 0) {
    const timed = byTime(top);
    if (timed.length === 1) return (timed[0] as ZipIndexEntry).name;
  }
  return null;
}

/** `<name>/<step.number>_*.txt` files of the job, in step order. */
function stepEntries(job: WorkflowJob, index: readonly ZipIndexEntry[]): Array<{ name: string; number: number }> {
  const prefix = `${sanitizeJobName(job.name)}/`;
  return index
    .flatMap((entry) => {
      if (!entry.name.startsWith(prefix)) return [];
      const match = /^(\d+)_.*\.txt$/.exec(entry.name.slice(prefix.length));
      return match ? [{ name: entry.name, number: Number(match[1]) }] : [];
    })
    .sort((a, b) => a.number - b.number);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
