// The GitHub Action as the runner runs it: action.yml's `main` (the committed bundle) started with
// `node` from a copy of the action with no node_modules, inputs as INPUT_<NAME> variables (the
// defaults action.yml declares, as the runner fills them in), GITHUB_OUTPUT, GITHUB_STEP_SUMMARY
// and GITHUB_ACTIONS=true; run-id mode against the local GitHub server, downloading the log once.
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { outputFileText } from "../src/action/run.js";
import { runnerCommands } from "./support/actions-runner.js";
import { githubEnv, sendJson, startGitHubServer, type GitHubServer } from "./support/github-server.js";

const root = path.resolve(import.meta.dirname, "..");
const sample = "fixtures/sample/kamal2-healthcheck-failed.log";

interface Action {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}
const action = parse(readFileSync(path.join(root, "action.yml"), "utf8")) as Action;
let actionDir: string;

beforeAll(() => {
  actionDir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-action-"));
  cpSync(path.join(root, "action.yml"), path.join(actionDir, "action.yml"));
  cpSync(path.join(root, "action"), path.join(actionDir, "action"), { recursive: true });
});

/** The step outputs the runner reads back from GITHUB_OUTPUT (the toolkit's `name<<delimiter` form). */
function readOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<=]+)<<(.+)$/.exec(lines[i] as string);
    if (!m) continue;
    const end = lines.indexOf(m[2] as string, i + 1);
    outputs[m[1] as string] = lines.slice(i + 1, end).join("\n");
    i = end;
  }
  return outputs;
}

function runAction(inputs: Record<string, string>, env: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-step-"));
  const files = { GITHUB_OUTPUT: path.join(dir, "output"), GITHUB_STEP_SUMMARY: path.join(dir, "summary.md"), RUNNER_TEMP: dir };
  const given = { ...Object.fromEntries(Object.entries(action.inputs).map(([name, spec]) => [name, spec.default ?? ""])), token: "", ...inputs };
  const inputEnv = Object.fromEntries(Object.entries(given).map(([name, value]) => [`INPUT_${name.replace(/ /g, "_").toUpperCase()}`, value]));
  return new Promise<{ code: number | null; stdout: string; stderr: string; outputs: Record<string, string>; summary: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(actionDir, action.runs.main)], {
      cwd: root,
      env: { PATH: process.env["PATH"] ?? "", GITHUB_ACTIONS: "true", ...files, ...inputEnv, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const read = (file: string) => {
      try {
        return readFileSync(file, "utf8");
      } catch {
        return "";
      }
    };
    child.on("close", (code) => resolve({ code, stdout, stderr, outputs: readOutputs(read(files.GITHUB_OUTPUT)), summary: read(files.GITHUB_STEP_SUMMARY) }));
  });
}

describe("action.yml", () => {
  it("is a JavaScript action whose bundled main runs with no node_modules", () => {
    expect(action.runs.using).toBe("node24");
    expect(action.runs.main).toBe("action/dist/index.mjs");
    expect(() => createRequire(path.join(actionDir, action.runs.main)).resolve("commander")).toThrow();
    expect(Object.keys(action.outputs)).toEqual(["outcome", "root-cause", "category", "title", "fix", "log-url", "lock-state"]);
    expect(Object.keys(action.inputs)).toEqual(["command", "collect", "log-file", "run-id", "outputs", "token", "rules", "redact", "fail-on-failure"]);
  });
});

