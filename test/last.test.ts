// `kamal-doctor last`: the newest of Kamal 2.12's `output: file:` logs, found through
// config/deploy.yml or --dir, diagnosed with its trailer trusted; `--list` shows the recent ones.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { parseLogName, trailerOf } from "../src/last/files.js";
import { memoryIO } from "./support/io.js";

const HEALTH_FAILED = [
  "Acquiring the deploy lock...",
  "Start container with version 3f2a9c1e8b7d (or reboot if already running)...",
  '  INFO [9a4e7b13] Running docker exec kamal-proxy kamal-proxy deploy myapp-web --target="4f9c2d1e8a7b:80" --deploy-timeout="30s" on 203.0.113.10',
  " ERROR Failed to boot web on 203.0.113.10",
  "Releasing the deploy lock...",
  "# FAILED: SSHKit::Runner::ExecuteError: Exception while executing on host 203.0.113.10: docker exit status: 1",
  "docker stdout: Nothing written",
  "docker stderr: Error: target failed to become healthy within configured timeout (30s) (41.2s)",
  "",
].join("\n");
const COMPLETED = ["Acquiring the deploy lock...", "Releasing the deploy lock...", "# Completed in 63.1s", ""].join("\n");
const LOCKED = ["Acquiring the deploy lock...", "Deploy lock already in place!", "Locked by: Jane Doe at 2026-06-18T09:12:44Z", "# FAILED: Kamal::Cli::LockError: Deploy lock found. Run 'kamal lock help' for more information (1.9s)", ""].join("\n");

function project(files: Record<string, string>, config: string | null = "service: myapp\noutput:\n  file:\n    path: log/kamal\n") {
  const root = mkdtempSync(path.join(tmpdir(), "kamal-doctor-last-"));
  mkdirSync(path.join(root, "config"));
  mkdirSync(path.join(root, "log/kamal"), { recursive: true });
  if (config !== null) writeFileSync(path.join(root, "config/deploy.yml"), config);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(root, "log/kamal", name), text);
  return root;
}

async function kd(args: string[], cwd: string) {
  const io = memoryIO({ cwd });
  const code = await run(["last", ...args], io);
  return { code, out: io.out(), err: io.err() };
}

describe("kamal-doctor last", () => {
  it("diagnoses the newest log under output.file.path; the FAILED trailer is the final error", async () => {
    const root = project({ "2026-06-18T09-00-00_deploy.log": COMPLETED, "2026-06-18T10-14-00_staging_deploy.log": HEALTH_FAILED, "notes.txt": "x" });
    const { code, out } = await kd(["--format", "json"], root);
    expect(code).toBe(1);
    const report = JSON.parse(out) as { outcome: string; sources: Array<{ name: string }>; deploy: { command: string }; findings: Array<{ ruleId: string; rootCause: boolean; evidence: string[] }> };
    expect(report.outcome).toBe("failed");
    expect(report.sources[0]?.name).toBe("2026-06-18T10-14-00_staging_deploy.log");
    expect(report.deploy.command).toBe("deploy");
    expect(report.findings[0]?.ruleId).toBe("proxy-target-unhealthy");
    expect(report.findings[0]?.evidence.join("\n")).toContain("target failed to become healthy within configured timeout (30s)");
    expect(report.findings[0]?.evidence.join("\n")).not.toContain("(41.2s)");
  });

  it("a completed newest log is a success (exit 0); --dir overrides the config", async () => {
    const root = project({ "2026-06-18T09-00-00_deploy.log": HEALTH_FAILED, "2026-06-18T11-00-00_deploy.log": COMPLETED }, null);
    const { code, out } = await kd(["--dir", "log/kamal"], root);
    expect(code).toBe(0);
    expect(out).toMatch(/No failure found/i);
  });

  it("-d picks the destination's newest log", async () => {
    const root = project({ "2026-06-18T09-00-00_staging_deploy.log": LOCKED, "2026-06-18T11-00-00_production_deploy.log": COMPLETED });
    const { code, out } = await kd(["-d", "staging"], root);
    expect(code).toBe(1);
    expect(out).toContain("Another deploy holds the deploy lock");
    // The destination in the log's name is the lock's: its commands carry it.
    expect(out).toContain("`kamal lock status -d staging`");
  });

  it("--list shows the recent logs, newest first, with the trailer's outcome", async () => {
    const root = project({
      "2026-06-18T09-00-00_deploy.log": COMPLETED,
      "2026-06-18T10-14-00_staging_deploy.log": HEALTH_FAILED,
      "2026-06-18T10-20-00_staging_app_boot.log": "Start container with version 1...\n",
    });
    const { code, out } = await kd(["--list"], root);
    expect(code).toBe(0);
    expect(out.split("\n")).toEqual([
      "2026-06-18 10:20:00  staging  app boot         no trailer (interrupted or running)",
      "2026-06-18 10:14:00  staging  deploy    41.2s  FAILED SSHKit::Runner::ExecuteError: Exception while executing on host 203.0.113.10: docker exit status: 1",
      "2026-06-18 09:00:00  -        deploy    63.1s  completed",
      "",
    ]);
  });

  it("no output.file.path, an empty directory, a bad --limit: one line, exit 2", async () => {
    const none = await kd([], project({}, "service: myapp\n"));
    expect(none.code).toBe(2);
    expect(none.err).toBe("kamal-doctor: config/deploy.yml has no output.file.path (Kamal >= 2.12 `output: file: path:`); give the directory with --dir\n");
    const empty = await kd([], project({}));
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/^kamal-doctor: no Kamal logs \(<timestamp>\[_<dest>\]_<command>\.log\) in .+log\/kamal\n$/);
    const missing = await kd(["--dir", "nowhere"], project({}));
    expect(missing.err).toMatch(/^kamal-doctor: cannot read .+nowhere: ENOENT\n$/);
    expect((await kd(["--list", "-n", "0"], project({}))).code).toBe(2);
  });
});

