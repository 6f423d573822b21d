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

/** The class of a root cause, judged against the runs before it. */
export type MemoryClassKind = "new" | "recurring" | "transient" | "stale-lock";

export interface RunLink {
  id: number;
  number: number;
  url: string;
  sha: string;
  createdAt: string;
}

export interface MemoryClass {
  kind: MemoryClassKind;
  /** One line for a person: "not your change: the same failure in 4 of the last 5 production deploys, since Nov 2". */
  summary: string;
  /** The runs that are the evidence (same fingerprint; for `new`, the last green one). */
  runs: RunLink[];
  /** How many earlier runs were looked at. */
  looked: number;
}
