// A long log is analysed in a worker thread (core/parallel.ts). Through the built CLI, forced on
// with KAMAL_DOCTOR_WORKER=on, every output is what the same command prints on the main thread:
// report, notes on stderr, exit code and the memory it records.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { inParallel } from "../src/cli/analyze.js";
import type { CliIO } from "../src/cli/io.js";
import { readLogs } from "../src/cli/read-logs.js";
import { loadRules } from "../src/rules/builtin.js";
import { VERSION } from "../src/version.js";
import { logsUnder } from "./support/logs.js";
import { makeZip } from "./support/zip.js";

const root = path.resolve(import.meta.dirname, "..");
const bin = path.join(root, "bin/kamal-doctor.js");
const fixtures = logsUnder(path.join(root, "fixtures")).map((file) => path.relative(root, file));

function cli(args: string[], worker: "on" | "off", env: Record<string, string> = {}, cwd = root) {
  const cache = mkdtempSync(path.join(tmpdir(), "kd-parallel-cache-"));
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: "utf8",
    env: { PATH: process.env["PATH"] ?? "", HOME: tmpdir(), KAMAL_DOCTOR_CACHE_DIR: cache, KAMAL_DOCTOR_WORKER: worker, NO_COLOR: "1", ...env },
  });
  const remembered = existsSync(path.join(cache, "v1")) ? readdirSync(path.join(cache, "v1")) : [];
  return { stdout: result.stdout, stderr: result.stderr, status: result.status, remembered };
}

function sameEitherWay(args: string[], env: Record<string, string> = {}, cwd = root) {
  const local = cli(args, "off", env, cwd);
  const worker = cli(args, "on", env, cwd);
  expect(worker).toEqual(local);
  return worker;
}

describe("the analysis in a worker thread", () => {
  it("reads the bundled fixtures", () => {
    expect(fixtures.length).toBeGreaterThan(30);
  });

  it("prints the same report for every fixture at once, as JSON and as text", () => {
    const json = sameEitherWay([...fixtures, "--format", "json"]);
    expect(JSON.parse(json.stdout).deploys.length).toBe(fixtures.length);
    sameEitherWay([...fixtures, "--format", "pretty"]);
  });

  it.each(fixtures.filter((_, i) => i % 5 === 0))("prints the same report for %s", (fixture) => {
    sameEitherWay([fixture, "--format", "json"]);
  });

  it("cross-checks config/deploy.yml with the facts a second worker reads, and remembers the run under the same key", () => {
    // The config facts (the port the app listens on) and the content key come from the side worker.
    const out = sameEitherWay(["deploy.log", "--format", "json"], {}, path.join(root, "fixtures/config/app-port"));
    const [first] = JSON.parse(out.stdout).findings;
    expect(first.configRef).toMatchObject({ file: "config/deploy.yml", key: "proxy.app_port" });
    expect(first.remediation[0]).toBe("Add `proxy.app_port: 3000` (config/deploy.yml:8).");
    expect(out.remembered).toHaveLength(1);
  });

  it.each(["default", "hard"])("prints the same report for a log longer than the verdicts' ring (the bench's %s shape)", async (shape) => {
    // 150,000 lines: the triage's verdicts (core/verdicts.ts) fill the ring, and the side worker waits for room.
    // @ts-expect-error: a plain ES module without types
    const { generate } = (await import("../bench/generate.mjs")) as { generate: (options: object) => Promise<unknown> };
    const out = path.join(mkdtempSync(path.join(tmpdir(), "kd-parallel-long-")), `${shape}.log`);
    await generate({ out, lines: 150_000, shape });
    const json = sameEitherWay([out, "--format", "json"]);
    expect(JSON.parse(json.stdout).outcome).toBe("failed");
  });

  it("notes what it cannot read the same way: a missing file, binary data, a gzip cut short", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kd-parallel-"));
    writeFileSync(path.join(dir, "binary.log"), Buffer.from([0, 1, 2, 3, 0, 0, 7, 8]));
    const gz = gzipSync(Buffer.from("  INFO [1a2b3c4d] Running docker pull app:abc on 10.0.0.5\n  ERROR (SSHKit::Command::Failed): docker exit status: 1\n".repeat(200)));
    writeFileSync(path.join(dir, "cut.log.gz"), gz.subarray(0, gz.length - 40));
    const out = sameEitherWay([path.join(dir, "missing.log"), path.join(dir, "binary.log"), path.join(dir, "cut.log.gz"), fixtures[0] as string, "--format", "json"]);
    expect(out.stderr).toContain("missing.log: no such file");
    expect(out.stderr).toContain("looks like binary data");
  });

  it("reads a run-logs archive the same way: each job a source", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kd-parallel-zip-"));
    const job = (name: string, fixture: string) => ({ name: `${name}/1_Run kamal deploy.txt`, data: readFileSync(path.join(root, fixture)) });
    writeFileSync(path.join(dir, "logs.zip"), makeZip([job("deploy-web", fixtures[0] as string), job("deploy-jobs", fixtures[1] as string)]));
    const out = sameEitherWay([path.join(dir, "logs.zip"), "--format", "json"]);
    expect(JSON.parse(out.stdout).sources).toHaveLength(2);
  });

  it("reads the logs again on the main thread when a worker runs out of memory, and says so", () => {
    // A 1 MiB old generation (KAMAL_DOCTOR_WORKER_HEAP_MB) is less than the analysis needs.
    const args = ["fixtures/config/app-port/deploy.log", fixtures[0] as string, "--format", "json"];
    const local = cli(args, "off");
    const bounded = cli(args, "on", { KAMAL_DOCTOR_WORKER_HEAP_MB: "1" });
    expect(bounded.stderr).toBe(
      `${local.stderr}kamal-doctor: the analysis worker ran out of memory (its bound is 1 MiB: KAMAL_DOCTOR_WORKER_HEAP_MB sets it); the logs were read again on the main thread\n`,
    );
    expect({ ...bounded, stderr: local.stderr }).toEqual(local);
    // A bound that is not a whole number of MiB is the default's: the workers do their work.
    expect(cli(args, "on", { KAMAL_DOCTOR_WORKER_HEAP_MB: "1.5" })).toEqual(local);
  });

  it("refuses what it refuses the same way: nothing readable at all", () => {
    const out = sameEitherWay(["no-such-file.log"]);
    expect(out.status).toBe(2);
  });

  it("uses --rules folders in the worker too", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kd-parallel-rules-"));
    mkdirSync(path.join(dir, "rules"));
    writeFileSync(
      path.join(dir, "rules", "custom.yml"),
      [
        "id: custom-disk-quota",
        "title: The volume's quota is used up",
        "category: disk-full",
        "severity: error",
        "match:",
        "  any:",
        "    - 'Volume quota gone'",
        "explanation: The volume hit its quota.",
        "remediation:",
        "  - Raise the quota.",
        "examples:",
        "  match:",
        "    - '  ERROR write /data/x: Volume quota gone'",
        "  noMatch:",
        "    - '  INFO volume mounted'",
        "",
      ].join("\n"),
    );
    writeFileSync(path.join(dir, "deploy.log"), "  INFO [1a2b3c4d] Running docker pull app:abc on 10.0.0.5\n  ERROR write /data/x: Volume quota gone\n");
    const out = sameEitherWay([path.join(dir, "deploy.log"), "--rules", path.join(dir, "rules"), "--format", "json"]);
    expect(out.stdout).toContain("custom-disk-quota");
  });
});

