// `--format oneline`: outcome · root cause · the fix · link, on one line, redacted.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { memoryIO } from "./support/io.js";

const root = path.resolve(import.meta.dirname, "..");

async function oneline(file: string) {
  const io = memoryIO({ cwd: root, env: {} });
  const code = await run([file, "--format", "oneline"], io);
  return { code, out: io.out(), err: io.err() };
}

describe("--format oneline", () => {
  it("says the outcome, the root cause and its first fix on one line", async () => {
    const { code, out, err } = await oneline("fixtures/kamal2/pull-disk-full.log");
    expect(err).toBe("");
    expect(code).toBe(1);
    expect(out).toBe("kamal-doctor: failed in pull · Out of disk space on 203.0.113.21 · See what uses the space on the server: `df -h; docker system df`.\n");
  });

  it("says a green deploy found no failure", async () => {
    const { code, out } = await oneline("fixtures/kamal2/deploy-success.log");
    expect(code).toBe(0);
    expect(out).toBe("kamal-doctor: succeeded · no failure found\n");
  });
});
