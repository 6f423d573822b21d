// `kamal-doctor annotate` against a real HTTP server on 127.0.0.1 speaking GitHub's REST shapes:
// a check run created completed (annotations 50 a request, the rest by updates), one sticky PR
// comment updated in place on the next run, a commit comment without a PR, --dry-run, the
// `checks: write` message, and nothing secret posted.
import { beforeEach, describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { createGitHubClient } from "../src/github/client.js";
import { ANNOTATIONS_PER_REQUEST, commentBody, planCheckRun, postCheckRun, unreadableNotice, type CheckRunPlan } from "../src/github/annotate.js";
import type { WorkflowJob } from "../src/github/runs.js";
import type { RunTarget } from "../src/github/target.js";
import { analyzeMany, wrapForGitHub } from "./support/analyze.js";
import { githubEnv, sendJson, startGitHubServer, type GitHubServer } from "./support/github-server.js";
import { memoryIO } from "./support/io.js";

const TOKEN = "ghs_annotateTokenValue0123456789abcdef";
const SHA = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c";
const REPO = "/repos/acme/shop";
const SECRET = "Sup3r-Registry-Passw0rd";

const KAMAL_LOG = [
  "Log into image registry...",
  `  INFO [2b3c4d5e] Running docker login registry.example.com -u deploy -p ${SECRET} as deploy@localhost`,
  "  INFO [2b3c4d5e] Finished in 0.812 seconds with exit status 0 (successful).",
  "Start container with version abc (or reboot if already running)...",
  '  INFO [92a3b4c5] Running docker exec kamal-proxy kamal-proxy deploy shop-web --target="5c1d:80" on 192.0.2.10',
  "  ERROR (SSHKit::Command::Failed): Exception while executing on host 192.0.2.10: docker exit status: 1",
  "docker stdout: Nothing written",
  "docker stderr: Error: target failed to become healthy within configured timeout (30s)",
].join("\n");

interface Comment {
  id: number;
  body: string;
  html_url: string;
}

/** A run of one failed deploy job, with PRs as given, and stateful comments and check runs. */
function routes(server: GitHubServer, options: { pullRequests?: number[] } = {}) {
  const prs = options.pullRequests ?? [7];
  const state = { nextId: 500, conclusion: "failure", prComments: new Map<number, Comment[]>(), commitComments: [] as Comment[], checkRuns: [] as Array<{ id: number; body: Record<string, unknown> }> };
  const runBody = {
    id: 42,
    name: "Deploy",
    path: ".github/workflows/deploy.yml",
    run_attempt: 1,
    status: "completed",
    conclusion: "failure",
    html_url: "https://github.com/acme/shop/actions/runs/42",
    head_sha: SHA,
    head_branch: "main",
    pull_requests: prs.map((number) => ({ number })),
  };
  const job = {
    id: 102,
    run_id: 42,
    run_attempt: 1,
    name: "deploy",
    status: "completed",
    conclusion: "failure",
    html_url: "https://github.com/acme/shop/actions/runs/42/job/102",
    steps: [
      { number: 1, name: "Set up job", status: "completed", conclusion: "success" },
      { number: 2, name: "Run kamal deploy", status: "completed", conclusion: "failure" },
    ],
  };
  // `state.conclusion` turns the run (and its job) green for a later call.
  server.route("GET", `${REPO}/actions/runs/42`, (_req, res) => sendJson(res, 200, { ...runBody, conclusion: state.conclusion }));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/(\d+)$/, (_req, res) => sendJson(res, 200, { ...runBody, conclusion: state.conclusion }));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/1\/jobs/, (_req, res) => sendJson(res, 200, { total_count: 1, jobs: [{ ...job, conclusion: state.conclusion }] }));
  server.route("GET", `${REPO}/actions/jobs/102/logs`, (_req, res) => {
    res.writeHead(302, { location: `${server.blobUrl}/signed/job-102.txt?sig=x` });
    res.end();
  });
  server.route("GET", /^\/signed\/job-102\.txt/, (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(wrapForGitHub(KAMAL_LOG));
  });

  const make = (body: string): Comment => ({ id: state.nextId++, body, html_url: `https://github.com/acme/shop/pull/7#issuecomment-${state.nextId}` });
  server.route("GET", /^\/repos\/acme\/shop\/commits\/[0-9a-f]+\/pulls/, (_req, res) => sendJson(res, 200, []));
  server.route("GET", /^\/repos\/acme\/shop\/issues\/(\d+)\/comments/, (_req, res, m) => sendJson(res, 200, state.prComments.get(Number(m?.[1])) ?? []));
  server.route("POST", /^\/repos\/acme\/shop\/issues\/(\d+)\/comments$/, (req, res, m) => {
    const list = state.prComments.get(Number(m?.[1])) ?? [];
    const comment = make(JSON.parse(req.body).body);
    list.push(comment);
    state.prComments.set(Number(m?.[1]), list);
    sendJson(res, 201, comment);
  });
  server.route("PATCH", /^\/repos\/acme\/shop\/issues\/comments\/(\d+)$/, (req, res, m) => {
    for (const list of state.prComments.values()) {
      const comment = list.find((c) => c.id === Number(m?.[1]));
      if (comment) {
        comment.body = JSON.parse(req.body).body;
        return sendJson(res, 200, comment);
      }
    }
    sendJson(res, 404, { message: "Not Found" });
  });
  server.route("GET", /^\/repos\/acme\/shop\/commits\/[0-9a-f]+\/comments/, (_req, res) => sendJson(res, 200, state.commitComments));
  server.route("POST", /^\/repos\/acme\/shop\/commits\/[0-9a-f]+\/comments$/, (req, res) => {
    const comment = make(JSON.parse(req.body).body);
    state.commitComments.push(comment);
    sendJson(res, 201, comment);
  });
  server.route("PATCH", /^\/repos\/acme\/shop\/comments\/(\d+)$/, (req, res, m) => {
    const comment = state.commitComments.find((c) => c.id === Number(m?.[1]));
    if (!comment) return sendJson(res, 404, { message: "Not Found" });
    comment.body = JSON.parse(req.body).body;
    sendJson(res, 200, comment);
  });
  // Check runs as GitHub keeps them: found by commit and name, annotations appended by every request.
  const checks = new Map<number, { name: string; external_id: string; head_sha: string; annotations: unknown[] }>();
  const keep = (id: number, body: Record<string, unknown>) => {
    state.checkRuns.push({ id, body });
    const check = checks.get(id) ?? { name: String(body["name"]), external_id: String(body["external_id"]), head_sha: String(body["head_sha"]), annotations: [] };
    check.annotations.push(...((body["output"] as { annotations?: unknown[] } | undefined)?.annotations ?? []));
    checks.set(id, check);
  };
  server.route("POST", `${REPO}/check-runs`, (req, res) => {
    const id = state.nextId++;
    keep(id, JSON.parse(req.body));
    sendJson(res, 201, { id, html_url: `https://github.com/acme/shop/runs/${id}` });
  });
  server.route("PATCH", /^\/repos\/acme\/shop\/check-runs\/(\d+)$/, (req, res, m) => {
    keep(Number(m?.[1]), JSON.parse(req.body));
    sendJson(res, 200, { id: Number(m?.[1]), html_url: null });
  });
  server.route("GET", /^\/repos\/acme\/shop\/commits\/([0-9a-f]+)\/check-runs/, (req, res, m) => {
    const name = new URL(req.url ?? "", server.url).searchParams.get("check_name");
    const found = [...checks].filter(([, c]) => c.head_sha === m?.[1] && (name === null || c.name === name));
    sendJson(res, 200, { total_count: found.length, check_runs: found.map(([id, c]) => ({ id, name: c.name, external_id: c.external_id, head_sha: c.head_sha, html_url: `https://github.com/acme/shop/runs/${id}` })) });
  });
  server.route("GET", /^\/repos\/acme\/shop\/check-runs\/(\d+)\/annotations/, (_req, res, m) => sendJson(res, 200, checks.get(Number(m?.[1]))?.annotations ?? []));
  return state;
}

