// `kamal-doctor run` end to end against a real HTTP server on 127.0.0.1 speaking GitHub's REST
// shapes: runs, attempts, paginated jobs, job logs via 302 to a second origin, run-log zips,
// every error path, step attribution and deep links, --save.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { ServerResponse } from "node:http";
import { beforeEach, describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import type { CliIO } from "../src/cli/io.js";
import { StepSegmenter, deepLink } from "../src/github/attribution.js";
import { createGitHubClient } from "../src/github/client.js";
import { matchJobEntry } from "../src/github/run-zip.js";
import type { WorkflowJob, WorkflowStep } from "../src/github/runs.js";
import { githubEnv, sendJson, startGitHubServer, type GitHubServer } from "./support/github-server.js";
import { memoryIO } from "./support/io.js";
import { makeZip } from "./support/zip.js";

const TOKEN = "ghp_secretvalue1234567890";
const REPO = "/repos/acme/shop";

/** A job log as the runner writes it: BOM, 7-digit timestamps, step headers, the script echo. */
function deployLog(base = "2026-03-02T10:00:00"): string {
  const t = (s: number) => `${base.slice(0, 17)}${String(s).padStart(2, "0")}.${String(1000000 + s * 3791).slice(1)}Z`;
  const lines = [
    [0, "Current runner version: '2.330.0'"],
    [0, "##[group]Operating System"],
    [0, "Ubuntu 24.04"],
    [0, "##[endgroup]"],
    [2, "##[group]Run actions/checkout@v4"],
    [2, "with:"],
    [2, "##[endgroup]"],
    [3, "Syncing repository: acme/shop"],
    [5, "##[group]Run kamal deploy"],
    [5, "\x1b[36;1mkamal deploy\x1b[0m"],
    [5, "shell: /usr/bin/bash -e {0}"],
    [5, "##[endgroup]"],
    [6, "  INFO [a1b2c3d4] Running docker pull registry.example.com/acme/shop:abc123 on 10.0.0.5"],
    [9, "  ERROR (SSHKit::Command::Failed): docker exit status: 1"],
    [9, "docker stdout: Nothing written"],
    [9, "docker stderr: failed to register layer: write /var/lib/docker/overlay2/x/file: no space left on device"],
    [9, "##[error]Process completed with exit code 1."],
    [11, "Post job cleanup."],
    [11, "[command]/usr/bin/git version"],
    [14, "Cleaning up orphan processes"],
  ] as const;
  return `\uFEFF${lines.map(([s, text]) => `${t(s)} ${text}`).join("\n")}\n`;
}

const STEPS: WorkflowStep[] = [
  { number: 1, name: "Set up job", status: "completed", conclusion: "success", started_at: "2026-03-02T10:00:00Z", completed_at: "2026-03-02T10:00:01Z" },
  { number: 2, name: "Run actions/checkout@v4", status: "completed", conclusion: "success", started_at: "2026-03-02T10:00:02Z", completed_at: "2026-03-02T10:00:04Z" },
  { number: 3, name: "Set up Ruby", status: "completed", conclusion: "skipped", started_at: null, completed_at: null },
  { number: 4, name: "Run kamal deploy", status: "completed", conclusion: "failure", started_at: "2026-03-02T10:00:05Z", completed_at: "2026-03-02T10:00:09Z" },
  { number: 5, name: "Post Run actions/checkout@v4", status: "completed", conclusion: "success", started_at: "2026-03-02T10:00:11Z", completed_at: "2026-03-02T10:00:11Z" },
  { number: 6, name: "Complete job", status: "completed", conclusion: "success", started_at: "2026-03-02T10:00:14Z", completed_at: "2026-03-02T10:00:14Z" },
];

function job(id: number, name: string, conclusion: string | null, extra: Partial<WorkflowJob> = {}): WorkflowJob {
  return {
    id,
    run_id: 42,
    run_attempt: 2,
    name,
    status: conclusion === null ? "in_progress" : "completed",
    conclusion,
    html_url: `https://github.com/acme/shop/actions/runs/42/job/${id}`,
    started_at: "2026-03-02T10:00:00Z",
    completed_at: conclusion === null ? null : "2026-03-02T10:00:14Z",
    steps: STEPS,
    ...extra,
  };
}

const JOBS = [job(101, "test", "success", { steps: [] }), job(102, "deploy", "failure"), job(103, "lint", "cancelled", { steps: [] })];

/** The run, its jobs on two pages (Link header), job logs as 302s to the blob origin. */
function defaultRoutes(server: GitHubServer, logs: Record<number, string> = { 102: deployLog() }, jobs: WorkflowJob[] = JOBS): void {
  const runBody = { id: 42, name: "Deploy", run_attempt: 2, status: "completed", conclusion: "failure", html_url: "https://github.com/acme/shop/actions/runs/42", head_sha: "abc", head_branch: "main" };
  server.route("GET", `${REPO}/actions/runs/42`, (_req, res) => sendJson(res, 200, runBody));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/(\d+)$/, (_req, res, m) => sendJson(res, 200, { ...runBody, run_attempt: Number(m?.[1]) }));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/(\d+)\/jobs/, (req, res) => {
    const page = Number(new URL(req.url ?? "", server.url).searchParams.get("page") ?? "1");
    const slice = page === 1 ? jobs.slice(0, 2) : jobs.slice(2);
    const headers: Record<string, string> = page === 1 ? { link: `<${server.url}${REPO}/actions/runs/42/attempts/2/jobs?per_page=100&page=2>; rel="next", <${server.url}${REPO}/actions/runs/42/attempts/2/jobs?per_page=100&page=2>; rel="last"` } : {};
    sendJson(res, 200, { total_count: jobs.length, jobs: slice }, headers);
  });
  server.route("GET", /^\/repos\/acme\/shop\/actions\/jobs\/(\d+)\/logs$/, (_req, res, m) => {
    const id = Number(m?.[1]);
    if (logs[id] === undefined) return sendJson(res, 404, { message: "Not Found", status: "404" });
    res.writeHead(302, { location: `${server.blobUrl}/signed/job-${id}.txt?sig=abc&se=2026` });
    res.end();
  });
  server.route("GET", /^\/signed\/job-(\d+)\.txt/, (_req, res, m) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(logs[Number(m?.[1])] ?? "");
  });
}

