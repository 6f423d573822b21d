// Memory across runs, collected: thirty runs of a deploy workflow on the GitHub test server —
// markers read from check runs (and a PR comment) before any log, logs downloaded only for failed
// runs without a marker, the re-run that passed, the cancelled run, expired logs — and
// `kamal-doctor history` over them in every format, with the cache saving the second look.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { createGitHubClient } from "../src/github/client.js";
import { MemoryCache } from "../src/memory/cache.js";
import { collectHistory, type HistoryProgress } from "../src/memory/collect.js";
import type { HistoryReport } from "../src/memory/history.js";
import type { RunRecord } from "../src/memory/types.js";
import { builtinLiterals, builtinRules } from "../src/rules/builtin.js";
import { compileRules } from "../src/rules/compile.js";
import { githubEnv, startGitHubServer, type GitHubServer } from "./support/github-server.js";
import { deployScenario, serveScenario, WORKFLOW } from "./support/history-scenario.js";
import { memoryIO } from "./support/io.js";

const TOKEN = "ghp_historyTestToken0000000";
let server: GitHubServer;
beforeEach(async () => {
  server = await startGitHubServer();
  serveScenario(server, deployScenario());
  return () => server.close();
});

const rules = async () => compileRules(await builtinRules(), builtinLiterals());
const freshCache = () => mkdtempSync(path.join(tmpdir(), "kd-history-cache-"));
const paths = (pattern: RegExp) => server.requests.map((r) => r.path.split("?")[0] ?? "").filter((p) => pattern.test(p));

async function collect(extra: { destination?: string; cache?: MemoryCache; limit?: number } = {}) {
  const client = createGitHubClient({ token: { token: TOKEN, source: "GITHUB_TOKEN" }, baseUrl: server.url, retryUnitMs: 1 });
  const events: HistoryProgress[] = [];
  const records = await collectHistory(client, {
    owner: "acme",
    repo: "shop",
    workflow: WORKFLOW.id,
    limit: extra.limit ?? 30,
    destination: extra.destination ?? null,
    analysis: { rules: await rules(), toolVersion: "0.0.0-test" },
    cache: extra.cache ?? null,
    onProgress: (event) => events.push(event),
  });
  return { records, events };
}

const byNumber = (records: RunRecord[], number: number, attempt?: number) => records.filter((r) => r.number === number && (attempt === undefined || r.attempt === attempt));

