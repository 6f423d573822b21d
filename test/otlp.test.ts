// OTLP/JSON logs (Kamal 2.12 `output: otel:`): as a file input, and posted by a real HTTP client
// to `kamal-doctor listen`, which diagnoses the run when its kamal.failed event arrives.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { memoryIO } from "./support/io.js";

const RUN = "0b7c2d1e-aaaa-bbbb-cccc-1234567890ab";
const str = (key: string, value: string) => ({ key, value: { stringValue: value } });
const line = (body: string, host?: string, severity = "INFO") => ({
  timeUnixNano: "1781000000000000000",
  severityNumber: severity === "ERROR" ? 17 : 9,
  severityText: severity,
  body: { stringValue: body },
  ...(host ? { attributes: [str("server.address", host), str("log.iostream", "stdout")] } : {}),
});
const request = (records: unknown[]) => ({
  resourceLogs: [{ resource: { attributes: [str("service.name", "kamal"), str("kamal.run_id", RUN), str("deployment.environment.name", "staging")] }, scopeLogs: [{ scope: { name: "kamal" }, logRecords: records }] }],
});
const LINES = [
  line("Start container with version 3f2a9c1e8b7d (or reboot if already running)..."),
  line('  INFO [9a4e7b13] Running docker exec kamal-proxy kamal-proxy deploy myapp-web --target="4f9c2d1e8a7b:80" --deploy-timeout="30s" on 203.0.113.10', "203.0.113.10"),
  line(" ERROR Failed to boot web on 203.0.113.10", "203.0.113.10", "ERROR"),
  line("Releasing the deploy lock..."),
];
const FAILED = {
  timeUnixNano: "1781000001000000000",
  severityNumber: 17,
  severityText: "ERROR",
  body: { stringValue: "kamal.failed" },
  eventName: "kamal.failed",
  attributes: [
    str("kamal.command", "deploy"),
    { key: "kamal.runtime", value: { doubleValue: 41.2 } },
    str("exception.type", "SSHKit::Runner::ExecuteError"),
    str("exception.message", "Exception while executing on host 203.0.113.10: docker exit status: 1\ndocker stdout: Nothing written\ndocker stderr: Error: target failed to become healthy within configured timeout (30s)"),
  ],
};

type Findings = { outcome: string; findings: Array<{ ruleId: string; rootCause: boolean }> };

describe("OTLP/JSON input", () => {
  it("a saved export is read as the lines it carries; kamal.failed is the final error", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "kamal-doctor-otlp-")), "deploy.json");
    writeFileSync(file, JSON.stringify(request([...LINES, FAILED])));
    const io = memoryIO();
    expect(await run([file, "--format", "json"], io)).toBe(1);
    const report = JSON.parse(io.out()) as Findings;
    expect(report.outcome).toBe("failed");
    expect(report.findings[0]?.ruleId).toBe("proxy-target-unhealthy");
  });

  it("one request per line (a collector's file exporter) works too; broken JSON is one line, exit 2", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-otlp-"));
    writeFileSync(path.join(dir, "a.json"), `${JSON.stringify(request(LINES))}\n${JSON.stringify(request([FAILED]))}\n`);
    const io = memoryIO();
    expect(await run([path.join(dir, "a.json"), "--format", "json"], io)).toBe(1);
    expect((JSON.parse(io.out()) as Findings).findings[0]?.ruleId).toBe("proxy-target-unhealthy");
    writeFileSync(path.join(dir, "b.json"), '{"resourceLogs": [');
    const bad = memoryIO();
    expect(await run([path.join(dir, "b.json")], bad)).toBe(2);
    expect(bad.err()).toMatch(/^kamal-doctor: .+b\.json: not valid OTLP\/JSON logs \(.+\)\n$/);
  });
});