describe("Kamal's log file names and trailers", () => {
  it("splits the destination from the command and subcommand", () => {
    expect(parseLogName("2026-06-18T09-12-44_deploy.log")).toMatchObject({ startedAt: "2026-06-18T09:12:44", destination: null, command: "deploy" });
    expect(parseLogName("2026-06-18T09-12-44_eu_west_app_boot.log")).toMatchObject({ destination: "eu_west", command: "app boot" });
    expect(parseLogName("deploy.log")).toBeNull();
  });

  it("reads a multi-line FAILED message, a completion, and a missing trailer", () => {
    expect(trailerOf(HEALTH_FAILED.split("\n"))).toEqual({ outcome: "failed", errorClass: "SSHKit::Runner::ExecuteError", message: "Exception while executing on host 203.0.113.10: docker exit status: 1", seconds: 41.2 });
    expect(trailerOf(LOCKED.split("\n"))).toMatchObject({ outcome: "failed", errorClass: "Kamal::Cli::LockError", message: "Deploy lock found. Run 'kamal lock help' for more information", seconds: 1.9 });
    expect(trailerOf(COMPLETED.split("\n"))).toEqual({ outcome: "succeeded", errorClass: null, message: null, seconds: 63.1 });
    expect(trailerOf(["Acquiring the deploy lock..."]).outcome).toBe("unknown");
  });

  it("reads output.file.path as Kamal merges the config: the destination file wins, anchors resolve, ERB needs --dir", async () => {
    const root = project({}, "service: myapp\nx-paths: &paths\n  path: log/kamal\noutput:\n  file: *paths\n");
    mkdirSync(path.join(root, "log/staging"), { recursive: true });
    writeFileSync(path.join(root, "log/staging/2026-06-18T10-14-00_staging_deploy.log"), HEALTH_FAILED);
    // The anchor gives log/kamal, which is empty: said with its path.
    expect((await kd([], root)).err).toMatch(/no Kamal logs .+log\/kamal\n$/);
    writeFileSync(path.join(root, "config/deploy.staging.yml"), "output:\n  file:\n    path: log/staging\n");
    const staged = await kd(["-d", "staging", "--format", "json"], root);
    expect(staged.code).toBe(1);
    // Found under log/staging (log/kamal has no log at all).
    expect((JSON.parse(staged.out) as { sources: Array<{ name: string }> }).sources[0]?.name).toBe("2026-06-18T10-14-00_staging_deploy.log");
    writeFileSync(path.join(root, "config/deploy.yml"), 'service: myapp\noutput:\n  file:\n    path: <%= ENV["LOG_DIR"] %>\n');
    const erb = await kd([], root);
    expect(erb.code).toBe(2);
    expect(erb.err).toBe("kamal-doctor: config/deploy.yml: output.file.path is computed by ERB; give the directory with --dir\n");
  });
});
