// `run` and `annotate` check the log against the config of the commit the run deployed, read
// through the contents API of the test server: the finding points at deploy.yml's line, the
// config path and destination come from the log's own kamal command, missing files are silence,
// other answers one line of note, --no-config reads nothing, check-run annotations land on
// deploy.yml, and no secret value read from the repository reaches any output.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { wrapForGitHub } from "./support/analyze.js";
import { githubEnv, routeContents, sendJson, startGitHubServer, type GitHubServer } from "./support/github-server.js";
import { memoryIO } from "./support/io.js";

const TOKEN = "ghs_configTokenValue0123456789abcdef";
const SHA = "7a6b5c4d3e2f10293847566574839201a1b2c3d4";
const REPO = "/repos/acme/shop";
const SECRET_VALUE = "fake-master-key-0c9b8a7f6e5d";
const appPort = path.resolve(import.meta.dirname, "../fixtures/config/app-port");

/** The fixture tree as the repository's files at SHA (the log itself is not in the repository). */
function tree(dir: string, prefix = ""): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const rel = prefix ? `${prefix}/${name}` : name;
    if (statSync(full).isDirectory()) Object.assign(files, tree(full, rel));
    else if (rel !== "deploy.log") files[rel] = readFileSync(full, "utf8");
  }
  return files;
}
const FILES: Record<string, string> = { ...tree(appPort), ".kamal/secrets": `KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD\nRAILS_MASTER_KEY=${SECRET_VALUE}\n` };
const LOG = readFileSync(path.join(appPort, "deploy.log"), "utf8").replace(/^\$ .*\n/, "");

function routes(server: GitHubServer, log: string, command = "bundle exec kamal deploy"): { checkRuns: Array<Record<string, unknown>> } {
  const state = { checkRuns: [] as Array<Record<string, unknown>> };
  const runBody = { id: 42, name: "Deploy", path: ".github/workflows/deploy.yml", run_attempt: 1, status: "completed", conclusion: "failure", html_url: "https://github.com/acme/shop/actions/runs/42", head_sha: SHA, head_branch: "main", pull_requests: [] };
  const job = { id: 102, run_id: 42, run_attempt: 1, name: "deploy", status: "completed", conclusion: "failure", html_url: "https://github.com/acme/shop/actions/runs/42/job/102", steps: [] };
  server.route("GET", `${REPO}/actions/runs/42`, (_req, res) => sendJson(res, 200, runBody));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/1$/, (_req, res) => sendJson(res, 200, runBody));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/1\/jobs/, (_req, res) => sendJson(res, 200, { total_count: 1, jobs: [job] }));
  server.route("GET", `${REPO}/actions/jobs/102/logs`, (_req, res) => {
    res.writeHead(302, { location: `${server.blobUrl}/signed/job-102.txt?sig=x` });
    res.end();
  });
  server.route("GET", /^\/signed\/job-102\.txt/, (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(wrapForGitHub(log, { command }));
  });
  server.route("GET", /^\/repos\/acme\/shop\/commits\/[0-9a-f]+\/check-runs/, (_req, res) => sendJson(res, 200, { total_count: 0, check_runs: [] }));
  server.route("POST", `${REPO}/check-runs`, (req, res) => {
    state.checkRuns.push(JSON.parse(req.body) as Record<string, unknown>);
    sendJson(res, 201, { id: 9, html_url: "https://github.com/acme/shop/runs/9" });
  });
  return state;
}

let server: GitHubServer;
beforeEach(async () => {
  server = await startGitHubServer();
  return () => server.close();
});

async function kd(command: "run" | "annotate", args: string[]) {
  const io = memoryIO({ env: githubEnv(TOKEN) });
  const code = await run([command, "42", ...args, "--api-url", server.url], io);
  return { code, out: io.out(), err: io.err() };
}

const contentsAsked = () =>
  server.requests.filter((r) => r.path.includes("/contents/")).map((r) => {
    const url = new URL(r.path, "http://x");
    return `${decodeURIComponent(url.pathname.replace(`${REPO}/contents/`, ""))}@${url.searchParams.get("ref") ?? ""}`;
  });

interface JsonReport {
  findings: Array<{ ruleId: string; configRef?: { file: string; line: number; key: string }; remediation: string[] }>;
  config?: { file: string; destination: string | null; files: string[]; secretsFiles: string[]; pinnedKamal: string | null; exposedPorts: number[] };
}

