// A deploy workflow's recent runs on the GitHub test server, for the memory across runs: the
// workflow listing, its runs (newest first, paged), attempts, jobs, the `kamal-doctor` check runs
// of each commit with the markers annotate posts, sticky PR comments, and job logs (302 to the
// second origin, or 410 once expired). `deployScenario()` is thirty runs with a bit of everything.
import type { ServerResponse } from "node:http";
import { renderMarker } from "../../src/memory/marker.js";
import type { RunMemory } from "../../src/memory/types.js";
import { sendJson, type GitHubServer } from "./github-server.js";

export const WORKFLOW = { id: 77, name: "Deploy", path: ".github/workflows/deploy.yml" };

export interface ScenarioAttempt {
  conclusion: "success" | "failure" | "cancelled" | null;
  /** A marker on the commit's check run for this attempt. */
  marker?: Omit<RunMemory, "v" | "run" | "sha" | "at">;
  /** The marker is in the PR's sticky comment instead. */
  markerIn?: "check-run" | "comment";
  /** The failed job's log; `{ expired: true }` answers 410. */
  log?: string | { expired: true };
}

export interface ScenarioRun {
  id: number;
  number: number;
  sha: string;
  createdAt: string;
  branch?: string;
  pullRequest?: number;
  /** Oldest attempt first; the last is the run's current state. */
  attempts: ScenarioAttempt[];
}

/** A job log as the runner writes it: timestamps, the step header with the kamal command, a disk-full failure. */
export function diskFullLog(destination = "production"): string {
  const lines = [
    `##[group]Run kamal deploy -d ${destination}`,
    `\x1b[36;1mkamal deploy -d ${destination}\x1b[0m`,
    "shell: /usr/bin/bash -e {0}",
    "##[endgroup]",
    "  INFO [a1b2c3d4] Running docker pull registry.example.com/acme/shop:0f1e2d3c on 10.0.0.5",
    "  ERROR (SSHKit::Command::Failed): docker exit status: 1",
    "docker stdout: Nothing written",
    "docker stderr: failed to register layer: write /var/lib/docker/overlay2/x/file: no space left on device",
    "##[error]Process completed with exit code 1.",
  ];
  return `${lines.map((text, i) => `2026-11-01T00:00:${String(i).padStart(2, "0")}.0000000Z ${text}`).join("\n")}\n`;
}

