import { describe, expect, it } from "vitest";
import { LineSplitter } from "../src/core/lines.js";

function split(chunks: string[], max?: number): { lines: string[]; truncated: number } {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), max);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return { lines, truncated: splitter.truncatedLines };
}

describe("LineSplitter", () => {
  it("ends lines on LF, CRLF and lone CR in any mix", () => {
    expect(split(["a\nb\r\nc\rd"]).lines).toEqual(["a", "b", "c", "d"]);
  });

  it("treats CR at the end of a chunk and LF at the start of the next as one line end", () => {
    expect(split(["a\r", "\nb\r", "c"]).lines).toEqual(["a", "b", "c"]);
  });

  it("joins a line split across many chunks", () => {
    expect(split(["IN", "FO [ab", "cd1234] Run", "ning x\n", "next"]).lines).toEqual(["INFO [abcd1234] Running x", "next"]);
  });

  it("keeps empty lines and drops nothing after the last line end", () => {
    expect(split(["a\n\n\nb\n"]).lines).toEqual(["a", "", "", "b"]);
  });

  it("cuts a line longer than the maximum and counts it", () => {
    const { lines, truncated } = split(["x".repeat(10), "y".repeat(10), "\nshort\n"], 8);
    expect(lines).toEqual(["xxxxxxxx", "short"]);
    expect(truncated).toBe(1);
  });

  it("cuts an overlong line that arrives in one chunk", () => {
    const { lines, truncated } = split(["z".repeat(20) + "\nok"], 5);
    expect(lines).toEqual(["zzzzz", "ok"]);
    expect(truncated).toBe(1);
  });

  it("gives the same lines for every way of chunking the input", () => {
    const text = "one\r\ntwo\rthree\n\nfour\r\r\nfive";
    const expected = split([text]).lines;
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j += 3) {
        expect(split([text.slice(0, i), text.slice(i, j), text.slice(j)]).lines).toEqual(expected);
      }
    }
  });
});
