// Redaction: every secret shape the issue names, values learned in one place masked everywhere,
// and a hostile log run through every output inside Actions: no secret and no foreign workflow
// command survives.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { FORMAT_NAMES, FORMATS } from "../src/format/index.js";
import { redactReport, redactText, REDACTED } from "../src/report/redact.js";
import { runnerCommands } from "./support/actions-runner.js";
import { analyze } from "./support/analyze.js";
import { memoryIO } from "./support/io.js";

const R = REDACTED;

describe("redactText", () => {
  it.each([
    ["docker login -u deploy -p Sup3rS3cret! registry.example.com", `docker login -u deploy -p ${R} registry.example.com`],
    ["docker login registry.example.com -u deploy -p 'quoted pass' ", `docker login registry.example.com -u deploy -p ${R} `],
    ["kamal registry login --password=hunter2hunter2", `kamal registry login --password=${R}`],
    ["docker login --username x --password s3cret-value host", `docker login --username x --password ${R} host`],
    ["echo $P | docker login --password-stdin -u x", "echo $P | docker login --password-stdin -u x"],
    ["docker run -p 3000:3000 -p 80:80 app", "docker run -p 3000:3000 -p 80:80 app"],
    ["token ghp_0123456789abcdefghijABCDEFGHIJ012345 here", `token ${R} here`],
    ["gho_0123456789abcdefghijABCDEFGHIJ012345 ghs_0123456789abcdefghijABCDEFGHIJ012345", `${R} ${R}`],
    ["github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012", R],
    ["key AKIAIOSFODNN7EXAMPLE used", `key ${R} used`],
    ["curl -H 'Authorization: Bearer abc.def-ghi_jkl' x", `curl -H 'Authorization: Bearer ${R}' x`],
    ["Authorization: Basic dXNlcjpwYXNz", `Authorization: Basic ${R}`],
    ["jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end", `jwt ${R} end`],
    ["postgres://app:db-pa55@db.internal:5432/app", `postgres://app:${R}@db.internal:5432/app`],
    ["https://x-access-token:abc123def@github.com/o/r.git", `https://x-access-token:${R}@github.com/o/r.git`],
    ["KAMAL_REGISTRY_PASSWORD=pw-in-env-123", `KAMAL_REGISTRY_PASSWORD=${R}`],
    ["  DB_PASSWORD: \"quoted value\"", `  DB_PASSWORD: ${R}`],
    ['{"api_token":"tok-123456"}', `{"api_token":${R}}`],
    ["STRIPE_SECRET=sk_live_abcdef MY_API_KEY = k-987654", `STRIPE_SECRET=${R} MY_API_KEY = ${R}`],
    ["SECRET_KEY_BASE=" + "ab".repeat(64), `SECRET_KEY_BASE=${R}`],
    ["master key 0123456789abcdef0123456789abcdef loaded", `master key ${R} loaded`],
    ["::add-mask::my-private-value", `::add-mask::${R}`],
    ["-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAA", `${R}`],
  ])("%s", (input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it("keeps what only looks like a secret: digests, SHAs, container ids, placeholders", () => {
    const text = [
      "sha256:" + "a1".repeat(32),
      "commit 0123456789abcdef0123456789abcdef01234567",
      "container 5c1d2e3f4a5b",
      "docker login -u deploy -p [REDACTED] registry",
      "KAMAL_REGISTRY_PASSWORD: ***",
      "ERROR unauthorized: incorrect username or password",
      "--env KAMAL_REGISTRY_PASSWORD --env RAILS_MASTER_KEY",
      "In .kamal/secrets: `RAILS_MASTER_KEY=$(cat config/master.key)` and KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD",
      "docker login -u x -p $REGISTRY_PASSWORD registry",
      "docker stderr: WARNING! Using --password via the CLI is insecure. Use --password-stdin.",
      "app/application.rb:658:in `validate_secret_key_base': Missing `secret_key_base`, run `bin/rails credentials:edit`",
    ].join("\n");
    expect(redactText(text)).toBe(text);
  });

  it("masks a value everywhere once it was seen as a secret", () => {
    const text = "docker login -u deploy -p Sup3rS3cret! reg\nError: login with Sup3rS3cret! refused";
    expect(redactText(text)).toBe(`docker login -u deploy -p ${R} reg\nError: login with ${R} refused`);
  });
});

// A log written to attack the tool: secrets in every shape, and workflow commands that would
// run if re-printed as they are.
const HOSTILE = [
  "Log into image registry...",
  "  INFO [2b3c4d5e] Running docker login registry.example.com -u deploy -p Reg1stryPassw0rd as deploy@localhost",
  "::add-mask::mask-me-please-123",
  "::set-output name=leak::ghp_0123456789abcdefghijABCDEFGHIJ012345",
  "  ##[set-env name=NODE_OPTIONS]--require /tmp/evil.js",
  "::stop-commands::fake-token",
  "::fake-token::",
  "::error title=Injected::this annotation is not ours",
  "Build and push app image...",
  "  INFO [3c4d5e6f] Running docker run --env KAMAL_REGISTRY_PASSWORD=Reg1stryPassw0rd --env RAILS_MASTER_KEY=0123456789abcdef0123456789abcdef registry.example.com/app:abc on 192.0.2.10",
  "  INFO [3c4d5e6f] DATABASE_URL=postgres://app:DbPassw0rd-77@db.internal:5432/app",
  "  INFO [3c4d5e6f] Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
  "  INFO [3c4d5e6f] AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE aws_secret_access_key=wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY",
  "  INFO [3c4d5e6f] github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012",
  "  ERROR (SSHKit::Command::Failed): Exception while executing on host 192.0.2.10: docker exit status: 1",
  " ERROR step failed ##[endgroup]",
  "docker stdout: Nothing written",
  "docker stderr: Error response from daemon: login with Reg1stryPassw0rd failed: unauthorized ::add-mask::x ##[error]boom",
  "",
].join("\n");

const SECRETS = [
  "Reg1stryPassw0rd",
  "mask-me-please-123",
  "ghp_0123456789abcdefghijABCDEFGHIJ012345",
  "0123456789abcdef0123456789abcdef",
  "DbPassw0rd-77",
  "eyJhbGciOiJIUzI1NiJ9",
  "AKIAIOSFODNN7EXAMPLE",
  "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY",
  "github_pat_11ABCDEFG",
];

describe("a hostile log", () => {
  it("leaves no secret in a redacted report", async () => {
    const report = await analyze(HOSTILE);
    const before = JSON.stringify(report);
    expect(SECRETS.some((secret) => before.includes(secret))).toBe(true);
    const after = JSON.stringify(redactReport(report));
    for (const secret of SECRETS) expect(after).not.toContain(secret);
  });

  it("masks what a secrets command printed when it is a finding's key line, under any name and of any length", async () => {
    const log = [
      "$ kamal secrets fetch --adapter passbolt --from shared DB_HOST API_HOST",
      '{"shared/DB_HOST":"db-9f2k.internal","shared/API_HOST":"q7z"}',
      "##[error]Process completed with exit code 1.",
      "",
    ].join("\n");
    const report = await analyze(log);
    expect(report.findings[0]?.origin).toEqual({ command: "secrets", text: "shell" });
    expect(JSON.stringify(report)).toContain("db-9f2k.internal");
    const after = JSON.stringify(redactReport(report));
    expect(after).not.toContain("db-9f2k.internal");
    expect(after).not.toContain('"q7z"');
    expect(redactReport(report).findings[0]?.evidence[0]).toBe('{"shared/DB_HOST":"[redacted]","shared/API_HOST":"[redacted]"}');
  });

  it.each(FORMAT_NAMES)("--format %s inside Actions: no secret printed or summarised, no foreign command run", async (format) => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-redact-"));
    const summary = path.join(dir, "summary.md");
    const io = memoryIO({ stdin: HOSTILE, env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary } });
    expect(await run(["-", "--format", format, "--verbose"], io)).toBe(1);
    const out = io.out();
    const written = readFileSync(summary, "utf8");
    for (const secret of SECRETS) {
      expect(out).not.toContain(secret);
      expect(written).not.toContain(secret);
      expect(io.err()).not.toContain(secret);
    }
    expect(written).toContain("kamal-doctor");
    const commands = runnerCommands(out).map((c) => c.name);
    const ours = FORMATS[format].runnerGuard === "none" ? ["error", "warning", "notice"] : ["stop-commands"];
    for (const name of commands) expect(ours).toContain(name);
    if (format === "pretty" || format === "markdown") expect(commands).toEqual(["stop-commands"]);
    if (format === "markdown") expect(out).toContain("ERROR step failed ##[endgroup]");
    if (format === "json") expect(JSON.parse(out).outcome).toBe("failed");
    expect(runnerCommands(io.err())).toEqual([]);
  });

  it("--no-redact keeps the log as it was (the user's own choice)", async () => {
    const io = memoryIO({ stdin: HOSTILE, env: { GITHUB_ACTIONS: "true" } });
    await run(["-", "--format", "markdown", "--verbose", "--no-redact", "--no-summary"], io);
    expect(io.out()).toContain("Reg1stryPassw0rd");
    // Still guarded from the runner.
    expect(runnerCommands(io.out()).map((c) => c.name)).toEqual(["stop-commands"]);
  });

  it.each(FORMAT_NAMES.filter((format) => FORMATS[format].redactOutsideActions))("--format %s outside Actions: no secret printed, summarised or on stderr", async (format) => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-redact-"));
    const summary = path.join(dir, "summary.md");
    const io = memoryIO({ stdin: HOSTILE, env: { GITHUB_STEP_SUMMARY: summary } });
    expect(await run(["-", "--format", format, "--verbose"], io)).toBe(1);
    const written = readFileSync(summary, "utf8");
    expect(written).toContain("kamal-doctor");
    for (const secret of SECRETS) {
      expect(io.out()).not.toContain(secret);
      expect(written).not.toContain(secret);
      expect(io.err()).not.toContain(secret);
    }
  });

  it.each(FORMAT_NAMES)("--format %s outside Actions: the job summary is redacted whatever the format prints", async (format) => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-redact-"));
    const summary = path.join(dir, "summary.md");
    const io = memoryIO({ stdin: HOSTILE, env: { GITHUB_STEP_SUMMARY: summary } });
    await run(["-", "--format", format, "--verbose"], io);
    const written = readFileSync(summary, "utf8");
    for (const secret of SECRETS) expect(written).not.toContain(secret);
  });

  it("outside Actions, pretty and json print the log as it is", async () => {
    const io = memoryIO({ stdin: HOSTILE });
    await run(["-", "--format", "json"], io);
    expect(io.out()).toContain("Reg1stryPassw0rd");
    expect(io.out()).not.toContain("stop-commands");
  });
});