describe("an input opened before it is read", () => {
  it("a gzip cut short waits for its turn: stdin first, still being written, then the gzip", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "kd-gzip-turn-"));
    const gz = gzipSync(Buffer.from("  INFO [1a2b3c4d] Running docker pull app:abc on 10.0.0.5\n  ERROR (SSHKit::Command::Failed): docker exit status: 1\n".repeat(200)));
    writeFileSync(path.join(dir, "cut.log.gz"), gz.subarray(0, gz.length - 40));
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [bin, "-", path.join(dir, "cut.log.gz"), "--format", "oneline", "--no-cache"], { cwd: root, env: { PATH: process.env["PATH"] ?? "", NO_COLOR: "1" } });
    let stderr = "";
    child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
    child.stdin.write("  INFO [5e6f7a8b] Running docker login registry.example.com on 10.0.0.5\n");
    // The gzip's bytes are all there long before stdin ends.
    await new Promise((resolve) => setTimeout(resolve, 400));
    child.stdin.end("  INFO [5e6f7a8b] Finished in 0.2 seconds with exit status 0 (successful).\n");
    const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(stderr).not.toContain("unexpected error");
    expect(stderr).toContain("cut.log.gz: the gzip data is truncated");
    expect(status).toBe(1);
  });
});

describe("a worker that fails", () => {
  const distWorker = path.join(root, "dist/analysis-worker.js");
  const io = (stderr: string[]): CliIO => ({
    stdin: process.stdin,
    stdout: { write: () => true },
    stderr: { write: (text: string) => (stderr.push(text), true) },
    env: {},
    cwd: path.join(root, "fixtures/config/app-port"),
  });
  /** A worker script that throws for `task`, and is the real worker for the other. */
  function failingFor(task: "analyse" | "side"): URL {
    const script = path.join(mkdtempSync(path.join(tmpdir(), "kd-failing-worker-")), "worker.mjs");
    writeFileSync(
      script,
      `import { workerData } from "node:worker_threads";\nif (workerData.task === ${JSON.stringify(task)}) throw new Error("broken on purpose");\nawait import(${JSON.stringify(pathToFileURL(distWorker).href)});\n`,
    );
    return pathToFileURL(script);
  }

  it.each(["analyse", "side"] as const)("costs only time when it is the %s worker: what it was to read is read on this thread", async (task) => {
    const rules = await loadRules([]);
    const files = ["deploy.log"];
    const here = () => readLogs(files, { cwd: path.join(root, "fixtures/config/app-port"), rules, toolVersion: VERSION });
    const expected = await here();
    const stderr: string[] = [];
    const got = await inParallel(failingFor(task), files, { format: "json" }, io(stderr), here);
    expect(JSON.stringify(got)).toBe(JSON.stringify(expected));
    expect(got.facts.listening.length).toBeGreaterThan(0);
    const which = task === "analyse" ? "analysis" : "side";
    const what = task === "analyse" ? "the logs were" : "the config facts were";
    expect(stderr).toEqual([`kamal-doctor: the ${which} worker failed (broken on purpose); ${what} read again on the main thread\n`]);
  });
});
