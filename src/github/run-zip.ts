// The run (or attempt) logs zip, the fallback for a finished job with no log at the per-job
// endpoint (404): downloaded to a temporary file once, its entries matched to jobs by sanitised
// name *and* by the job's time window, since ordinals and names in the archive are not reliable.

import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { readZipEntries, type ZipEntryStream } from "../sources/zip.js";
import type { StepStart } from "./attribution.js";
import { GitHubError, type GitHubClient } from "./client.js";
import { webBytes } from "./download.js";
import type { FetchRunLogsOptions } from "./logs.js";
import type { WorkflowJob, WorkflowRun } from "./runs.js";
import type { RunTarget } from "./target.js";

export interface ZipIndexEntry {
  name: string;
  firstTimestamp: number | null;
}

export class RunZip {
  private file: Promise<string> | null = null;
  private index: Promise<ZipIndexEntry[]> | null = null;
  private dir: string | null = null;

  constructor(
    private readonly client: GitHubClient,
    private readonly target: RunTarget & { runId: number; attempt: number },
    private readonly run: WorkflowRun,
    private readonly options: Pick<FetchRunLogsOptions, "onProgress">,
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

  /**
   * The job's log from the archive: its top-level file, else its step files in order. A log made
   * of step files knows where each step starts once it has been read: `stepStarts` settles then
   * (null for a whole job log).
   */
  async logFor(job: WorkflowJob): Promise<{ bytes: AsyncIterable<Uint8Array>; stepStarts: Promise<StepStart[] | null> } | null> {
    const index = await this.entries();
    const file = await this.download();
    const entry = matchJobEntry(job, index);
    if (entry) return { bytes: readEntries(file, [entry]), stepStarts: Promise.resolve(null) };
    const steps = stepEntries(job, index);
    if (steps.length === 0) return null;
    let read: (starts: StepStart[]) => void = () => {};
    const stepStarts = new Promise<StepStart[]>((resolve) => (read = resolve));
    async function* bytes(): AsyncGenerator<Uint8Array> {
      const starts: StepStart[] = [];
      yield* readEntries(file, steps.map((s) => s.name), (i, line) => starts.push({ line, number: (steps[i] as { number: number }).number }));
      read(starts);
    }
    return { bytes: bytes(), stepStarts };
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