let server: GitHubServer;
beforeEach(async () => {
  server = await startGitHubServer();
  return () => server.close();
});

const env = (extra: Record<string, string> = {}) => githubEnv(TOKEN, extra);

async function kd(args: string[], extra: Record<string, string> = {}, io = memoryIO({ env: env(extra) })) {
  const code = await run(["run", ...args, "--api-url", server.url], io);
  return { code, out: io.out(), err: io.err() };
}

interface JsonReport {
  outcome: string;
  sources: Array<{ name: string; job: { id: number; name: string; url: string; runId: number; attempt: number; repo: string } | null; step: { number: number; name: string } | null; lines: number }>;
  findings: Array<{ category: string; rootCause: boolean; source: string; line: number; url: string | null; step: { number: number; name: string } | null }>;
}

describe("kamal-doctor run: fetching", () => {
  it("diagnoses the failed jobs of the latest attempt, with steps and deep links, and no token on the signed URL", async () => {
    defaultRoutes(server);
    const { code, out, err } = await kd(["42", "--format", "json"]);
    expect(err).toBe("");
    expect(code).toBe(1);
    const report = JSON.parse(out) as JsonReport;
    expect(report.sources.map((s) => s.name)).toEqual(["deploy"]);
    expect(report.sources[0]?.job).toEqual({ id: 102, name: "deploy", url: "https://github.com/acme/shop/actions/runs/42/job/102", runId: 42, attempt: 2, repo: "acme/shop" });
    expect(report.sources[0]?.step).toEqual({ number: 4, name: "Run kamal deploy" });
    const root = report.findings[0];
    expect(root).toMatchObject({ rootCause: true, category: "disk-full", source: "deploy", step: { number: 4, name: "Run kamal deploy" } });
    // Step 4 starts at line 9 ("##[group]Run kamal deploy"): the link counts lines from there and
    // points at the first evidence line, in the failure block that ends with the matched line.
    const match = /^https:\/\/github\.com\/acme\/shop\/actions\/runs\/42\/job\/102#step:4:(\d+)$/.exec(root?.url ?? "");
    expect(match).not.toBeNull();
    const linked = 9 + Number(match?.[1]) - 1;
    expect(deployLog().split("\n")[(root?.line as number) - 1]).toContain("no space left on device");
    expect(linked).toBeLessThanOrEqual(root?.line as number);
    expect(linked).toBeGreaterThanOrEqual(14);

    // Jobs were read on both pages; the log came through the 302.
    const paths = server.requests.map((r) => `${r.origin} ${r.path}`);
    expect(paths).toContain(`api ${REPO}/actions/runs/42/attempts/2/jobs?per_page=100`);
    expect(paths).toContain(`api ${REPO}/actions/runs/42/attempts/2/jobs?per_page=100&page=2`);
    expect(paths.filter((p) => p.startsWith("api") && p.includes("/logs"))).toEqual([`api ${REPO}/actions/jobs/102/logs`]);
    const blob = server.requests.filter((r) => r.origin === "blob");
    expect(blob).toHaveLength(1);
    expect(blob[0]?.headers.authorization).toBeUndefined();
    for (const r of server.requests.filter((r) => r.origin === "api")) expect(r.headers.authorization).toBe(`token ${TOKEN}`);
  });

  it("shows the step and link in pretty output", async () => {
    defaultRoutes(server);
    const { code, out } = await kd(["https://github.com/acme/shop/actions/runs/42"]);
    expect(code).toBe(1);
    expect(out).toContain('step 4 "Run kamal deploy"');
    expect(out).toMatch(/https:\/\/github\.com\/acme\/shop\/actions\/runs\/42\/job\/102#step:4:\d+/);
  });

  it("reads the attempt a URL names, and a single job from a job URL", async () => {
    defaultRoutes(server, { 101: "2026-03-02T10:00:00.0000000Z all good\n", 102: deployLog(), 103: "2026-03-02T10:00:00.0000000Z ##[error]The operation was canceled.\n" });
    const attempt = await kd(["https://github.com/acme/shop/actions/runs/42/attempts/1", "--format", "json", "--all-jobs"]);
    expect(server.requests.some((r) => r.path.startsWith(`${REPO}/actions/runs/42/attempts/1/jobs`))).toBe(true);
    expect(attempt.code).toBe(1);
    expect((JSON.parse(attempt.out) as JsonReport).sources.map((s) => s.name)).toEqual(["test", "deploy", "lint"]);
    const single = await kd(["https://github.com/acme/shop/actions/runs/42/job/101", "--format", "json"]);
    expect(single.code).toBe(0);
    expect((JSON.parse(single.out) as JsonReport).sources.map((s) => s.job?.id)).toEqual([101]);
    const byName = await kd(["42", "--job", "Deploy", "--format", "json"]);
    expect((JSON.parse(byName.out) as JsonReport).sources.map((s) => s.job?.id)).toEqual([102]);
  });

  it("--job that names several jobs (two jobs called deploy) is ambiguous: it lists them and reads none", async () => {
    defaultRoutes(server, { 101: deployLog(), 102: deployLog() });
    JOBS[0] = job(101, "deploy", "failure");
    try {
      for (const name of ["deploy", "DEPLOY", "dep"]) {
        const { code, out, err } = await kd(["42", "--job", name]);
        expect(err).toMatch(new RegExp(`^kamal-doctor: --job "${name}" matches 2 jobs \\("deploy" \\(101\\), "deploy" \\(102\\)\\): give (the full name or )?the job id\n$`));
        expect(out).toBe("");
        expect(code).toBe(3);
      }
      expect(server.requests.some((r) => r.path.includes("/logs"))).toBe(false);
      const byId = await kd(["42", "--job", "102", "--format", "json"]);
      expect((JSON.parse(byId.out) as JsonReport).sources.map((s) => s.job?.id)).toEqual([102]);
    } finally {
      JOBS[0] = job(101, "test", "success", { steps: [] });
    }
  });

  it("says so and exits 0 when the run has no failed jobs", async () => {
    defaultRoutes(server);
    JOBS[1] = job(102, "deploy", "success");
    try {
      const { code, out } = await kd(["42"]);
      expect(code).toBe(0);
      expect(out).toMatch(/run 42 \(attempt 2\) of acme\/shop has no failed jobs/);
      expect(server.requests.some((r) => r.path.includes("/logs"))).toBe(false);
    } finally {
      JOBS[1] = job(102, "deploy", "failure");
    }
  });

  it("refuses a job that is still running (exit 3)", async () => {
    defaultRoutes(server);
    JOBS[0] = job(101, "test", null);
    try {
      const { code, err } = await kd(["42", "--job", "101"]);
      expect(code).toBe(3);
      expect(err).toMatch(/job "test" \(101\) of run 42 is still in progress/);
    } finally {
      JOBS[0] = job(101, "test", "success", { steps: [] });
    }
  });

  it("keeps the downloaded logs with --save, and they re-analyse offline to the same root cause", async () => {
    defaultRoutes(server);
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-save-"));
    const online = await kd(["42", "--save", dir, "--format", "json"]);
    const files = readdirSync(dir);
    expect(files).toEqual(["run-42-attempt-2-job-102-deploy.log"]);
    expect(readFileSync(path.join(dir, files[0] as string), "utf8")).toBe(deployLog());
    const io = memoryIO();
    expect(await run([path.join(dir, files[0] as string), "--format", "json"], io)).toBe(1);
    const offline = JSON.parse(io.out()) as JsonReport;
    const onlineReport = JSON.parse(online.out) as JsonReport;
    expect(offline.findings[0]?.category).toBe(onlineReport.findings[0]?.category);
    expect(offline.findings[0]?.line).toBe(onlineReport.findings[0]?.line);
  });

  it("--save where no directory can be: one line and exit 2, before any download", async () => {
    defaultRoutes(server);
    const file = path.join(mkdtempSync(path.join(tmpdir(), "kamal-doctor-save-")), "taken");
    writeFileSync(file, "");
    // /proc/nope made Node's recursive mkdir spin forever; a file is not a directory.
    for (const [dir, why] of [
      ["/proc/nope/logs", /cannot create \/proc\/nope/],
      [file, /it is a file, not a directory/],
      [path.join(file, "sub"), /is a file, not a directory/],
    ] as const) {
      server.requests.length = 0;
      const { code, out, err } = await kd(["42", "--save", dir]);
      expect(err).toMatch(why);
      expect(err).toMatch(/^kamal-doctor: cannot save logs in \S+: [^\n]+\n$/);
      expect(out).toBe("");
      expect(code).toBe(2);
      expect(server.requests).toEqual([]);
    }
  });

  it("shows progress on a terminal's stderr, not with --quiet", async () => {
    defaultRoutes(server);
    let err = "";
    const io: CliIO = { ...memoryIO({ env: env() }), stderr: { write: (text: string) => (err += text), isTTY: true } };
    expect(await run(["run", "42", "--api-url", server.url, "--format", "json"], io)).toBe(1);
    expect(err).toMatch(/^Fetching 1 failed job of run 42 \(attempt 2\)….* done\n$/);
    err = "";
    expect(await run(["run", "42", "--api-url", server.url, "--format", "json", "--quiet"], io)).toBe(1);
    expect(err).toBe("");
  });
});

/** A second job's log that fails differently: SSH refuses the key on another host. */
function sshLog(): string {
  return deployLog()
    .replace("Running docker pull registry.example.com/acme/shop:abc123 on 10.0.0.5", "Running docker login registry.example.com -u u -p p on 10.0.0.6")
    .replace("ERROR (SSHKit::Command::Failed): docker exit status: 1", "ERROR (Net::SSH::AuthenticationFailed): Exception while executing on host 10.0.0.6: Authentication failed for user deploy@10.0.0.6")
    .replace(/.*docker stdout: Nothing written\n/, "")
    .replace(/.*no space left on device\n/, "");
}

const TWO_FAILED = [job(101, "test", "success", { steps: [] }), job(102, "deploy", "failure"), job(104, "deploy-eu", "failure")];

interface DeployEntry {
  source: string;
  outcome: string;
  hosts: string[];
  failedCommand: { command: string } | null;
}

describe("kamal-doctor run: a run with several failed jobs", () => {
  const expectTwoDeploys = (report: JsonReport & { deploys: DeployEntry[] }, names: [string, string]) => {
    expect(report.deploys.map((d) => [d.source, d.outcome, d.hosts])).toEqual([
      [names[0], "failed", ["10.0.0.5"]],
      [names[1], "failed", ["10.0.0.6"]],
    ]);
    expect(report.deploys.map((d) => d.failedCommand?.command)).toEqual(["docker pull registry.example.com/acme/shop:abc123", "docker login registry.example.com -u u -p p"]);
    expect(report.findings.filter((f) => f.rootCause).map((f) => [f.source, f.category])).toEqual([
      [names[0], "disk-full"],
      [names[1], "ssh-auth"],
    ]);
  };

  it("is one deploy per job, each with its own root cause, and so are the logs saved with --save", async () => {
    defaultRoutes(server, { 102: deployLog(), 104: sshLog() }, TWO_FAILED);
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-save-"));
    const { code, out } = await kd(["42", "--format", "json", "--save", dir]);
    expect(code).toBe(1);
    expectTwoDeploys(JSON.parse(out) as JsonReport & { deploys: DeployEntry[] }, ["deploy", "deploy-eu"]);
    const files = readdirSync(dir).sort();
    expect(files).toHaveLength(2);
    const io = memoryIO();
    expect(await run([...files.map((file) => path.join(dir, file)), "--format", "json"], io)).toBe(1);
    expectTwoDeploys(JSON.parse(io.out()) as JsonReport & { deploys: DeployEntry[] }, files.map((file) => path.join(dir, file)) as [string, string]);
  });

  it("from the run-logs zip: each job read once (its whole log, not also its steps), one deploy each", async () => {
    defaultRoutes(server, {}, TWO_FAILED);
    server.route("GET", `${REPO}/actions/runs/42/attempts/2/logs`, (_req, res) => {
      res.writeHead(302, { location: `${server.blobUrl}/signed/run-42.zip?sig=x` });
      res.end();
    });
    const body = (log: string) => log.split("\n").slice(8).join("\n");
    const zip = makeZip([
      { name: "0_test.txt", data: "2026-03-02T10:00:00.0000000Z fine\n" },
      { name: "1_deploy.txt", data: deployLog() },
      { name: "2_deploy-eu.txt", data: sshLog() },
      { name: "deploy/4_Run kamal deploy.txt", data: body(deployLog()) },
      { name: "deploy-eu/4_Run kamal deploy.txt", data: body(sshLog()) },
    ]);
    server.route("GET", /^\/signed\/run-42\.zip/, (_req, res) => {
      res.writeHead(200, { "content-type": "application/zip" });
      res.end(zip);
    });
    const { code, out } = await kd(["42", "--format", "json"]);
    expect(code).toBe(1);
    const report = JSON.parse(out) as JsonReport & { deploys: DeployEntry[] };
    expectTwoDeploys(report, ["deploy", "deploy-eu"]);
    expect(report.findings.filter((f) => f.category === "disk-full")).toHaveLength(1);
  });

  it("pretty output: one block per job, each with its own header", async () => {
    defaultRoutes(server, { 102: deployLog(), 104: sshLog() }, TWO_FAILED);
    const { code, out } = await kd(["42", "--format", "pretty"]);
    expect(code).toBe(1);
    expect(out.split("\n")[0]).toBe("kamal-doctor · 2 deploys: 2 failed");
    const headers = out.split("\n").filter((line) => line.startsWith("kamal-doctor · deploy failed"));
    expect(headers).toHaveLength(2);
    expect(headers[0]).toContain("host 10.0.0.5");
    expect(headers[1]).toContain("host 10.0.0.6");
    expect(out.match(/ROOT CAUSE/g)).toHaveLength(2);
    expect(out).not.toContain("Also found");
  });
});

describe("kamal-doctor run: the run-logs zip fallback", () => {
  function zipRoutes(zip: Buffer): void {
    server.route("GET", `${REPO}/actions/runs/42/attempts/2/logs`, (_req, res) => {
      res.writeHead(302, { location: `${server.blobUrl}/signed/run-42.zip?sig=x` });
      res.end();
    });
    server.route("GET", /^\/signed\/run-42\.zip/, (_req, res) => {
      res.writeHead(200, { "content-type": "application/zip" });
      res.end(zip);
    });
  }

  it("falls back to the archive when the job endpoint has no log, matching entries by name and time", async () => {
    defaultRoutes(server, {});
    // Two entries carry the job's name: the one from another attempt's time is not it.
    zipRoutes(
      makeZip([
        { name: "0_test.txt", data: "2026-03-02T10:00:00.0000000Z fine\n" },
        { name: "1_deploy.txt", data: deployLog("2026-03-01T08:00:00") },
        { name: "2_deploy (1).txt", data: deployLog() },
        { name: "deploy/1_Set up job.txt", data: "x\n" },
      ]),
    );
    const { code, out, err } = await kd(["42", "--format", "json"]);
    expect(err).toBe("");
    expect(code).toBe(1);
    const report = JSON.parse(out) as JsonReport;
    expect(report.findings[0]).toMatchObject({ category: "disk-full", step: { number: 4 } });
    expect(server.requests.filter((r) => r.origin === "blob").every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it("assembles a job from its step files when the archive has no job log, with exact step starts", async () => {
    defaultRoutes(server, {});
    const setup = "2026-03-02T10:00:00.0000000Z Current runner version: '2.330.0'\n";
    const deploy = "2026-03-02T10:00:05.0000000Z ##[group]Run kamal deploy\n2026-03-02T10:00:05.1000000Z ##[endgroup]\n2026-03-02T10:00:09.0000000Z docker stderr: no space left on device\n";
    zipRoutes(makeZip([{ name: "deploy/1_Set up job.txt", data: setup }, { name: "deploy/4_Run kamal deploy.txt", data: deploy }]));
    const { code, out } = await kd(["42", "--format", "json"]);
    expect(code).toBe(1);
    const root = (JSON.parse(out) as JsonReport).findings[0];
    expect(root?.step).toEqual({ number: 4, name: "Run kamal deploy" });
    expect(root?.url).toBe("https://github.com/acme/shop/actions/runs/42/job/102#step:4:3");
  });

  it("picks entries by time when names do not match at all, and refuses to guess otherwise", () => {
    const target = job(7, "build / deploy: production", "failure");
    const index = [
      { name: "0_something else.txt", firstTimestamp: Date.parse("2026-03-01T00:00:00Z") },
      { name: "3_renamed.txt", firstTimestamp: Date.parse("2026-03-02T10:00:00Z") },
    ];
    expect(matchJobEntry(target, index)).toBe("3_renamed.txt");
    // `/` and `:` are dropped from the name (leaving two spaces); a name match outside the job's time is refused.
    expect(matchJobEntry(target, [{ name: "0_build  deploy production.txt", firstTimestamp: null }])).toBe("0_build  deploy production.txt");
    expect(matchJobEntry(target, [{ name: "0_build  deploy production.txt", firstTimestamp: Date.parse("2026-03-01T10:00:01Z") }])).toBeNull();
    expect(matchJobEntry(target, [{ name: "0_build deploy production.txt", firstTimestamp: null }])).toBeNull();
    expect(matchJobEntry(target, [...index, { name: "5_also.txt", firstTimestamp: Date.parse("2026-03-02T10:00:03Z") }])).toBeNull();
  });
});

function fail(status: number, body: unknown, headers: Record<string, string> = {}) {
  return (_req: unknown, res: ServerResponse) => sendJson(res, status, body, headers);
}

describe("kamal-doctor run: failures are one line and exit 3", () => {
  it("401: names the variable the token came from, never the token", async () => {
    server.route("GET", `${REPO}/actions/runs/42`, fail(401, { message: "Bad credentials", status: "401" }));
    const a = await kd(["42"]);
    expect(a.code).toBe(3);
    expect(a.err).toMatch(/^kamal-doctor: .*GITHUB_TOKEN.*401/);
    expect(a.err.trim().split("\n")).toHaveLength(1);
    expect(a.err + a.out).not.toContain(TOKEN);
    const io = memoryIO({ env: { GH_TOKEN: TOKEN, GITHUB_REPOSITORY: "acme/shop" } });
    const b = await kd(["42"], {}, io);
    expect(b.err).toMatch(/GH_TOKEN/);
    expect(b.err).not.toContain(TOKEN);
  });

  it("403 with the rate limit spent: says when it resets", async () => {
    const reset = Math.floor(Date.parse("2030-01-01T12:00:00Z") / 1000);
    server.route("GET", `${REPO}/actions/runs/42`, fail(403, { message: "API rate limit exceeded for installation." }, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) }));
    const { code, err } = await kd(["42"]);
    expect(code).toBe(3);
    expect(err).toMatch(/rate limit exceeded .*resets at 2030-01-01T12:00:00Z/);
  });

  it("403 without a rate limit: names the permission", async () => {
    server.route("GET", `${REPO}/actions/runs/42`, fail(403, { message: "Resource not accessible by integration" }));
    const { code, err } = await kd(["42"]);
    expect(code).toBe(3);
    expect(err).toMatch(/`actions: read`.*Resource not accessible by integration/);
  });

  it("404: run or repository not found", async () => {
    const { code, err } = await kd(["42"]);
    expect(code).toBe(3);
    expect(err).toMatch(/run 42 of acme\/shop: not found \(404\)/);
  });

  it("410: the logs have expired", async () => {
    defaultRoutes(server);
    server.route("GET", `${REPO}/actions/jobs/102/logs`, fail(410, { message: "Server Error", status: "410" }));
    const { code, err } = await kd(["42"]);
    expect(code).toBe(3);
    expect(err).toMatch(/log of job "deploy" \(102\): the logs have expired/);
  });

  /** The attempt's jobs on one page, overriding the default two-page listing. */
  function jobsRoute(jobs: WorkflowJob[]): void {
    server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/(\d+)\/jobs/, (_req, res) => sendJson(res, 200, { total_count: jobs.length, jobs }));
  }

  it("one expired log does not cost the others: they are diagnosed, the skipped job is named on stderr even with -q", async () => {
    const lint = "2026-03-02T10:00:01.0000000Z Run bin/rubocop\n2026-03-02T10:00:02.0000000Z 3 offenses detected\n";
    defaultRoutes(server, { 102: deployLog(), 104: lint });
    jobsRoute([job(102, "deploy", "failure"), job(104, "deploy-eu", "failure", { steps: [] })]);
    server.route("GET", `${REPO}/actions/jobs/104/logs`, fail(410, { message: "Server Error", status: "410" }));
    const { code, out, err } = await kd(["42", "--format", "json", "-q"]);
    expect(err.trim().split("\n")).toEqual([expect.stringMatching(/^kamal-doctor: skipped the log of job "deploy-eu" \(104\): the logs have expired/)]);
    const report = JSON.parse(out) as JsonReport;
    expect(report.sources.map((s) => s.name)).toEqual(["deploy"]);
    expect(report.findings[0]).toMatchObject({ rootCause: true, category: "disk-full", source: "deploy" });
    expect(code).toBe(1);
  });

  it("a skipped job whose name spans lines is still one line on stderr", async () => {
    defaultRoutes(server, { 102: deployLog() });
    jobsRoute([job(102, "deploy", "failure"), job(104, "eu\n::error::forged", "failure", { steps: [] })]);
    server.route("GET", `${REPO}/actions/jobs/104/logs`, fail(410, { message: "Server Error", status: "410" }));
    const { err } = await kd(["42", "--format", "json"]);
    expect(err).toMatch(/^kamal-doctor: skipped the log of job "eu ::error::forged" \(104\): the logs have expired[^\n]*\n$/);
  });

  it("when the readable logs show no failure, a skipped one may hold it: exit 3, not 0", async () => {
    const lint = "2026-03-02T10:00:01.0000000Z Run bin/rubocop\n2026-03-02T10:00:02.0000000Z no offenses detected\n";
    defaultRoutes(server, { 102: deployLog(), 104: lint });
    jobsRoute([job(102, "deploy", "failure"), job(104, "lint", "failure", { steps: [] })]);
    server.route("GET", `${REPO}/actions/jobs/102/logs`, fail(410, { message: "Server Error", status: "410" }));
    const { code, out, err } = await kd(["42", "--format", "json"]);
    expect(err).toMatch(/^kamal-doctor: skipped the log of job "deploy" \(102\): the logs have expired/);
    expect((JSON.parse(out) as JsonReport).sources.map((s) => s.name)).toEqual(["lint"]);
    expect(code).toBe(3);
  });

  it("a job log is decoded as a file is: a binary one is skipped with one line, unreadable bytes are counted", async () => {
    defaultRoutes(server, { 102: "", 104: "" });
    jobsRoute([job(102, "deploy", "failure"), job(104, "deploy-eu", "failure", { steps: [] })]);
    // Two invalid UTF-8 bytes and a NUL in a line of the deploy's own log.
    const log = Buffer.concat([Buffer.from(deployLog()), Buffer.from("2026-03-02T10:00:14.0000000Z stray "), Buffer.from([0xff, 0xff, 0]), Buffer.from("\n")]);
    const binary = Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919 + 13) % 251));
    server.route("GET", /^\/signed\/job-(\d+)\.txt/, (_req, res, m) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(m?.[1] === "104" ? binary : log);
    });
    const { code, out, err } = await kd(["42", "--format", "json"]);
    expect(err.trim().split("\n")).toEqual([
      'kamal-doctor: skipped the log of job "deploy-eu" (104): looks like binary data, not a log',
      `kamal-doctor: log of job "deploy" (102): about 3 of ${log.length} bytes could not be read as text (NUL or invalid UTF-8); the rest is diagnosed`,
    ]);
    const report = JSON.parse(out) as JsonReport;
    expect(report.sources.map((s) => s.name)).toEqual(["deploy"]);
    expect(report.findings[0]).toMatchObject({ rootCause: true, category: "disk-full", step: { number: 4 } });
    expect(code).toBe(1);
    // When it is the only log, nothing could be read: GitHub's side, exit 3.
    server.route("GET", /^\/signed\/job-(\d+)\.txt/, (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(binary);
    });
    jobsRoute([job(102, "deploy", "failure")]);
    const only = await kd(["42"]);
    expect(only.err).toBe('kamal-doctor: log of job "deploy" (102): looks like binary data, not a log\n');
    expect(only.code).toBe(3);
  });

  it("a download that breaks off: the part that arrived is diagnosed, and stderr says it is only part", async () => {
    defaultRoutes(server);
    const log = deployLog();
    const cut = log.indexOf("##[error]");
    server.route("GET", /^\/signed\/job-102\.txt/, (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain", "content-length": String(Buffer.byteLength(log)) });
      res.write(log.slice(0, cut), () => res.destroy());
    });
    const { code, out, err } = await kd(["42", "--format", "json"]);
    expect(err).toMatch(/^kamal-doctor: log of job "deploy" \(102\): the download broke off .*\(only the part read before that is diagnosed\)\n$/);
    const report = JSON.parse(out) as JsonReport;
    expect(report.sources.map((s) => s.name)).toEqual(["deploy"]);
    expect(report.findings[0]).toMatchObject({ rootCause: true, category: "disk-full" });
    expect(code).toBe(1);
  });

  it("a download that stalls half-way fails after the timeout instead of hanging", async () => {
    server.route("GET", `${REPO}/actions/jobs/7/logs`, (_req, res) => {
      res.writeHead(302, { location: `${server.blobUrl}/signed/stall.txt?sig=x` });
      res.end();
    });
    server.route("GET", /^\/signed\/stall\.txt/, (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first line\n"); // and then nothing more, the connection left open
    });
    const client = createGitHubClient({ token: { token: TOKEN, source: "GITHUB_TOKEN" }, baseUrl: server.url, retryUnitMs: 1, timeoutMs: 200 });
    const response = await client.download("log of job 7", "GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs", { owner: "acme", repo: "shop", job_id: 7 });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("first line\n");
    await expect(reader.read()).rejects.toThrow(/no data for/);
  });

  it("retries a 5xx and a secondary rate limit, then succeeds", async () => {
    defaultRoutes(server);
    let runCalls = 0;
    const original = `${REPO}/actions/runs/42`;
    server.route("GET", original, (_req, res) => {
      runCalls++;
      if (runCalls === 1) return sendJson(res, 502, { message: "Server Error" });
      if (runCalls === 2) return sendJson(res, 403, { message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again." }, { "retry-after": "2" });
      sendJson(res, 200, { id: 42, run_attempt: 2, status: "completed", conclusion: "failure", html_url: "", head_sha: "abc", head_branch: "main" });
    });
    const { code, err } = await kd(["42", "--format", "json"]);
    // Each retry is said on stderr, although it is not a terminal.
    expect(err.split("\n")).toEqual([
      "kamal-doctor: run 42 of acme/shop: GitHub answered 502; retry 1 of 3 in 1ms",
      "kamal-doctor: GitHub's secondary rate limit: retry 1 of 2 in 2ms",
      "",
    ]);
    expect(code).toBe(1);
    expect(runCalls).toBe(3);
    // --quiet: no retry lines either.
    runCalls = 0;
    expect((await kd(["42", "--format", "json", "--quiet"])).err).toBe("");
  });

  it("gives up on a persistent 5xx after retries", async () => {
    let calls = 0;
    server.route("GET", `${REPO}/actions/runs/42`, (_req, res) => {
      calls++;
      sendJson(res, 503, { message: "Unavailable" });
    });
    const { code, err } = await kd(["42"]);
    expect(code).toBe(3);
    expect(calls).toBe(4);
    const lines = err.trim().split("\n");
    expect(lines.slice(0, 3)).toEqual([1, 2, 3].map((n) => `kamal-doctor: run 42 of acme/shop: GitHub answered 503; retry ${n} of 3 in ${n * n}ms`));
    expect(lines[3]).toMatch(/^kamal-doctor: run 42 of acme\/shop: GitHub answered 503 \(server error\); gave up after 4 tries in \d+m?s; try again later$/);
    expect(lines).toHaveLength(4);
  });

  it("a 200 answer that is not JSON (a proxy's HTML page) is not the GitHub API", async () => {
    server.route("GET", /.*/, (_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<html><body>Sign in to the proxy</body></html>");
    });
    const { code, err } = await kd(["42"]);
    expect(err).toBe(
      `kamal-doctor: run 42 of acme/shop: ${server.url} answered something that is not the GitHub API (HTTP 200 with content-type text/html, not JSON); check --api-url or GITHUB_API_URL, and any proxy in between\n`,
    );
    expect(code).toBe(3);
    expect(server.requests).toHaveLength(1);
  });

  it("no answer in time: every try is said, and the final message counts them", async () => {
    let calls = 0;
    server.route("GET", `${REPO}/actions/runs/42`, () => {
      calls++; // and never answer
    });
    const lines: string[] = [];
    const client = createGitHubClient({ token: null, baseUrl: server.url, retryUnitMs: 1, retries: 2, timeoutMs: 50, onRetry: (line) => lines.push(line) });
    const failed = client.call("run 42", (o) => o.rest.actions.getWorkflowRun({ owner: "acme", repo: "shop", run_id: 42 }));
    await expect(failed).rejects.toThrow(/^run 42: cannot reach http:\/\/127\.0\.0\.1:\d+: no answer within 50ms; gave up after 3 tries in \d+m?s$/);
    expect(lines).toEqual(["run 42: no answer within 50ms; retry 1 of 2 in 1ms", "run 42: no answer within 50ms; retry 2 of 2 in 4ms"]);
    expect(calls).toBe(3);
  });

  it("a network error: cannot reach the API", async () => {
    const url = server.url;
    await server.close();
    const io = memoryIO({ env: env() });
    const code = await run(["run", "42", "--api-url", url], io);
    expect(code).toBe(3);
    const lines = io.err().trim().split("\n");
    expect(lines.slice(0, 3)).toEqual([1, 2, 3].map((n) => `kamal-doctor: run 42 of acme/shop: connection refused; retry ${n} of 3 in ${n * n}ms`));
    expect(lines[3]).toMatch(/^kamal-doctor: run 42 of acme\/shop: cannot reach http:\/\/127\.0\.0\.1:\d+: connection refused; gave up after 4 tries in \d+m?s$/);
    server = await startGitHubServer();
  });

  it("usage errors are exit 2", async () => {
    expect((await kd(["not-a-run"])).code).toBe(2);
    expect((await kd(["42", "--job", "x", "--all-jobs"])).code).toBe(2);
    expect((await kd(["42", "--attempt", "0"])).code).toBe(2);
  });
});

