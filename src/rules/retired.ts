// The retired rule ids (rules/retired.txt): released ids that were removed or renamed, and that
// no other rule may take. Read by the catalogue test and `npm run new-rule`.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const RETIRED_FILE = fileURLToPath(new URL("../../rules/retired.txt", import.meta.url));

/** id → why it was retired. Throws on a line that is not `id  reason` or on an id listed twice. */
export function parseRetired(text: string, file = "rules/retired.txt"): Map<string, string> {
  const retired = new Map<string, string>();
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const match = /^([a-z0-9]+(?:-[a-z0-9]+)*)\s+(\S.*)$/.exec(line);
    if (!match) throw new Error(`${file}:${index + 1}: expected a kebab-case id and its reason, e.g. "old-id  renamed to new-id"`);
    const [, id, reason] = match as unknown as [string, string, string];
    if (retired.has(id)) throw new Error(`${file}:${index + 1}: ${id} is listed twice`);
    retired.set(id, reason);
  });
  return retired;
}

export function retiredIds(file = RETIRED_FILE): Map<string, string> {
  return parseRetired(readFileSync(file, "utf8"), file);
}
