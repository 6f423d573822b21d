// `kamal-doctor exec -- …`: the command's output passes through live and byte for byte, the
// diagnosis follows on stderr, the exit code is the command's, and signals reach the command.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { CliIO } from "../src/cli/io.js";
import { kamalCommandOf } from "../src/cli/exec.js";
import { run } from "../src/cli/main.js";
import { runnerCommands } from "./support/actions-runner.js";

const root = path.resolve(import.meta.dirname, "..");
const bin = path.join(root, "bin/kamal-doctor.js");
const node = process.execPath;
const tmp = () => mkdtempSync(path.join(tmpdir(), "kamal-doctor-exec-"));

/** An io that keeps every chunk as bytes, with the time it arrived. */
function byteIO(env: Record<string, string | undefined> = {}) {
  const out: { at: number; bytes: Buffer }[] = [];
  const err: { at: number; bytes: Buffer }[] = [];
  const sink = (into: typeof out) => ({
    write: (chunk: string | Uint8Array) => into.push({ at: Date.now(), bytes: Buffer.from(chunk) }),
    isTTY: false,
  });
  const stdin = Readable.from([]) as Readable & { isTTY?: boolean };
  const io: CliIO = { stdin, stdout: sink(out), stderr: sink(err), env: { PATH: process.env["PATH"], ...env }, cwd: root };
  return { io, out, err, stdout: () => Buffer.concat(out.map((c) => c.bytes)), stderr: () => Buffer.concat(err.map((c) => c.bytes)).toString("utf8") };
}

const LOG = [
  "  INFO [92a3b4c5] Running docker exec kamal-proxy kamal-proxy deploy app-web --target=\"5c1d:80\" on 192.0.2.10",
  "  ERROR (SSHKit::Command::Failed): Exception while executing on host 192.0.2.10: docker exit status: 1",
  "docker stdout: Nothing written",
  "docker stderr: Error: target failed to become healthy within configured timeout (30s)",
].join("\n");

describe("exec", () => {
  it("passes stdout and stderr through byte for byte: partial lines, \\r progress, invalid UTF-8", async () => {
    const script = `
      process.stdout.write(Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x0d]));
      process.stdout.write("10%\\r50%\\r100%\\n");
      process.stderr.write("warn: no newline at end");
      process.stdout.write("caf\\u00e9 partial");`;
    const t = byteIO();
    expect(await run(["exec", "--", node, "-e", script], t.io)).toBe(0);
    expect(t.stdout()).toEqual(Buffer.concat([Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x0d]), Buffer.from("10%\r50%\r100%\ncafé partial")]));
    expect(t.stderr().startsWith("warn: no newline at end\n")).toBe(true);
    expect(t.stderr()).toContain("No failure found");
  });

  it("streams live: output arrives while the command is still running", async () => {
    const dir = tmp();
    const gate = path.join(dir, "go");
    const script = `
      const fs = require("fs");
      process.stdout.write("first half, no newline yet");
      const wait = setInterval(() => { if (fs.existsSync(${JSON.stringify(gate)})) { clearInterval(wait); console.log(" — second half"); } }, 20);`;
    const t = byteIO();
    // The command only finishes after the test saw its first output: no buffering to the end.
    const watcher = setInterval(() => {
      if (t.stdout().toString().includes("first half") && !existsSync(gate)) writeFileSync(gate, "");
    }, 10);
    const code = await run(["exec", "--", node, "-e", script], t.io);
    clearInterval(watcher);
    expect(code).toBe(0);
    expect(t.stdout().toString()).toBe("first half, no newline yet — second half\n");
    expect(t.out.length).toBeGreaterThanOrEqual(2);
  });

  it("exits with the command's code and diagnoses its output on stderr", async () => {
    const t = byteIO();
    const code = await run(["exec", "--", node, "-e", `console.log(${JSON.stringify(LOG)}); process.exit(42)`], t.io);
    expect(code).toBe(42);
    expect(t.stdout().toString()).toBe(`${LOG}\n`);
    expect(t.stderr()).toMatch(/ROOT CAUSE/);
    expect(t.stderr()).toContain("target failed to become healthy");
  });

  it("a nonzero exit alone is a failure, even when no line says so", async () => {
    const t = byteIO();
    expect(await run(["exec", "--format", "json", "--", node, "-e", "console.log('all good?'); process.exit(3)"], t.io)).toBe(3);
    const json = t.stderr().slice(t.stderr().indexOf("{"));
    expect(JSON.parse(json).outcome).toBe("failed");
  });

  it("a command that fails without printing anything says so, rather than promising lines", async () => {
    const t = byteIO();
    expect(await run(["exec", "--", node, "-e", "process.exit(1)"], t.io)).toBe(1);
    expect(t.stderr()).toContain("Failed without printing anything: nothing to diagnose.");
    expect(t.stderr()).not.toContain("lines that matter");
    const md = byteIO();
    expect(await run(["exec", "--format", "markdown", "--", node, "-e", "process.exit(1)"], md.io)).toBe(1);
    expect(md.stderr()).toContain("It failed without printing anything");
    expect(md.stderr()).not.toContain("lines that matter");
    // Output, but no line that looks like an error: no promise of lines either.
    const quiet = byteIO();
    expect(await run(["exec", "--", node, "-e", "console.log('hello'); process.exit(1)"], quiet.io)).toBe(1);
    expect(quiet.stderr()).toContain("No line of the output looks like an error.");
    expect(quiet.stderr()).not.toContain("lines that matter");
  });

  it("inside Actions: annotations and a job summary, the pretty report guarded", async () => {
    const summary = path.join(tmp(), "summary.md");
    const t = byteIO({ GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary });
    const script = `console.log(${JSON.stringify(`${LOG}\n::add-mask::leaked-value-123`)}); process.exit(1)`;
    expect(await run(["exec", "--", node, "-e", script], t.io)).toBe(1);
    const commands = runnerCommands(t.stderr());
    expect(commands[0]?.name).toBe("error");
    expect(commands[0]?.properties["title"]).toMatch(/^kamal-doctor: root cause — /);
    expect(commands.map((c) => c.name)).toContain("stop-commands");
    expect(commands.every((c) => ["error", "warning", "notice", "stop-commands"].includes(c.name))).toBe(true);
    expect(readFileSync(summary, "utf8")).toContain("## ❌ kamal-doctor: `kamal` failed");
    // The command's own output is not ours to change.
    expect(t.stdout().toString()).toContain("::add-mask::leaked-value-123");
    expect(t.stderr()).not.toContain("leaked-value-123");
  });

  it("a command that cannot start is exit 2 with one clear line", async () => {
    const t = byteIO();
    expect(await run(["exec", "--", "/no/such/kamal", "deploy"], t.io)).toBe(2);
    expect(t.stderr()).toBe("kamal-doctor: cannot start /no/such/kamal: command not found\n");
    const noCommand = byteIO();
    expect(await run(["exec"], noCommand.io)).toBe(2);
  });

  it("without --, the command's own options get a hint at --; a typo of exec's own does not", async () => {
    const t = byteIO();
    expect(await run(["exec", "sh", "-c", "exit 1"], t.io)).toBe(2);
    expect(t.stderr()).toBe("error: unknown option '-c' — the command and its options go after --: kamal-doctor exec [options] -- sh …\n");
    const typo = byteIO();
    expect(await run(["exec", "--formt", "json", "--", "sh"], typo.io)).toBe(2);
    expect(typo.stderr()).not.toContain("go after --");
  });

  it("names the Kamal command it wraps", () => {
    expect(kamalCommandOf(["kamal", "deploy", "-d", "staging"])).toBe("deploy");
    expect(kamalCommandOf(["bundle", "exec", "kamal", "-v", "setup"])).toBe("setup");
    expect(kamalCommandOf(["bin/kamal", "app", "boot"])).toBe("app");
    expect(kamalCommandOf(["make", "deploy"])).toBeNull();
  });
});