describe("step segmentation", () => {
  async function segment(log: string, steps: WorkflowStep[], chunk = 7) {
    const segmenter = new StepSegmenter(steps);
    const chunks: string[] = [];
    for (let i = 0; i < log.length; i += chunk) chunks.push(log.slice(i, i + chunk));
    let passed = "";
    // eslint-disable-next-line @typescript-eslint/require-await -- an async generator is how a test makes an async iterable of fixed chunks
    for await (const text of segmenter.wrap((async function* () { yield* chunks; })())) passed += text;
    expect(passed).toBe(log);
    return segmenter;
  }

  it("splits a job log by `##[group]Run` headers and the API's time windows, whatever the chunking", async () => {
    for (const chunk of [1, 7, 4096]) {
      const s = await segment(deployLog(), STEPS, chunk);
      expect(s.segments.map((g) => [g.number, g.startLine])).toEqual([[1, 1], [2, 5], [4, 9], [5, 18], [6, 20]]);
    }
  });

  it("keeps a composite action's inner headers in their step, and matches a step with its own name by time", async () => {
    const steps: WorkflowStep[] = [
      { number: 1, name: "Set up job", status: "completed", conclusion: "success", started_at: "2026-03-02T10:00:00Z", completed_at: "2026-03-02T10:00:00Z" },
      { number: 2, name: "Deploy", status: "completed", conclusion: "failure", started_at: "2026-03-02T10:00:05Z", completed_at: "2026-03-02T10:00:30Z" },
    ];
    const log = [
      "2026-03-02T10:00:00.1000000Z Current runner version: '2.330.0'",
      "2026-03-02T10:00:05.1000000Z ##[group]Run ./.github/actions/deploy",
      "2026-03-02T10:00:05.2000000Z ##[endgroup]",
      "2026-03-02T10:00:06.1000000Z ##[group]Run bin/kamal deploy",
      "2026-03-02T10:00:06.2000000Z ##[endgroup]",
      "2026-03-02T10:00:20.0000000Z ERROR boom",
    ].join("\n");
    const s = await segment(log, steps);
    expect(s.segments.map((g) => [g.number, g.startLine])).toEqual([[1, 1], [2, 2]]);
    const ref = { id: 9, name: "d", url: "https://ghe.example.com/o/r/actions/runs/1/job/9", runId: 1, attempt: 1, repo: "o/r" };
    expect(deepLink(ref, s.at(6), 6)).toBe("https://ghe.example.com/o/r/actions/runs/1/job/9#step:2:5");
  });

  it("without timestamps, follows headers in order; without steps, knows nothing", async () => {
    const steps = STEPS.map((step) => ({ ...step, started_at: null, completed_at: null }));
    const plain = deployLog().replace(/^\uFEFF/, "").replace(/^\S+Z /gm, "");
    const s = await segment(plain, steps);
    expect(s.segments.map((g) => [g.number, g.startLine])).toEqual([[1, 1], [2, 5], [4, 9]]);
    const none = await segment(deployLog(), []);
    expect(none.at(10)).toBeNull();
  });
});