let server: GitHubServer;
beforeEach(async () => {
  server = await startGitHubServer();
  return () => server.close();
});

const env = (extra: Record<string, string> = {}) => githubEnv(TOKEN, extra);

async function annotate(args: string[], extra: Record<string, string> = {}) {
  const io = memoryIO({ env: env(extra) });
  const code = await run(["annotate", ...args, "--api-url", server.url], io);
  return { code, out: io.out(), err: io.err() };
}

const writes = () => server.requests.filter((r) => r.method === "POST" || r.method === "PATCH");

describe("annotate --check-run", () => {
  it("creates one completed failure check run on the head commit with summary and annotations", async () => {
    const state = routes(server);
    const { code, out, err } = await annotate(["42", "--check-run"]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(state.checkRuns).toHaveLength(1);
    const body = state.checkRuns[0]?.body as { name: string; head_sha: string; status: string; conclusion: string; details_url: string; output: { title: string; summary: string; annotations: Array<Record<string, unknown>> } };
    expect(body).toMatchObject({ name: "kamal-doctor", head_sha: SHA, status: "completed", conclusion: "failure", details_url: "https://github.com/acme/shop/actions/runs/42" });
    expect(body.output.title).toMatch(/^kamal deploy failed: /);
    expect(body.output.summary).toContain("## ❌ kamal-doctor");
    expect(body.output.summary).toContain("target failed to become healthy");
    expect(body.output.summary.length).toBeLessThanOrEqual(65_535);
    const first = body.output.annotations[0];
    expect(first).toMatchObject({ path: ".github/workflows/deploy.yml", start_line: 1, end_line: 1, annotation_level: "failure" });
    expect(String(first?.["title"])).toMatch(/^kamal-doctor: root cause — /);
    expect(out).toMatch(/^Created check run "kamal-doctor" on 0f1e2d3c4b5a \(conclusion failure, \d+ annotations?\): https:\/\/github.com\/acme\/shop\/runs\/\d+\n$/);
    // Nothing secret leaves: neither the registry password from the log nor the token.
    const posted = writes().map((r) => r.body).join("\n");
    expect(posted).not.toContain(SECRET);
    expect(posted).not.toContain(TOKEN);
    expect(server.requests.every((r) => r.origin === "blob" || r.headers.authorization === `token ${TOKEN}`)).toBe(true);
  });

  it("sends 50 annotations a request: the create, then updates that append the rest", async () => {
    const state = routes(server);
    const client = createGitHubClient({ token: { token: TOKEN, source: "GITHUB_TOKEN" }, baseUrl: server.url, retryUnitMs: 1 });
    const target: RunTarget = { owner: "acme", repo: "shop", runId: 42, attempt: null, jobId: null, legacyJobUrl: false, apiUrl: server.url, webUrl: "https://github.com" };
    const annotations = Array.from({ length: 123 }, (_, i) => ({ path: "config/deploy.yml", start_line: 1, end_line: 1, annotation_level: "warning" as const, title: `t${i}`, message: `m${i}` }));
    const plan: CheckRunPlan = { name: "kamal-doctor", head_sha: SHA, conclusion: "failure", details_url: "https://github.com/acme/shop/actions/runs/42", external_id: "42", title: "T", summary: "S", annotations };
    const result = await postCheckRun(client, target, plan);
    expect(result.requests).toBe(3);
    const calls = server.requests.filter((r) => r.path.includes("check-runs") && r.method !== "GET");
    expect(calls.map((r) => `${r.method} ${r.path}`)).toEqual([`POST ${REPO}/check-runs`, `PATCH ${REPO}/check-runs/${result.id}`, `PATCH ${REPO}/check-runs/${result.id}`]);
    const sizes = state.checkRuns.map((c) => ((c.body["output"] as { annotations: unknown[] }).annotations ?? []).length);
    expect(sizes).toEqual([ANNOTATIONS_PER_REQUEST, ANNOTATIONS_PER_REQUEST, 23]);
    const titles = state.checkRuns.flatMap((c) => (c.body["output"] as { annotations: Array<{ title: string }> }).annotations.map((a) => a.title));
    expect(titles).toEqual(annotations.map((a) => a.title));
    // Every update keeps the required title and summary.
    for (const c of state.checkRuns) expect(c.body["output"]).toMatchObject({ title: "T", summary: "S" });
  });

  it("run again, it updates its check run in place: no second check run, no annotation twice", async () => {
    const state = routes(server);
    const first = await annotate(["42", "--check-run"]);
    expect(first.code).toBe(0);
    const second = await annotate(["42", "--check-run"]);
    expect(second.err).toBe("");
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/^Updated check run "kamal-doctor" on 0f1e2d3c4b5a .*: https:\/\/github.com\/acme\/shop\/runs\/\d+\n$/);
    expect(server.requests.filter((r) => r.method === "POST" && r.path === `${REPO}/check-runs`)).toHaveLength(1);
    const [created, updated] = state.checkRuns;
    expect(updated?.id).toBe(created?.id);
    expect(updated?.body).toMatchObject({ status: "completed", conclusion: "failure", output: { title: (created?.body["output"] as { title: string }).title } });
    // Every annotation was on it already: none is appended again.
    expect((updated?.body["output"] as { annotations?: unknown[] }).annotations).toBeUndefined();
  });

  it("a 403 on the check run does not keep the comment from being posted; exit 3 names the check run", async () => {
    const state = routes(server);
    server.route("GET", /^\/repos\/acme\/shop\/commits\/[0-9a-f]+\/check-runs/, (_req, res) => sendJson(res, 403, { message: "Resource not accessible by integration" }));
    const { code, out, err } = await annotate(["42", "--check-run", "--comment"]);
    expect(state.prComments.get(7)).toHaveLength(1);
    expect(out).toMatch(/^Commented on pull request #7: https:/);
    expect(err).toMatch(/^kamal-doctor: check runs of 0f1e2d3c4b5a in acme\/shop: the token in GITHUB_TOKEN cannot create check runs — it needs the `checks: write` permission\./);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(code).toBe(3);
  });

  it("a token that may not create check runs gets a message naming checks: write (exit 3)", async () => {
    routes(server);
    server.route("POST", `${REPO}/check-runs`, (_req, res) => sendJson(res, 403, { message: "Resource not accessible by integration" }));
    const { code, err } = await annotate(["42", "--check-run"]);
    expect(code).toBe(3);
    expect(err).toMatch(/^kamal-doctor: creating check run kamal-doctor on 0f1e2d3c4b5a of acme\/shop: the token in GITHUB_TOKEN cannot create check runs — it needs the `checks: write` permission\./);
    expect(err.trim().split("\n")).toHaveLength(1);
    expect(err).not.toContain(TOKEN);
  });
});

describe("annotate --comment", () => {
  it("comments once on the run's PR, then updates that comment in place on the next run", async () => {
    const state = routes(server);
    const first = await annotate(["42", "--comment"]);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^Commented on pull request #7: https:/);
    const [comment] = state.prComments.get(7) ?? [];
    expect(comment?.body).toContain("<!-- kamal-doctor:annotate workflow=.github/workflows/deploy.yml -->");
    expect(comment?.body).toContain("[Deploy #42](https://github.com/acme/shop/actions/runs/42)");
    expect(comment?.body).toContain("target failed to become healthy");
    expect(comment?.body).not.toContain(SECRET);

    // Someone else's comment on the PR is left alone.
    state.prComments.get(7)?.unshift({ id: 1, body: "LGTM", html_url: "x" });
    comment!.body = comment!.body.replace("target failed", "stale text: target failed");
    const second = await annotate(["42", "--comment"]);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/^Updated the comment on pull request #7/);
    const list = state.prComments.get(7) ?? [];
    expect(list).toHaveLength(2);
    expect(list[0]?.body).toBe("LGTM");
    expect(list[1]?.id).toBe(comment?.id);
    expect(list[1]?.body).not.toContain("stale text");
    const methods = writes().map((r) => `${r.method} ${r.path}`);
    expect(methods).toEqual([`POST ${REPO}/issues/7/comments`, `PATCH ${REPO}/issues/comments/${comment?.id}`]);
  });

  it("marks the comment resolved once a later run succeeds; a green run with nothing to resolve posts nothing", async () => {
    const state = routes(server);
    await annotate(["42", "--comment"]);
    const comment = state.prComments.get(7)?.[0];
    state.conclusion = "success";

    const dry = await annotate(["42", "--comment", "--dry-run"]);
    expect(dry.out).toBe(`Would mark comment ${comment?.id} on pull request #7 resolved\n`);
    expect(writes()).toHaveLength(1);

    const green = await annotate(["42", "--comment", "--check-run"]);
    expect(green.code).toBe(0);
    expect(green.out).toMatch(/^Marked the comment on pull request #7 resolved: https:/);
    expect(comment?.body).toMatch(/^\*\*kamal-doctor\*\*: ✅ \[Deploy #42\]\(https:\/\/github\.com\/acme\/shop\/actions\/runs\/42\) on `0f1e2d3c4b5a` succeeded\./);
    expect(comment?.body).toContain("<!-- kamal-doctor:resolved -->");
    expect(comment?.body).toContain("<!-- kamal-doctor:annotate workflow=.github/workflows/deploy.yml -->");
    expect(comment?.body).not.toContain("target failed to become healthy");
    expect(state.checkRuns).toEqual([]);

    // Already resolved: the next green run leaves it alone.
    const again = await annotate(["42", "--comment"]);
    expect(again.out).toBe("run 42 (attempt 1) of acme/shop has no failed jobs (conclusion: success): nothing to annotate.\n");
    expect(writes().map((r) => r.method)).toEqual(["POST", "PATCH"]);

    // Red again: the same comment describes the new failure.
    state.conclusion = "failure";
    await annotate(["42", "--comment"]);
    expect(state.prComments.get(7)).toHaveLength(1);
    expect(comment?.body).toContain("target failed to become healthy");
    expect(comment?.body).not.toContain("kamal-doctor:resolved");
  });

  it("a green run on a pull request without a kamal-doctor comment posts nothing", async () => {
    const state = routes(server);
    state.conclusion = "success";
    const { code, out } = await annotate(["42", "--comment"]);
    expect(code).toBe(0);
    expect(out).toMatch(/has no failed jobs \(conclusion: success\): nothing to annotate\.\n$/);
    expect(writes()).toEqual([]);
  });

  it("comments on the commit when the run has no pull request, and finds that comment again", async () => {
    const state = routes(server, { pullRequests: [] });
    expect((await annotate(["42", "--comment"])).out).toMatch(/^Commented on commit 0f1e2d3c4b5a/);
    expect((await annotate(["42", "--comment"])).out).toMatch(/^Updated the comment on commit 0f1e2d3c4b5a/);
    expect(state.commitComments).toHaveLength(1);
    expect(writes().map((r) => r.method)).toEqual(["POST", "PATCH"]);
  });

  it("--dry-run prints what would be posted and posts nothing", async () => {
    routes(server);
    const { code, out } = await annotate(["42", "--comment", "--check-run", "--dry-run"]);
    expect(code).toBe(0);
    expect(writes()).toEqual([]);
    expect(out).toMatch(/^Would create check run "kamal-doctor" on 0f1e2d3c4b5a \(conclusion failure, \d+ annotations? in 1 request\)/);
    expect(out).toContain("Would comment on pull request #7");
    expect(out).toContain("--- comment ---");
    expect(out).toContain("<!-- kamal-doctor:annotate workflow=.github/workflows/deploy.yml -->");
    expect(out).not.toContain(SECRET);
  });

  it("posts the diagnosis of the logs it could read and names on stderr the job it skipped", async () => {
    routes(server);
    const job = (id: number, name: string) => ({ id, run_id: 42, run_attempt: 1, name, status: "completed", conclusion: "failure", html_url: `https://github.com/acme/shop/actions/runs/42/job/${id}`, steps: [] });
    server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/1\/jobs/, (_req, res) => sendJson(res, 200, { total_count: 2, jobs: [job(102, "deploy"), job(105, "deploy-eu")] }));
    server.route("GET", `${REPO}/actions/jobs/105/logs`, (_req, res) => sendJson(res, 410, { message: "Server Error", status: "410" }));
    const { code, out, err } = await annotate(["42", "--comment", "--check-run", "--dry-run"]);
    expect(err).toMatch(/^kamal-doctor: skipped the log of job "deploy-eu" \(105\): the logs have expired.*\n$/);
    expect(out).toContain("target failed to become healthy");
    // Readers of the comment and the check run learn that one job is missing from the diagnosis.
    const notice = /^> ⚠️ Not diagnosed: log of job "deploy-eu" \(105\): the logs have expired/m;
    expect(out.slice(out.indexOf("--- comment ---"))).toMatch(notice);
    expect(out.slice(out.indexOf("--- check run summary ---"), out.indexOf("--- comment ---"))).toMatch(notice);
    expect(code).toBe(0);
  });

  it("a job name in the notice cannot inject HTML or mention anyone", () => {
    const job = { id: 9, name: "<img src=x> @octocat", run_id: 42, status: "completed", conclusion: "failure", html_url: "" } as WorkflowJob;
    const notice = unreadableNotice([{ job, message: `log of job "${job.name}" (9): the logs have expired`, partial: true }]);
    expect(notice).toBe('> ⚠️ Read in part: log of job "&lt;img src=x&gt; @&#8203;octocat" (9): the logs have expired\n\n');
    expect(unreadableNotice([])).toBe("");
  });

  it("asks for something to post, and for a token unless it is a dry run", async () => {
    routes(server);
    expect((await annotate(["42"])).code).toBe(2);
    // The synopsis says so: one of them is required, not both optional.
    const help = memoryIO();
    expect(await run(["annotate", "--help"], help)).toBe(0);
    expect(help.out()).toMatch(/^Usage: kamal-doctor annotate <run> --check-run\|--comment \[options\]\n/);
    const io = memoryIO({ env: { GITHUB_REPOSITORY: "acme/shop" } });
    expect(await run(["annotate", "42", "--comment", "--api-url", server.url], io)).toBe(2);
    expect(io.err()).toBe("kamal-doctor: annotate: set GITHUB_TOKEN (or GH_TOKEN) to post to GitHub, or use --dry-run\n");
  });
});

describe("a run with two failed deploys", () => {
  it("the check run and the PR comment have one section per failed deploy, each with its root cause", async () => {
    const other = KAMAL_LOG.replace("docker exec kamal-proxy kamal-proxy deploy shop-web --target=\"5c1d:80\" on 192.0.2.10", "docker pull registry.example.com/shop:abc on 192.0.2.11")
      .replace("on host 192.0.2.10: docker exit status: 1", "on host 192.0.2.11: docker exit status: 1")
      .replace("docker stderr: Error: target failed to become healthy within configured timeout (30s)", "docker stderr: write /var/lib/docker/x: no space left on device");
    const report = await analyzeMany([
      { name: "deploy", text: wrapForGitHub(KAMAL_LOG) },
      { name: "deploy-eu", text: wrapForGitHub(other) },
    ]);
    const run = { id: 42, head_sha: SHA, html_url: "https://github.com/acme/shop/actions/runs/42", pull_requests: [] };
    const plan = planCheckRun(report, run);
    expect(plan.conclusion).toBe("failure");
    expect(plan.title).toMatch(/\(and 1 more failed deploy\)$/);
    for (const body of [plan.summary, commentBody(report, run)]) {
      expect(body).toContain("2 deploys — 2 failed");
      expect(body.match(/^### ❌ kamal-doctor: `kamal deploy` failed/gm)).toHaveLength(2);
      expect(body.match(/Root cause: /g)).toHaveLength(2);
    }
    expect(plan.annotations.filter((a) => a.title.includes("root cause"))).toHaveLength(2);
  });
});
