import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Normalizer } from "../src/core/normalize.js";

const run = (lines: string[]) => {
  const n = new Normalizer();
  return lines.map((line) => n.normalize(line));
};

describe("Normalizer", () => {
  it("strips the BOM and the runner timestamp, keeping the timestamp", () => {
    const [line] = run(["\uFEFF2025-04-07T12:57:33.2904078Z   INFO [f085f083] Running docker -v on h1"]);
    expect(line?.text).toBe("  INFO [f085f083] Running docker -v on h1");
    expect(line?.timestamp).toBe("2025-04-07T12:57:33.2904078Z");
  });

  it.each(["2025-04-07T12:57:33Z", "2025-04-07T12:57:33.2Z", "2025-04-07T12:57:33.123Z", "2025-04-07T12:57:33.123456789Z"])(
    "tolerates %s",
    (stamp) => {
      expect(run([`${stamp} hello`])[0]?.text).toBe("hello");
    },
  );

  it("keeps docker's own timestamp after the runner's", () => {
    const [line] = run(["2026-03-02T10:14:01.1182043Z 2026-03-02T10:14:01.118204312Z => Booting Puma"]);
    expect(line?.text).toBe("2026-03-02T10:14:01.118204312Z => Booting Puma");
  });

  it("does not strip a leading timestamp in a plain (unwrapped) log", () => {
    const lines = run(["App Host: 10.0.0.1", "2026-03-02T10:14:01.118204312Z => Booting Puma"]);
    expect(lines[1]?.text).toBe("2026-03-02T10:14:01.118204312Z => Booting Puma");
  });

  it("treats lines without a timestamp in a wrapped log as continuations", () => {
    const lines = run(["2025-04-07T12:57:33.2904078Z ##[error]a", "b"]);
    expect(lines[1]?.text).toBe("b");
    expect(lines[1]?.timestamp).toBe("2025-04-07T12:57:33.2904078Z");
  });

  it("strips ANSI colour", () => {
    expect(run(["  \x1b[31mERROR (Kamal::ConfigurationError): bad\x1b[0m"])[0]?.text).toBe("  ERROR (Kamal::ConfigurationError): bad");
  });

  it("recognises runner markers and the step script echo", () => {
    const lines = run([
      "2025-01-01T00:00:00.0000000Z ##[group]Run kamal deploy",
      "2025-01-01T00:00:00.0000000Z \x1b[36;1mkamal deploy\x1b[0m",
      "2025-01-01T00:00:00.0000000Z shell: /usr/bin/bash -e {0}",
      "2025-01-01T00:00:00.0000000Z ##[endgroup]",
      "2025-01-01T00:00:00.0000000Z Acquiring the deploy lock...",
      "2025-01-01T00:00:00.0000000Z ##[warning]careful",
      "2025-01-01T00:00:00.0000000Z ##[error]Process completed with exit code 1.",
    ]);
    expect(lines[0]).toMatchObject({ marker: "group", stepTitle: "kamal deploy", echo: false });
    expect(lines[1]).toMatchObject({ echo: true, text: "kamal deploy" });
    expect(lines[2]).toMatchObject({ echo: true });
    expect(lines[3]).toMatchObject({ marker: "endgroup", echo: false });
    expect(lines[4]).toMatchObject({ marker: null, echo: false, text: "Acquiring the deploy lock..." });
    expect(lines[5]).toMatchObject({ marker: "warning", text: "careful" });
    expect(lines[6]).toMatchObject({ marker: "error", exitCode: 1 });
  });

  it("counts lines", () => {
    const n = new Normalizer();
    n.normalize("a");
    expect(n.normalize("b").line).toBe(2);
  });
});

describe("ANSI removal", () => {
  it("removes colour codes and every other escape sequence the same way strip-ansi does", async () => {
    const { default: stripAnsi } = await import("strip-ansi");
    const lines = [
      "\x1b[0;34;49m  INFO\x1b[0m [\x1b[0;32;49m1f0c2b7a\x1b[0m] Running",
      "\x1b]8;;https://example.com\x07link\x1b]8;;\x07 and \x1b[1mbold\x1b[22m",
      "cursor \x1b[2K\x1b[1Gprogress \x9b31mred",
    ];
    for (const line of lines) expect(new Normalizer().normalize(line).text).toBe(stripAnsi(line));
  });

  it("removes colour codes, then leaves what else there is to strip-ansi, for any mix of codes, other sequences and cut-off codes", async () => {
    const { default: stripAnsi } = await import("strip-ansi");
    const piece = fc.constantFrom("\x1b", "[", "0", "1", "3", ";", "m", "K", "\x9b", "]", "\x07", "a", " ", "é", "\x1b[0m", "\x1b[0;32;49m", "\x1b[2K");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
        const line = `x${pieces.join("")}`;
        const colourless = line.replace(/\x1b\[[0-9;]*m/g, "");
        expect(new Normalizer().normalize(line).text).toBe(/[\x1b\x9b]/.test(colourless) ? stripAnsi(colourless) : colourless);
      }),
      { numRuns: 2000 },
    );
  });
});
