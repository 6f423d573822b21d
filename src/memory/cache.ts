// The on-disk cache of run memories: one small JSON file per finished run attempt of GitHub
// Actions (what its check run's marker or its logs said; a finished attempt never changes) and
// per locally analysed log (keyed by its content). It only ever saves time: a write is atomic
// (temporary file, then rename), a file that does not read back as a v1 entry is removed, the
// directory is kept under a size cap (oldest first by mtime), and no failure of the file system
// is ever an error of the command. It holds the redacted memory only, never a log.

import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { readdir, readFile, stat, unlink } from "node:fs/promises";
import path from "node:path";
import type { RunMemory } from "./types.js";

/** Default size cap of the cache directory. */
export const DEFAULT_CACHE_BYTES = 50 * 1024 * 1024;
/** The layout version: a change of the entry's shape gets a new directory. */
const LAYOUT = "v1";
/** No entry is larger (a memory holds at most 100 fingerprints): below cap / this many files, no need to measure. */
const MAX_ENTRY_BYTES = 32 * 1024;
/**
 * Once the directory holds more files than cap / MAX_ENTRY_BYTES, a prune measures it and leaves
 * at most this share of that count, so that the next many runs again cost one readdir: without the
 * margin, every run after the 1,600th distinct log measured every file (25–55 ms a run).
 */
const LOW_WATER = 0.75;
/** A temporary file this old was left by a process that died mid-write. */
const STALE_TEMP_MS = 60 * 60 * 1000;

export type CacheKind = "run" | "local";

export interface CacheEntry {
  key: string;
  kind: CacheKind;
  /** What was analysed: a log's name for a local entry, null for a run. */
  source: string | null;
  /** When the entry was written (ISO 8601). */
  savedAt: string;
  memory: RunMemory;
}

/**
 * The directory: KAMAL_DOCTOR_CACHE_DIR, else $XDG_CACHE_HOME/kamal-doctor, else
 * ~/.cache/kamal-doctor; null (no cache) when the environment names no home.
 */
export function cacheDir(env: Record<string, string | undefined>): string | null {
  const own = env["KAMAL_DOCTOR_CACHE_DIR"]?.trim();
  if (own) return own;
  const xdg = env["XDG_CACHE_HOME"]?.trim();
  // The XDG spec: a relative path is invalid and is to be ignored.
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, "kamal-doctor");
  const home = (env["HOME"] ?? env["USERPROFILE"])?.trim();
  return home ? path.join(home, ".cache", "kamal-doctor") : null;
}

export interface MemoryCacheOptions {
  /** Null: a cache that keeps nothing (`--no-cache`, or no home directory). */
  dir: string | null;
  maxBytes?: number;
}

/** The cache of a command: from its environment, off with `--no-cache` (enabled false). */
export function openCache(env: Record<string, string | undefined>, enabled = true): MemoryCache {
  const cap = Number(env["KAMAL_DOCTOR_CACHE_MAX_BYTES"]);
  return new MemoryCache({ dir: enabled ? cacheDir(env) : null, ...(Number.isFinite(cap) && cap > 0 ? { maxBytes: cap } : {}) });
}

export class MemoryCache {
  readonly dir: string | null;
  readonly maxBytes: number;

  constructor(options: MemoryCacheOptions) {
    this.dir = options.dir === null ? null : path.join(options.dir, LAYOUT);
    this.maxBytes = options.maxBytes ?? DEFAULT_CACHE_BYTES;
  }

  get enabled(): boolean {
    return this.dir !== null;
  }

  /** The entry saved under `key`, or null (none, or one that does not read back: then it is removed). */
  async get(key: string, kind: CacheKind): Promise<CacheEntry | null> {
    const file = this.fileOf(key, kind);
    if (file === null) return null;
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch {
      return null;
    }
    const entry = readEntry(text, await markerReader());
    if (entry === null || entry.key !== key || entry.kind !== kind) {
      await unlink(file).catch(() => {});
      return null;
    }
    return entry;
  }

