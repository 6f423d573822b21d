// The class of a root cause, judged against the runs before it: new, recurring, transient or a
// stale lock — with the runs that are the evidence. Pure: the runs come in (newest first), the
// clock is passed in, and "nothing looked at" is no class at all, never "new".

import type { MemoryClass, RunLink, RunRecord } from "./types.js";

/** The root cause being judged. */
export interface ClassifiedCause {
  fingerprint: string;
  retryable: boolean;
  category: string;
  sha: string | null;
  destination: string | null;
  /** The run holding the deploy lock, when the lock was looked up (see github/lock.ts). */
  lockHolder?: { id: number; url: string; conclusion: string | null; endedAt: string | null; over: boolean } | null;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "Nov 2": the day a person says. */
export function day(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}`;
}

function link(record: RunRecord): RunLink {
  return { id: record.id, number: record.number, url: record.url, sha: record.sha, createdAt: record.createdAt };
}

const passed = (record: RunRecord) => record.conclusion === "success";
const failedWith = (record: RunRecord, fingerprint: string) => record.fingerprints[0] === fingerprint;

export function classify(cause: ClassifiedCause, history: readonly RunRecord[], now: Date): MemoryClass | null {
  // Another destination's deploys are not this one's history.
  const runs = history.filter((r) => !(cause.destination && r.destination && r.destination !== cause.destination));
  const where = cause.destination ? `${cause.destination} deploys` : "deploys";

  const holder = cause.lockHolder;
  if (cause.category === "deploy-lock" && holder?.over) {
    const ago = holder.endedAt ? Math.floor((now.getTime() - new Date(holder.endedAt).getTime()) / 86_400_000) : null;
    const when = ago === null ? "" : ago <= 0 ? " today" : ` ${ago} day${ago === 1 ? "" : "s"} ago`;
    return {
      kind: "stale-lock",
      summary: `stale lock: held by run ${holder.id} (${holder.url}), which ended${when}${holder.conclusion ? ` (${holder.conclusion})` : ""}; release it with \`kamal lock release\``,
      runs: [],
      looked: runs.length,
    };
  }
  if (runs.length === 0) return null;

  const same = runs.filter((r) => failedWith(r, cause.fingerprint));
  // Transient: the catalogue says it can be, and it went away on its own before.
  if (cause.retryable) {
    const sameShaPassed = cause.sha ? runs.find((r) => r.sha === cause.sha && passed(r)) : undefined;
    const passedAfter = same.map((r) => runs.find((o) => o.sha === r.sha && passed(o) && o.createdAt >= r.createdAt)).find((o) => o !== undefined);
    const evidence = sameShaPassed ?? passedAfter;
    if (evidence) {
      return {
        kind: "transient",
        summary: `transient: ${sameShaPassed ? `this commit deployed in run #${evidence.number}` : `the same failure passed on a re-run before (run #${evidence.number})`}; retry it (\`gh run rerun --failed\`)`,
        runs: [link(evidence)],
        looked: runs.length,
      };
    }
  }
  if (same.length > 0) {
    // Since when: the oldest run of the unbroken stretch of this failure before now.
    let streak = 0;
    for (const r of runs) {
      if (passed(r)) break;
      if (failedWith(r, cause.fingerprint)) streak++;
    }
    const oldest = same[same.length - 1] as RunRecord;
    const other = cause.sha !== null && same.some((r) => r.sha !== cause.sha);
    const since = streak > 0 ? ` since ${day((same[streak - 1] ?? oldest).createdAt)}` : `, first seen ${day(oldest.createdAt)} (run #${oldest.number})`;
    return {
      kind: "recurring",
      summary: `${other ? "not your change: " : ""}recurring: the same failure in ${same.length} of the last ${runs.length} ${where}${since}`,
      runs: same.map(link),
      looked: runs.length,
    };
  }
  const green = runs.find(passed);
  return {
    kind: "new",
    summary: `new: not seen in the last ${runs.length} ${where}${green ? `; the last green deploy was ${green.sha.slice(0, 7)} in run #${green.number}` : ""}`,
    runs: green ? [link(green)] : [],
    looked: runs.length,
  };
}
