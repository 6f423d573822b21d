// The earlier runs of a workflow, as records: listed newest first, then for each finished attempt
// its memory from the cheapest place that has it — the cache, the marker in the `kamal-doctor`
// check run of its commit (one request per commit), the marker in the sticky comment of its pull
// request (one request per PR), and only for a failed attempt without any of those, its failed
// jobs' logs, diagnosed. A successful attempt needs nothing but the listing. A few runs are read
// at a time; the client's retries and rate-limit handling apply to every request.

import type { Octokit } from "@octokit/rest";
import { configArgs } from "../core/index.js";
import { LogFactsCollector } from "../config/log-facts.js";
import type { AnalysisOptions } from "../core/index.js";
import { CHECK_NAME } from "../github/annotate.js";
import { GitHubError, type GitHubClient } from "../github/client.js";
import { diagnoseRun } from "../github/diagnose.js";
import { isFailed } from "../github/runs.js";
import { TargetError } from "../github/errors.js";
import { tapSources } from "../sources/tap.js";
import type { RunTarget } from "../github/target.js";
import type { MemoryCache } from "./cache.js";
import { parseMarkers } from "./marker.js";
import { memoryOf } from "./record.js";
import type { MemorySource, RunMemory, RunRecord } from "./types.js";

/** Runs read at the same time: a few, well inside the secondary rate limit's concurrency. */
export const HISTORY_CONCURRENCY = 4;
/** Earlier attempts of one run looked at (a run re-run more often than this is rare). */
const MAX_EARLIER_ATTEMPTS = 3;

export interface Workflow {
  id: number;
  name: string;
  /** `.github/workflows/deploy.yml`. */
  path: string;
}

export type HistoryProgress =
  | { type: "listed"; total: number }
  | { type: "run"; done: number; total: number }
  | { type: "skipped"; run: number; attempt: number; reason: string };

export interface CollectOptions {
  owner: string;
  repo: string;
  /** The workflow's id or file name (`deploy.yml`). */
  workflow: number | string;
  branch?: string | null;
  /** Only this destination's runs, where it is known (a marker, or `-d` in the log's kamal command). */
  destination?: string | null;
  /** How many runs to look at (the newest). */
  limit: number;
  /** The run being diagnosed now: not its own history. */
  excludeRunId?: number | null;
  /** Rules and version for the logs that have to be diagnosed. */
  analysis: Pick<AnalysisOptions, "rules" | "toolVersion">;
  cache?: MemoryCache | null;
  onProgress?: (event: HistoryProgress) => void;
}

/** A run as the workflow-runs listing (and the attempt endpoint) gives it. */
interface ListedRun {
  id: number;
  run_number: number;
  run_attempt?: number;
  html_url: string;
  head_sha: string;
  head_branch: string | null;
  event: string;
  status: string | null;
  conclusion: string | null;
  created_at: string;
  updated_at: string;
  run_started_at?: string;
  pull_requests?: Array<{ number: number }> | null;
}

/** The workflow a name, a file name or a path names; the only deploy workflow when none is named. */
export async function resolveWorkflow(client: GitHubClient, where: { owner: string; repo: string }, wanted: string | null): Promise<Workflow> {
  const { owner, repo } = where;
  const all = await client.call(`workflows of ${owner}/${repo}`, (o) =>
    o.paginate(o.rest.actions.listRepoWorkflows, { owner, repo, per_page: 100 }),
  );
  const workflows: Workflow[] = all.map((w) => ({ id: w.id, name: w.name, path: w.path }));
  const list = () => workflows.map((w) => `${w.name} (${baseName(w.path)})`).join(", ") || "none";
  if (wanted !== null) {
    const file = baseName(wanted.replace(/@.*$/, ""));
    const found =
      workflows.find((w) => String(w.id) === wanted) ??
      workflows.find((w) => baseName(w.path) === file) ??
      workflows.find((w) => w.name === wanted) ??
      workflows.find((w) => w.name.toLowerCase() === wanted.toLowerCase());
    if (!found) throw new TargetError(`no workflow "${wanted}" in ${owner}/${repo} (workflows: ${list()})`);
    return found;
  }
  const deploys = workflows.filter((w) => /deploy/i.test(`${w.name} ${baseName(w.path)}`));
  if (deploys.length === 1) return deploys[0] as Workflow;
  throw new TargetError(`which workflow? give --workflow FILE|NAME (${deploys.length > 1 ? "several look like deploys" : "none is named like a deploy"}; workflows: ${list()})`);
}

