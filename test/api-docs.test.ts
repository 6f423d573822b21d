// docs/api.md's examples are run as written: each ```js block is a module importing
// "kamal-doctor" — the built package, linked into a scratch node_modules — run with the
// repository as working directory; every `// → TEXT` line it has must appear in its output.
// The diagnoseRun example reads a run from the local GitHub test server (GITHUB_API_URL).
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubEnv, sendJson, startGitHubServer, type GitHubServer } from "./support/github-server.js";

const root = path.resolve(import.meta.dirname, "..");
const doc = readFileSync(path.join(root, "docs/api.md"), "utf8");
const examples = [...doc.matchAll(/```js\n([\s\S]*?)```/g)].map((match, i) => ({ n: i + 1, code: match[1] as string }));

let dir: string;
let server: GitHubServer;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-api-"));
  mkdirSync(path.join(dir, "node_modules"));
  symlinkSync(root, path.join(dir, "node_modules/kamal-doctor"), "dir");
  server = await startGitHubServer();
  const log = readFileSync(path.join(root, "fixtures/kamal2/pull-disk-full.log"), "utf8");
  const run = { id: 123456789, name: "Deploy", run_attempt: 1, status: "completed", conclusion: "failure", html_url: "https://github.com/acme/shop/actions/runs/123456789" };
  const job = {
    id: 7,
    run_id: 123456789,
    run_attempt: 1,
    name: "deploy",
    status: "completed",
    conclusion: "failure",
    html_url: "https://github.com/acme/shop/actions/runs/123456789/job/7",
    steps: [{ number: 1, name: "Deploy", status: "completed", conclusion: "failure" }],
  };
  server.route("GET", "/repos/acme/shop/actions/runs/123456789", (_req, res) => sendJson(res, 200, run));
  server.route("GET", "/repos/acme/shop/actions/runs/123456789/attempts/1", (_req, res) => sendJson(res, 200, run));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/123456789\/attempts\/1\/jobs/, (_req, res) => sendJson(res, 200, { total_count: 1, jobs: [job] }));
  server.route("GET", "/repos/acme/shop/actions/jobs/7/logs", (_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end(log);
  });
});

afterAll(() => server?.close());

function runExample(file: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const env = { PATH: process.env["PATH"] ?? "", ...githubEnv("ghp_apiDocsExampleToken0000", { GITHUB_API_URL: server.url, GITHUB_REPOSITORY: "" }) };
    const child = spawn(process.execPath, [file], { cwd: root, env });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("close", (code) => resolve({ code, out, err }));
  });
}

describe("docs/api.md", () => {
  it("has examples of diagnose, diagnoseRun, formatReport and the errors", () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const name of ["diagnose(", "diagnoseRun(", "formatReport(", "InputError"]) expect(examples.some((e) => e.code.includes(name))).toBe(true);
  });

  it("ships declarations a TypeScript consumer type-checks against", () => {
    const consumer = path.join(dir, "consumer.ts");
    writeFileSync(
      consumer,
      [
        'import { diagnose, diagnoseRun, GitHubError, type JsonReport, type Category } from "kamal-doctor";',
        'const report: JsonReport = await diagnose({ path: "deploy.log" }, { rules: ["my-rules"], redact: true });',
        "const category: Category | undefined = report.findings[0]?.category;",
        "const outcome: \"failed\" | \"succeeded\" | \"unknown\" = (await diagnoseRun(1, { token: null })).outcome;",
        "const kind: string = new GitHubError(\"x\", \"auth\").kind;",
        "// @ts-expect-error: evidenceLines is not part of the JSON contract",
        "report.findings[0]?.evidenceLines;",
        "export { category, outcome, kind };",
      ].join("\n"),
    );
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const tsc = spawnSync(
      process.execPath,
      [path.join(root, "node_modules/typescript/bin/tsc"), "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "--skipLibCheck", "--types", "node", "--typeRoots", path.join(root, "node_modules/@types"), consumer],
      { cwd: dir, encoding: "utf8" },
    );
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  });

  it.each(examples)("example $n runs against the built package and prints what it says", async ({ n, code }) => {
    const file = path.join(dir, `example-${n}.mjs`);
    writeFileSync(file, code);
    const { code: exit, out, err } = await runExample(file);
    expect(err).toBe("");
    expect(exit).toBe(0);
    const promised = [...code.matchAll(/^\s*\/\/ → (.*)$/gm)].map((match) => match[1] as string);
    expect(promised.length).toBeGreaterThan(0);
    for (const text of promised) expect(out).toContain(text);
  });
});
