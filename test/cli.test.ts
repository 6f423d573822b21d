// The CLI in-process (run(argv, io)) and as a child process (bin/kamal-doctor.js, built dist/).
import { execFile, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { memoryIO } from "./support/io.js";

const root = path.resolve(import.meta.dirname, "..");
const sample = path.join(root, "fixtures/sample/kamal2-healthcheck-failed.log");
const sampleText = readFileSync(sample, "utf8");
/** A log only the health-check rule explains (the sample's root cause may change as the catalogue grows). */
const healthText = "  ERROR (SSHKit::Command::Failed): Exception while executing on host 10.0.0.1: docker exit status: 1\ndocker stderr: Error: target failed to become healthy within configured timeout (30s)\n";
const bin = path.join(root, "bin/kamal-doctor.js");
const exec = promisify(execFile);
const tmp = () => mkdtempSync(path.join(tmpdir(), "kamal-doctor-"));

describe("analyze (in-process)", () => {
  it("diagnoses a file, root cause first, and exits 1", async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "deploy.log"), healthText);
    const io = memoryIO({ cwd: dir });
    expect(await run(["deploy.log"], io)).toBe(1);
    const out = io.out();
    expect(out).toMatch(/ROOT CAUSE\s+The new container never became healthy/);
    expect(out.indexOf("ROOT CAUSE")).toBeLessThan(out.indexOf("evidence"));
    expect(out).toContain("target failed to become healthy within configured timeout (30s)");
    expect(out).toContain("deploy.log:2");
    expect(io.err()).toBe("");
  });

  it("aligns the evidence column when the key line (a later line number) leads", async () => {
    const io = memoryIO({ cwd: root });
    expect(await run(["fixtures/kamal2/pull-disk-full.log", "--no-config"], io)).toBe(1);
    const evidence = io.out().split("\n").filter((line) => / │ /.test(line)).slice(0, 2);
    expect(evidence.map((line) => line.match(/^\s*(\d+) │/)?.[1])).toEqual(["13", "8"]);
    expect(new Set(evidence.map((line) => line.indexOf("│"))).size).toBe(1);
  });

  it("diagnoses the bundled sample: the app crash before the health check", async () => {
    const io = memoryIO();
    expect(await run([sample, "-f", "json"], io)).toBe(1);
    const report = JSON.parse(io.out());
    expect(["app-boot", "secrets"]).toContain(report.findings[0].category);
    expect(report.findings.map((f: { ruleId: string }) => f.ruleId)).toContain("proxy-target-unhealthy");
  });

  it("reads piped stdin when no file is given, and '-' explicitly", async () => {
    const piped = memoryIO({ stdin: sampleText });
    expect(await run(["--format", "json"], piped)).toBe(1);
    expect(JSON.parse(piped.out()).sources[0].name).toBe("stdin");
    const dash = memoryIO({ stdin: sampleText });
    expect(await run(["-", "-f", "json"], dash)).toBe(1);
    expect(JSON.parse(dash.out()).outcome).toBe("failed");
  });

  it("prints usage and exits 2 when stdin is a terminal and no file is given", async () => {
    const io = memoryIO({ stdinIsTTY: true });
    expect(await run([], io)).toBe(2);
    expect(io.err()).toMatch(/^kamal-doctor: no input: give a log file/);
    expect(io.err().trim().split("\n")).toHaveLength(1);
  });

  it("exits 0 with outcome unknown on empty input and says so", async () => {
    const io = memoryIO({ stdin: "" });
    expect(await run([], io)).toBe(0);
    expect(io.out()).toContain("The input was empty");
    const json = memoryIO({ stdin: "" });
    expect(await run(["-f", "json"], json)).toBe(0);
    expect(JSON.parse(json.out()).outcome).toBe("unknown");
  });

  it("exits 0 on a successful deploy", async () => {
    const io = memoryIO({ stdin: "Acquiring the deploy lock...\nReleasing the deploy lock...\n  Finished all in 4.6 seconds\n" });
    expect(await run([], io)).toBe(0);
    expect(io.out()).toContain("No failure found");
  });

  it.each([
    [["missing.log"], /^kamal-doctor: missing\.log: no such file\n$/],
    [["--format", "xml", "x.log"], /option '-f, --format <format>' argument 'xml' is invalid/],
    [["--bogus"], /unknown option '--bogus'/],
    [["-", "-"], /'-' \(stdin\) can be given only once/],
  ])("bad usage %j → one line, exit 2", async (argv, message) => {
    const io = memoryIO({ cwd: tmp() });
    expect(await run(argv, io)).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.err()).not.toMatch(/\n\s+at /);
  });

  it("refuses a directory and binary data with one line, exit 2", async () => {
    const dir = tmp();
    const io = memoryIO({ cwd: dir });
    mkdirSync(path.join(dir, "logs"));
    expect(await run(["logs"], io)).toBe(2);
    expect(io.err()).toBe("kamal-doctor: logs: is a directory (give log files, or a run-logs .zip)\n");
    writeFileSync(path.join(dir, "core.bin"), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 3]));
    const binary = memoryIO({ cwd: dir });
    expect(await run(["core.bin"], binary)).toBe(2);
    expect(binary.err()).toBe("kamal-doctor: core.bin: looks like binary data, not a log\n");
  });

  it("refuses an unreadable file", async () => {
    if (process.getuid?.() === 0) return; // root reads everything
    const dir = tmp();
    const file = path.join(dir, "secret.log");
    writeFileSync(file, "x");
    chmodSync(file, 0);
    const io = memoryIO({ cwd: dir });
    expect(await run(["secret.log"], io)).toBe(2);
    expect(io.err()).toMatch(/permission denied/);
  });

  it("replaces invalid UTF-8 instead of failing", async () => {
    const io = memoryIO({ stdin: Buffer.concat([Buffer.from("docker stderr: Error: target failed to become healthy \xff\xfe"), Buffer.from([0xc3, 0x28, 0x0a])]) });
    expect(await run(["-f", "json"], io)).toBe(1);
    expect(JSON.parse(io.out()).findings[0].ruleId).toBe("proxy-target-unhealthy");
  });

  it("reads gzip by its magic bytes, whatever the name", async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "deploy.log"), gzipSync(healthText));
    const io = memoryIO({ cwd: dir });
    expect(await run(["deploy.log", "-f", "json"], io)).toBe(1);
    expect(JSON.parse(io.out()).findings[0].ruleId).toBe("proxy-target-unhealthy");
  });

  it("reads gzip from stdin too, by its first bytes", async () => {
    const io = memoryIO({ stdin: gzipSync(healthText) });
    expect(await run(["-f", "json"], io)).toBe(1);
    expect(io.err()).toBe("");
    expect(JSON.parse(io.out()).findings[0].ruleId).toBe("proxy-target-unhealthy");
  });

  it("a .gz missing its trailer: what decompressed is diagnosed, and stderr says the rest is lost", async () => {
    const dir = tmp();
    const whole = gzipSync(healthText);
    writeFileSync(path.join(dir, "deploy.log.gz"), whole.subarray(0, whole.length - 8));
    const io = memoryIO({ cwd: dir });
    expect(await run(["deploy.log.gz", "-f", "json"], io)).toBe(1);
    expect(JSON.parse(io.out()).findings[0].ruleId).toBe("proxy-target-unhealthy");
    expect(io.err()).toBe(`kamal-doctor: deploy.log.gz: the gzip data is truncated after ${Buffer.byteLength(healthText)} bytes of text: what decompressed is diagnosed, the rest is lost\n`);
    // On stdin the same; and when what was read shows no failure, the lost part may hold it: exit 2.
    const green = gzipSync("Finished all in 12.3 seconds\n");
    const cut = memoryIO({ stdin: green.subarray(0, green.length - 8) });
    expect(await run(["-"], cut)).toBe(2);
    expect(cut.err()).toMatch(/^kamal-doctor: stdin: the gzip data is truncated/);
  });

  it("a NUL byte or a few hundred stray bytes in the middle: the log is diagnosed, and stderr says how much was unreadable", async () => {
    const half = healthText.indexOf("\n") + 1;
    const stray = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 11) % 256));
    for (const [junk, count] of [
      [Buffer.from([0]), 1],
      [Buffer.concat([stray, Buffer.from("\n")]), null],
    ] as const) {
      // A log of a realistic size (2 KB): 300 stray bytes are a small share of it.
      const before = `${"  INFO [1a2b3c4d] Running docker container ls --all --filter name=^shop-web- on 10.0.0.1\n".repeat(20)}${healthText.slice(0, half)}`;
      const io = memoryIO({ stdin: Buffer.concat([Buffer.from(before), junk, Buffer.from(healthText.slice(half))]) });
      expect(await run(["-f", "json"], io)).toBe(1);
      expect(JSON.parse(io.out()).findings[0].ruleId).toBe("proxy-target-unhealthy");
      expect(io.err()).toMatch(/^kamal-doctor: stdin: about (\d+) of \d+ bytes could not be read as text \(NUL or invalid UTF-8\); the rest is diagnosed\n$/);
      if (count !== null) expect(io.err()).toContain(`about ${count} of`);
    }
  });

  it("several files: a missing or binary one is named on stderr and the others are still diagnosed", async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "deploy.log"), healthText);
    writeFileSync(path.join(dir, "green.log"), "Finished all in 12.3 seconds\n");
    writeFileSync(path.join(dir, "core.bin"), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1, 2, 3]));
    const io = memoryIO({ cwd: dir });
    expect(await run(["missing.log", "core.bin", "deploy.log", "-f", "json"], io)).toBe(1);
    expect(io.err()).toBe("kamal-doctor: missing.log: no such file\nkamal-doctor: core.bin: looks like binary data, not a log\n");
    const report = JSON.parse(io.out());
    expect(report.sources.map((source: { name: string }) => source.name)).toEqual(["deploy.log"]);
    expect(report.findings[0].ruleId).toBe("proxy-target-unhealthy");
    // What was read shows no failure, but the missing file may hold it: exit 2, not 0.
    const green = memoryIO({ cwd: dir });
    expect(await run(["green.log", "missing.log"], green)).toBe(2);
    expect(green.err()).toBe("kamal-doctor: missing.log: no such file\n");
    // Nothing readable at all: the error lines alone, exit 2.
    const none = memoryIO({ cwd: dir });
    expect(await run(["missing.log", "core.bin"], none)).toBe(2);
    expect(none.err()).toBe("kamal-doctor: missing.log: no such file\nkamal-doctor: core.bin: looks like binary data, not a log\n");
    expect(none.out()).toBe("");
  });

  it("reads UTF-16 text (PowerShell redirection)", async () => {
    const io = memoryIO({ stdin: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(healthText, "utf16le")]) });
    expect(await run(["-f", "json"], io)).toBe(1);
    expect(JSON.parse(io.out()).findings[0].ruleId).toBe("proxy-target-unhealthy");
  });

  it("analyses several files as separate sources", async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "ok.log"), "  Finished all in 1.0 seconds\n");
    writeFileSync(path.join(dir, "bad.log"), sampleText);
    const io = memoryIO({ cwd: dir });
    expect(await run(["ok.log", "bad.log", "-f", "json"], io)).toBe(1);
    const report = JSON.parse(io.out());
    expect(report.sources.map((s: { name: string }) => s.name)).toEqual(["ok.log", "bad.log"]);
    expect(report.findings[0].source).toBe("bad.log");
  });

  it("shows the key lines when no rule matches", async () => {
    const io = memoryIO({ stdin: "Acquiring the deploy lock...\n  ERROR (RuntimeError): Exception while executing on host 10.0.0.1: something nobody has seen before\n" });
    expect(await run([], io)).toBe(1);
    expect(io.out()).toContain("Failure not recognised");
    expect(io.out()).toContain("something nobody has seen before");
  });

  it("prints help with the exit codes, and the version", async () => {
    const io = memoryIO();
    expect(await run(["--help"], io)).toBe(0);
    expect(io.out()).toMatch(/Exit codes:[\s\S]*1 {2}a failure was diagnosed/);
    const version = memoryIO();
    expect(await run(["--version"], version)).toBe(0);
    expect(version.out().trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("colour", () => {
  it("is off when piped, on with FORCE_COLOR, off again with NO_COLOR or --no-color", async () => {
    const piped = memoryIO();
    await run([sample], piped);
    expect(piped.out()).not.toContain("\x1b[");
    const forced = memoryIO({ env: { FORCE_COLOR: "1" } });
    await run([sample], forced);
    expect(forced.out()).toContain("\x1b[");
    const noColor = memoryIO({ env: { FORCE_COLOR: "1", NO_COLOR: "1" } });
    await run([sample], noColor);
    expect(noColor.out()).not.toContain("\x1b[");
    const flag = memoryIO({ env: { FORCE_COLOR: "1" } });
    await run([sample, "--no-color"], flag);
    expect(flag.out()).not.toContain("\x1b[");
  });

  it("neutralises control characters of log lines in pretty output", async () => {
    const io = memoryIO({ stdin: "docker stderr: Error: target failed to become healthy \x07\x1b]0;pwned\x07\n" });
    await run([], io);
    expect(io.out()).not.toContain("\x07");
  });
});

describe("bin/kamal-doctor.js (child process)", () => {
  it("diagnoses stdin and exits 1", () => {
    const child = spawnSync(process.execPath, [bin, "-", "--format", "json"], { input: healthText, encoding: "utf8" });
    expect(child.status).toBe(1);
    expect(JSON.parse(child.stdout).findings[0].ruleId).toBe("proxy-target-unhealthy");
  });

  it("reads stdin from a pipe", () => {
    const child = spawnSync(process.execPath, [bin, sample], { encoding: "utf8" });
    expect(child.status).toBe(1);
    const piped = spawnSync(process.execPath, [bin], { input: sampleText, encoding: "utf8" });
    expect(piped.stdout).toBe(child.stdout.replaceAll(sample, "stdin"));
    expect(child.status).toBe(1);
    expect(child.stdout).toContain("ROOT CAUSE");
  });

  it("exits 2 with one line for a missing file", async () => {
    const error = await exec(process.execPath, [bin, "/nonexistent/deploy.log"]).catch((e: { code: number; stderr: string }) => e);
    expect(error).toMatchObject({ code: 2, stderr: "kamal-doctor: /nonexistent/deploy.log: no such file\n" });
  });

  it("says nothing when the reader closes the pipe early, and still exits with the diagnosis's code", async () => {
    const child = spawn(process.execPath, [bin, sample, "--verbose"], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy(); // the reader is gone before anything is written: the write meets EPIPE
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    expect(stderr).toBe("");
    expect(status).toBe(1);
  });

  it.runIf(existsSync("/dev/full"))("a full output device is one line on stderr, not a stack trace", () => {
    const child = spawnSync("sh", ["-c", `"${process.execPath}" "${bin}" "${sample}" > /dev/full`], { encoding: "utf8" });
    expect(child.stderr).toBe("kamal-doctor: cannot write to standard output (ENOSPC); the rest of the output is lost\n");
    expect(child.status).toBe(1);
  });
});
