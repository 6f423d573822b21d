// The log files under a folder (fixtures/, the shared corpus), sorted; none when it is absent.
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

export function logsUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((file) => /\.(log|txt)$/.test(file))
    .map((file) => path.join(dir, file))
    .sort();
}
