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
