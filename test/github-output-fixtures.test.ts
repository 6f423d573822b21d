// Every fixture log through the GitHub outputs inside Actions, checking what must hold for any
// log: only our own annotations reach the runner, within the caps, root cause first; the
// markdown's fences and <details> balance; the pretty report is guarded.
import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../src/cli/main.js";
import { runnerCommands } from "./support/actions-runner.js";
import { memoryIO } from "./support/io.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures");
const logs = readdirSync(fixtures, { recursive: true })
  .map(String)
  .filter((file) => file.endsWith(".log"))
  .sort();

async function output(file: string, format: string): Promise<{ code: number; out: string }> {
  const io = memoryIO({ env: { GITHUB_ACTIONS: "true" } });
  const code = await run([path.join(fixtures, file), "--format", format, "--no-summary"], io);
  expect(io.err()).toBe("");
  return { code, out: io.out() };
}

describe.each(logs)("%s", (file) => {
  it("github: only annotations, within the caps, root cause first", async () => {
    const { code, out } = await output(file, "github");
    const commands = runnerCommands(out);
    for (const c of commands) expect(["error", "warning", "notice"]).toContain(c.name);
    for (const level of ["error", "warning", "notice"]) expect(commands.filter((c) => c.name === level).length).toBeLessThanOrEqual(10);
    if (code === 1) {
      expect(commands[0]?.name).toBe("error");
      expect(commands[0]?.properties["title"]).toMatch(/^kamal-doctor: (root cause — |failure not recognised)/);
    }
    expect(out.split("\n").filter(Boolean).length).toBe(commands.length);
  });

  it("markdown: balanced fences and <details>, guarded when a line would run", async () => {
    const { out } = await output(file, "markdown");
    const body = out.startsWith("::stop-commands::") ? out.split("\n").slice(1, -2).join("\n") : out;
    if (out.startsWith("::stop-commands::")) expect(runnerCommands(out).map((c) => c.name)).toEqual(["stop-commands"]);
    else expect(runnerCommands(out)).toEqual([]);
    let open: number | null = null;
    for (const line of body.split("\n")) {
      const fence = /^(`{3,})(.*)$/.exec(line);
      if (!fence) continue;
      const ticks = (fence[1] as string).length;
      if (open === null) open = ticks;
      else if (ticks >= open && (fence[2] as string).trim() === "") open = null;
    }
    expect(open).toBeNull();
    expect(body.match(/<details>/g)?.length ?? 0).toBe(body.match(/<\/details>/g)?.length ?? 0);
  });

  it("pretty: wrapped in stop-commands", async () => {
    const { out } = await output(file, "pretty");
    expect(runnerCommands(out).map((c) => c.name)).toEqual(["stop-commands"]);
  });
});
