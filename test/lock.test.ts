// The deploy lock, doctored: the holder block becomes captures, and `run` finds the GitHub
// Actions run that took the lock (same workflow, the holder's version, before the lock's time)
// against the test GitHub server, and says whether it is over.
import { beforeEach, describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { lockAdvice } from "../src/github/lock.js";
import { githubEnv, sendJson, startGitHubServer, type GitHubServer } from "./support/github-server.js";
import { memoryIO } from "./support/io.js";

const TOKEN = "ghp_secretvalue1234567890";
const REPO = "/repos/acme/shop";
const SHA = "8b1e0d7c6a5f4e3d2c1b0a9f8e7d6c5b4a398b1e";

const lockedLog = (version: string) =>
  [
    "2026-06-18T10:00:01.0000000Z Acquiring the deploy lock...",
    "2026-06-18T10:00:01.1000000Z Deploy lock already in place!",
    "2026-06-18T10:00:01.2000000Z Locked by: Jane Doe at 2026-06-18T09:12:44Z",
    `2026-06-18T10:00:01.3000000Z Version: ${version}`,
    "2026-06-18T10:00:01.4000000Z Message: Automatic deploy lock",
    "2026-06-18T10:00:01.5000000Z   Finished all in 4.6 seconds",
    "2026-06-18T10:00:01.6000000Z   ERROR (Kamal::Cli::LockError): Deploy lock found. Run 'kamal lock help' for more information",
    "2026-06-18T10:00:01.7000000Z ##[error]Process completed with exit code 1.",
  ].join("\n");

let server: GitHubServer;
beforeEach(async () => {
  server = await startGitHubServer();
  return () => server.close();
});

function routes(log: string, runs: unknown[], conclusion = "failure") {
  const current = { id: 42, workflow_id: 7, name: "Deploy", run_attempt: 1, status: "completed", conclusion, html_url: "https://github.com/acme/shop/actions/runs/42", head_sha: "c0ffee", head_branch: "main", created_at: "2026-06-18T09:59:00Z" };
  server.route("GET", `${REPO}/actions/runs/42`, (_req, res) => sendJson(res, 200, current));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/1$/, (_req, res) => sendJson(res, 200, current));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/1\/jobs/, (_req, res) =>
    sendJson(res, 200, { total_count: 1, jobs: [{ id: 102, run_id: 42, run_attempt: 1, name: "deploy", status: "completed", conclusion, html_url: "https://github.com/acme/shop/actions/runs/42/job/102", steps: [] }] }),
  );
  server.route("GET", /^\/repos\/acme\/shop\/actions\/jobs\/102\/logs$/, (_req, res) => {
    res.writeHead(302, { location: `${server.blobUrl}/signed/job-102.txt?sig=abc` });
    res.end();
  });
  server.route("GET", /^\/signed\/job-102\.txt/, (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(log);
  });
  server.route("GET", /^\/repos\/acme\/shop\/actions\/workflows\/7\/runs/, (_req, res) => sendJson(res, 200, { total_count: runs.length, workflow_runs: runs }));
}

const listed = (id: number, sha: string, started: string, status: string, conclusion: string | null) => ({
  id,
  workflow_id: 7,
  status,
  conclusion,
  head_sha: sha,
  head_branch: "main",
  html_url: `https://github.com/acme/shop/actions/runs/${id}`,
  created_at: started,
  run_started_at: started,
});

async function kd() {
  const io = memoryIO({ env: githubEnv(TOKEN) });
  const code = await run(["run", "42", "--repo", "acme/shop", "--api-url", server.url, "--quiet"], io);
  return { code, out: io.out(), err: io.err() };
}

