// Memory of local analyses: `kamal-doctor FILE` and `kamal-doctor last` remember what they found
// in the cache, keyed by the logs' names and content (analysing the same log again is one entry,
// not two), so that the runs of a laptop have a history as the runs of a workflow do.

import { createHash, type Hash } from "node:crypto";
import type { Report } from "../core/index.js";
import type { TextObserver } from "../sources/tap.js";
import type { MemoryCache } from "./cache.js";
import { memoryOf } from "./record.js";
import type { RunRecord } from "./types.js";

/**
 * A local analysis as the classifier sees it: a RunRecord without what only GitHub knows (run
 * id, number, URL, commit, branch); `source` names the log(s).
 */
export type LocalRecord = Omit<RunRecord, "id" | "number" | "attempt" | "url" | "sha" | "branch" | "event"> & {
  source: string;
  outcome: Report["outcome"];
};

/** The key of an analysis: a hash over every source's name and text, fed as they pass (`tapSources`). */
export class ContentKey implements TextObserver {
  private readonly hash: Hash = createHash("sha256");
  private readonly names: string[] = [];

  beginSource(name: string): void {
    this.names.push(name);
    this.hash.update(`\0source\0${name}\0`);
  }

  push(chunk: string): void {
    this.hash.update(chunk);
  }

  endSource(): void {}

  /** The key and the names, once everything has been read. */
  finish(): { key: string; source: string } {
    return { key: `local:${this.hash.digest("hex")}`, source: this.names.join(", ") };
  }
}

/** Remembers a local analysis; never fails the command (a cache that cannot be written is no cache). */
export async function recordLocal(cache: MemoryCache, report: Report, key: { key: string; source: string }, destination: string | null): Promise<void> {
  if (!cache.enabled) return;
  const { key: id, source } = key;
  await cache.put(id, "local", memoryOf(report, { id: 0, attempt: 1, sha: "", destination }), source);
  await cache.prune();
}

const CONCLUSION: Record<Report["outcome"], string | null> = { failed: "failure", succeeded: "success", unknown: null };

/** The local analyses remembered, newest first; only `destination`'s when given (and known). */
export async function localHistory(cache: MemoryCache, options: { destination?: string | null; limit: number }): Promise<LocalRecord[]> {
  const entries = await cache.entries("local");
  return entries
    .filter((entry) => !options.destination || entry.memory.destination === null || entry.memory.destination === options.destination)
    .sort((a, b) => b.memory.at.localeCompare(a.memory.at))
    .slice(0, options.limit)
    .map((entry) => ({
      source: entry.source ?? "",
      outcome: entry.memory.outcome,
      createdAt: entry.memory.at,
      updatedAt: entry.memory.at,
      status: "completed",
      conclusion: CONCLUSION[entry.memory.outcome],
      destination: entry.memory.destination,
      fingerprints: entry.memory.fingerprints,
      rootCause: entry.memory.rootCause,
      from: "cache" as const,
    }));
}
