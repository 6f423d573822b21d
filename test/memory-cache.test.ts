// The memory cache: hit, miss, a corrupt file (ignored and removed), the size cap (oldest first),
// atomic writes, where it lives, no secret value in it, and local analyses remembered by content.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { cacheDir, MemoryCache } from "../src/memory/cache.js";
import { localHistory } from "../src/memory/local.js";
import type { RunMemory } from "../src/memory/types.js";
import { memoryIO } from "./support/io.js";

const fresh = () => mkdtempSync(path.join(tmpdir(), "kd-cache-"));
const memory = (id: number, extra: Partial<RunMemory> = {}): RunMemory => ({
  v: 1,
  run: { id, attempt: 1 },
  sha: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
  destination: "production",
  outcome: "failed",
  fingerprints: ["no-space-left:0123456789ab"],
  rootCause: { ruleId: "no-space-left", category: "disk-full", title: "Out of disk space" },
  at: "2026-11-02T10:00:00.000Z",
  ...extra,
});
const files = (dir: string) => readdirSync(path.join(dir, "v1")).sort();

describe("MemoryCache", () => {
  it("misses, then hits what was put, by key and kind", async () => {
    const dir = fresh();
    const cache = new MemoryCache({ dir });
    expect(await cache.get("run:a/1/1", "run")).toBeNull();
    expect(await cache.put("run:a/1/1", "run", memory(1))).toBe(true);
    expect(await cache.get("run:a/1/1", "run")).toMatchObject({ key: "run:a/1/1", kind: "run", source: null, memory: memory(1) });
    expect(await cache.get("run:a/1/2", "run")).toBeNull();
    expect(await cache.get("run:a/1/1", "local")).toBeNull();
    // Written atomically: no temporary file is left behind.
    expect(files(dir).every((name) => /^run-[0-9a-f]{40}\.json$/.test(name))).toBe(true);
  });

  it("ignores and removes a corrupt file, and one that is not a v1 memory", async () => {
    const dir = fresh();
    const cache = new MemoryCache({ dir });
    await cache.put("k1", "run", memory(1));
    await cache.put("k2", "run", memory(2));
    const [first, second] = files(dir).map((name) => path.join(dir, "v1", name));
    writeFileSync(first as string, "{ not json");
    const entry = JSON.parse(readFileSync(second as string, "utf8")) as { memory: Record<string, unknown> };
    writeFileSync(second as string, JSON.stringify({ ...entry, memory: { ...entry.memory, outcome: "exploded" } }));
    expect(await cache.get("k1", "run")).toBeNull();
    expect(await cache.get("k2", "run")).toBeNull();
    expect(files(dir)).toEqual([]);
  });

  it("keeps under its size cap, the least recently written going first", async () => {
    const dir = fresh();
    const one = JSON.stringify({ key: "x", kind: "run", source: null, savedAt: "", memory: memory(0) }).length + 40;
    const cache = new MemoryCache({ dir, maxBytes: one * 3 });
    for (let i = 1; i <= 5; i++) await cache.put(`k${i}`, "run", memory(i));
    // mtimes one minute apart, k1 the oldest.
    const named = [1, 2, 3, 4, 5].map((i) => ({ i, file: path.join(dir, "v1", fileOf(cache, `k${i}`) as string) }));
    for (const { i, file } of named) utimesSync(file, new Date(Date.UTC(2026, 10, 1, 0, i)), new Date(Date.UTC(2026, 10, 1, 0, i)));
    expect(await cache.prune()).toBe(2);
    expect(await cache.get("k1", "run")).toBeNull();
    expect(await cache.get("k2", "run")).toBeNull();
    for (const i of [3, 4, 5]) expect((await cache.get(`k${i}`, "run"))?.memory.run.id).toBe(i);
  });

  it("past the files its cap can hold, leaves a margin so that the next runs do not measure every file", async () => {
    const dir = fresh();
    // Room for 8 entries of the largest size (32 KiB): 10 small files are under the byte cap but over that count.
    const cache = new MemoryCache({ dir, maxBytes: 8 * 32 * 1024 });
    for (let i = 1; i <= 10; i++) await cache.put(`k${i}`, "run", memory(i));
    for (let i = 1; i <= 10; i++) {
      const when = new Date(Date.UTC(2026, 10, 1, 0, i));
      utimesSync(path.join(dir, "v1", fileOf(cache, `k${i}`) as string), when, when);
    }
    // Cut to three quarters of 8, the oldest first.
    expect(await cache.prune()).toBe(4);
    expect(files(dir)).toHaveLength(6);
    for (const i of [1, 2, 3, 4]) expect(await cache.get(`k${i}`, "run")).toBeNull();
    for (const i of [5, 6, 7, 8, 9, 10]) expect((await cache.get(`k${i}`, "run"))?.memory.run.id).toBe(i);
    // Two more are within the count again: nothing to remove.
    await cache.put("k11", "run", memory(11));
    await cache.put("k12", "run", memory(12));
    expect(await cache.prune()).toBe(0);
    expect(files(dir)).toHaveLength(8);
  });

  it("is nowhere with --no-cache or without a home, and follows KAMAL_DOCTOR_CACHE_DIR, then XDG", async () => {
    expect(cacheDir({})).toBeNull();
    expect(cacheDir({ HOME: "/home/me" })).toBe("/home/me/.cache/kamal-doctor");
    expect(cacheDir({ HOME: "/home/me", XDG_CACHE_HOME: "/xdg" })).toBe("/xdg/kamal-doctor");
    expect(cacheDir({ HOME: "/home/me", XDG_CACHE_HOME: "relative" })).toBe("/home/me/.cache/kamal-doctor");
    expect(cacheDir({ HOME: "/home/me", XDG_CACHE_HOME: "/xdg", KAMAL_DOCTOR_CACHE_DIR: "/own" })).toBe("/own");
    const off = new MemoryCache({ dir: null });
    expect(await off.put("k", "run", memory(1))).toBe(false);
    expect(await off.get("k", "run")).toBeNull();
  });

  it("never fails a command: a cache directory that cannot be written is no cache", async () => {
    const blocker = path.join(fresh(), "file");
    writeFileSync(blocker, "not a directory");
    const cache = new MemoryCache({ dir: blocker });
    expect(await cache.put("k", "run", memory(1))).toBe(false);
    expect(await cache.get("k", "run")).toBeNull();
    expect(await cache.prune()).toBe(0);
  });
});

