// The triage's verdicts handed from one thread to another (core/verdicts.ts): the ring's
// protocol on one thread, and the verdicts `TriageVerdicts` writes against `OutputReader.read`
// itself. Both threads together are tested through the CLI (test/parallel.test.ts).
import { describe, expect, it } from "vitest";
import { ERROR_WORDS } from "../src/core/keyline.js";
import { LineSplitter } from "../src/core/lines.js";
import { OutputReader, TriageVerdicts } from "../src/core/triage.js";
import { closeReader, closeWriter, decodeVerdict, encodeVerdict, NO_VERDICT, VerdictReader, VerdictWriter, verdictRing } from "../src/core/verdicts.js";
import { RulePrefilter } from "../src/rules/prefilter.js";
import { builtinCompiled } from "./support/analyze.js";

const DECLINE = -1;

describe("the verdict ring", () => {
  it("hands over each line's verdict in order, across the end of the ring many times", () => {
    const ring = verdictRing();
    const writer = new VerdictWriter(ring);
    const reader = new VerdictReader(ring);
    // 100,000 lines at a time, 2 words each, in a ring of 2^18 words: positions wrap around.
    const wrong: number[] = [];
    for (let round = 0; round < 12; round++) {
      for (let i = 0; i < 100_000; i++) writer.line(i % 500, i % 7 === 0 ? null : encodeVerdict(i % 31, i % 1000, i % 2 === 0));
      writer.flush();
      for (let i = 0; i < 100_000; i++) {
        const code = reader.next(i % 500);
        if (code !== (i % 7 === 0 ? DECLINE : encodeVerdict(i % 31, i % 1000, i % 2 === 0))) wrong.push(round * 100_000 + i);
      }
    }
    expect(wrong).toEqual([]);
    expect(reader.abandoned).toBe(false);
  });

  it("keeps every field of a verdict, however large the id's offset", () => {
    for (const [stampLength, idAt, printed] of [
      [0, 0, false],
      [30, 2, true],
      [28, 65_535, false],
      [0, 1 << 20, true],
    ] as const)
      expect(decodeVerdict(encodeVerdict(stampLength, idAt, printed))).toEqual({ stampLength, idAt, printed });
  });

  it("has no verdict for a line read before its verdict came, and passes over that verdict later", () => {
    const ring = verdictRing();
    const writer = new VerdictWriter(ring);
    const reader = new VerdictReader(ring);
    expect(reader.next(10)).toBe(NO_VERDICT);
    expect(reader.next(11)).toBe(NO_VERDICT);
    writer.line(10, encodeVerdict(1, 1, true));
    writer.line(11, encodeVerdict(2, 2, true));
    writer.line(12, encodeVerdict(3, 3, false));
    writer.flush();
    expect(decodeVerdict(reader.next(12))).toEqual({ stampLength: 3, idAt: 3, printed: false });
    expect(reader.abandoned).toBe(false);
  });

  it("stops taking verdicts when a line's length differs: the two reads are not of the same text", () => {
    const ring = verdictRing();
    const writer = new VerdictWriter(ring);
    const reader = new VerdictReader(ring);
    writer.line(10, encodeVerdict(0, 2, true));
    writer.line(20, encodeVerdict(0, 2, true));
    writer.line(30, encodeVerdict(0, 2, true));
    writer.flush();
    expect(reader.next(10)).not.toBe(NO_VERDICT);
    expect(reader.next(21)).toBe(NO_VERDICT);
    expect(reader.abandoned).toBe(true);
    expect(reader.next(30)).toBe(NO_VERDICT);
    // The writer, told, writes nothing more however much it is given (it would otherwise wait for room).
    for (let i = 0; i < 300_000; i++) writer.line(5, null);
    expect(writer.stopped).toBe(true);
  });

  it("stops taking verdicts when a source ends on one side and not on the other", () => {
    const ring = verdictRing();
    const writer = new VerdictWriter(ring);
    const reader = new VerdictReader(ring);
    writer.line(10, null);
    writer.endSource();
    writer.line(10, null);
    writer.flush();
    expect(reader.next(10)).toBe(DECLINE);
    expect(reader.next(10)).toBe(NO_VERDICT);
    expect(reader.abandoned).toBe(true);

    const ring2 = verdictRing();
    const writer2 = new VerdictWriter(ring2);
    const reader2 = new VerdictReader(ring2);
    writer2.line(10, null);
    writer2.line(10, null);
    writer2.endSource();
    writer2.flush();
    expect(reader2.next(10)).toBe(DECLINE);
    reader2.endSource();
    expect(reader2.abandoned).toBe(true);
  });

  it("has no verdict once the writer is closed and all it wrote is read", () => {
    const ring = verdictRing();
    const writer = new VerdictWriter(ring);
    const reader = new VerdictReader(ring);
    writer.line(4, encodeVerdict(0, 2, false));
    writer.flush();
    closeWriter(ring);
    expect(reader.next(4)).not.toBe(NO_VERDICT);
    expect(reader.next(4)).toBe(NO_VERDICT);
    expect(reader.abandoned).toBe(false);
  });

  it("a writer whose reader is closed from outside stops instead of waiting for room", () => {
    const ring = verdictRing();
    const writer = new VerdictWriter(ring);
    closeReader(ring);
    for (let i = 0; i < 200_000; i++) writer.line(8, null);
    expect(writer.stopped).toBe(true);
  });
});

