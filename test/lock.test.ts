// The deploy lock, doctored: the holder block becomes the report's `lock` section (who, its
// state, what to do for the log's Kamal and destination) — locally, in every format — and `run`,
// `annotate` and diagnoseRun find the GitHub Actions run that took the lock (same workflow, the
// holder's version, before the lock's time; an earlier attempt of the same run) against the test
// GitHub server, and say whether it is over. `annotate` posts a cancelled run's lock left held.
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { kamalDestinationOf } from "../src/cli/exec.js";
import { run } from "../src/cli/main.js";
import { lockSummary, withLock, type Report } from "../src/core/index.js";
import { formatGithub } from "../src/format/github.js";
import { formatMarkdown } from "../src/format/markdown.js";
import { formatPretty } from "../src/format/pretty.js";
import { slackMessage } from "../src/format/slack.js";
import { toJsonReport } from "../src/format/json.js";
import { summarize } from "../src/mcp/server.js";
import { diagnoseRun } from "../src/lib.js";
import { redactReport } from "../src/report/redact.js";
import { analyze, analyzeMany } from "./support/analyze.js";
import { githubEnv, sendJson, startGitHubServer, type GitHubServer } from "./support/github-server.js";
import { memoryIO } from "./support/io.js";

const TOKEN = "ghp_secretvalue1234567890";
const REPO = "/repos/acme/shop";
const SHA = "8b1e0d7c6a5f4e3d2c1b0a9f8e7d6c5b4a398b1e";

const LOCKED = (version: string, message = "Automatic deploy lock") => [
  "Acquiring the deploy lock...",
  "Deploy lock already in place!",
  "Locked by: Jane Doe at 2026-06-18T09:12:44Z",
  `Version: ${version}`,
  `Message: ${message}`,
  "  Finished all in 4.6 seconds",
  "  ERROR (Kamal::Cli::LockError): Deploy lock found. Run 'kamal lock help' for more information",
];

/** As a GitHub job log: timestamps, the step's `Run …` group with the kamal command, the runner's exit line. */
const stamped = (lines: string[], command = "kamal deploy", end = ["##[error]Process completed with exit code 1."]) =>
  [`##[group]Run ${command}`, command, "##[endgroup]", ...lines, ...end].map((line, i) => `2026-06-18T10:00:${String(i).padStart(2, "0")}.0000000Z ${line}`).join("\n");

const lockedLog = (version: string, command?: string) => stamped(LOCKED(version), command);

let server: GitHubServer;
beforeEach(async () => {
  server = await startGitHubServer();
  return () => server.close();
});

interface Posted {
  checkRuns: Array<Record<string, unknown>>;
  comments: string[];
}

function routes(log: string, runs: unknown[], options: { conclusion?: string; attempt?: number; attempts?: Record<number, unknown> } = {}): Posted {
  const conclusion = options.conclusion ?? "failure";
  const attempt = options.attempt ?? 1;
  const current = {
    id: 42,
    workflow_id: 7,
    name: "Deploy",
    path: ".github/workflows/deploy.yml",
    run_attempt: attempt,
    status: "completed",
    conclusion,
    html_url: "https://github.com/acme/shop/actions/runs/42",
    head_sha: SHA,
    head_branch: "main",
    created_at: "2026-06-18T09:59:00Z",
    run_started_at: "2026-06-18T09:59:00Z",
    pull_requests: [{ number: 7 }],
  };
  server.route("GET", `${REPO}/actions/runs/42`, (_req, res) => sendJson(res, 200, current));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/(\d+)$/, (_req, res, m) => sendJson(res, 200, Number(m?.[1]) === attempt ? current : (options.attempts?.[Number(m?.[1])] ?? current)));
  server.route("GET", /^\/repos\/acme\/shop\/actions\/runs\/42\/attempts\/\d+\/jobs/, (_req, res) =>
    sendJson(res, 200, { total_count: 1, jobs: [{ id: 102, run_id: 42, run_attempt: attempt, name: "deploy", status: "completed", conclusion, html_url: "https://github.com/acme/shop/actions/runs/42/job/102", steps: [] }] }),
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
  // What annotate posts, kept; no earlier kamal-doctor check run or comment.
  const posted: Posted = { checkRuns: [], comments: [] };
  server.route("GET", /^\/repos\/acme\/shop\/commits\/[0-9a-f]+\/check-runs/, (_req, res) => sendJson(res, 200, { total_count: 0, check_runs: [] }));
  server.route("POST", `${REPO}/check-runs`, (req, res) => {
    posted.checkRuns.push(JSON.parse(req.body) as Record<string, unknown>);
    sendJson(res, 201, { id: 900, html_url: "https://github.com/acme/shop/runs/900" });
  });
  server.route("GET", /^\/repos\/acme\/shop\/issues\/7\/comments/, (_req, res) => sendJson(res, 200, []));
  server.route("POST", /^\/repos\/acme\/shop\/issues\/7\/comments$/, (req, res) => {
    posted.comments.push((JSON.parse(req.body) as { body: string }).body);
    sendJson(res, 201, { id: 901, body: "", html_url: "https://github.com/acme/shop/pull/7#issuecomment-901" });
  });
  return posted;
}

