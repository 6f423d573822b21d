// What kamal-doctor remembers of a run, and what it concludes from the runs before it. A
// `RunMemory` is written into what kamal-doctor posts (its check run and sticky comment) as a
// hidden marker and read back from there, so GitHub itself is the memory; a `RunRecord` is one
// earlier run as `history` and the classifier see it, wherever its memory came from.

import type { Outcome } from "../core/index.js";

/** The memory of one diagnosed run, as the marker carries it (version 1). */
export interface RunMemory {
  v: 1;
  run: { id: number; attempt: number };
  sha: string;
  destination: string | null;
  outcome: Outcome;
  /** Every finding's fingerprint, the root cause's first. */
  fingerprints: string[];
  /** The root cause, in a few words (redacted like everything posted). */
  rootCause: { ruleId: string; category: string; title: string } | null;
  /** When the run was diagnosed (ISO 8601). */
  at: string;
}

/** Where a run's memory came from. */
export type MemorySource = "marker" | "log" | "cache" | "none";

/** One earlier run of the same workflow, as the classifier and `history` see it. */
export interface RunRecord {
  id: number;
  number: number;
  attempt: number;
  url: string;
  sha: string;
  branch: string | null;
  event: string;
  /** When the run was created (ISO 8601). */
  createdAt: string;
  /** When it last changed (ISO 8601): for a finished run, about when it ended. */
  updatedAt: string;
  /** GitHub's: queued, in_progress, completed… and success, failure, cancelled, … */
  status: string;
  conclusion: string | null;
  destination: string | null;
  fingerprints: string[];
  rootCause: RunMemory["rootCause"];
  from: MemorySource;
}

export type { MemoryClass, MemoryClassKind, RunLink } from "../core/index.js";