describe("the bundled action", () => {
  it("log-file: annotations on stdout, the job summary, and every step output", async () => {
    const r = await runAction({ "log-file": sample, outputs: "annotations, summary" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const commands = runnerCommands(r.stdout);
    expect(commands[0]?.name).toBe("error");
    expect(commands[0]?.properties["title"]).toMatch(/^kamal-doctor: root cause — /);
    expect(r.summary).toContain("## ❌ kamal-doctor: `kamal deploy` failed in health-check");
    expect(r.outputs["outcome"]).toBe("failed");
    expect(r.outputs["root-cause"]).toMatch(/^[a-z0-9-]+$/);
    expect(r.outputs["category"]).toMatch(/^[a-z-]+$/);
    expect(r.outputs["title"]).not.toBe("");
    expect(r.outputs["fix"]).not.toBe("");
    expect(r.outputs["log-url"]).toBe("");
    expect(r.outputs["lock-state"]).toBe("");
  });

  it("log-file of a deploy that found the lock held: lock-state, and the lock's advice as the fix", async () => {
    const r = await runAction({ "log-file": "fixtures/kamal1/deploy-lock-held.log", outputs: "summary" });
    expect(r.code).toBe(0);
    expect(r.outputs["root-cause"]).toBe("deploy-lock-held");
    // From the log alone whether its holder still runs is not known (with run-id: held or stale).
    expect(r.outputs["lock-state"]).toBe("unknown");
    // Taken by hand ("Manual deploy in progress"): ask its holder first, not the rule's generic step.
    expect(r.outputs["fix"]).toMatch(/^The lock was taken on purpose .*ask Sam Ortiz before releasing it/);
  });

  it("log-file without annotations or summary prints the guarded report; fail-on-failure fails the step", async () => {
    const r = await runAction({ "log-file": sample, outputs: "", "fail-on-failure": "true" });
    expect(r.code).toBe(1);
    expect(r.summary).toBe("");
    expect(runnerCommands(r.stdout).map((c) => c.name)).toEqual(["stop-commands"]);
    expect(r.stdout).toContain("ROOT CAUSE");
  });

  it("command: runs it under exec and keeps its exit code", async () => {
    const r = await runAction({ command: `${process.execPath} -e process.exit(7)` });
    expect(r.code).toBe(7);
    expect(r.summary).toContain("kamal-doctor");
  });

  it("collect: true runs the read-only Kamal follow-ups of a failed deploy", async () => {
    const { fakeKamalDir } = await import("./support/fake-kamal.js");
    const bin = fakeKamalDir();
    const PATH = `${bin}${path.delimiter}${process.env["PATH"] ?? ""}`;
    const r = await runAction({ command: "kamal deploy -d staging", collect: "true" }, { PATH });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("kamal-doctor: collect: kamal app logs --container-id 4f9c2d1e8a7b --lines 200 -d staging\n");
    expect(r.summary).toContain("kamal app logs");
    const plain = await runAction({ command: "kamal deploy -d staging" }, { PATH });
    expect(plain.stderr).not.toContain("collect:");
  });

  it("wants exactly one of command, log-file and run-id", async () => {
    const none = await runAction({});
    expect(none.code).toBe(2);
    expect(runnerCommands(none.stdout)[0]?.data).toBe("give exactly one of the inputs command, log-file or run-id");
    expect((await runAction({ "log-file": sample, "run-id": "42" })).code).toBe(2);
  });
});

describe("the bundled action with run-id", () => {
  let server: GitHubServer;
  const jobUrl = "https://github.com/acme/shop/actions/runs/42/job/7";
  beforeAll(async () => {
    server = await startGitHubServer();
    const log = readFileSync(path.join(root, "fixtures/kamal2/pull-disk-full.log"), "utf8");
    const runBody = { id: 42, name: "Deploy", run_attempt: 1, status: "completed", conclusion: "failure", html_url: "https://github.com/acme/shop/actions/runs/42", head_sha: "abc123", head_branch: "main" };
    const job = { id: 7, run_id: 42, run_attempt: 1, name: "deploy", status: "completed", conclusion: "failure", html_url: jobUrl, steps: [{ number: 1, name: "Deploy", status: "completed", conclusion: "failure" }] };
    server.route("GET", "/repos/acme/shop/actions/runs/42", (_req, res) => sendJson(res, 200, runBody));
    server.route("GET", "/repos/acme/shop/actions/runs/42/attempts/1", (_req, res) => sendJson(res, 200, runBody));
    server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/1\/jobs/, (_req, res) => sendJson(res, 200, { total_count: 1, jobs: [job] }));
    server.route("GET", "/repos/acme/shop/actions/jobs/7/logs", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(log);
    });
    server.route("GET", /^\/repos\/acme\/shop\/commits\/abc123\/check-runs/, (_req, res) => sendJson(res, 200, { total_count: 0, check_runs: [] }));
    server.route("POST", "/repos/acme/shop/check-runs", (_req, res) => sendJson(res, 201, { id: 900, html_url: "https://github.com/acme/shop/runs/900" }));
    server.route("PATCH", /^\/repos\/acme\/shop\/check-runs\/900$/, (_req, res) => sendJson(res, 200, { id: 900, html_url: "https://github.com/acme/shop/runs/900" }));
  });
  afterAll(() => server?.close());

  it("downloads the run's logs once for the outputs, the annotations, the summary and the check run", async () => {
    const env = githubEnv("", { GITHUB_API_URL: server.url });
    const r = await runAction({ "run-id": "42", outputs: "annotations,summary,check-run", token: "ghs_actionTestToken0000000000" }, env);
    expect(r.stderr).not.toContain("ghs_actionTestToken");
    expect(r.code).toBe(0);
    expect(server.requests.filter((request) => request.path === "/repos/acme/shop/actions/jobs/7/logs")).toHaveLength(1);
    expect(server.requests.filter((request) => request.method === "POST" && request.path === "/repos/acme/shop/check-runs")).toHaveLength(1);
    expect(server.requests.every((request) => request.headers.authorization === "token ghs_actionTestToken0000000000")).toBe(true);
    expect(runnerCommands(r.stdout).filter((c) => c.name === "error")[0]?.properties["title"]).toMatch(/^kamal-doctor: root cause — /);
    expect(r.summary).toContain("kamal-doctor");
    expect(r.outputs["category"]).toBe("disk-full");
    expect(r.outputs["fix"]).toMatch(/^See what uses the space on the server/);
    expect(r.outputs["log-url"]).toMatch(new RegExp(`^${jobUrl}#step:1:\\d+$`));
  });
});

describe("outputFileText", () => {
  it("writes each output as the toolkit does, and refuses a value holding the delimiter", () => {
    expect(outputFileText({ title: "a\nb", fix: "" }, "ghadelimiter_x")).toBe("title<<ghadelimiter_x\na\nb\nghadelimiter_x\nfix<<ghadelimiter_x\n\nghadelimiter_x\n");
    expect(() => outputFileText({ title: "ghadelimiter_x" }, "ghadelimiter_x")).toThrow();
  });
});