describe("collectHistory", () => {
  it("reads markers from check runs first and downloads logs only for failed runs without one", async () => {
    const { records, events } = await collect();
    // Thirty runs and the earlier attempt of the re-run one, newest first.
    expect(records).toHaveLength(31);
    expect(records[0]?.number).toBe(130);
    expect(records.map((r) => r.createdAt)).toEqual([...records.map((r) => r.createdAt)].sort().reverse());

    // One listing; check runs only for commits of runs that did not succeed (and the re-run's);
    // the PR's comments once, for the run whose marker is only there.
    expect(paths(/\/actions\/workflows\/77\/runs$/)).toHaveLength(1);
    const checked = paths(/\/check-runs$/).map((p) => p.split("/")[5]);
    const numbersOf = (shas: Array<string | undefined>) => shas.map((s) => records.find((r) => r.sha === s)?.number).sort();
    expect(numbersOf(checked)).toEqual([105, 106, 107, 109, 113, 114, 115, 117, 122, 126, 127, 128]);
    expect(paths(/\/issues\/7\/comments$/)).toHaveLength(1);
    // Logs: exactly the failed runs without a marker (the expired one asked once, answered 410).
    const logRuns = paths(/\/actions\/jobs\/\d+\/logs$/).map((p) => Math.floor(Number(p.split("/")[6]) / 10) - 9000).sort();
    expect(logRuns).toEqual([105, 107, 117, 126, 127, 128]);
    expect(server.requests.filter((r) => r.origin === "blob")).toHaveLength(5);
    // The signed log host never sees the token.
    expect(server.requests.filter((r) => r.origin === "blob").every((r) => r.headers.authorization === undefined)).toBe(true);

    const diskFull = byNumber(records, 105)[0];
    expect(diskFull).toMatchObject({ from: "log", destination: "production", conclusion: "failure", rootCause: { ruleId: "no-space-left", category: "disk-full" } });
    expect(diskFull?.fingerprints[0]).toMatch(/^no-space-left:[0-9a-f]{12}$/);
    // The same failure has the same fingerprint; the destination is remembered beside it.
    expect(byNumber(records, 126)[0]?.fingerprints[0]).toBe(diskFull?.fingerprints[0]);
    expect(byNumber(records, 127)[0]).toMatchObject({ destination: "staging" });
    expect(byNumber(records, 127)[0]?.fingerprints[0]).toBe(diskFull?.fingerprints[0]);

    expect(byNumber(records, 106)[0]).toMatchObject({ from: "marker", rootCause: { ruleId: "healthcheck-bad-status" }, fingerprints: ["healthcheck-bad-status:1b1b1b1b1b1b"] });
    expect(byNumber(records, 122)[0]).toMatchObject({ from: "marker", branch: "fix-lock", rootCause: { ruleId: "deploy-lock-held" } });
    // The registry error passed on re-run: attempt 2 succeeded, attempt 1 is remembered from its marker.
    expect(byNumber(records, 109, 2)[0]).toMatchObject({ conclusion: "success", from: "none", fingerprints: [] });
    expect(byNumber(records, 109, 1)[0]).toMatchObject({ conclusion: "failure", from: "marker", url: "https://github.com/acme/shop/actions/runs/9109/attempts/1", rootCause: { ruleId: "registry-server-error" } });
    expect(paths(/\/actions\/runs\/9109\/attempts\/1$/)).toHaveLength(1);
    // The cancelled run and the one in progress: what the listing says, nothing more.
    expect(byNumber(records, 113)[0]).toMatchObject({ conclusion: "cancelled", from: "none", rootCause: null });
    expect(byNumber(records, 130)[0]).toMatchObject({ status: "in_progress", conclusion: null, from: "none" });
    // Expired logs: a record that knows nothing, and a note saying why.
    expect(byNumber(records, 117)[0]).toMatchObject({ conclusion: "failure", from: "none", rootCause: null });
    expect(events).toContainEqual(expect.objectContaining({ type: "skipped", run: 9117, attempt: 1, reason: expect.stringMatching(/expired/) }));
    expect(events.filter((e) => e.type === "run").at(-1)).toEqual({ type: "run", done: 30, total: 30 });
  });

  it("keeps only the destination asked for, where it is known", async () => {
    const { records } = await collect({ destination: "production" });
    expect(byNumber(records, 127)).toEqual([]);
    expect(byNumber(records, 126)).toHaveLength(1);
    // A success's destination is not known without its log: it stays.
    expect(byNumber(records, 129)).toHaveLength(1);
  });

  it("looks no further than the limit", async () => {
    const { records } = await collect({ limit: 5 });
    expect(records.map((r) => r.number)).toEqual([130, 129, 128, 127, 126]);
    expect(server.requests.find((r) => r.path.includes("/runs?"))?.path).toMatch(/per_page=5\b/);
  });

  it("answers a second look from the cache: no check run, no log", async () => {
    const cache = new MemoryCache({ dir: freshCache() });
    const first = await collect({ cache });
    const before = server.requests.length;
    const second = await collect({ cache });
    const again = server.requests.slice(before).map((r) => r.path.split("?")[0]);
    // Only the runs that taught nothing are asked again: the cancelled one (#113, no marker) and
    // the one whose logs expired (#117).
    const numberOfSha = (p: string | undefined) => first.records.find((r) => p?.includes(r.sha))?.number;
    expect(again.filter((p) => /check-runs/.test(p ?? "")).map(numberOfSha).sort()).toEqual([113, 117]);
    expect(again.filter((p) => /\/logs$/.test(p ?? ""))).toEqual(["/repos/acme/shop/actions/jobs/91171/logs"]);
    expect(again.filter((p) => /comments/.test(p ?? ""))).toEqual([]);
    const strip = (records: RunRecord[]) => records.map(({ from: _from, ...rest }) => rest);
    expect(strip(second.records)).toEqual(strip(first.records));
    expect(byNumber(second.records, 105)[0]?.from).toBe("cache");
    expect(byNumber(second.records, 106)[0]?.from).toBe("cache");
  });
});