const baseName = (file: string) => file.replace(/^.*\//, "");

/** The records of the workflow's recent runs (with the earlier attempts of re-run ones), newest first. */
export async function collectHistory(client: GitHubClient, options: CollectOptions): Promise<RunRecord[]> {
  const runs = (await listRuns(client, options)).filter((run) => run.id !== options.excludeRunId);
  options.onProgress?.({ type: "listed", total: runs.length });
  const reader = new MemoryReader(client, options);
  let done = 0;
  const perRun = await mapPool(runs, HISTORY_CONCURRENCY, async (run) => {
    const records = await reader.recordsOf(run);
    options.onProgress?.({ type: "run", done: ++done, total: runs.length });
    return records;
  });
  await options.cache?.prune();
  const wanted = options.destination ?? null;
  return perRun
    .flat()
    .filter((record) => wanted === null || record.destination === null || record.destination === wanted)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id || b.attempt - a.attempt);
}

/** The newest `limit` runs, completed and in progress, page by page. */
async function listRuns(client: GitHubClient, options: CollectOptions): Promise<ListedRun[]> {
  const { owner, repo } = options;
  const perPage = Math.min(100, options.limit + (options.excludeRunId ? 1 : 0));
  const found: ListedRun[] = [];
  for (let page = 1; found.length < options.limit + (options.excludeRunId ? 1 : 0); page++) {
    const response = await client.call(`runs of workflow ${options.workflow} in ${owner}/${repo}`, (o) =>
      o.rest.actions.listWorkflowRuns({
        owner,
        repo,
        workflow_id: options.workflow,
        per_page: perPage,
        page,
        ...(options.branch ? { branch: options.branch } : {}),
      }),
    );
    const listed = response.data.workflow_runs as unknown as ListedRun[];
    found.push(...listed);
    if (listed.length < perPage) break;
  }
  return found.filter((run) => run.id !== options.excludeRunId).slice(0, options.limit);
}

/** Where the memories of runs are read from, each commit's check runs and each PR's comments at most once. */
class MemoryReader {
  private readonly checkRuns = new Map<string, Promise<RunMemory[]>>();
  private readonly comments = new Map<number, Promise<RunMemory[]>>();
  private readonly cacheScope: string;

  constructor(
    private readonly client: GitHubClient,
    private readonly options: CollectOptions,
  ) {
    this.cacheScope = `${client.apiUrl}/repos/${options.owner}/${options.repo}`.toLowerCase();
  }

  async recordsOf(run: ListedRun): Promise<RunRecord[]> {
    const latest = run.run_attempt ?? 1;
    const records = [await this.recordOf(run, latest, run.html_url)];
    for (let attempt = latest - 1; attempt >= Math.max(1, latest - MAX_EARLIER_ATTEMPTS); attempt--) {
      const earlier = await this.call(`run ${run.id} attempt ${attempt}`, (o) =>
        o.rest.actions.getWorkflowRunAttempt({ owner: this.options.owner, repo: this.options.repo, run_id: run.id, attempt_number: attempt }),
      );
      records.push(await this.recordOf({ ...run, ...(earlier.data as unknown as ListedRun), run_attempt: attempt }, attempt, `${run.html_url}/attempts/${attempt}`));
    }
    return records;
  }

  private async recordOf(run: ListedRun, attempt: number, url: string): Promise<RunRecord> {
    const base = recordBase(run, attempt, url);
    // Not finished: nothing is known yet. Succeeded: the listing says all there is.
    if (run.status !== "completed") return base;
    const cacheKey = `run:${this.cacheScope}/${run.id}/${attempt}`;
    const cached = await this.options.cache?.get(cacheKey, "run");
    if (cached) return withMemory(base, cached.memory, "cache");
    const failed = isFailed(run);
    if (!failed && run.conclusion === "success") return base;
    const marked = await this.markerOf(run, attempt);
    if (marked) {
      await this.options.cache?.put(cacheKey, "run", marked);
      return withMemory(base, marked, "marker");
    }
    if (!failed) return base;
    const fromLog = await this.diagnose(run, attempt);
    if (fromLog === null) return base;
    await this.options.cache?.put(cacheKey, "run", fromLog);
    return withMemory(base, fromLog, "log");
  }