describe("TriageVerdicts", () => {
  it("writes for every line what OutputReader.read decides on it, with runner timestamps decided by the first non-empty line", async () => {
    const rules = await builtinCompiled();
    const stamp = "2026-01-15T09:30:00.4482905Z ";
    const lines = [
      "",
      `${stamp}##[group]Run kamal deploy`,
      `${stamp}  INFO [38a907d0] Running docker pull app:1 on 10.0.0.1`,
      `${stamp}  DEBUG [38a907d0] \tDownload complete`,
      `${stamp}\x1b[0;30;49m  DEBUG [38a907d0] \x1b[0m Pulling fs layer`,
      `${stamp}  DEBUG [38a907d0] manifest for app:1 not found`,
      `${stamp}  DEBUG [38a907d0]    `,
      "  DEBUG [38a907d0] no timestamp",
    ];
    const text = lines.join("\n") + "\n";
    const ring = verdictRing();
    const side = new TriageVerdicts(new RulePrefilter(rules, ERROR_WORDS), new VerdictWriter(ring));
    side.beginSource();
    side.push(text);
    side.endSource();
    const reader = new VerdictReader(ring);
    const output = new OutputReader(new RulePrefilter(rules, ERROR_WORDS));
    const codes = lines.map((line) => reader.next(line.length));
    reader.endSource();
    expect(reader.abandoned).toBe(false);
    // Before and on the first non-empty line, nothing is decided: declined.
    expect(codes.slice(0, 2)).toEqual([DECLINE, DECLINE]);
    const expected: number[] = [];
    new LineSplitter((line) => expected.push(output.read(line, true) ? encodeVerdict(output.stampLength, output.idAt, output.printed) : DECLINE)).push(text);
    expect(codes.slice(2)).toEqual(expected.slice(2));
    // What these lines are: a command's start, output taken (timestamp, id, printed or not), a literal, no timestamp.
    expect(codes[2]).toBe(DECLINE);
    expect(decodeVerdict(codes[3] as number)).toEqual({ stampLength: stamp.length - 1, idAt: stamp.length + 9, printed: true });
    expect(codes[4]).not.toBe(DECLINE);
    expect(codes[5]).toBe(DECLINE);
    expect(decodeVerdict(codes[6] as number).printed).toBe(false);
    expect(codes[7]).toBe(DECLINE);
  });
});
