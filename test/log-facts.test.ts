// The config cross-checks' log facts: the gated scan (only lines that can matter are looked at)
// gives what looking at every line gives, however the log is cut into chunks.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { LogFactsCollector, type LogFacts } from "../src/config/log-facts.js";
import { logsUnder } from "./support/logs.js";

const root = path.resolve(import.meta.dirname, "..");
const logs = [...logsUnder(path.join(root, "fixtures")), ...logsUnder(path.join(root, "../shared/corpus"))];

function collect(text: string, chunk: number, gate: boolean): LogFacts {
  const collector = new LogFactsCollector({ gate });
  collector.beginSource("deploy.log");
  for (let at = 0; at < text.length; at += chunk) collector.push(text.slice(at, at + chunk));
  collector.endSource();
  return collector.facts();
}

describe("LogFactsCollector", () => {
  it("reads the bundled fixtures", () => {
    expect(logs.length).toBeGreaterThan(30);
  });

  it.each(logs.map((file) => [path.relative(root, file), file]))("gives every line's facts on %s, in any chunks", (_name, file) => {
    const text = readFileSync(file, "utf8");
    const reference = collect(text, text.length + 1, false);
    for (const chunk of [text.length + 1, 4096, 97, 7]) expect(collect(text, chunk, true)).toEqual(reference);
  });

  it("skips a status column's `running`, not a coloured `Running` before the command", () => {
    const text = [
      "2026-12-01T09:13:58.0000000Z   \x1b[0;30;49mDEBUG\x1b[0m [\x1b[0;32;49m1a2b3c4d\x1b[0m] \tstorefront-web  10.0.0.7:3000  running  4f9c2d1e",
      "2026-12-01T09:13:59.0000000Z   \x1b[0;30;49mDEBUG\x1b[0m [\x1b[0;32;49m1a2b3c4d\x1b[0m] \tstorefront-api  10.0.0.8:3000  running",
      "2026-12-01T09:14:00.0000000Z   \x1b[0;34;49mINFO\x1b[0m [\x1b[0;32;49m5e6f7a8b\x1b[0m] Running \x1b[1;33;49mdocker run --detach --name app-web-abc app:abc\x1b[0m on \x1b[0;34;49m203.0.113.7\x1b[0m",
      "2026-12-01T09:14:01.0000000Z   \x1b[0;34;49mINFO\x1b[0m [\x1b[0;32;49m9a8b7c6d\x1b[0m] Running\x1b[0m docker exec kamal-proxy kamal-proxy deploy app-web --target=abc:3000 --deploy-timeout=\"45s\" on 203.0.113.7",
      "",
    ].join("\n");
    const reference = collect(text, text.length + 1, false);
    expect(reference.boot?.start.line).toBe(3);
    expect(reference.deployTimeout).toBe(45);
    for (const chunk of [text.length + 1, 64, 5]) expect(collect(text, chunk, true)).toEqual(reference);
  });

  it("times a boot whose container log holds no gate word", () => {
    const text = [
      "  INFO [1a2b3c4d] Running docker logs --timestamps --tail 100 app-web-abc 2>&1 on 203.0.113.7",
      " ERROR 2026-12-01T09:14:01.000000000Z Booting",
      " ERROR 2026-12-01T09:14:40.000000000Z Warming the cache",
      "  INFO [5e6f7a8b] Finished in 0.2 seconds with exit status 0 (successful).",
      "",
    ].join("\n");
    const boot = collect(text, 11, true).boot;
    expect(boot?.clock).toBe("app");
    expect(boot?.last && boot.last.at - boot.start.at).toBe(39_000);
  });
});
