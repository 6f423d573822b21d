// Workflow-command escaping, character for character as the Actions toolkit writes it, and the
// stop-commands guard around re-printed log text.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  annotationCommand,
  defangJson,
  escapeData,
  escapeProperty,
  guardForRunner,
  hasRunnerCommand,
  stopToken,
  workflowCommand,
  wrapInStopCommands,
} from "../src/format/workflow-commands.js";
import { runnerCommands } from "./support/actions-runner.js";

describe("escaping (as @actions/core command.ts)", () => {
  it("escapes data: % first, then CR and LF — nothing else", () => {
    expect(escapeData("100% done\r\nnext:line, a=b")).toBe("100%25 done%0D%0Anext:line, a=b");
    expect(escapeData("%0A is not a newline")).toBe("%250A is not a newline");
    expect(escapeData(null)).toBe("");
    expect(escapeData(undefined)).toBe("");
    expect(escapeData(42)).toBe("42");
    expect(escapeData(true)).toBe("true");
  });

  it("escapes properties: as data plus ':' and ','", () => {
    expect(escapeProperty("percent % percent % cr \r cr \r lf \n lf \n colon : colon : comma , comma ,")).toBe(
      "percent %25 percent %25 cr %0D cr %0D lf %0A lf %0A colon %3A colon %3A comma %2C comma %2C",
    );
  });

  it("builds commands like Command.toString(): order kept, falsy values left out", () => {
    expect(workflowCommand("some-command", {}, "")).toBe("::some-command::");
    expect(workflowCommand("some-command", { prop1: "value 1", prop2: "value 2" }, "some message")).toBe("::some-command prop1=value 1,prop2=value 2::some message");
    expect(workflowCommand("some-command", { prop1: "", prop2: "value 2" }, "m")).toBe("::some-command prop2=value 2::m");
    // The toolkit's quirk: a property object with only falsy values still adds the space.
    expect(workflowCommand("some-command", { prop1: undefined }, "m")).toBe("::some-command ::m");
    expect(workflowCommand("", {}, "m")).toBe("::missing.command::m");
  });

  it("writes annotations with the toolkit's property names and order", () => {
    expect(annotationCommand("error", "boom\nsecond line", { title: "t: a, b", file: "config/deploy.yml", startLine: 3, endLine: 4, startColumn: 1, endColumn: 9 })).toBe(
      "::error title=t%3A a%2C b,file=config/deploy.yml,line=3,endLine=4,col=1,endColumn=9::boom%0Asecond line",
    );
    expect(annotationCommand("warning", "w")).toBe("::warning::w");
    expect(annotationCommand("notice", "n", { title: "x" })).toBe("::notice title=x::n");
  });

  it("round-trips through the runner's unescaping for any text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (message, title) => {
        const line = annotationCommand("error", message, { title: title || "t" });
        expect(line.includes("\n") || line.includes("\r")).toBe(false);
        const [command, ...more] = runnerCommands(line);
        expect(more).toEqual([]);
        expect(command?.name).toBe("error");
        expect(command?.data).toBe(message);
        expect(command?.properties["title"]).toBe(title || "t");
      }),
      { numRuns: 300 },
    );
  });
});

describe("stop-commands", () => {
  const hostile = ["INFO ok", "::add-mask::hunter2", "  ::error::not ours", "text ##[set-output name=x]y", "::set-env name=A::B"].join("\n");

  it("wraps text in ::stop-commands::TOKEN … ::TOKEN:: so nothing inside runs", () => {
    const wrapped = wrapInStopCommands(hostile, "0123456789abcdef0123456789abcdef");
    expect(wrapped).toBe(`::stop-commands::0123456789abcdef0123456789abcdef\n${hostile}\n::0123456789abcdef0123456789abcdef::\n`);
    expect(runnerCommands(wrapped).map((c) => c.name)).toEqual(["stop-commands"]);
    // Unwrapped, the same text would run four commands.
    expect(runnerCommands(hostile).map((c) => c.name)).toEqual(["add-mask", "error", "set-output", "set-env"]);
  });

  it("uses a fresh random token each time, never one the text contains", () => {
    const tokens = new Set(Array.from({ length: 50 }, () => stopToken()));
    expect(tokens.size).toBe(50);
    for (const token of tokens) expect(token).toMatch(/^[0-9a-f]{32}$/);
    const first = /^::stop-commands::(\w+)$/m.exec(guardForRunner(hostile))?.[1];
    const second = /^::stop-commands::(\w+)$/m.exec(guardForRunner(hostile))?.[1];
    expect(first).toBeDefined();
    expect(first).not.toBe(second);
    // A log that knows a token cannot resume commands with it: another one is drawn.
    const known = `::abc::\n::add-mask::x`;
    const guarded = wrapInStopCommands(known, "abc");
    expect(guarded.startsWith("::stop-commands::abc\n")).toBe(false);
    expect(runnerCommands(guarded).map((c) => c.name)).toEqual(["stop-commands"]);
  });

  it("a log line cannot end the block early, even with CR line ends", () => {
    const sneaky = "progress 10%\r::endgroup::\r::add-mask::x";
    expect(hasRunnerCommand(sneaky)).toBe(true);
    expect(runnerCommands(guardForRunner(sneaky)).map((c) => c.name)).toEqual(["stop-commands"]);
  });

  it("leaves text without any command as it is", () => {
    const clean = "kamal-doctor · deploy failed\n  ERROR boom: a::b\n";
    expect(hasRunnerCommand(clean)).toBe(false);
    expect(guardForRunner(clean)).toBe(clean);
  });

  it("defangs JSON losslessly: same value, no legacy command", () => {
    const json = JSON.stringify({ evidence: ["##[add-mask]secret", "::error::x", "a ##[group]b"] }, null, 2);
    const safe = defangJson(json);
    expect(JSON.parse(safe)).toEqual(JSON.parse(json));
    expect(runnerCommands(safe)).toEqual([]);
    expect(runnerCommands(json).length).toBeGreaterThan(0);
  });
});
