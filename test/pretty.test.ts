// The pretty formatter's choices that golden files would not explain.
import { describe, expect, it } from "vitest";
import { formatPretty } from "../src/format/pretty.js";
import { analyze } from "./support/analyze.js";

const LOG = `  WARN Missing compatible builder, so creating a new one first
  ERROR (SSHKit::Command::Failed): Exception while executing on host 10.0.0.1: docker exit status: 1
docker stdout: Nothing written
docker stderr: Error: target failed to become healthy within configured timeout (30s)
`;

describe("pretty", () => {
  it("folds informational findings unless --verbose", async () => {
    const report = await analyze(LOG);
    const infos = report.findings.filter((f) => f.severity === "info");
    expect(infos.length).toBeGreaterThan(0);
    const short = formatPretty(report);
    expect(short).toMatch(/\+ \d+ informational finding/);
    for (const info of infos) expect(short).not.toContain(info.ruleId);
    const verbose = formatPretty(report, { verbose: true });
    for (const info of infos) expect(verbose).toContain(info.ruleId);
    expect(verbose).not.toMatch(/informational finding/);
  });

  it("states the root cause first and readably without colour", async () => {
    const text = formatPretty(await analyze(LOG));
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^kamal-doctor · kamal failed · Kamal 2\.x · host 10\.0\.0\.1 · deploy\.log$/);
    expect(lines[2]).toMatch(/^✖ ROOT CAUSE {2}The new container never became healthy behind kamal-proxy {2}\[health-check · proxy-target-unhealthy\]$/);
    expect(text).not.toContain("\x1b[");
  });
});
