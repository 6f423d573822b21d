// Inputs: a zip of logs gives one source per entry; broken archives are refused with one line.
import { mkdtempSync, writeFileSync } from "node:fs";
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
