// Bounded memory: what the analysis keeps (error lines, evidence, captures, hosts) must not pin
// the read chunks it was cut from. With error lines spread over an 80 MB log, each in a chunk of
// its own, keeping slices would hold ~2,000 chunks; the analysis has to fit a 24 MB heap.
import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const bin = path.resolve(import.meta.dirname, "../bin/kamal-doctor.js");
const dir = mkdtempSync(path.join(tmpdir(), "kamal-doctor-memory-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("memory", () => {
  it("keeps no read chunk alive through the lines it remembers", () => {
    const file = path.join(dir, "spread.log");
    const fd = openSync(file, "w");
    const filler = `${"  INFO [0a1b2c3d] Running docker pull registry.example.com/app:abc on deploy-host-1.example.com ".padEnd(150, "x")}\n`.repeat(260);
    for (let i = 0; i < 2000; i++) writeSync(fd, `${filler} ERROR unexpected failure ${i} on deploy-host-${i}.example.com: ${"z".repeat(i % 60)}\n`);
    closeSync(fd);
    const child = spawnSync(process.execPath, ["--max-old-space-size=24", bin, file, "--format", "json"], { encoding: "utf8", maxBuffer: 1 << 26 });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout).unmatched.length).toBeGreaterThan(0);
  }, 60_000);
});