describe("run: the config of the run's commit", () => {
  it("points the health-check failure at deploy.yml's line, read at head_sha", async () => {
    routes(server, LOG);
    routeContents(server, "acme/shop", SHA, FILES);
    const { code, out, err } = await kd("run", ["--format", "json"]);
    expect(err).toBe("");
    expect(code).toBe(1);
    const report = JSON.parse(out) as JsonReport;
    expect(report.findings[0]?.configRef).toMatchObject({ file: "config/deploy.yml", line: 8, key: "proxy.app_port" });
    expect(report.findings[0]?.remediation[0]).toBe("Add `proxy.app_port: 3000` (config/deploy.yml:8).");
    expect(report.config).toMatchObject({ file: "config/deploy.yml", destination: null, secretsFiles: [".kamal/secrets"], pinnedKamal: "2.5.3", exposedPorts: [3000] });
    const asked = contentsAsked();
    expect(asked.every((a) => a.endsWith(`@${SHA}`))).toBe(true);
    expect(new Set(asked.map((a) => a.split("@")[0]))).toEqual(new Set(["config/deploy.yml", ".kamal/secrets-common", ".kamal/secrets", "Gemfile.lock", "Dockerfile"]));
    // Each file once, however often the reader is asked.
    expect(asked.length).toBe(new Set(asked).size);
  });

  it("reads the -c file and -d destination that the log's own kamal command names", async () => {
    routes(server, LOG, "bundle exec kamal deploy -c config/vm.yml -d staging");
    const files: Record<string, string> = { ...FILES, "config/vm.yml": FILES["config/deploy.yml"] ?? "", "config/vm.staging.yml": "proxy:\n  app_port: 8080\n", ".kamal/secrets.staging": "KAMAL_REGISTRY_PASSWORD=x\nRAILS_MASTER_KEY=y\n" };
    delete files["config/deploy.yml"];
    routeContents(server, "acme/shop", SHA, files);
    const { code, out, err } = await kd("run", ["--format", "json"]);
    expect(err).toBe("");
    expect(code).toBe(1);
    const report = JSON.parse(out) as JsonReport;
    expect(report.config).toMatchObject({ file: "config/vm.yml", destination: "staging", files: ["config/vm.yml", "config/vm.staging.yml"], secretsFiles: [".kamal/secrets.staging"] });
    expect(report.findings[0]?.configRef).toMatchObject({ file: "config/vm.staging.yml", line: 2 });
    expect(contentsAsked().map((a) => a.split("@")[0])).toContain("config/vm.staging.yml");
  });

  it("takes -c and -d as paths in the repository", async () => {
    routes(server, LOG);
    routeContents(server, "acme/shop", SHA, { ...FILES, "deploy/app.yml": FILES["config/deploy.yml"] ?? "" });
    const { code, out } = await kd("run", ["--format", "json", "-c", "./deploy/app.yml"]);
    expect(code).toBe(1);
    expect((JSON.parse(out) as JsonReport).findings[0]?.configRef).toMatchObject({ file: "deploy/app.yml", line: 8 });
  });

  it("is silent when the commit has no config (404), and diagnoses the log as before", async () => {
    routes(server, LOG);
    const { code, out, err } = await kd("run", ["--format", "json"]);
    expect(err).toBe("");
    expect(code).toBe(1);
    const report = JSON.parse(out) as JsonReport;
    expect(report.config).toBeUndefined();
    expect(report.findings[0]?.ruleId).toBe("proxy-target-unhealthy");
    expect(report.findings[0]?.configRef).toBeUndefined();
    // One look for the base config, nothing more.
    expect(contentsAsked()).toEqual([`config/deploy.yml@${SHA}`]);
  });

  it("says another answer in one line and diagnoses without the config", async () => {
    routes(server, LOG);
    routeContents(server, "acme/shop", SHA, FILES, { status: 403 });
    const { code, out, err } = await kd("run", ["--format", "json"]);
    expect(code).toBe(1);
    expect(err).toBe("kamal-doctor: config/deploy.yml: forbidden (403) with the token in GITHUB_TOKEN: it needs the `contents: read` permission (classic tokens: `repo` scope for private repositories) — GitHub says: Resource not accessible by integration (in acme/shop@7a6b5c4d3e2f); diagnosed without the config\n");
    expect((JSON.parse(out) as JsonReport).config).toBeUndefined();
  });

  it("names a -c file that the commit does not have", async () => {
    routes(server, LOG);
    routeContents(server, "acme/shop", SHA, FILES);
    const { code, err } = await kd("run", ["--format", "json", "--config", "config/other.yml"]);
    expect(code).toBe(1);
    expect(err).toBe("kamal-doctor: config/other.yml: config file not found (in acme/shop@7a6b5c4d3e2f); diagnosed without the config\n");
  });

  it("reads nothing with --no-config", async () => {
    routes(server, LOG);
    routeContents(server, "acme/shop", SHA, FILES);
    const { code, out } = await kd("run", ["--format", "json", "--no-config"]);
    expect(code).toBe(1);
    expect(contentsAsked()).toEqual([]);
    expect((JSON.parse(out) as JsonReport).config).toBeUndefined();
  });

  it("annotates deploy.yml's line with --format github", async () => {
    routes(server, LOG);
    routeContents(server, "acme/shop", SHA, FILES);
    const { out } = await kd("run", ["--format", "github"]);
    expect(out).toMatch(/^::error title=kamal-doctor%3A root cause — [^,]*,file=config\/deploy\.yml,line=8::/m);
  });
});

describe("annotate: the check run's annotations land on deploy.yml", () => {
  it("puts the finding the config explains on its line, and nothing secret in what is posted", async () => {
    const state = routes(server, LOG);
    routeContents(server, "acme/shop", SHA, FILES);
    const { code, out, err } = await kd("annotate", ["--check-run", "--no-summary"]);
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toMatch(/^Created check run "kamal-doctor"/);
    const output = state.checkRuns[0]?.["output"] as { summary: string; annotations: Array<{ path: string; start_line: number; end_line: number; title: string; message: string }> };
    const root = output.annotations[0];
    expect(root).toMatchObject({ path: "config/deploy.yml", start_line: 8, end_line: 8 });
    expect(root?.message).toContain("proxy.app_port: 3000");
    expect(output.summary).toContain("config/deploy.yml:8");
    const posted = server.requests.filter((r) => r.method === "POST" || r.method === "PATCH").map((r) => r.body).join("\n");
    expect(posted).not.toContain(SECRET_VALUE);
    expect(posted).not.toContain(TOKEN);
  });
});