describe("deploy lock holder", () => {
  it("the holder block's fields are captures of the deploy-lock-holder finding", async () => {
    const io = memoryIO({ stdin: lockedLog(SHA) });
    expect(await run(["-", "--format", "json"], io)).toBe(1);
    const report = JSON.parse(io.out()) as { findings: Array<{ ruleId: string; rootCause: boolean; captures: Record<string, string> }> };
    expect(report.findings[0]?.ruleId).toBe("deploy-lock-held");
    expect(report.findings.find((f) => f.ruleId === "deploy-lock-holder")?.captures).toEqual({ holder: "Jane Doe", lockedAt: "2026-06-18T09:12:44Z", lockVersion: SHA, lockMessage: "Automatic deploy lock" });
  });

  it("run: the holder run was cancelled, so the lock is stale and may be released; asks GitHub by the holder's commit", async () => {
    routes(lockedLog(SHA), [listed(41, SHA, "2026-06-18T09:11:02Z", "completed", "cancelled")]);
    const { code, err } = await kd();
    expect(code).toBe(1);
    expect(err).toContain("kamal-doctor: deploy lock: taken by Jane Doe at 2026-06-18T09:12:44Z, version 8b1e0d7c6a5f4e3d2c1b0a9f8e7d6c5b4a398b1e\n");
    expect(err).toContain("deploy lock: taken by run 41 (https://github.com/acme/shop/actions/runs/41), which was cancelled: the lock is stale\n");
    expect(err).toContain("deploy lock: release it: `kamal lock release -d DESTINATION`\n");
    expect(err).toContain("concurrency: { group: deploy-DESTINATION, cancel-in-progress: false }");
    // The holder's lookup (the history of the workflow is listed too, without a head_sha).
    const lists = server.requests.filter((r) => r.path.startsWith(`${REPO}/actions/workflows/7/runs`)).map((r) => new URL(r.path, server.url).searchParams);
    expect(lists.map((params) => params.get("head_sha"))).toContain(SHA);
  });

  it("run: a holder run still in progress means wait, never release; a short version matches by prefix and time", async () => {
    routes(lockedLog("8b1e0d7c"), [
      listed(40, SHA, "2026-06-18T08:00:00Z", "completed", "success"),
      listed(41, SHA, "2026-06-18T09:11:02Z", "in_progress", null),
      listed(43, "feedbeef", "2026-06-18T09:12:00Z", "completed", "failure"),
    ]);
    const { err } = await kd();
    expect(err).toContain("deploy lock: held by run 41 (https://github.com/acme/shop/actions/runs/41), still in progress: wait for it, do not release the lock\n");
    expect(err).toContain("only when the holder run is over");
    const lists = server.requests.filter((r) => r.path.startsWith(`${REPO}/actions/workflows/7/runs`)).map((r) => new URL(r.path, server.url).searchParams);
    expect(lists.map((params) => params.get("created"))).toContain("<=2026-06-18T09:17:44Z");
  });

  it("run: a GitHub error looking for the holder is one line; the diagnosis stands", async () => {
    routes(lockedLog(SHA), []);
    server.route("GET", /^\/repos\/acme\/shop\/actions\/workflows\/7\/runs/, (_req, res) => sendJson(res, 403, { message: "Resource not accessible by integration" }));
    const { code, out, err } = await kd();
    expect(code).toBe(1);
    expect(out).toContain("Another deploy holds the deploy lock");
    expect(err).toMatch(/kamal-doctor: deploy lock: could not look for the run that holds it: .+\n/);
  });

  it("advice: no matching run, Kamal 1 (no --lock-wait), a known destination", () => {
    const lines = lockAdvice({ holder: "ci", lockedAt: null, version: "v1", message: null }, null, "1.x", "staging");
    expect(lines.join("\n")).toContain("no run of this workflow matches the holder");
    expect(lines.join("\n")).toContain("`kamal lock release -d staging`) only when the holder run is over");
    expect(lines.join("\n")).toContain("group: deploy-staging");
    expect(lines.join("\n")).not.toContain("--lock-wait");
  });
});

describe("annotate on a cancelled run", () => {
  const cancelled = (released: boolean) =>
    [
      "2026-06-18T09:12:40.0000000Z Acquiring the deploy lock...",
      "2026-06-18T09:12:45.0000000Z Build and push app image...",
      "2026-06-18T09:12:46.0000000Z   INFO [1f0c2b7a] Running docker buildx build --output=type=registry -t ghcr.io/acme/shop:abc . 2>&1 as runner@localhost",
      ...(released ? ["2026-06-18T09:13:46.0000000Z Releasing the deploy lock..."] : []),
      "2026-06-18T09:13:50.0000000Z ##[error]The operation was canceled.",
    ].join("\n");

  async function annotate() {
    const io = memoryIO({ env: githubEnv(TOKEN) });
    const code = await run(["annotate", "42", "--repo", "acme/shop", "--api-url", server.url, "--comment", "--dry-run"], io);
    return { code, out: io.out(), err: io.err() };
  }

  it("says the lock was probably left held when the log reached the lock step but not its release", async () => {
    routes(cancelled(false), [], "cancelled");
    const { code, out } = await annotate();
    expect(code).toBe(0);
    expect(out).toContain('the deploy lock was probably left held: job "deploy" was cancelled after "Acquiring the deploy lock..." and before "Releasing the deploy lock..."');
    expect(out).toContain("`kamal lock release -d DESTINATION`");
  });

  it("says nothing of the lock when the cancelled deploy released it", async () => {
    routes(cancelled(true), [], "cancelled");
    const { out } = await annotate();
    expect(out).not.toContain("left held");
    expect(out).toContain("nothing to annotate");
  });
});
