// A finding's fingerprint: what stays the same when the same failure happens again. The rule id
// (or, for an inferred finding, the category and the kind of command that failed) and the
// captures that name *what* failed — host, role, destination, container, secret, image without
// its tag — normalised so that what changes from run to run (SHAs, container ids, versions,
// timestamps, ephemeral ports) does not. Free text (`detail`, `message`, …) is left out: Kamal's
// wording of one failure varies, its subject does not. Documented in docs/memory.md.

import { createHash } from "node:crypto";
import type { Finding } from "./report.js";

/** Captures that name the subject of a failure; every other capture is wording. */
const IDENTITY = new Set([
  "host", "dbhost", "role", "destination", "name", "container", "service", "accessory", "secret",
  "hook", "registry", "image", "repo", "file", "path", "key", "keys", "binary", "socket", "user",
  "platform", "image_platform", "migration", "task", "port", "bind",
]);

/** An address is a subject (kept); a version is not. */
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** The first port of the ephemeral range on Linux (`ip_local_port_range`): these change per run. */
const EPHEMERAL = 32768;

/** A capture's value with what changes per run masked. */
export function normaliseValue(name: string, value: string): string {
  let v = value.trim();
  if (name === "image") v = v.replace(/@sha256:[0-9a-f]{64}$/i, "").replace(/:[\w.-]+$/, "");
  v = v
    .replace(/\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, "<time>")
    .replace(/\b[0-9a-f]{7,64}\b/gi, (hex) => (/[a-f]/i.test(hex) && /\d/.test(hex) ? "<id>" : hex))
    .replace(/\bv?\d+\.\d+(?:\.\d+)+(?:[-+][\w.]+)?\b/g, (version) => (IPV4.test(version) ? version : "<version>"))
    .replace(/(?<=:)\d{2,5}\b/g, (port) => (Number(port) >= EPHEMERAL ? "<port>" : port));
  if ((name === "port" || name === "bind") && /^\d+$/.test(v) && Number(v) >= EPHEMERAL) v = "<port>";
  return v;
}

/** What a fingerprint is made of, readable: for tests and docs. */
type Fingerprinted = Pick<Finding, "ruleId" | "basis" | "category" | "captures"> & Partial<Pick<Finding, "host" | "hosts">>;

export function fingerprintKey(finding: Fingerprinted, destination: string | null, failingKind: string | null = null): string {
  // An inferred finding's id names the kind of command (`inferred-image-build`, `stopped-proxy-deploy`).
  const head = finding.basis === "inferred" ? `${finding.ruleId}/${finding.category}/${failingKind ?? "unknown"}` : finding.ruleId;
  const parts = Object.keys(finding.captures)
    .filter((name) => IDENTITY.has(name))
    .sort()
    .map((name) => `${name}=${normaliseValue(name, finding.captures[name] ?? "")}`);
  // The hosts it failed on are its subject too (a capture named host says the same).
  const hosts = finding.hosts && finding.hosts.length > 0 ? [...finding.hosts].sort() : finding.host ? [finding.host] : [];
  if (hosts.length > 0 && finding.captures["host"] === undefined) parts.unshift(`hosts=${hosts.join(",")}`);
  if (destination) parts.unshift(`destination=${destination}`);
  return [head, ...parts].join("\n");
}

/**
 * `<head>:<12 hex digits>`: readable by its head (the rule id), equal
 * for two findings exactly when their keys are.
 */
export function fingerprint(finding: Fingerprinted, destination: string | null, failingKind: string | null = null): string {
  const key = fingerprintKey(finding, destination, failingKind);
  return `${finding.ruleId}:${createHash("sha256").update(key).digest("hex").slice(0, 12)}`;
}
