// `exec --collect`: after a failed deploy, the read-only follow-ups run against a fake `kamal`
// on PATH, their output becomes sources of the report, and what the app said becomes the root cause.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { versionBefore } from "../src/collect/audit.js";
import { planCollection, sharedOptions } from "../src/collect/plan.js";
import type { Report } from "../src/core/report.js";
import { fakeKamalDir } from "./support/fake-kamal.js";
import { memoryIO } from "./support/io.js";

const bin = fakeKamalDir();

function setup(env: Record<string, string> = {}) {
  const calls = path.join(mkdtempSync(path.join(tmpdir(), "kamal-doctor-calls-")), "calls");
  const io = memoryIO({ env: { PATH: `${bin}${path.delimiter}${process.env["PATH"] ?? ""}`, FAKE_KAMAL_CALLS: calls, ...env } });
  const called = (): string[][] => {
    try {
      return readFileSync(calls, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as string[]);
    } catch {
      return [];
    }
  };
  return { io, called };
}

async function json(args: string[], env: Record<string, string> = {}) {
  const t = setup(env);
  const code = await run(["exec", "--format", "json", ...args, "--", "kamal", "deploy", "-d", "staging", "--config-file=config/deploy.staging.yml"], t.io);
  const err = t.io.err();
  const report = JSON.parse(err.slice(err.indexOf("{"))) as Report;
  return { code, report, err, calls: t.called() };
}

describe("exec --collect", () => {
  it("without --collect, a single-role health-check failure has only the proxy's verdict", async () => {
    const { code, report, calls } = await json([]);
    expect(code).toBe(1);
    expect(report.findings[0]?.category).toBe("health-check");
    expect(report.sources.map((s) => s.name)).toEqual(["kamal deploy"]);
    expect(calls).toHaveLength(1);
  });

  it("runs app logs for the proxy's target, proxy logs and audit with the same -d/-c, and the app's crash becomes the root cause", async () => {
    const { code, report, err, calls } = await json(["--collect"]);
    expect(code).toBe(1);
    expect(calls.slice(1)).toEqual([
      ["app", "logs", "--container-id", "4f9c2d1e8a7b", "--lines", "200", "-d", "staging", "-c", "config/deploy.staging.yml"],
      ["proxy", "logs", "--lines", "100", "-d", "staging", "-c", "config/deploy.staging.yml"],
      ["audit", "-d", "staging", "-c", "config/deploy.staging.yml"],
    ]);
    expect(err).toContain("kamal-doctor: collect: kamal app logs --container-id 4f9c2d1e8a7b --lines 200 -d staging -c config/deploy.staging.yml\n");
    expect(err).toContain("kamal-doctor: collect: kamal audit: the version booted before this one was 1a2b3c4d5e6f — the audit log records boot attempts, not successes");
    expect(report.sources.map((s) => s.name)).toEqual(["kamal deploy", "kamal app logs", "kamal proxy logs", "kamal audit"]);
    const root = report.findings[0];
    expect(root?.rootCause).toBe(true);
    expect(root?.category).toBe("app-boot");
    expect(root?.source).toBe("kamal app logs");
    expect(root?.evidence.join("\n")).toContain("ActiveRecord::ConnectionNotEstablished");
    expect(report.findings.some((f) => f.category === "health-check" && !f.rootCause)).toBe(true);
    // Redacted like everything else.
    expect(err).not.toContain("s3cr3tpassw0rd");
  });

  it("the pretty diagnosis names the collected source and the app's line", async () => {
    const t = setup();
    const code = await run(["exec", "--no-color", "--collect", "--", "kamal", "deploy"], t.io);
    expect(code).toBe(1);
    expect(t.io.err()).toMatch(/kamal app logs:\d+/);
    expect(t.io.err()).toContain("ConnectionNotEstablished");
  });

  it("a hanging follow-up is stopped at its limit, one line, and the rest still runs", async () => {
    const { code, report, err, calls } = await json(["--collect", "--collect-timeout", "2"], { FAKE_KAMAL_HANG: "proxy logs" });
    expect(code).toBe(1);
    expect(err).toMatch(/kamal-doctor: collect: kamal proxy logs: no answer within 1s, stopped it\n/);
    expect(report.sources.map((s) => s.name)).toEqual(["kamal deploy", "kamal app logs", "kamal audit"]);
    expect(calls.map((c) => c[0])).toEqual(["deploy", "app", "proxy", "audit"]);
  });

  it("a failing follow-up (no SSH) is one line and the diagnosis goes on", async () => {
    const { code, report, err } = await json(["--collect"], { FAKE_KAMAL_FAIL: "app logs" });
    expect(code).toBe(1);
    expect(err).toContain("kamal-doctor: collect: kamal app logs: exit code 1: ERROR (Net::SSH::ConnectionTimeout): Exception while executing on host 203.0.113.10");
    expect(report.sources.map((s) => s.name)).toEqual(["kamal deploy", "kamal proxy logs", "kamal audit"]);
    expect(report.findings[0]?.category).toBe("health-check");
  });

  it("a missing kamal binary is one line; the deploy's own diagnosis stands", async () => {
    const own = fakeKamalDir();
    const t = setup({ FAKE_KAMAL_VANISH: "1" });
    const code = await run(["exec", "--collect", "--", path.join(own, "kamal"), "deploy"], t.io);
    expect(code).toBe(1);
    expect(t.io.err()).toContain(`kamal-doctor: collect: ${path.join(own, "kamal")}: not found; collecting nothing more\n`);
    expect(t.io.err()).not.toContain("proxy logs");
    expect(t.io.err()).toContain("target failed to become healthy");
  });

  it("a deploy ended by a signal (Ctrl-C, a cancelled job) collects nothing", async () => {
    const { code, err, calls } = await json(["--collect"], { FAKE_KAMAL_SIGNAL: "1" });
    expect(code).toBe(143);
    expect(err).toContain("kamal-doctor: collect: skipped, the command was interrupted\n");
    expect(calls).toHaveLength(1);
  });

  it("--collect-timeout must be a positive number", async () => {
    const t = setup();
    expect(await run(["exec", "--collect", "--collect-timeout", "soon", "--", "kamal", "deploy"], t.io)).toBe(2);
    expect(t.io.err()).toContain("--collect-timeout: expected a number of seconds");
  });
});