const at = (start: string, hours: number) => new Date(Date.parse(start) + hours * 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
const sha = (n: number) => `${n.toString(16).padStart(4, "0")}${"abcdef0123".repeat(4)}`.slice(0, 40);
const jobId = (run: number, attempt: number) => run * 10 + attempt;

/**
 * Thirty runs, six hours apart from Nov 1 (oldest #101, newest #130): successes; failures with a
 * marker on the check run; failures with only logs (disk full on production); a cancelled run that
 * left the deploy lock held and the two lock failures after it; a registry error that passed on
 * re-run (attempt 2); a failure whose logs expired; one whose marker is in a PR comment; one run
 * still in progress.
 */
export function deployScenario(): ScenarioRun[] {
  const start = "2026-11-01T00:00:00Z";
  const lockMarker = { destination: "production", outcome: "failed" as const, fingerprints: ["deploy-lock-held:5a5a5a5a5a5a"], rootCause: { ruleId: "deploy-lock-held", category: "deploy-lock", title: "The deploy lock is held" } };
  const special: Record<number, ScenarioAttempt[]> = {
    105: [{ conclusion: "failure", log: diskFullLog() }],
    106: [{ conclusion: "failure", marker: { destination: "production", outcome: "failed", fingerprints: ["healthcheck-bad-status:1b1b1b1b1b1b"], rootCause: { ruleId: "healthcheck-bad-status", category: "health-check", title: "The health check answered 500" } } }],
    107: [{ conclusion: "failure", log: diskFullLog() }],
    109: [
      { conclusion: "failure", marker: { destination: "production", outcome: "failed", fingerprints: ["registry-server-error:2c2c2c2c2c2c"], rootCause: { ruleId: "registry-server-error", category: "registry-auth", title: "The registry answered 502 Bad Gateway" } } },
      { conclusion: "success" },
    ],
    113: [{ conclusion: "cancelled" }],
    114: [{ conclusion: "failure", marker: lockMarker }],
    115: [{ conclusion: "failure", marker: lockMarker }],
    117: [{ conclusion: "failure", log: { expired: true } }],
    122: [{ conclusion: "failure", markerIn: "comment", marker: lockMarker }],
    126: [{ conclusion: "failure", log: diskFullLog() }],
    127: [{ conclusion: "failure", log: diskFullLog("staging") }],
    128: [{ conclusion: "failure", log: diskFullLog() }],
    130: [{ conclusion: null }],
  };
  return Array.from({ length: 30 }, (_, i) => {
    const number = 101 + i;
    return {
      id: 9000 + number,
      number,
      sha: sha(number),
      createdAt: at(start, i * 6),
      ...(number === 122 ? { pullRequest: 7, branch: "fix-lock" } : {}),
      attempts: special[number] ?? [{ conclusion: "success" }],
    };
  });
}

const REPO = "/repos/acme/shop";

function runBody(run: ScenarioRun, attempt: number, server: GitHubServer) {
  const a = run.attempts[attempt - 1] as ScenarioAttempt;
  const started = at(run.createdAt, (attempt - 1) * 1);
  return {
    id: run.id,
    name: WORKFLOW.name,
    path: WORKFLOW.path,
    workflow_id: WORKFLOW.id,
    run_number: run.number,
    run_attempt: attempt,
    event: run.pullRequest ? "pull_request" : "push",
    status: a.conclusion === null ? "in_progress" : "completed",
    conclusion: a.conclusion,
    html_url: `https://github.com/acme/shop/actions/runs/${run.id}`,
    url: `${server.url}${REPO}/actions/runs/${run.id}`,
    head_sha: run.sha,
    head_branch: run.branch ?? "main",
    created_at: run.createdAt,
    run_started_at: started,
    updated_at: at(started, 0.25),
    pull_requests: run.pullRequest ? [{ number: run.pullRequest }] : [],
  };
}

function memoryOfAttempt(run: ScenarioRun, attempt: number): RunMemory | null {
  const a = run.attempts[attempt - 1];
  if (!a?.marker) return null;
  return { v: 1, run: { id: run.id, attempt }, sha: run.sha, at: at(run.createdAt, attempt * 0.5), ...a.marker };
}

/** Registers the scenario's routes on the server. */
export function serveScenario(server: GitHubServer, runs: readonly ScenarioRun[]): void {
  const byId = new Map(runs.map((run) => [run.id, run]));
  const newestFirst = [...runs].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const send = (res: ServerResponse, body: unknown) => sendJson(res, 200, body);
  const query = (url: string | undefined) => new URL(url ?? "/", server.url).searchParams;

  server.route("GET", `${REPO}/actions/workflows`, (_req, res) =>
    send(res, { total_count: 2, workflows: [{ ...WORKFLOW, state: "active" }, { id: 78, name: "CI", path: ".github/workflows/ci.yml", state: "active" }] }),
  );
  server.route("GET", new RegExp(`^${REPO}/actions/workflows/(?:${WORKFLOW.id}|deploy\\.yml)/runs`), (req, res) => {
    const q = query(req.url);
    const perPage = Number(q.get("per_page") ?? "30");
    const page = Number(q.get("page") ?? "1");
    const branch = q.get("branch");
    const listed = newestFirst.filter((run) => !branch || (run.branch ?? "main") === branch);
    const slice = listed.slice((page - 1) * perPage, page * perPage).map((run) => runBody(run, run.attempts.length, server));
    send(res, { total_count: listed.length, workflow_runs: slice });
  });
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/(\d+)(?:\/attempts\/(\d+))?$/, (_req, res, m) => {
    const run = byId.get(Number(m?.[1]));
    const attempt = m?.[2] ? Number(m[2]) : (run?.attempts.length ?? 0);
    if (!run || !run.attempts[attempt - 1]) return sendJson(res, 404, { message: "Not Found" });
    send(res, runBody(run, attempt, server));
  });
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/(\d+)\/attempts\/(\d+)\/jobs/, (_req, res, m) => {
    const run = byId.get(Number(m?.[1]));
    const attempt = Number(m?.[2]);
    const a = run?.attempts[attempt - 1];
    if (!run || !a) return sendJson(res, 404, { message: "Not Found" });
    const id = jobId(run.id, attempt);
    const job = {
      id,
      run_id: run.id,
      run_attempt: attempt,
      name: "deploy",
      status: a.conclusion === null ? "in_progress" : "completed",
      conclusion: a.conclusion,
      html_url: `https://github.com/acme/shop/actions/runs/${run.id}/job/${id}`,
      steps: [],
    };
    send(res, { total_count: 1, jobs: [job] });
  });
  server.route("GET", /^\/repos\/acme\/shop\/actions\/jobs\/(\d+)\/logs$/, (_req, res, m) => {
    const id = Number(m?.[1]);
    const run = byId.get(Math.floor(id / 10));
    const log = run?.attempts[(id % 10) - 1]?.log;
    if (log === undefined) return sendJson(res, 404, { message: "Not Found" });
    if (typeof log !== "string") return sendJson(res, 410, { message: "Gone" });
    res.writeHead(302, { location: `${server.blobUrl}/signed/job-${id}.txt?sig=abc` });
    res.end();
  });
  server.route("GET", /^\/signed\/job-(\d+)\.txt/, (_req, res, m) => {
    const id = Number(m?.[1]);
    const log = byId.get(Math.floor(id / 10))?.attempts[(id % 10) - 1]?.log;
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(typeof log === "string" ? log : "");
  });
  server.route("GET", /^\/repos\/acme\/shop\/commits\/([0-9a-f]{40})\/check-runs/, (_req, res, m) => {
    const checks = runs
      .filter((run) => run.sha === m?.[1])
      .flatMap((run) => {
        // annotate updates the run's one check run in place: it holds the last annotated attempt.
        const marked = run.attempts.map((_, i) => memoryOfAttempt(run, i + 1)).filter((memory, i) => memory !== null && run.attempts[i]?.markerIn !== "comment");
        const memory = marked[marked.length - 1];
        if (!memory) return [];
        return [{ id: run.id + 500_000, name: "kamal-doctor", external_id: String(run.id), head_sha: run.sha, status: "completed", conclusion: "failure", output: { title: memory.rootCause?.title ?? "", summary: `### kamal-doctor\n\nreport…\n${renderMarker(memory)}\n`, text: null, annotations_count: 0 } }];
      });
    send(res, { total_count: checks.length, check_runs: checks });
  });
  server.route("GET", /^\/repos\/acme\/shop\/issues\/(\d+)\/comments/, (_req, res, m) => {
    const pr = Number(m?.[1]);
    const comments = runs
      .filter((run) => run.pullRequest === pr)
      .flatMap((run) => run.attempts.map((_, i) => memoryOfAttempt(run, i + 1)).filter((memory, i) => memory !== null && run.attempts[i]?.markerIn === "comment"))
      .map((memory, i) => ({ id: 700 + i, html_url: `https://github.com/acme/shop/pull/${pr}#issuecomment-${700 + i}`, body: `**kamal-doctor** looked at the run.\n\n${renderMarker(memory as RunMemory)}\n<!-- kamal-doctor:annotate workflow=${WORKFLOW.path} -->\n` }));
    send(res, comments);
  });
}