  /** Saves `memory` under `key`; false when it could not be written (never an error). */
  put(key: string, kind: CacheKind, memory: RunMemory, source: string | null = null): Promise<boolean> {
    const file = this.fileOf(key, kind);
    if (file === null || this.dir === null) return Promise.resolve(false);
    const entry: CacheEntry = { key, kind, source, savedAt: new Date().toISOString(), memory };
    const temp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    // Synchronous: a few hundred bytes, written once at the end of a run, where each
    // asynchronous call would be a round trip through the thread pool.
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      writeFileSync(temp, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
      renameSync(temp, file);
      return Promise.resolve(true);
    } catch {
      try {
        unlinkSync(temp);
      } catch {
        // Never written, or already gone.
      }
      return Promise.resolve(false);
    }
  }

  /** Every readable entry of a kind (unreadable ones are removed on the way). */
  async entries(kind: CacheKind): Promise<CacheEntry[]> {
    if (this.dir === null) return [];
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const found: CacheEntry[] = [];
    const marker = await markerReader();
    for (const name of names.filter((n) => n.startsWith(`${kind}-`) && n.endsWith(".json"))) {
      const file = path.join(this.dir, name);
      const entry = readEntry(await readFile(file, "utf8").catch(() => ""), marker);
      if (entry !== null && entry.kind === kind && this.fileOf(entry.key, kind) === file) found.push(entry);
      else await unlink(file).catch(() => {});
    }
    return found;
  }

  /**
   * Keeps the directory under the size cap: the least recently written entries go first.
   * Temporary files left by a process that died mid-write go too. A directory with more files than
   * the cap could hold at the largest entry size is measured and cut to LOW_WATER of that count
   * (and under the cap), so it is not measured again for a while. Returns how many were removed.
   */
  async prune(): Promise<number> {
    if (this.dir === null) return 0;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return 0;
    }
    // The common case costs one readdir: too few files to reach the cap, whatever their sizes.
    const most = Math.floor(this.maxBytes / MAX_ENTRY_BYTES);
    if (names.length <= most && !names.some((name) => name.endsWith(".tmp"))) return 0;
    // A cap too small for a few entries of the largest size is a byte cap only.
    const keep = names.length > most && most >= 4 ? Math.floor(most * LOW_WATER) : Infinity;
    const files: Array<{ file: string; size: number; mtime: number }> = [];
    let removed = 0;
    const infos = await Promise.all(names.map((name) => stat(path.join(this.dir as string, name)).catch(() => null)));
    for (const [i, name] of names.entries()) {
      const file = path.join(this.dir, name);
      const info = infos[i];
      if (!info?.isFile()) continue;
      if (name.endsWith(".tmp")) {
        if (Date.now() - info.mtimeMs > STALE_TEMP_MS && (await unlink(file).then(() => true, () => false))) removed++;
        continue;
      }
      files.push({ file, size: info.size, mtime: info.mtimeMs });
    }
    let total = files.reduce((sum, f) => sum + f.size, 0);
    files.sort((a, b) => a.mtime - b.mtime || a.file.localeCompare(b.file));
    let count = files.length;
    for (const f of files) {
      if (total <= this.maxBytes && count <= keep) break;
      if (await unlink(f.file).then(() => true, () => false)) removed++;
      total -= f.size;
      count--;
    }
    return removed;
  }

  /** `<dir>/v1/<kind>-<hash of the key>.json`: any key, a safe and fixed-length name. */
  private fileOf(key: string, kind: CacheKind): string | null {
    if (this.dir === null) return null;
    return path.join(this.dir, `${kind}-${createHash("sha256").update(key).digest("hex").slice(0, 40)}.json`);
  }
}

type MarkerModule = typeof import("./marker.js");

/** The marker's reader (and its schema library) loads only when the cache is read, not when a local analysis is recorded. */
const markerReader = (): Promise<MarkerModule> => import("./marker.js");

/** An entry from the text of its file, or null when it is not one: strict, like the marker. */
function readEntry(text: string, { parseMarkers, renderMarker }: MarkerModule): CacheEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object") return null;
  const e = value as Partial<Record<keyof CacheEntry, unknown>>;
  if (typeof e.key !== "string" || (e.kind !== "run" && e.kind !== "local") || typeof e.savedAt !== "string") return null;
  if (e.source !== null && typeof e.source !== "string") return null;
  // The memory is read exactly as a marker posted to GitHub is: the same schema decides.
  const memory = e.memory !== null && typeof e.memory === "object" ? (parseMarkers(renderMarker(e.memory as RunMemory))[0] ?? null) : null;
  if (memory === null) return null;
  return { key: e.key, kind: e.kind, source: e.source, savedAt: e.savedAt, memory };
}