describe("OTLP host attribution", () => {
  // A batch was lost: the pull's `Running … on HOST` line never arrived, only its output did.
  const PULL = [
    line("Pull app image..."),
    line("  INFO [2b7e91d0] Running docker pull registry.example.com/acme/shop:3f2a9c1e on 203.0.113.10", "203.0.113.10"),
    line("  INFO [2b7e91d0] Finished in 2.1 seconds with exit status 0 (successful).", "203.0.113.10"),
    line(" DEBUG [8c4d2a7f] \tfailed to register layer: write /var/lib/docker/overlay2/l/x: no space left on device", "203.0.113.11", "DEBUG"),
  ];
  const failed = { ...FAILED, attributes: [str("kamal.command", "deploy"), str("exception.type", "SSHKit::Runner::ExecuteError"), str("exception.message", "docker exit status: 1")] };
  const hostsOf = async (records: unknown[]) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "kamal-doctor-otlp-")), "deploy.json");
    writeFileSync(file, JSON.stringify(request(records)));
    const io = memoryIO();
    await run([file, "--format", "json"], io);
    const report = JSON.parse(io.out()) as { deploy: { hosts: string[] }; findings: Array<{ ruleId: string; hosts: string[] }> };
    return { deploy: report.deploy.hosts, finding: report.findings.find((f) => f.ruleId === "no-space-left")?.hosts };
  };

  it("puts a line on the host its record names, not the one its command would suggest", async () => {
    expect(await hostsOf([...PULL, failed])).toEqual({ deploy: ["203.0.113.10", "203.0.113.11"], finding: ["203.0.113.11"] });
  });

  it("listen attributes the lines it receives the same way", async () => {
    const io = memoryIO();
    const done = run(["listen", "--port", "0", "--once", "--format", "json"], io);
    for (let i = 0; i < 500 && !/listening on (\S+)\/v1\/logs/.test(io.err()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const base = /listening on (\S+)\/v1\/logs/.exec(io.err())?.[1] ?? "";
    for (const batch of [PULL.slice(0, 2), [...PULL.slice(2), failed]]) await fetch(`${base}/v1/logs`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(request(batch)) });
    expect(await done).toBe(1);
    const report = JSON.parse(io.out()) as { findings: Array<{ ruleId: string; hosts: string[] }> };
    expect(report.findings.find((f) => f.ruleId === "no-space-left")?.hosts).toEqual(["203.0.113.11"]);
  });

  it("the same lines as plain text cannot say which host ran out of space", async () => {
    const stripped = PULL.map(({ attributes: _attributes, ...rest }) => rest);
    expect(await hostsOf([...stripped, failed])).toEqual({ deploy: ["203.0.113.10"], finding: [] });
  });
});

describe("kamal-doctor listen", () => {
  async function listening(args: string[]) {
    const io = memoryIO();
    const done = run(["listen", "--port", "0", ...args], io);
    for (let i = 0; i < 500 && !/listening on (\S+)\/v1\/logs/.test(io.err()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const base = /listening on (\S+)\/v1\/logs/.exec(io.err())?.[1] ?? "";
    return { io, done, base };
  }
  const post = (base: string, body: unknown, type = "application/json") =>
    fetch(`${base}/v1/logs`, { method: "POST", headers: { "content-type": type }, body: typeof body === "string" ? body : JSON.stringify(body) });

  it("diagnoses a run when its kamal.failed event arrives, across requests", async () => {
    const { io, done, base } = await listening(["--once", "--format", "json"]);
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await post(base, request(LINES))).status).toBe(200);
    expect(io.out()).toBe("");
    // Protobuf and other paths are refused, and change nothing.
    expect((await post(base, "\x0a\x00", "application/x-protobuf")).status).toBe(415);
    expect((await fetch(`${base}/v1/traces`, { method: "POST", body: "{}" })).status).toBe(404);
    expect((await post(base, "{not json")).status).toBe(400);
    expect((await post(base, request([FAILED]))).status).toBe(200);
    expect(await done).toBe(1);
    const report = JSON.parse(io.out()) as Findings;
    expect(report.findings[0]?.ruleId).toBe("proxy-target-unhealthy");
  });

  it("a run that failed on the deploy lock: the lock's commands are for the resource's destination", async () => {
    const { io, done, base } = await listening(["--once", "--format", "json"]);
    const lock = ["Acquiring the deploy lock...", "Deploy lock already in place!", "Locked by: Jane Doe at 2026-06-18T09:12:44Z", "Version: 8b1e0d7", "Message: Automatic deploy lock"].map((body) => line(body));
    const failed = { ...FAILED, attributes: [str("kamal.command", "deploy"), str("exception.type", "Kamal::Cli::LockError"), str("exception.message", "Deploy lock found. Run 'kamal lock help' for more information")] };
    expect((await post(base, request([...lock, failed]))).status).toBe(200);
    expect(await done).toBe(1);
    const report = JSON.parse(io.out()) as { lock?: { state: string; destination: string | null; commands: { release: string } } };
    expect(report.lock).toMatchObject({ state: "unknown", destination: "staging", commands: { release: "kamal lock release -d staging" } });
  });

  it("a completed run is one line and exit 0; a non-loopback host is refused", async () => {
    const { io, done, base } = await listening(["--once"]);
    const complete = { ...FAILED, eventName: "kamal.complete", body: { stringValue: "kamal.complete" }, attributes: [str("kamal.command", "deploy"), { key: "kamal.runtime", value: { doubleValue: 63.1 } }] };
    await post(base, request([...LINES.slice(0, 1), complete]));
    expect(await done).toBe(0);
    expect(io.err()).toContain("kamal-doctor: kamal deploy completed in 63.1s\n");
    const open = memoryIO();
    expect(await run(["listen", "--host", "0.0.0.0"], open)).toBe(2);
    expect(open.err()).toContain("--host must be a loopback address");
  });
});
