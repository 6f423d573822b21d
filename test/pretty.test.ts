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

describe("a green deploy stays quiet", () => {
  const GREEN = `  WARN Missing compatible builder, so creating a new one first
  INFO [a1b2c3d4] Running docker buildx build --push -t app:1 . as deploy@localhost
  INFO [a1b2c3d4] Finished in 5.0 seconds with exit status 0 (successful).
  ERROR something that reads like an error but the deploy went on
  Finished all in 12.0 seconds
`;

  it("leads with the same success line on any Kamal version, folds the recreated builder and lists no unexplained lines", async () => {
    const report = await analyze(GREEN);
    expect(report.outcome).toBe("succeeded");
    expect(report.unmatched).toEqual([]);
    const text = formatPretty(report);
    expect(text.split("\n")[2]).toBe("✔ No failure found: the deploy finished.");
    expect(text).toContain("+ 1 informational finding");
    expect(text).not.toContain("builder-recreated");
    expect(text).not.toContain("Error lines no rule explains");
    const v1 = await analyze(`Ensure Traefik is running...\n${GREEN}`);
    expect(v1.deploy.kamalVersion).toBe("1.x");
    expect(formatPretty(v1).split("\n")[2]).toBe("✔ No failure found: the deploy finished.");
  });

  it("gets no ::notice for an informational finding", async () => {
    const { formatGithub } = await import("../src/format/github.js");
    expect(formatGithub(await analyze(GREEN))).toBe("");
  });
});
