// The hidden marker that carries a run's memory in what kamal-doctor posts: an HTML comment
// (invisible in rendered markdown) holding base64url JSON, so that no title or host in it can
// close the comment early or be read as markup. Reading is strict: a marker that does not parse
// or does not have the v1 shape is ignored, never trusted.

import { z } from "zod";
import type { RunMemory } from "./types.js";

const PREFIX = "<!-- kamal-doctor:memory v1 ";
const SUFFIX = " -->";
const MARKER = /<!-- kamal-doctor:memory v1 ([A-Za-z0-9_-]{1,20000}) -->/g;

const memorySchema = z.strictObject({
  v: z.literal(1),
  run: z.strictObject({ id: z.number().int().nonnegative(), attempt: z.number().int().positive() }),
  sha: z.string().max(64),
  destination: z.string().max(200).nullable(),
  outcome: z.enum(["failed", "succeeded", "unknown"]),
  fingerprints: z.array(z.string().max(200)).max(100),
  rootCause: z.strictObject({ ruleId: z.string().max(200), category: z.string().max(100), title: z.string().max(500) }).nullable(),
  at: z.string().max(40),
});

export function renderMarker(memory: RunMemory): string {
  return `${PREFIX}${Buffer.from(JSON.stringify(memory), "utf8").toString("base64url")}${SUFFIX}`;
}

/** Every well-formed marker in a text (a check run's summary, a comment's body), in order. */
export function parseMarkers(text: string): RunMemory[] {
  const found: RunMemory[] = [];
  for (const match of text.matchAll(MARKER)) {
    try {
      const parsed = memorySchema.safeParse(JSON.parse(Buffer.from(match[1] ?? "", "base64url").toString("utf8")));
      if (parsed.success) found.push(parsed.data);
    } catch {
      // Not JSON: not a marker this version wrote.
    }
  }
  return found;
}
