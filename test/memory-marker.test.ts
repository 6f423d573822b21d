// The memory marker round-trips, survives markup around it, and a damaged one is ignored.
import { describe, expect, it } from "vitest";
import { parseMarkers, renderMarker } from "../src/memory/marker.js";
import type { RunMemory } from "../src/memory/types.js";
import { fingerprint, fingerprintKey } from "../src/core/fingerprint.js";

const memory: RunMemory = {
  v: 1,
  run: { id: 812, attempt: 2 },
  sha: "0123456789abcdef0123456789abcdef01234567",
  destination: "production",
  outcome: "failed",
  fingerprints: ["registry-auth-denied:0a1b2c3d4e5f"],
  rootCause: { ruleId: "registry-auth-denied", category: "registry-auth", title: "Registry refused --> the <!-- login" },
  at: "2026-11-02T10:00:00Z",
};

describe("memory marker", () => {
  it("round-trips inside a markdown body, even when a title holds comment syntax", () => {
    const body = `## kamal-doctor\n\nsome text\n${renderMarker(memory)}\nmore`;
    expect(parseMarkers(body)).toEqual([memory]);
  });

  it("ignores a marker that is not base64 JSON of the v1 shape", () => {
    const wrong = Buffer.from(JSON.stringify({ ...memory, v: 2 })).toString("base64url");
    expect(parseMarkers(`<!-- kamal-doctor:memory v1 ${wrong} -->`)).toEqual([]);
    expect(parseMarkers("<!-- kamal-doctor:memory v1 bm90LWpzb24 -->")).toEqual([]);
  });
});

describe("fingerprint", () => {
  const base = { ruleId: "image-pull-failed", basis: "rule" as const, category: "image-not-found" as const };
  it("masks tags, SHAs and ephemeral ports and keeps the host", () => {
    const a = fingerprint({ ...base, captures: { image: "ghcr.io/acme/app:3f9a2b1c0d", host: "web-1", detail: "manifest unknown" } }, "production");
    const b = fingerprint({ ...base, captures: { image: "ghcr.io/acme/app:77aa00bb11", host: "web-1", detail: "manifest for it unknown" } }, "production");
    const c = fingerprint({ ...base, captures: { image: "ghcr.io/acme/app:77aa00bb11", host: "web-2" } }, "production");
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/^image-pull-failed:[0-9a-f]{12}$/);
    expect(fingerprintKey({ ...base, captures: { bind: "127.0.0.1:54321" } }, null)).toContain("bind=127.0.0.1:<port>");
    expect(fingerprintKey({ ...base, captures: { bind: "0.0.0.0:443" } }, null)).toContain("bind=0.0.0.0:443");
  });
  it("keeps the hosts a finding is on", () => {
    const on = (hosts: string[]) => fingerprint({ ...base, captures: {}, host: hosts[0] ?? null, hosts }, null);
    expect(on(["web-1", "web-2"])).toBe(on(["web-2", "web-1"]));
    expect(on(["web-1"])).not.toBe(on(["web-2"]));
  });
  it("keeps the destination apart", () => {
    expect(fingerprint({ ...base, captures: {} }, "staging")).not.toBe(fingerprint({ ...base, captures: {} }, "production"));
  });
});