describe("exec forwards signals (built CLI)", () => {
  function start(script: string) {
    const child = spawn(node, [bin, "exec", "--", node, "-e", script], { stdio: ["pipe", "pipe", "pipe"], env: { PATH: process.env["PATH"] } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const ready = new Promise<void>((resolve) => {
      const check = () => (stdout.includes("ready") ? resolve() : setTimeout(check, 10));
      check();
    });
    const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    return { child, ready, exit, out: () => stdout, err: () => stderr };
  }

  const handler = (signal: string, code: number) =>
    `process.on(${JSON.stringify(signal)}, () => { console.log("child got ${signal}"); process.exit(${code}); }); console.log("ready"); setInterval(() => {}, 1000);`;

  it.each([
    ["SIGTERM", 42],
    ["SIGINT", 43],
  ] as const)("%s reaches the command, whose exit code is kept", async (signal, code) => {
    const p = start(handler(signal, code));
    await p.ready;
    p.child.kill(signal);
    expect(await p.exit).toBe(code);
    expect(p.out()).toContain(`child got ${signal}`);
    expect(p.err()).toContain("kamal-doctor");
  });

  it.each(["stdout", "stderr"] as const)("a reader of %s that goes away does not cut the deploy short: it runs to its end and keeps its code", async (stream) => {
    const marker = path.join(tmp(), "finished");
    const script = `for (let i = 0; i < 200000; i++) process.${stream}.write("  DEBUG [1a2b3c4d] line " + i + "\\n");
      console.log(${JSON.stringify(LOG)});
      require("fs").writeFileSync(${JSON.stringify(marker)}, "yes");
      process.exitCode = 3;`;
    const child = spawn(node, [bin, "exec", "--", node, "-e", script], { stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env["PATH"] } });
    child[stream].destroy(); // `kamal-doctor exec -- kamal deploy 2>&1 | head`, once head has had enough
    let stderr = "";
    if (stream === "stdout") child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))).toBe(3);
    expect(existsSync(marker)).toBe(true);
    // The diagnosis goes to stderr: readable when only stdout went away.
    if (stream === "stdout") expect(stderr).toContain("target failed to become healthy");
  });

  it("a command killed by the signal exits 128 + its number", async () => {
    const p = start(`console.log("ready"); setInterval(() => {}, 1000);`);
    await p.ready;
    p.child.kill("SIGTERM");
    expect(await p.exit).toBe(143);
  });
});
