// The job summary: appended to $GITHUB_STEP_SUMMARY, redacted, and kept under the step's 1 MiB.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { appendStepSummary, STEP_SUMMARY_LIMIT, stepSummaryRoom } from "../src/report/step-summary.js";
import { memoryIO } from "./support/io.js";

const sample = readFileSync(path.resolve(import.meta.dirname, "../fixtures/sample/kamal2-healthcheck-failed.log"), "utf8");
const tmpFile = () => path.join(mkdtempSync(path.join(tmpdir(), "kamal-doctor-summary-")), "summary.md");

describe("the step summary", () => {
  it("is appended when GITHUB_STEP_SUMMARY is set, whatever the format", async () => {
    const file = tmpFile();
    writeFileSync(file, "# Deploy\n");
    const io = memoryIO({ stdin: sample, env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: file } });
    expect(await run(["-", "--format", "json"], io)).toBe(1);
    const written = readFileSync(file, "utf8");
    expect(written.startsWith("# Deploy\n\n## ❌ kamal-doctor: `kamal deploy` failed in health-check\n")).toBe(true);
    expect(written).toContain("```mermaid");
    expect(JSON.parse(io.out()).outcome).toBe("failed");
  });

  it("is not written with --no-summary, nor without GITHUB_STEP_SUMMARY", async () => {
    const file = tmpFile();
    await run(["-", "--no-summary"], memoryIO({ stdin: sample, env: { GITHUB_STEP_SUMMARY: file } }));
    expect(() => statSync(file)).toThrow();
    const io = memoryIO({ stdin: sample, env: {} });
    await run(["-"], io);
    expect(io.err()).toBe("");
  });

  it("fits what is left of the step's 1 MiB, dropping whole sections", async () => {
    const file = tmpFile();
    // An earlier command of the step left only a little room.
    writeFileSync(file, "x".repeat(STEP_SUMMARY_LIMIT - 16 * 1024 - 3000));
    const room = stepSummaryRoom(file);
    expect(room).toBe(3000);
    const io = memoryIO({ stdin: sample, env: { GITHUB_STEP_SUMMARY: file } });
    await run(["-"], io);
    const size = statSync(file).size;
    expect(size).toBeLessThan(STEP_SUMMARY_LIMIT);
    const added = readFileSync(file, "utf8").slice(STEP_SUMMARY_LIMIT - 16 * 1024 - 3000);
    expect(Buffer.byteLength(added)).toBeLessThanOrEqual(3000);
    expect(added).toContain("Root cause:");
    expect(added).toMatch(/Left out to stay within GitHub.s size limit|not shown here/);
    expect(io.err()).toBe("");
  });

  it("is skipped with one line when the step's summary is full", async () => {
    const file = tmpFile();
    writeFileSync(file, "x".repeat(STEP_SUMMARY_LIMIT - 100));
    const io = memoryIO({ stdin: sample, env: { GITHUB_STEP_SUMMARY: file } });
    expect(await run(["-"], io)).toBe(1);
    expect(statSync(file).size).toBe(STEP_SUMMARY_LIMIT - 100);
    expect(io.err()).toBe("kamal-doctor: the job summary of this step is full (1 MiB); the report was not added to it\n");
  });

  it("appendStepSummary refuses what would cross the limit", () => {
    const file = tmpFile();
    expect(appendStepSummary(file, "hello")).toBe(true);
    expect(readFileSync(file, "utf8")).toBe("hello\n");
    expect(appendStepSummary(file, "y".repeat(STEP_SUMMARY_LIMIT))).toBe(false);
    expect(appendStepSummary(file, "again")).toBe(true);
    expect(readFileSync(file, "utf8")).toBe("hello\n\nagain\n");
  });
});
