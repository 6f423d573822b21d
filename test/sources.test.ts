// Inputs: a zip of logs gives one source per entry; broken archives are refused with one line.
// Regular files are read whole or in chunks, a named pipe as a stream: the same report either way.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { memoryIO } from "./support/io.js";
import { makeZip } from "./support/zip.js";

const failing = "  ERROR (SSHKit::Command::Failed): Exception while executing on host 10.0.0.1: docker exit status: 1\ndocker stderr: Error: target failed to become healthy\n";

describe("zip input", () => {
  it("analyses each entry as its own source", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-zip-"));
    writeFileSync(
      path.join(dir, "logs.zip"),
      makeZip([
        { name: "0_build.txt", data: "2026-01-01T00:00:00.0000000Z   Finished all in 1.0 seconds\n" },
        { name: "deploy/", data: "" },
        { name: "1_deploy.txt", data: failing, compress: false },
      ]),
    );
    const io = memoryIO({ cwd: dir });
    expect(await run(["logs.zip", "-f", "json"], io)).toBe(1);
    const report = JSON.parse(io.out());
    expect(report.sources.map((s: { name: string }) => s.name)).toEqual(["logs.zip/0_build.txt", "logs.zip/1_deploy.txt"]);
    expect(report.findings[0]).toMatchObject({ source: "logs.zip/1_deploy.txt", ruleId: "proxy-target-unhealthy" });
  });

  it("reads each job of a GitHub run-logs zip once, not its whole log and its steps both; each job is a deploy", async () => {
    const fixture = (name: string) => readFileSync(path.join(import.meta.dirname, "..", "fixtures", "kamal2", name), "utf8");
    const disk = fixture("pull-disk-full.log");
    const ssh = fixture("ssh-auth-failed.log");
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-zip-"));
    writeFileSync(
      path.join(dir, "run.zip"),
      makeZip([
        { name: "0_deploy.txt", data: `Set up job\n${disk}` },
        { name: "deploy/", data: "" },
        { name: "deploy/1_Set up job.txt", data: "Set up job\n" },
        { name: "deploy/2_Run bin kamal deploy.txt", data: disk },
        // A job whose whole log is missing: its steps, in order, are its log.
        { name: "staging/2_Run bin kamal deploy.txt", data: ssh.split("\n").slice(3).join("\n") },
        { name: "staging/1_Run bin kamal deploy.txt", data: `${ssh.split("\n").slice(0, 3).join("\n")}\n` },
      ]),
    );
    const io = memoryIO({ cwd: dir });
    expect(await run(["run.zip", "-f", "json"], io)).toBe(1);
    const report = JSON.parse(io.out());
    expect(report.sources.map((s: { name: string }) => s.name)).toEqual(["run.zip/0_deploy.txt", "run.zip/staging"]);
    expect(report.deploys.map((d: { source: string; outcome: string }) => [d.source, d.outcome])).toEqual([
      ["run.zip/0_deploy.txt", "failed"],
      ["run.zip/staging", "failed"],
    ]);
    const roots = report.findings.filter((f: { rootCause: boolean }) => f.rootCause).map((f: { source: string; ruleId: string }) => `${f.source} ${f.ruleId}`);
    expect(roots).toEqual(["run.zip/0_deploy.txt no-space-left", "run.zip/staging ssh-authentication-failed"]);
    // The disk-full finding is counted once: the step copy was not read.
    expect(report.findings.filter((f: { ruleId: string }) => f.ruleId === "no-space-left")).toHaveLength(1);
  });

  it("refuses a truncated archive with one line, exit 2", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-zip-"));
    const zip = makeZip([{ name: "a.txt", data: failing.repeat(50) }]);
    writeFileSync(path.join(dir, "cut.zip"), zip.subarray(0, zip.length - 30));
    const io = memoryIO({ cwd: dir });
    expect(await run(["cut.zip"], io)).toBe(2);
    expect(io.err()).toMatch(/^kamal-doctor: cut\.zip: not a readable zip archive/);
    expect(io.err().trim().split("\n")).toHaveLength(1);
  });
});

describe("file paths", () => {
  const healthy = "  INFO [1a2b3c4d] Running docker ps on 10.0.0.1\n  INFO [1a2b3c4d] Finished in 0.1 seconds with exit status 0 (successful).\n";
  // Over 4 MB: read in 64 KiB chunks, with the failure in the last one and lines cut at chunk edges.
  const big = healthy.repeat(Math.ceil((4.5 * 1024 * 1024) / healthy.length)) + failing;

  it("gives a large file the same report as the same text on stdin", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-big-"));
    writeFileSync(path.join(dir, "big.log"), big);
    const fromFile = memoryIO({ cwd: dir });
    expect(await run(["big.log", "-f", "json"], fromFile)).toBe(1);
    const fromStdin = memoryIO({ cwd: dir, stdin: big });
    expect(await run(["-", "-f", "json"], fromStdin)).toBe(1);
    const file = JSON.parse(fromFile.out());
    expect(file.sources[0].lines).toBe(big.split("\n").length - 1);
    expect(JSON.parse(fromFile.out().replaceAll('"big.log"', '"stdin"'))).toEqual(JSON.parse(fromStdin.out()));
    expect(file.findings[0]).toMatchObject({ ruleId: "proxy-target-unhealthy" });
  });

  it("reads a device path as a stream: /dev/null is an empty input", async () => {
    const io = memoryIO();
    expect(await run(["/dev/null", "-f", "json"], io)).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ outcome: "unknown", sources: [{ name: "/dev/null", lines: 0 }] });
  });

  it("reads a named pipe (`kamal-doctor <(kamal deploy)`) as a stream, losing nothing", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-fifo-"));
    const fifo = path.join(dir, "deploy.fifo");
    expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
    const text = healthy.repeat(2000) + failing;
    const writer = writeFile(fifo, text);
    const io = memoryIO({ cwd: dir });
    expect(await run(["deploy.fifo", "-f", "json"], io)).toBe(1);
    await writer;
    const report = JSON.parse(io.out());
    expect(report.sources[0]).toMatchObject({ name: "deploy.fifo", lines: text.split("\n").length - 1 });
    expect(report.findings[0]).toMatchObject({ ruleId: "proxy-target-unhealthy" });
  });
});
