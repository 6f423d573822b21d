// The class of a root cause against hand-built earlier runs (newest first), the clock fixed.
import { describe, expect, it } from "vitest";
import { classify, day } from "../src/memory/classify.js";
import type { RunRecord } from "../src/memory/types.js";

const now = new Date("2026-11-20T12:00:00Z");
let next = 900;
function run(over: Partial<RunRecord>): RunRecord {
  const id = next--;
  return {
    id, number: id - 100, attempt: 1, url: `https://github.com/acme/shop/actions/runs/${id}`, sha: `sha${id}`.padEnd(40, "0"),
    branch: "main", event: "push", createdAt: "2026-11-10T10:00:00Z", updatedAt: "2026-11-10T10:05:00Z",
    status: "completed", conclusion: "failure", destination: "production", fingerprints: [], rootCause: null, from: "marker",
    ...over,
  };
}
const cause = { fingerprint: "registry-unreachable:aaaaaaaaaaaa", retryable: false, category: "registry-auth", sha: "c".repeat(40), destination: "production" };

describe("classify", () => {
  it("says nothing when no earlier run was looked at", () => {
    expect(classify(cause, [], now)).toBeNull();
  });

  it("new: names the last green deploy", () => {
    const green = run({ conclusion: "success", sha: "abcdef1234".padEnd(40, "0") });
    const result = classify(cause, [run({ fingerprints: ["other:bbbbbbbbbbbb"] }), green], now);
    expect(result?.kind).toBe("new");
    expect(result?.summary).toBe(`new: not seen in the last 2 production deploys; the last green deploy was abcdef1 in run #${green.number}`);
  });

  it("recurring: counts the same failure, says since when and that it is not this change", () => {
    const history = [
      run({ fingerprints: [cause.fingerprint], createdAt: "2026-11-04T09:00:00Z" }),
      run({ fingerprints: [cause.fingerprint], createdAt: "2026-11-02T09:00:00Z" }),
      run({ conclusion: "success", createdAt: "2026-11-01T09:00:00Z" }),
      run({ fingerprints: [cause.fingerprint], createdAt: "2026-10-20T09:00:00Z" }),
    ];
    const result = classify(cause, history, now);
    expect(result?.kind).toBe("recurring");
    expect(result?.summary).toBe("not your change: recurring: the same failure in 3 of the last 4 production deploys since Nov 2");
    expect(result?.runs).toHaveLength(3);
  });

  it("keeps other destinations' runs out", () => {
    const result = classify(cause, [run({ destination: "staging", fingerprints: [cause.fingerprint] })], now);
    expect(result).toBeNull();
  });

  it("transient: a retryable failure that passed on a re-run of the same commit", () => {
    const failed = run({ fingerprints: [cause.fingerprint], sha: "d".repeat(40), createdAt: "2026-11-05T09:00:00Z" });
    const rerun = run({ conclusion: "success", sha: "d".repeat(40), attempt: 2, createdAt: "2026-11-05T09:30:00Z" });
    const result = classify({ ...cause, retryable: true }, [rerun, failed], now);
    expect(result?.kind).toBe("transient");
    expect(result?.summary).toContain("gh run rerun --failed");
    // Not retryable: the same history is a recurring failure.
    expect(classify(cause, [rerun, failed], now)?.kind).toBe("recurring");
  });

  it("stale lock: the holder run is over", () => {
    const result = classify(
      { ...cause, category: "deploy-lock", lockHolder: { id: 812, url: "https://github.com/acme/shop/actions/runs/812", conclusion: "cancelled", endedAt: "2026-11-17T08:00:00Z", over: true } },
      [],
      now,
    );
    expect(result?.kind).toBe("stale-lock");
    expect(result?.summary).toContain("held by run 812 (https://github.com/acme/shop/actions/runs/812), which ended 3 days ago (cancelled)");
  });

  it("says a day as a person does", () => {
    expect(day("2026-11-02T23:00:00Z")).toBe("Nov 2");
  });
});
