// Memory across runs, end to end against the test GitHub server: `run` judges the root cause
// against the workflow's earlier runs (read back from the markers of their check runs), and
// `annotate --check-run` writes the marker that the next run reads.
import { beforeEach, describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { parseMarkers, renderMarker } from "../src/memory/marker.js";
import type { RunMemory } from "../src/memory/types.js";
import { githubEnv, sendJson, startGitHubServer, type GitHubServer } from "./support/github-server.js";
import { memoryIO } from "./support/io.js";

const TOKEN = "ghp_secretvalue1234567890";
const REPO = "/repos/acme/shop";
const LOG = [
  "2026-11-20T10:00:01.0000000Z Log into image registry...",
  "2026-11-20T10:00:01.1000000Z   INFO [a1b2c3d4] Running docker login ghcr.io -u deploy -p [REDACTED] on web-1.example.com",
  "2026-11-20T10:00:02.0000000Z   ERROR (SSHKit::Command::Failed): docker login ghcr.io -u deploy -p [REDACTED] exit status: 1",
  "docker stderr: Error response from daemon: Get \"https://ghcr.io/v2/\": denied: denied",
  "2026-11-20T10:00:02.2000000Z ##[error]Process completed with exit code 1.",
].join("\n");

// The same failure, deployed with `kamal deploy -d staging` (the step's command in the job log).
const STAGING_LOG = ["2026-11-20T10:00:00.0000000Z ##[group]Run kamal deploy -d staging", "2026-11-20T10:00:00.1000000Z kamal deploy -d staging", "2026-11-20T10:00:00.2000000Z ##[endgroup]", LOG].join("\n");

let server: GitHubServer;
let jobLog = LOG;
beforeEach(async () => {
  jobLog = LOG;
  server = await startGitHubServer();
  return () => server.close();
});

const sha = (n: number) => String(n).repeat(40).slice(0, 40);
const listed = (id: number, conclusion: string, day: number) => ({
  id, run_number: id - 30, run_attempt: 1, workflow_id: 7, name: "Deploy", path: ".github/workflows/deploy.yml", status: "completed", conclusion,
  head_sha: sha(id), head_branch: "main", event: "push", html_url: `https://github.com/acme/shop/actions/runs/${id}`,
  created_at: `2026-11-${String(day).padStart(2, "0")}T09:00:00Z`, updated_at: `2026-11-${String(day).padStart(2, "0")}T09:05:00Z`,
});

function routes(earlier: Array<{ run: ReturnType<typeof listed>; memory: RunMemory | null }>, posted: unknown[] = []) {
  const current = { ...listed(42, "failure", 20), head_sha: "c0ffee".padEnd(40, "0"), pull_requests: [] };
  server.route("GET", `${REPO}/actions/runs/42`, (_req, res) => sendJson(res, 200, current));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/1$/, (_req, res) => sendJson(res, 200, current));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/1\/jobs/, (_req, res) =>
    sendJson(res, 200, { total_count: 1, jobs: [{ id: 102, run_id: 42, run_attempt: 1, name: "deploy", status: "completed", conclusion: "failure", html_url: "https://github.com/acme/shop/actions/runs/42/job/102", steps: [] }] }),
  );
  server.route("GET", /^\/repos\/acme\/shop\/actions\/jobs\/102\/logs$/, (_req, res) => {
    res.writeHead(302, { location: `${server.blobUrl}/signed/job-102.txt?sig=abc` });
    res.end();
  });
  server.route("GET", /^\/signed\/job-102\.txt/, (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(jobLog);
  });
  const runs = [current, ...earlier.map((e) => e.run)];
  server.route("GET", /^\/repos\/acme\/shop\/actions\/workflows\/7\/runs/, (_req, res) => sendJson(res, 200, { total_count: runs.length, workflow_runs: runs }));
  server.route("GET", /^\/repos\/acme\/shop\/commits\/(\w+)\/check-runs/, (_req, res, m) => {
    const found = earlier.filter((e) => e.run.head_sha === m?.[1] && e.memory);
    const checks = found.map((e, i) => ({ id: 500 + i, name: "kamal-doctor", external_id: String(e.run.id), head_sha: e.run.head_sha, status: "completed", conclusion: "failure", output: { title: "t", summary: `report\n${renderMarker(e.memory as RunMemory)}`, annotations_count: 0 } }));
    sendJson(res, 200, { total_count: checks.length, check_runs: checks });
  });
  server.route("POST", `${REPO}/check-runs`, (req, res) => {
    posted.push(JSON.parse(String((req as unknown as { body: string }).body)));
    sendJson(res, 201, { id: 900, html_url: "https://github.com/acme/shop/runs/900" });
  });
}

async function rootFingerprint(): Promise<string> {
  routes([]);
  const io = memoryIO({ env: githubEnv(TOKEN, { GITHUB_API_URL: server.url }) });
  await run(["run", "42", "--format", "json", "--history", "0"], io);
  const report = JSON.parse(io.out()) as { findings: Array<{ rootCause: boolean; fingerprint: string }>; memory?: unknown };
  expect(report.memory).toBeUndefined();
  return report.findings.find((f) => f.rootCause)?.fingerprint ?? "";
}