async function history(args: string[], env: Record<string, string> = {}) {
  const io = memoryIO({ env: githubEnv(TOKEN, { KAMAL_DOCTOR_CACHE_DIR: freshCache(), ...env }) });
  const code = await run(["history", ...args, "--api-url", server.url], io);
  return { code, out: io.out(), err: io.err() };
}

describe("kamal-doctor history", () => {
  it("--format json: the documented shape, causes grouped with counts, first and last seen, time blocked", async () => {
    const { code, out, err } = await history(["--format", "json", "--limit", "30"]);
    expect(err).toMatch(/^kamal-doctor: run 9117 attempt 1: .*expired/m);
    // The newest finished run (#129) succeeded.
    expect(code).toBe(0);
    const report = JSON.parse(out) as HistoryReport;
    expect(report).toMatchObject({ schemaVersion: 1, repository: "acme/shop", workflow: WORKFLOW, branch: null, destination: null, limit: 30, undiagnosed: 1 });
    expect(report.runs).toHaveLength(31);
    expect(report.runs[0]).toMatchObject({ number: 130, outcome: "running", fingerprint: null });
    expect(report.runs.find((r) => r.number === 113)?.outcome).toBe("cancelled");

    const lock = report.causes.find((c) => c.ruleId === "deploy-lock-held");
    // #114 and #115 failed on the lock, #116 was green; #122 failed on it again, #123 was green.
    expect(lock).toMatchObject({ count: 3, firstSeen: { number: 114 }, lastSeen: { number: 122 }, ongoing: false, clearedBy: { number: 123 } });
    // Two streaks: #114 started → #116 ended (12h15m), #122 started → #123 ended (6h15m).
    expect(lock?.blockedSeconds).toBe((12 * 60 + 15 + 6 * 60 + 15) * 60);
    const disk = report.causes.find((c) => c.ruleId === "no-space-left" && c.count === 4);
    expect(disk).toMatchObject({ firstSeen: { number: 105 }, lastSeen: { number: 128 }, clearedBy: { number: 129 } });
    const registry = report.causes.find((c) => c.ruleId === "registry-server-error");
    // Attempt 1 started with the run, attempt 2 (an hour later) ended 15 minutes after it started.
    expect(registry).toMatchObject({ count: 1, blockedSeconds: 75 * 60, clearedBy: { number: 109, attempt: 2 } });
    expect(report.causes.map((c) => c.count)).toEqual([...report.causes.map((c) => c.count)].sort((a, b) => b - a));
  });

  it("pretty: a row per run and the causes", async () => {
    const { code, out } = await history(["acme/shop", "--workflow", "deploy.yml"]);
    expect(code).toBe(0);
    expect(out).toMatch(/^Deploy \(\.github\/workflows\/deploy\.yml\) of acme\/shop: 20 runs\n/);
    expect(out).toMatch(/^ {2}RUN +STARTED \(UTC\) +SHA +OUTCOME +ROOT CAUSE$/m);
    expect(out).toMatch(/^ {2}#128 +2026-11-07 18:00 +0080abc +failed +Out of disk space.*\[no-space-left:[0-9a-f]{12}\]$/im);
    expect(out).toMatch(/^ {2}#117 +\S+ \S+ +\S+ +failed +not diagnosed/m);
    expect(out).toMatch(/^ {2}3× The deploy lock is held \[deploy-lock-held:5a5a5a5a5a5a\]\n {5}first #114 2026-11-04, last #122 2026-11-06; blocked deploys 18h 30m \(until #123\)$/m);
    expect(out).toContain("1 failed run not diagnosed");
  });

  it("markdown: a table, a mermaid chart of outcomes per day, the causes", async () => {
    const { out } = await history(["--format", "markdown", "--limit", "30", "--destination", "production"]);
    expect(out).toMatch(/^### Deploy history: Deploy \(\.github\/workflows\/deploy\.yml\) of acme\/shop, destination production$/m);
    expect(out).toMatch(/^\| \[#128\]\(https:\/\/github\.com\/acme\/shop\/actions\/runs\/9128\) \| 2026-11-07 18:00 \| `0080abc` \| ❌ failed \| .* `no-space-left:[0-9a-f]{12}` \|$/m);
    expect(out).not.toContain("[#127]");
    const chart = /```mermaid\nxychart-beta\n([\s\S]*?)```/.exec(out)?.[1] ?? "";
    // Four runs a day from Nov 1; Nov 3 has both attempts of #109; #127 (staging) is left out of Nov 7.
    expect(chart).toContain('x-axis ["11-01", "11-02", "11-03", "11-04", "11-05", "11-06", "11-07", "11-08"]');
    expect(chart).toMatch(/bar \[4, 4, 5, 4, 4, 4, 3, 2\]/);
    expect(chart).toMatch(/line \[0, 3, 1, 2, 1, 1, 2, 0\]/);
    expect(out).toMatch(/^\| The deploy lock is held `deploy-lock-held:5a5a5a5a5a5a` \| 3 \| \[#114\]/m);
  });

  it("exits 1 when the newest finished run failed, and says which workflow when it cannot tell", async () => {
    const failing = await history(["--branch", "fix-lock", "--format", "json"]);
    expect(failing.code).toBe(1);
    expect((JSON.parse(failing.out) as HistoryReport).runs.map((r) => r.number)).toEqual([122]);

    const missing = await history(["--workflow", "nope.yml"]);
    expect(missing).toMatchObject({ code: 2, out: "" });
    expect(missing.err).toBe("kamal-doctor: no workflow \"nope.yml\" in acme/shop (workflows: Deploy (deploy.yml), CI (ci.yml))\n");

    const bad = await history(["not a repo"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^kamal-doctor: the repository: expected OWNER\/NAME, got "not a repo"\n$/);
  });

  it("does not let a marker's text drive the terminal or the markdown", async () => {
    const runs = deployScenario();
    const hostile = runs.find((r) => r.number === 128);
    if (hostile) hostile.attempts = [{ conclusion: "failure", marker: { destination: null, outcome: "failed", fingerprints: ["x:1"], rootCause: { ruleId: "x", category: "other", title: "\x1b]0;owned\x07 <img src=x> | cell" } } }];
    serveScenario(server, runs);
    const pretty = await history(["--limit", "3"]);
    expect(pretty.out).not.toMatch(/[\x1b\x07]/);
    expect(pretty.out).toContain("�]0;owned� <img src=x> | cell");
    const markdown = await history(["--limit", "3", "--format", "markdown"]);
    expect(markdown.out).not.toContain("<img");
    expect(markdown.out).not.toMatch(/[^\\]\| cell/);
  });

  it("draws a progress bar only on a terminal", async () => {
    const io = memoryIO({ env: githubEnv(TOKEN, { KAMAL_DOCTOR_CACHE_DIR: freshCache() }) });
    io.stderr.isTTY = true;
    await run(["history", "--limit", "4", "--api-url", server.url], io);
    expect(io.err()).toContain("Reading runs [#####---------------] 1/4");
    expect(io.err()).toContain("Reading runs [####################] 4/4");
    // Cleared at the end: the report is not mixed with it.
    expect(io.err().endsWith("\r\x1b[2K")).toBe(true);
    const quiet = await history(["--limit", "4"]);
    expect(quiet.err).not.toContain("Reading runs");
  });

  it("--no-cache writes nothing", async () => {
    const dir = freshCache();
    await history(["--limit", "10", "--no-cache"], { KAMAL_DOCTOR_CACHE_DIR: dir });
    expect(readdirSync(dir)).toEqual([]);
    await history(["--limit", "10"], { KAMAL_DOCTOR_CACHE_DIR: dir });
    expect(readdirSync(path.join(dir, "v1")).length).toBeGreaterThan(0);
  });
});