  /** The marker of this attempt: in its commit's check run of the same external id, else its PR's sticky comment. */
  private async markerOf(run: ListedRun, attempt: number): Promise<RunMemory | null> {
    const mine = (memories: RunMemory[]) => memories.find((m) => m.run.id === run.id && m.run.attempt === attempt) ?? null;
    let sha = this.checkRuns.get(run.head_sha);
    if (!sha) {
      sha = this.checkRunMarkers(run.head_sha);
      this.checkRuns.set(run.head_sha, sha);
    }
    const fromCheck = mine((await sha).filter((m) => m.run.id === run.id));
    if (fromCheck) return fromCheck;
    for (const pr of run.pull_requests ?? []) {
      let comments = this.comments.get(pr.number);
      if (!comments) {
        comments = this.commentMarkers(pr.number);
        this.comments.set(pr.number, comments);
      }
      const fromComment = mine(await comments);
      if (fromComment) return fromComment;
    }
    return null;
  }

  private async checkRunMarkers(sha: string): Promise<RunMemory[]> {
    const { owner, repo } = this.options;
    // filter=all: every run of the workflow on this commit has a check run of the same name.
    const checks = await this.call(`check runs of ${sha.slice(0, 12)} in ${owner}/${repo}`, (o) =>
      o.paginate(o.rest.checks.listForRef, { owner, repo, ref: sha, check_name: CHECK_NAME, filter: "all", per_page: 100 }),
    );
    return checks
      .filter((check) => check.name === CHECK_NAME && check.external_id !== null && /^\d+$/.test(check.external_id ?? ""))
      // A marker counts only on the check run annotate made for that very run.
      .flatMap((check) => parseMarkers(check.output.summary ?? "").filter((m) => String(m.run.id) === check.external_id));
  }

  private async commentMarkers(pr: number): Promise<RunMemory[]> {
    const { owner, repo } = this.options;
    const comments = await this.call(
      `comments of pull request #${pr} in ${owner}/${repo}`,
      (o) => o.paginate(o.rest.issues.listComments, { owner, repo, issue_number: pr, per_page: 100 }),
      "pull-requests: read",
    );
    return comments.flatMap((comment) => (comment.body?.includes("kamal-doctor:annotate") ? parseMarkers(comment.body) : []));
  }

  /** The failed jobs' logs of the attempt, diagnosed; null when they cannot be read (expired, gone). */
  private async diagnose(run: ListedRun, attempt: number): Promise<RunMemory | null> {
    const target: RunTarget = {
      owner: this.options.owner,
      repo: this.options.repo,
      runId: run.id,
      attempt,
      jobId: null,
      legacyJobUrl: false,
      apiUrl: this.client.apiUrl,
      webUrl: this.client.webUrl,
    };
    const facts = new LogFactsCollector();
    try {
      const { report } = await diagnoseRun(this.client, target, {
        ...this.options.analysis,
        concurrency: 2,
        tap: (sources) => tapSources(sources, facts),
      });
      if (report === null) return null;
      const command = facts.facts().kamalCommand;
      const destination = command ? configArgs(command).destination : null;
      return memoryOf(report, { id: run.id, attempt, sha: run.head_sha, destination });
    } catch (error) {
      if (!(error instanceof GitHubError) || error.kind === "rate-limit" || error.kind === "auth") throw error;
      this.options.onProgress?.({ type: "skipped", run: run.id, attempt, reason: error.message });
      return null;
    }
  }

  private call<T>(what: string, fn: (octokit: Octokit) => Promise<T>, permission = "actions: read"): Promise<T> {
    return this.client.call(what, fn, { permission });
  }
}

function recordBase(run: ListedRun, attempt: number, url: string): RunRecord {
  return {
    id: run.id,
    number: run.run_number,
    attempt,
    url,
    sha: run.head_sha,
    branch: run.head_branch,
    event: run.event,
    createdAt: run.run_started_at ?? run.created_at,
    updatedAt: run.updated_at,
    status: run.status ?? "unknown",
    conclusion: run.conclusion,
    destination: null,
    fingerprints: [],
    rootCause: null,
    from: "none",
  };
}

function withMemory(base: RunRecord, memory: RunMemory, from: MemorySource): RunRecord {
  return { ...base, destination: memory.destination, fingerprints: memory.fingerprints, rootCause: memory.rootCause, from };
}

/** `fn` over the items, at most `limit` at a time, results in the items' order. */
async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