/** The file name a key is saved under (the only file whose entry has that key). */
function fileOf(cache: MemoryCache, key: string): string | undefined {
  const dir = cache.dir as string;
  return readdirSync(dir).find((name) => (JSON.parse(readFileSync(path.join(dir, name), "utf8")) as { key: string }).key === key);
}

const LOG = [
  "$ kamal deploy -d staging",
  "  INFO [a1b2c3d4] Running docker login registry.example.com -u deploy -p ghp_abcdefghijklmnopqrstuvwxyz0123456789 on 10.0.0.5",
  "  ERROR (SSHKit::Command::Failed): docker exit status: 1",
  "docker stderr: failed to register layer: write /var/lib/docker/overlay2/x/file: no space left on device ghp_abcdefghijklmnopqrstuvwxyz0123456789",
  "",
].join("\n");

describe("local analyses in the cache", () => {
  it("kamal-doctor FILE remembers the analysis by content: once, redacted, with the log's destination", async () => {
    const dir = fresh();
    const log = path.join(fresh(), "deploy.log");
    writeFileSync(log, LOG);
    const analyse = async (extra: string[] = []) => {
      const io = memoryIO({ env: { KAMAL_DOCTOR_CACHE_DIR: dir } });
      return run([log, "--no-config", "--format", "json", ...extra], io);
    };
    expect(await analyse()).toBe(1);
    expect(await analyse()).toBe(1);
    const cache = new MemoryCache({ dir });
    const local = await localHistory(cache, { limit: 10 });
    expect(local).toHaveLength(1);
    expect(local[0]).toMatchObject({ source: log, outcome: "failed", conclusion: "failure", destination: "staging", from: "cache", rootCause: { ruleId: "no-space-left" } });
    expect(local[0]?.fingerprints[0]).toMatch(/^no-space-left:[0-9a-f]{12}$/);
    expect(await localHistory(cache, { limit: 10, destination: "production" })).toEqual([]);
    for (const name of files(dir)) expect(readFileSync(path.join(dir, "v1", name), "utf8")).not.toContain("ghp_abcdefghijklmnopqrstuvwxyz0123456789");

    // Another content is another entry; --no-cache adds none.
    writeFileSync(log, `${LOG}\n`);
    await analyse(["--no-cache"]);
    expect(await localHistory(cache, { limit: 10 })).toHaveLength(1);
    await analyse();
    expect(await localHistory(cache, { limit: 10 })).toHaveLength(2);
  });
});

describe("kamal-doctor last in the cache", () => {
  it("remembers the newest Kamal log with the destination its file name gives", async () => {
    const root = fresh();
    const dir = fresh();
    const logs = path.join(root, "log");
    mkdirSync(logs);
    writeFileSync(
      path.join(logs, "2026-06-18T10-14-00_staging_deploy.log"),
      ["Acquiring the deploy lock...", "Deploy lock already in place!", "# FAILED: Kamal::Cli::LockError: Deploy lock found. Run 'kamal lock help' for more information (1.9s)", ""].join("\n"),
    );
    const io = memoryIO({ cwd: root, env: { KAMAL_DOCTOR_CACHE_DIR: dir } });
    expect(await run(["last", "--dir", "log", "--format", "json"], io)).toBe(1);
    const local = await localHistory(new MemoryCache({ dir }), { limit: 5 });
    expect(local).toEqual([expect.objectContaining({ source: "2026-06-18T10-14-00_staging_deploy.log", destination: "staging", outcome: "failed", from: "cache" })]);
  });
});