const memoryOfRun = (id: number, fingerprint: string, destination: string | null = null): RunMemory => ({
  v: 1, run: { id, attempt: 1 }, sha: sha(id), destination, outcome: "failed", fingerprints: [fingerprint],
  rootCause: { ruleId: fingerprint.split(":")[0] ?? "", category: "registry-auth", title: "denied" }, at: "2026-11-10T09:06:00Z",
});

describe("memory across runs", () => {
  it("run: the same failure in earlier runs' markers is recurring, said under the root cause and in JSON", async () => {
    const fingerprint = await rootFingerprint();
    expect(fingerprint).toMatch(/^[\w-]+:[0-9a-f]{12}$/);
    routes([
      { run: listed(41, "failure", 12), memory: memoryOfRun(41, fingerprint) },
      { run: listed(40, "failure", 11), memory: memoryOfRun(40, fingerprint) },
      { run: listed(39, "success", 10), memory: null },
    ]);
    const env = githubEnv(TOKEN, { GITHUB_API_URL: server.url });
    const pretty = memoryIO({ env });
    await run(["run", "42"], pretty);
    expect(pretty.out()).toContain("history   not your change: recurring: the same failure in 2 of the last 3 deploys since Nov 11");
    const json = memoryIO({ env });
    await run(["run", "42", "--format", "json"], json);
    const report = JSON.parse(json.out()) as { memory: { kind: string; fingerprint: string; runs: Array<{ id: number }>; looked: number } };
    expect(report.memory).toMatchObject({ kind: "recurring", fingerprint, looked: 3 });
    expect(report.memory.runs.map((r) => r.id)).toEqual([41, 40]);
  });

  it("run: a failure not seen before is new and names the last green deploy; --history 0 looks at nothing", async () => {
    routes([
      { run: listed(41, "failure", 12), memory: memoryOfRun(41, "other-rule:0123456789ab") },
      { run: listed(39, "success", 10), memory: null },
    ]);
    const env = githubEnv(TOKEN, { GITHUB_API_URL: server.url });
    const io = memoryIO({ env });
    await run(["run", "42", "--format", "markdown"], io);
    expect(io.out()).toContain(`**History:** new: not seen in the last 2 deploys; the last green deploy was ${sha(39).slice(0, 7)} in run #9`);
    const before = server.requests.length;
    const off = memoryIO({ env });
    await run(["run", "42", "--history", "0"], off);
    expect(off.out()).not.toContain("history");
    expect(server.requests.slice(before).some((r) => r.path.includes("/check-runs"))).toBe(false);
  });

  it("annotate --check-run writes the marker the next run reads back: the run, its commit and the root cause's fingerprint", async () => {
    const fingerprint = await rootFingerprint();
    const posted: Array<{ output: { summary: string }; external_id: string }> = [];
    routes([], posted);
    const io = memoryIO({ env: githubEnv(TOKEN, { GITHUB_API_URL: server.url }) });
    await run(["annotate", "42", "--check-run"], io);
    const summary = posted[0]?.output.summary ?? "";
    const [memory] = parseMarkers(summary);
    expect(memory).toMatchObject({ run: { id: 42, attempt: 1 }, sha: "c0ffee".padEnd(40, "0"), outcome: "failed" });
    expect(memory?.fingerprints[0]).toBe(fingerprint);
    expect(summary).not.toContain(TOKEN);
  });

  it("the destination of the log's kamal command: annotate records it, run judges only that destination's runs", async () => {
    const fingerprint = await rootFingerprint();
    jobLog = STAGING_LOG;
    const posted: Array<{ output: { summary: string } }> = [];
    routes([], posted);
    const env = githubEnv(TOKEN, { GITHUB_API_URL: server.url });
    await run(["annotate", "42", "--check-run", "--history", "0"], memoryIO({ env }));
    expect(parseMarkers(posted[0]?.output.summary ?? "")[0]).toMatchObject({ run: { id: 42 }, destination: "staging" });

    // Two earlier failures the same way, one on production: only the staging one is this deploy's history.
    routes([
      { run: listed(41, "failure", 12), memory: memoryOfRun(41, fingerprint, "production") },
      { run: listed(40, "failure", 11), memory: memoryOfRun(40, fingerprint, "staging") },
    ]);
    const json = memoryIO({ env });
    await run(["run", "42", "--format", "json"], json);
    const report = JSON.parse(json.out()) as { memory: { runs: Array<{ id: number }>; summary: string } };
    expect(report.memory.runs.map((r) => r.id)).toEqual([40]);
    expect(report.memory.summary).toContain("staging deploys");
  });

  it("rejects a --history that is not a number from 0 to 100 with one line and the usage exit code", async () => {
    const io = memoryIO({ env: githubEnv(TOKEN, { GITHUB_API_URL: server.url }) });
    const code = await run(["run", "42", "--history", "lots"], io);
    expect(code).toBe(2);
    expect(io.err()).toMatch(/^kamal-doctor: --history: expected a number from 0 to 100, got "lots"\n$/);
  });
});