describe("planCollection", () => {
  const base = (over: Partial<Report["deploy"]>, category = "deploy-lock"): Report =>
    ({
      outcome: "failed",
      deploy: { kamalVersion: "2.x", command: "deploy", hosts: [], phases: [], failedPhase: null, seconds: null, failedCommand: null, ...over },
      findings: [{ rootCause: true, category, severity: "error", phase: "lock" }],
    }) as unknown as Report;

  it("a lock error asks for the lock status; only read-only commands ever", () => {
    const plan = planCollection(base({ failedPhase: "lock" }), ["bin/kamal", "deploy", "-r", "web"], { containerId: null, version: null });
    expect(plan.map((c) => c.argv)).toEqual([
      ["bin/kamal", "lock", "status", "-r", "web"],
      ["bin/kamal", "audit", "-r", "web"],
    ]);
  });

  it("Kamal 1: Traefik's logs, no audit; app logs by version when no container is known", () => {
    const plan = planCollection(base({ kamalVersion: "1.x", failedPhase: "health-check" }, "health-check"), ["kamal", "deploy"], { containerId: null, version: "abc123" });
    expect(plan.map((c) => c.argv.slice(1).join(" "))).toEqual(["app logs --version abc123 --lines 200", "traefik logs --lines 100"]);
  });

  it("nothing for a non-Kamal command or a deploy that did not fail", () => {
    expect(planCollection(base({}), ["make", "deploy"], { containerId: null, version: null })).toEqual([]);
    expect(planCollection({ ...base({}), outcome: "succeeded" }, ["kamal", "deploy"], { containerId: null, version: null })).toEqual([]);
  });

  it("shares -d, -c and -r in every spelling, and nothing else", () => {
    expect(sharedOptions(["deploy", "--destination=prod", "-cconfig/x.yml", "--roles", "web,job", "--version", "v1", "-v"])).toEqual(["-d", "prod", "-c", "config/x.yml", "-r", "web,job"]);
  });
});

describe("versionBefore (kamal audit)", () => {
  const audit = [
    "App Host: 203.0.113.10",
    "[2026-06-18T08:00:00Z] [Jane Doe] Booted app version 0a0a0a0a",
    "[2026-06-19T08:01:12Z] [Jane Doe] Booted app version 1a2b3c4d",
    "[2026-06-20T10:13:30Z] [Jane Doe] [staging] Booted app version 3f2a9c1e",
  ];
  it("is the version booted before the failing one, not the failing one itself", () => {
    expect(versionBefore(audit, "3f2a9c1e")).toBe("1a2b3c4d");
    expect(versionBefore(audit, null)).toBe("1a2b3c4d");
    expect(versionBefore(audit.slice(0, 2), "0a0a0a0a")).toBeNull();
  });
});