const listed = (id: number, sha: string, started: string, status: string, conclusion: string | null, updated = started) => ({
  id,
  workflow_id: 7,
  status,
  conclusion,
  head_sha: sha,
  head_branch: "main",
  html_url: `https://github.com/acme/shop/actions/runs/${id}`,
  created_at: started,
  run_started_at: started,
  updated_at: updated,
});

async function kd(args: string[] = []) {
  const io = memoryIO({ env: githubEnv(TOKEN) });
  const code = await run(["run", "42", "--repo", "acme/shop", "--api-url", server.url, "--quiet", "--history", "0", "--no-config", ...args], io);
  return { code, out: io.out(), err: io.err() };
}

async function json(args: string[] = []): Promise<Report> {
  const { out } = await kd(["--format", "json", ...args]);
  return JSON.parse(out) as Report;
}

async function local(text: string, args: string[] = []): Promise<{ code: number; out: string }> {
  const io = memoryIO({ stdin: text });
  const code = await run(["-", "--no-cache", "--no-config", ...args], io);
  return { code, out: io.out() };
}

describe("the lock section, from the log alone", () => {
  it("the holder block's fields are captures of the deploy-lock-holder finding", async () => {
    const { code, out } = await local(lockedLog(SHA), ["--format", "json"]);
    expect(code).toBe(1);
    const report = JSON.parse(out) as Report;
    expect(report.findings[0]?.ruleId).toBe("deploy-lock-held");
    expect(report.findings.find((f) => f.ruleId === "deploy-lock-holder")?.captures).toEqual({ holder: "Jane Doe", lockedAt: "2026-06-18T09:12:44Z", lockVersion: SHA, lockMessage: "Automatic deploy lock" });
  });

  it("JSON: who holds it, state unknown without GitHub, commands and advice that need no run", async () => {
    const report = JSON.parse((await local(LOCKED("8b1e0d7").join("\n"), ["--format", "json"])).out) as Report;
    expect(report.lock).toEqual({
      state: "unknown",
      source: "stdin",
      holder: { name: "Jane Doe", lockedAt: "2026-06-18T09:12:44Z", version: "8b1e0d7", message: "Automatic deploy lock" },
      waited: false,
      destination: null,
      summary: "held by Jane Doe at 2026-06-18T09:12:44Z, version 8b1e0d7",
      commands: { status: "kamal lock status", release: "kamal lock release" },
      advice: [
        "See who holds it and whether that deploy still runs: `kamal lock status` (add `-d DESTINATION` if you deploy to one).",
        "Release it only when no deploy is running: `kamal lock release`.",
        "Serialise deploys in GitHub Actions: `concurrency: { group: deploy, cancel-in-progress: false }` (a group per destination if there are several; a cancelled deploy is what leaves a lock held).",
        "On Kamal 2.12 or later, `kamal deploy --lock-wait` waits for a running deploy instead of failing.",
      ],
    });
    // Not looked up: no `run` key at all (null would say "looked, none fits").
    expect(report.lock && "run" in report.lock).toBe(false);
  });

  it("-d from the log's kamal command, and -d given beats it", async () => {
    const fromLog = JSON.parse((await local(lockedLog(SHA, "bin/kamal deploy -d production"), ["--format", "json"])).out) as Report;
    expect(fromLog.lock?.destination).toBe("production");
    expect(fromLog.lock?.commands).toEqual({ status: "kamal lock status -d production", release: "kamal lock release -d production" });
    expect(fromLog.lock?.advice.join("\n")).toContain("`concurrency: { group: deploy-production, cancel-in-progress: false }`");
    expect(fromLog.lock?.advice.join("\n")).not.toContain("DESTINATION");
    const given = JSON.parse((await local(lockedLog(SHA, "bin/kamal deploy -d production"), ["--format", "json", "-d", "staging"])).out) as Report;
    expect(given.lock?.commands.release).toBe("kamal lock release -d staging");
  });

  it("true for the log's Kamal: MRSK's lock error is not taken for a lock, Kamal 1 gets no --lock-wait, a pinned Kamal before 2.12 is told 2.12 adds it", async () => {
    const mrsk = await analyze(["Acquiring the deploy lock...", "Deploy lock already in place!", "Locked by: ci at 2023-03-01T10:00:00Z", "  ERROR (Mrsk::Cli::LockError): Deploy lock found"].join("\n"));
    // The MRSK "Deploy lock found" is often not a lock at all: no lock section for that rule.
    expect(mrsk.findings[0]?.ruleId).toBe("deploy-lock-masks-other-error");
    expect(mrsk.lock).toBeUndefined();

    const kamal1 = await analyze(["Ensure Traefik is running...", ...LOCKED("d4c3b2a")].join("\n"));
    expect(kamal1.deploy.kamalVersion).toBe("1.x");
    expect(kamal1.lock?.advice.join("\n")).not.toContain("--lock-wait");
    expect(kamal1.lock?.commands.status).toBe("kamal lock status");

    const kamal2 = await analyze(LOCKED("d4c3b2a").join("\n"));
    const pinned = (version: string) => lockSummary({ ...kamal2, config: { file: "config/deploy.yml", destination: null, files: [], secretsFiles: [], pinnedKamal: version, checkedFor: { version, from: "Gemfile.lock" }, exposedPorts: [] } });
    expect(pinned("2.5.3")?.advice).toContain("Kamal 2.12 adds `kamal deploy --lock-wait`, which waits for a running deploy instead of failing (Gemfile.lock pins 2.5.3).");
    expect(pinned("2.12.1")?.advice).toContain("`kamal deploy --lock-wait` waits for a running deploy instead of failing.");
    expect(pinned("1.9.3")?.advice.join("\n")).not.toContain("--lock-wait");
  });

  it("MRSK's own lock with its holder block: the commands are `mrsk lock …`", async () => {
    const report = await analyze(["Deploy lock already in place!", "Locked by: ci at 2023-03-01T10:00:00Z", "Version: abc1234", "Message: Automatic deploy lock", "  ERROR (Mrsk::Cli::Base::LockError): Deploy lock found"].join("\n"));
    // Every MRSK "Deploy lock found" reads as the SSH/permission failure it usually is; force the lock to check the wording.
    const forced = lockSummary({ ...report, findings: report.findings.map((f, i) => (i === 0 ? { ...f, ruleId: "deploy-lock-held" } : f)) });
    expect(report.deploy.kamalVersion).toBe("0.x");
    expect(forced?.commands).toEqual({ status: "mrsk lock status", release: "mrsk lock release" });
    expect(forced?.advice.join("\n")).not.toContain("--lock-wait");
  });

  it("a lock taken on purpose: ask its holder, and no --lock-wait (Kamal does not wait for a manual lock)", async () => {
    const report = await analyze(LOCKED("d4c3b2a", "Manual deploy in progress").join("\n"));
    expect(report.lock?.summary).toBe('held by Jane Doe at 2026-06-18T09:12:44Z, version d4c3b2a ("Manual deploy in progress")');
    expect(report.lock?.advice[0]).toBe('The lock was taken on purpose (`kamal lock acquire -m "Manual deploy in progress"`, not a deploy\'s "Automatic deploy lock"): ask Jane Doe before releasing it.');
    expect(report.lock?.advice.join("\n")).not.toContain("--lock-wait");
  });

  it("Kamal 2.12's --lock-wait: waiting (the heartbeat) says so and does not advise --lock-wait; a wait that timed out advises the timeout", async () => {
    const waiting = await analyze(
      ["Acquiring the deploy lock (waiting up to 900s)...", "Deploy lock is held by:", "Locked by: Release Bot at 2026-06-18T09:12:44Z", "Version: 5e6f7a8", "Message: Automatic deploy lock", "Retrying in 15s (885s remaining)..."].join("\n"),
    );
    expect(waiting.outcome).toBe("unknown");
    expect(waiting.lock?.waited).toBe(true);
    expect(waiting.lock?.summary).toBe("held by Release Bot at 2026-06-18T09:12:44Z, version 5e6f7a8; this deploy is waiting for it");
    expect(waiting.lock?.advice.join("\n")).not.toContain("--lock-wait");
    const timedOut = await analyze(
      [
        "Acquiring the deploy lock (waiting up to 30s)...",
        "Deploy lock is held by:",
        "Locked by: Release Bot at 2026-06-18T09:12:44Z",
        "Version: 5e6f7a8",
        "Message: Automatic deploy lock",
        "Retrying in 15s (15s remaining)...",
        "Timed out after 30s waiting for the deploy lock",
        "  ERROR (Kamal::Cli::LockError): Timed out waiting for deploy lock",
      ].join("\n"),
    );
    expect(timedOut.findings[0]?.ruleId).toBe("deploy-lock-wait-timeout");
    expect(timedOut.lock?.state).toBe("unknown");
    expect(timedOut.lock?.advice).toContain("The deploy waited for the lock (`--lock-wait`) and gave up: raise `--lock-wait-timeout` if deploys overlap for longer, or release a lock that is stale.");
  });

  it("no lock section for what is not a held lock; `left-held` when Kamal says it kept the lock", async () => {
    const permission = await analyze(["Acquiring the deploy lock...", "  ERROR (SSHKit::Command::Failed): mkdir: cannot create directory ‘.kamal/lock-shop’: Permission denied"].join("\n"));
    expect(permission.findings[0]?.ruleId).toBe("kamal-dir-not-writable");
    expect(permission.lock).toBeUndefined();
    const healthy = await analyze("  INFO [1a2b3c4d] Finished in 0.512 seconds with exit status 0 (successful).\nFinished all in 3.0 seconds\n");
    expect(healthy.lock).toBeUndefined();
    const kept = await analyze(
      [
        "Acquiring the deploy lock...",
        '  INFO [9a4e7b13] Running docker exec kamal-proxy kamal-proxy deploy myapp-web --target="4f9c2d1e8a7b:80" on 203.0.113.10',
        "Error releasing the deploy lock: Exception while executing on host 203.0.113.7: connection closed by remote host",
        "  ERROR (SSHKit::Command::Failed): Exception while executing on host 203.0.113.10: docker exit status: 1",
        "docker stderr: Error: target failed to become healthy within configured timeout (30s)",
      ].join("\n"),
    );
    expect(kept.findings[0]?.category).toBe("health-check");
    expect(kept.lock?.state).toBe("left-held");
    expect(kept.lock?.holder).toBeNull();
    expect(kept.lock?.advice[0]).toBe("Fix the failure first, then release the lock: `kamal lock release` (add `-d DESTINATION` if you deploy to one) (`kamal lock status` shows it).");
  });

  it("exec: the destination of the wrapped kamal command", async () => {
    expect(kamalDestinationOf(["bin/kamal", "deploy", "-d", "staging"])).toBe("staging");
    expect(kamalDestinationOf(["bundle", "exec", "kamal", "deploy", "--destination=eu"])).toBe("eu");
    expect(kamalDestinationOf(["kamal", "deploy"])).toBeNull();
    expect(kamalDestinationOf(["make", "deploy", "-d", "x"])).toBeNull();
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-lock-"));
    const kamal = path.join(dir, "kamal");
    writeFileSync(kamal, `#!/usr/bin/env node\nprocess.stdout.write(${JSON.stringify(`${LOCKED("8b1e0d7").join("\n")}\n`)});\nprocess.exit(1);\n`);
    chmodSync(kamal, 0o755);
    const io = memoryIO({ env: { PATH: process.env["PATH"] ?? "" } });
    expect(await run(["exec", "--format", "json", "--", kamal, "deploy", "-d", "staging"], io)).toBe(1);
    const report = JSON.parse(io.err().slice(io.err().indexOf("{"))) as Report;
    expect(report.lock?.commands.release).toBe("kamal lock release -d staging");
  });

  it("is redacted with the rest of the report", async () => {
    const report = await analyze(LOCKED("d4c3b2a", "deploying with ghp_abcdefghijklmnopqrstuvwxyz0123456789").join("\n"));
    const redacted = redactReport(report);
    expect(JSON.stringify(report.lock)).toContain("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
    expect(JSON.stringify(redacted.lock)).not.toContain("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
    expect(redacted.lock?.holder?.message).toContain("[redacted]");
  });
});

describe("the lock in every format", () => {
  const stale = async () =>
    withLock(await analyze(LOCKED(SHA).join("\n")), {
      destination: "production",
      run: { id: 41, url: "https://github.com/acme/shop/actions/runs/41", status: "completed", conclusion: "cancelled", headSha: SHA, startedAt: "2026-06-18T09:11:02Z", endedAt: "2026-06-18T09:13:00Z", matchedBy: "version" },
      now: new Date("2026-06-21T10:00:00Z"),
    });

  it("pretty: a `lock` block on the root cause, the state then what to do", async () => {
    const text = formatPretty(await stale(), { width: 100 });
    const at = text.indexOf("  lock      ");
    expect(at).toBeGreaterThan(text.indexOf("ROOT CAUSE"));
    expect(at).toBeLessThan(text.indexOf("  why "));
    expect(text).toContain("  lock      stale: taken by run 41 (https://github.com/acme/shop/actions/runs/41), which was\n            cancelled, 3 days ago; it can be released\n");
    // The lock's advice is the fix (the rule's generic steps would repeat it).
    expect(text).toContain("  fix       1. See that no deploy is running (`kamal lock status -d production`), then release it:\n");
    expect(text).not.toContain("Release it only when no deploy is running");
  });

  it("markdown: **Deploy lock:** before Why, and the advice as the Fix list", async () => {
    const text = formatMarkdown(await stale());
    expect(text).toContain("**Deploy lock:** stale: taken by run 41 (https://github.com/acme/shop/actions/runs/41), which was cancelled, 3 days ago; it can be released\n");
    expect(text).toContain("**Fix:**\n\n1. See that no deploy is running (`kamal lock status -d production`), then release it: `kamal lock release -d production`.\n");
    expect(text).not.toContain("Release it only when no deploy is running");
    expect(text.indexOf("**Deploy lock:**")).toBeLessThan(text.indexOf("**Why:**"));
  });

  it("github: a notice right after the root cause's error", async () => {
    const lines = formatGithub(await stale()).trimEnd().split("\n");
    expect(lines[0]).toMatch(/^::error title=kamal-doctor%3A root cause — Another deploy holds the deploy lock::/);
    expect(lines[1]).toMatch(/^::notice title=kamal-doctor%3A deploy lock stale%3A taken by run 41 \(https%3A\/\/github.com\/acme\/shop\/actions\/runs\/41\)%2C which was cancelled%2C 3 days ago; it can be released::stale: /);
    expect(lines[1]).toContain("%0A1. See that no deploy is running (`kamal lock status -d production`), then release it: `kamal lock release -d production`.");
  });

  it("slack: a Deploy lock section before Why, the log's text escaped", async () => {
    const texts = slackMessage(await stale()).blocks.map((block) => (block.type === "section" ? block.text.text : ""));
    const at = texts.findIndex((text) => text.startsWith("*Deploy lock:* stale: taken by run 41"));
    expect(at).toBeGreaterThan(0);
    expect(at).toBeLessThan(texts.findIndex((text) => text.startsWith("*Why:*")));
    expect(texts[at]).toContain("\n• See that no deploy is running (`kamal lock status -d production`)");
    const sneaky = await analyze(LOCKED("d4c3b2a", "<!channel> deploying").join("\n"));
    expect(JSON.stringify(slackMessage(sneaky))).not.toContain("<!channel>");
  });

  it("mcp: the tool's summary says the lock's state and the first thing to do", async () => {
    const text = summarize(toJsonReport(await stale()));
    expect(text).toContain("\nDeploy lock: stale: taken by run 41 (https://github.com/acme/shop/actions/runs/41), which was cancelled, 3 days ago; it can be released\n");
    expect(text).toContain("\nNext: See that no deploy is running (`kamal lock status -d production`), then release it: `kamal lock release -d production`.");
  });

  it("without a root cause (a log that stops while it waits for the lock) the lock leads", async () => {
    const report = await analyze(
      [
        "Acquiring the deploy lock (waiting up to 900s)...",
        "  INFO [c1d2e3f4] Running /usr/bin/env mkdir -p .kamal && mkdir .kamal/lock-ledger on 198.51.100.23",
        "Deploy lock is held by:",
        "Locked by: Release Bot at 2026-06-18T09:12:44Z",
        "Version: 5e6f7a8",
        "Message: Automatic deploy lock",
        "Retrying in 15s (885s remaining)...",
      ].join("\n"),
    );
    expect(report.findings[0]?.rootCause).toBe(false);
    const pretty = formatPretty(report, { width: 100 });
    expect(pretty.indexOf("  lock      held by Release Bot")).toBeGreaterThan(0);
    expect(pretty.indexOf("  lock      held by Release Bot")).toBeLessThan(pretty.indexOf("WARNING"));
    const markdown = formatMarkdown(report);
    expect(markdown.indexOf("**Deploy lock:** held by Release Bot")).toBeGreaterThan(0);
    expect(markdown.indexOf("**Deploy lock:**")).toBeLessThan(markdown.indexOf("#### 🟡"));
    expect(formatGithub(report).split("\n")[0]).toMatch(/^::notice title=kamal-doctor%3A deploy lock held by Release Bot/);
  });

  it("several deploys: the lock is shown on its own deploy only", async () => {
    const report = await analyzeMany([
      { name: "lock.log", text: LOCKED("d4c3b2a").join("\n") },
      { name: "other.log", text: "  ERROR (SSHKit::Command::Failed): Exception while executing on host 192.0.2.10: docker exit status: 1\ndocker stderr: Error: target failed to become healthy within configured timeout (30s)" },
    ]);
    expect(report.lock?.source).toBe("lock.log");
    for (const text of [formatPretty(report, { width: 100 }), formatMarkdown(report), formatGithub(report)]) {
      expect(text.split(/deploy lock/i).length - 1, text).toBeGreaterThan(0);
    }
    expect(formatMarkdown(report).match(/\*\*Deploy lock:\*\*/g)).toHaveLength(1);
    expect(formatPretty(report, { width: 100 }).match(/^ {2}lock {6}/gm)).toHaveLength(1);
    expect(formatGithub(report).match(/deploy lock held by/g)).toHaveLength(1);
  });
});

describe("run: the run that took the lock", () => {
  it("cancelled, so the lock is stale and may be released; asks GitHub by the holder's commit; said in the report, not on stderr", async () => {
    routes(lockedLog(SHA, "bin/kamal deploy -d production"), [listed(41, SHA, "2026-06-18T09:11:02Z", "completed", "cancelled", "2026-06-18T09:13:00Z")]);
    const { code, out, err } = await kd();
    expect(code).toBe(1);
    expect(out).toContain("  lock      stale: taken by run 41 (https://github.com/acme/shop/actions/runs/41), which was\n            cancelled,");
    expect(out).toContain("`kamal lock release -d production`");
    expect(err).not.toContain("deploy lock");
    const report = await json();
    expect(report.lock?.state).toBe("stale");
    expect(report.lock?.destination).toBe("production");
    expect(report.lock?.run).toEqual({
      id: 41,
      url: "https://github.com/acme/shop/actions/runs/41",
      status: "completed",
      conclusion: "cancelled",
      headSha: SHA,
      startedAt: "2026-06-18T09:11:02Z",
      endedAt: "2026-06-18T09:13:00Z",
      matchedBy: "version",
    });
    expect(report.lock?.advice[0]).toBe("See that no deploy is running (`kamal lock status -d production`), then release it: `kamal lock release -d production`.");
    const lists = server.requests.filter((r) => r.path.startsWith(`${REPO}/actions/workflows/7/runs`)).map((r) => new URL(r.path, server.url).searchParams);
    expect(lists.map((params) => params.get("head_sha"))).toContain(SHA);
  });

  it("a holder run still in progress means wait, never release; a short version matches by prefix and time", async () => {
    routes(lockedLog("8b1e0d7c"), [
      listed(40, SHA, "2026-06-18T08:00:00Z", "completed", "success"),
      listed(41, SHA, "2026-06-18T09:11:02Z", "in_progress", null),
      listed(43, "feedbeef", "2026-06-18T09:12:00Z", "completed", "failure"),
    ]);
    const report = await json();
    expect(report.lock?.state).toBe("held");
    expect(report.lock?.summary).toBe("held by run 41 (https://github.com/acme/shop/actions/runs/41), still in progress: wait for it, do not release the lock");
    expect(report.lock?.run).toMatchObject({ id: 41, endedAt: null, matchedBy: "version" });
    expect(report.lock?.advice[0]).toBe("Wait for run 41 to finish; release the lock (`kamal lock release`) only if it ends without releasing it.");
    expect(report.lock?.advice.join("\n")).toContain("--lock-wait");
    const lists = server.requests.filter((r) => r.path.startsWith(`${REPO}/actions/workflows/7/runs`)).map((r) => new URL(r.path, server.url).searchParams);
    expect(lists.map((params) => params.get("created"))).toContain("<=2026-06-18T09:17:44Z");
  });

  it("no run fits: unknown, and ask before releasing", async () => {
    routes(lockedLog(SHA), [listed(43, "feedbeef00000000000000000000000000000000", "2026-06-18T09:12:00Z", "completed", "failure")]);
    const report = await json();
    expect(report.lock?.state).toBe("unknown");
    expect(report.lock?.run).toBeNull();
    expect(report.lock?.advice[0]).toBe("No run of this workflow matches the holder (by its version and time): it may come from a laptop or another workflow; ask Jane Doe before releasing it.");
  });

  it("a re-run: attempt 1 of this very run took the lock and was cancelled", async () => {
    const first = { ...listed(42, SHA, "2026-06-18T09:11:02Z", "completed", "cancelled", "2026-06-18T09:13:00Z"), run_attempt: 1 };
    routes(lockedLog(SHA), [], { attempt: 2, attempts: { 1: first } });
    const report = await json();
    expect(report.lock?.state).toBe("stale");
    expect(report.lock?.run).toMatchObject({ id: 42, url: "https://github.com/acme/shop/actions/runs/42/attempts/1", conclusion: "cancelled" });
    expect(server.requests.some((r) => r.path === `${REPO}/actions/runs/42/attempts/1`)).toBe(true);
  });

  it("a GitHub error looking for the holder is one line; the diagnosis and the lock without a run stand", async () => {
    routes(lockedLog(SHA), []);
    server.route("GET", /^\/repos\/acme\/shop\/actions\/workflows\/7\/runs/, (_req, res) => sendJson(res, 403, { message: "Resource not accessible by integration" }));
    const { code, out, err } = await kd(["--format", "json"]);
    expect(code).toBe(1);
    const report = JSON.parse(out) as Report;
    expect(report.findings[0]?.ruleId).toBe("deploy-lock-held");
    expect(report.lock?.state).toBe("unknown");
    expect(report.lock && "run" in report.lock).toBe(false);
    expect(err).toMatch(/kamal-doctor: deploy lock: could not look for the run that holds it: .+\n/);
  });

  it("the history judges it a stale lock from the same lookup (one listing by the holder's commit)", async () => {
    routes(lockedLog(SHA), [listed(41, SHA, "2026-06-18T09:11:02Z", "completed", "cancelled", "2026-06-18T09:13:00Z")]);
    const report = await json(["--history", "5"]);
    expect(report.memory?.kind).toBe("stale-lock");
    expect(report.memory?.summary).toContain("held by run 41 (https://github.com/acme/shop/actions/runs/41)");
    const byCommit = server.requests.filter((r) => r.path.startsWith(`${REPO}/actions/workflows/7/runs`) && new URL(r.path, server.url).searchParams.get("head_sha") === SHA);
    expect(byCommit).toHaveLength(1);
  });

  it("the library's diagnoseRun fills the run too", async () => {
    routes(lockedLog(SHA), [listed(41, SHA, "2026-06-18T09:11:02Z", "completed", "cancelled")]);
    const report = await diagnoseRun(42, { repo: "acme/shop", apiUrl: server.url, token: TOKEN, env: {} });
    expect(report.lock?.state).toBe("stale");
    expect(report.lock?.run?.id).toBe(41);
  });
});

describe("annotate", () => {
  const annotate = async (args: string[]) => {
    const io = memoryIO({ env: githubEnv(TOKEN) });
    const code = await run(["annotate", "42", "--repo", "acme/shop", "--api-url", server.url, "--history", "0", "--no-config", "--no-summary", "--no-cache", ...args], io);
    return { code, out: io.out(), err: io.err() };
  };

  it("a lock failure: the check run has the lock notice after the root cause and in its summary; the comment has it", async () => {
    const posted = routes(lockedLog(SHA), [listed(41, SHA, "2026-06-18T09:11:02Z", "completed", "cancelled")]);
    const { code } = await annotate(["--check-run", "--comment"]);
    expect(code).toBe(0);
    const [check] = posted.checkRuns as Array<{ conclusion: string; output: { summary: string; annotations: Array<{ annotation_level: string; title: string; message: string }> } }>;
    expect(check?.conclusion).toBe("failure");
    expect(check?.output.annotations.map((a) => a.annotation_level)).toEqual(["failure", "notice", "notice"]);
    expect(check?.output.annotations[1]?.title).toMatch(/^kamal-doctor: deploy lock stale: taken by run 41 \(https:\/\/github.com\/acme\/shop\/actions\/runs\/41\), which was cancelled/);
    expect(check?.output.summary).toContain("**Deploy lock:** stale: taken by run 41");
    expect(posted.comments[0]).toContain("**Deploy lock:** stale: taken by run 41");
    expect(posted.comments[0]).toContain("1. See that no deploy is running (`kamal lock status`");
  });

  const cancelled = (released: boolean) =>
    stamped(
      [
        "Acquiring the deploy lock...",
        "Build and push app image...",
        "  INFO [1f0c2b7a] Running docker buildx build --output=type=registry -t ghcr.io/acme/shop:abc . 2>&1 as runner@localhost",
        ...(released ? ["Releasing the deploy lock..."] : []),
      ],
      "bin/kamal deploy -d production",
      ["##[error]The operation was canceled."],
    );

  it("a cancelled run that took the lock and never released it: posts a neutral check run with a notice, and the comment", async () => {
    const posted = routes(cancelled(false), [], { conclusion: "cancelled" });
    const { code, out } = await annotate(["--check-run", "--comment"]);
    expect(code).toBe(0);
    expect(out).toContain('run 42 (attempt 1) of acme/shop: job "deploy" was cancelled after "Acquiring the deploy lock..." and before "Releasing the deploy lock...": the deploy lock was probably left held.');
    expect(out).toContain("Created check run");
    expect(out).toContain("Commented on pull request #7");
    expect(posted.checkRuns).toHaveLength(1);
    const check = posted.checkRuns[0] as { conclusion: string; output: { title: string; summary: string; annotations: Array<{ annotation_level: string; title: string }> } };
    expect(check.conclusion).toBe("neutral");
    expect(check.output.title).toBe('The deploy lock was probably left held: this deploy took it ("Acquiring the deploy lock...") and was cancelled before "Releasing the deploy lock..."');
    expect(check.output.annotations.filter((a) => a.annotation_level === "notice").map((a) => a.title)).toContain(
      'kamal-doctor: deploy lock probably left held: this deploy took it ("Acquiring the deploy lock...") and was cancelled before "Releasing the deploy lock..."',
    );
    expect(check.output.summary).toContain("**Deploy lock:** probably left held");
    expect(check.output.summary).toContain("`kamal lock release -d production`");
    // Not a failure's diagnosis: no memory marker for the history to count.
    expect(check.output.summary).not.toContain("kamal-doctor:memory");
    expect(posted.comments).toHaveLength(1);
    expect(posted.comments[0]).toContain("**Deploy lock:** probably left held");
    expect(posted.comments[0]).toContain("Check it: `kamal lock status -d production`; once no deploy is running, release it: `kamal lock release -d production`.");
  });

  it("--dry-run prints what it would post, posts nothing", async () => {
    const posted = routes(cancelled(false), [], { conclusion: "cancelled" });
    const { code, out } = await annotate(["--check-run", "--comment", "--dry-run"]);
    expect(code).toBe(0);
    expect(out).toContain('Would create check run "kamal-doctor" on 8b1e0d7c6a5f (conclusion neutral, ');
    expect(out).toContain("  notice: kamal-doctor: deploy lock probably left held");
    expect(out).toContain("Would comment on pull request #7");
    expect(out).toContain("**Deploy lock:** probably left held");
    // No root cause: the lock leads, before where the log stops.
    expect(out.indexOf("**Deploy lock:**")).toBeLessThan(out.indexOf("#### 🟡 The log stops while Kamal was still building the image"));
    expect(posted.checkRuns).toEqual([]);
    expect(posted.comments).toEqual([]);
  });

  it("says and posts nothing of the lock when the cancelled deploy released it", async () => {
    const posted = routes(cancelled(true), [], { conclusion: "cancelled" });
    const { out } = await annotate(["--check-run", "--comment"]);
    expect(out).not.toContain("left held");
    expect(out).toContain("nothing to annotate");
    expect(posted.checkRuns).toEqual([]);
    expect(posted.comments).toEqual([]);
  });
});
