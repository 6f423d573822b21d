// `kamal-doctor mcp` as an agent sees it: the SDK's own client spawns the built CLI and talks to
// it over stdio. Each tool is called; a diagnosis carries the report as structured content and a
// short summary; secrets are redacted by default; diagnose_run reads a run from the local GitHub
// test server with the token from the server's environment; nothing is written.
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendJson, startGitHubServer, type GitHubServer } from "./support/github-server.js";

const root = path.resolve(import.meta.dirname, "..");
const fixture = path.join(root, "fixtures/kamal2/pull-disk-full.log");
const TOKEN = "ghp_mcpTestToken00000000000000000000";
let client: Client;
let server: GitHubServer;
let cwd: string;

type Result = { content: Array<{ type: string; text?: string }>; structuredContent?: Record<string, unknown>; isError?: boolean };
const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as Result;
const text = (result: Result) => result.content.map((part) => part.text ?? "").join("\n");

beforeAll(async () => {
  server = await startGitHubServer();
  const run = { id: 555, name: "Deploy", run_attempt: 1, status: "completed", conclusion: "failure", html_url: "https://github.com/acme/shop/actions/runs/555" };
  const job = { id: 9, run_id: 555, run_attempt: 1, name: "deploy", status: "completed", conclusion: "failure", html_url: "https://github.com/acme/shop/actions/runs/555/job/9", steps: [] };
  server.route("GET", "/repos/acme/shop/actions/runs/555", (_req, res) => sendJson(res, 200, run));
  server.route("GET", "/repos/acme/shop/actions/runs/555/attempts/1", (_req, res) => sendJson(res, 200, run));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/555\/attempts\/1\/jobs/, (_req, res) => sendJson(res, 200, { total_count: 1, jobs: [job] }));
  server.route("GET", "/repos/acme/shop/actions/jobs/9/logs", (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(readFileSync(fixture));
  });
  cwd = mkdtempSync(path.join(tmpdir(), "kamal-doctor-mcp-"));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [path.join(root, "bin/kamal-doctor.js"), "mcp"],
    cwd,
    env: { PATH: process.env["PATH"] ?? "", GITHUB_TOKEN: TOKEN, GITHUB_API_URL: server.url, KAMAL_DOCTOR_RETRY_UNIT_MS: "1" },
    stderr: "pipe",
  });
  client = new Client({ name: "kamal-doctor-test", version: "1.0.0" });
  await client.connect(transport);
});

afterAll(async () => {
  await client?.close();
  await server?.close();
});

describe("kamal-doctor mcp", () => {
  it("offers the four tools, all read-only", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(["diagnose_log", "diagnose_run", "explain_rule", "list_rules"]);
    for (const tool of tools) expect(tool.annotations?.readOnlyHint).toBe(true);
  });

  it("diagnose_log: a path gives the report as structured content and a summary with root cause, key line and fix", async () => {
    const result = await call("diagnose_log", { path: fixture });
    expect(result.isError).toBeFalsy();
    const report = result.structuredContent as { schemaVersion: number; outcome: string; findings: Array<{ ruleId: string; rootCause: boolean }> };
    expect(report.schemaVersion).toBe(1);
    expect(report.outcome).toBe("failed");
    expect(report.findings.find((finding) => finding.rootCause)?.ruleId).toBe("no-space-left");
    expect(text(result)).toMatch(/^Outcome: failed in pull\nRoot cause: Out of disk space .*\(disk-full, rule no-space-left\)\nKey line: .*pull-disk-full\.log:13: .*no space left on device\nFix: See what uses the space/m);
  });

  it("diagnose_log: text is redacted by default, kept with redact: false", async () => {
    const log = "  INFO [1a2b3c4d] Running docker login registry.example.com -u deploy -p s3cr3tRegistryPass on 192.0.2.10\nERROR (SSHKit::Command::Failed): docker exit status: 1\ndocker stderr: Error response from daemon: unauthorized: incorrect username or password\n";
    const redacted = await call("diagnose_log", { text: log });
    expect(JSON.stringify(redacted)).not.toContain("s3cr3tRegistryPass");
    expect(JSON.stringify(redacted.structuredContent)).toContain("[redacted]");
    const kept = await call("diagnose_log", { text: log, redact: false });
    expect(JSON.stringify(kept.structuredContent)).toContain("s3cr3tRegistryPass");
  });

  it("diagnose_log: an unreadable path or no input is a tool error, and the server stays up", async () => {
    const missing = await call("diagnose_log", { path: path.join(cwd, "nope.log") });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/nope\.log: no such file/);
    const neither = await call("diagnose_log", {});
    expect(neither.isError).toBe(true);
    expect((await call("list_rules", {})).isError).toBeFalsy();
  });

  it("diagnose_run: reads the run with the token from the environment and links the log", async () => {
    const result = await call("diagnose_run", { run: "555", repo: "acme/shop" });
    expect(result.isError).toBeFalsy();
    const report = result.structuredContent as { sources: Array<{ job: { id: number } | null }>; findings: Array<{ ruleId: string; url: string | null }> };
    expect(report.sources[0]?.job?.id).toBe(9);
    expect(report.findings[0]?.ruleId).toBe("no-space-left");
    expect(text(result)).toMatch(/^Log: https:\/\/github\.com\/acme\/shop\/actions\/runs\/555\/job\/9\S*$/m);
    const sent = server.requests.filter((request) => request.origin === "api").map((request) => request.headers["authorization"]);
    expect(sent.length).toBeGreaterThan(0);
    for (const header of sent) expect(header).toBe(`token ${TOKEN}`);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it("diagnose_run: a run GitHub does not know is a tool error naming it", async () => {
    const result = await call("diagnose_run", { run: "777", repo: "acme/shop" });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/run 777 of acme\/shop: not found \(404\)/);
  });

  it("explain_rule and list_rules describe the catalogue", async () => {
    const rule = await call("explain_rule", { id: "no-space-left" });
    expect(rule.structuredContent).toMatchObject({ id: "no-space-left", category: "disk-full" });
    expect(text(rule)).toMatch(/^no-space-left: .*\nFix: /ms);
    expect((await call("explain_rule", { id: "no-such-rule" })).isError).toBe(true);
    const list = (await call("list_rules", { category: "disk-full" })).structuredContent as { rules: Array<{ id: string; category: string }> };
    expect(list.rules.map((r) => r.id)).toContain("no-space-left");
    expect(list.rules.every((r) => r.category === "disk-full")).toBe(true);
  });

  it("writes nothing: the working directory stays empty", () => {
    expect(readdirSync(cwd)).toEqual([]);
  });
});
